/* SPDX-License-Identifier: Apache-2.0 */
/* fa_dispatch_call: a request sent to a worker whose answer is read later,
 * by another thread (a suspended request, fa_suspend.h). */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include "fa_dispatch_call.h"
#include "fa_dispatch_private.h"

struct fa_dispatch_call {
    fa_dispatch_t *d;
    apr_pool_t *p;
    const fa_request_t *req;
    struct iovec vec[3]; /* the frame, sent again on a retry */
    int idempotent;
    int attempt;
    int slot; /* reserved while the call waits */
    conn_t conn;
    apr_time_t deadline;
};

/* Sends the frame to the reserved slot; *sent once a worker may have
 * read it.  Pooled connections to a dead worker fail at once and the
 * next one is tried, as in fa_dispatch_invoke. */
static apr_status_t send_once(fa_dispatch_call_t *call, int *sent)
{
    struct iovec copy[3];
    apr_status_t rv;
    int fd, reused;

    *sent = 0;
    do {
        fd = fa_dispatch_get_conn(call->d, call->slot, &call->conn, &reused);
        if (fd < 0) {
            return errno ? errno : APR_ECONNREFUSED;
        }
        memcpy(copy, call->vec, sizeof(copy));
        rv = fa_io_send(fd, copy, 3);
        if (rv != APR_SUCCESS) {
            close(fd);
        }
    } while (rv != APR_SUCCESS && reused);
    if (rv == APR_SUCCESS) {
        *sent = 1;
        call->deadline =
            apr_time_now() + call->d->app->config->function_timeout;
    }
    return rv;
}

/* Tries workers until one has the request, by fa_dispatch_retry's rule
 * (@a sent: the attempt before this one had reached its worker). */
static apr_status_t send_with_retries(fa_dispatch_call_t *call, int sent)
{
    apr_status_t rv;
    int retry;

    for (;;) {
        call->slot = fa_dispatch_reserve_slot(call->d, call->slot,
                                              call->req->function_index);
        rv = send_once(call, &sent);
        if (rv == APR_SUCCESS) {
            return rv;
        }
        fa_dispatch_release_slot(call->d, call->slot);
        retry = fa_dispatch_retry(call->attempt, sent, call->idempotent);
        fa_dispatch_log_failure(call->d, call->req, call->slot, rv,
                                call->attempt, sent, retry);
        ++call->attempt;
        if (!retry) {
            return APR_ECONNABORTED;
        }
    }
}

apr_status_t fa_dispatch_call_send(fa_dispatch_t *d, apr_pool_t *p,
                                   const fa_request_t *req, int idempotent,
                                   fa_dispatch_call_t **out)
{
    fa_dispatch_call_t *call = apr_pcalloc(p, sizeof(*call));
    char *head;
    apr_size_t head_len;
    apr_status_t rv;

    if ((rv = fa_wire_encode_request(p, req, &head, &head_len))
        != APR_SUCCESS) {
        return rv;
    }
    call->d = d;
    call->p = p;
    call->req = req;
    call->idempotent = idempotent;
    call->slot = -1;
    fa_wire_frame_iov(call->vec, head, head_len, req->body, req->body_len);
    rv = send_with_retries(call, 0);
    *out = rv == APR_SUCCESS ? call : NULL;
    return rv;
}

int fa_dispatch_call_fd(const fa_dispatch_call_t *call)
{
    return call->conn.fd;
}

int fa_dispatch_call_wait(const fa_dispatch_call_t *call, int client_fd,
                          apr_interval_time_t wait)
{
    struct pollfd pfd[2] = {{call->conn.fd, POLLIN, 0},
                            {client_fd, POLLRDHUP, 0}};

    /* a signal ends the wait early: the request is suspended then, which
     * is only slower */
    if (wait <= 0
        || poll(pfd, client_fd < 0 ? 1 : 2, (int)((wait + 999) / 1000)) < 1) {
        return 0;
    }
    return pfd[0].revents ? 1 : -1;
}

int fa_dispatch_call_worker(const fa_dispatch_call_t *call)
{
    return call->slot;
}

apr_time_t fa_dispatch_call_deadline(const fa_dispatch_call_t *call)
{
    return call->d->app->config->function_timeout > 0 ? call->deadline : 0;
}

int fa_dispatch_call_stalled(fa_dispatch_call_t *call)
{
    return fa_dispatch_stalled(call->d, call->slot);
}

void fa_dispatch_call_abandon(fa_dispatch_call_t *call)
{
    /* the worker sees the connection close and cancels the task */
    close(call->conn.fd);
    call->conn.fd = -1;
    fa_dispatch_release_slot(call->d, call->slot);
}

apr_status_t fa_dispatch_call_receive(fa_dispatch_call_t *call,
                                      apr_status_t why, fa_response_t *resp,
                                      fa_dispatch_stream_t **stream)
{
    fa_io_carry_t carry;
    char *payload;
    apr_size_t len;
    apr_status_t rv = why;
    int retry;

    *stream = NULL;
    carry.at = carry.len = 0;
    if (rv == APR_SUCCESS) {
        /* the answer is there (the caller's poll saw it): one recv */
        fa_io_carry_fill(call->conn.fd, &carry);
        rv = fa_dispatch_read_response(call->d, call->slot, call->conn.fd,
                                       call->p, call->deadline, &carry,
                                       &payload, &len);
    }
    if (rv == APR_SUCCESS) {
        rv = fa_wire_decode_response(call->p, payload, len, resp);
    }
    if (rv == APR_SUCCESS && (resp->flags & FA_RESPONSE_STREAMED)) {
        /* the connection and the slot are the stream's until it closes */
        *stream =
            fa_dispatch_stream_make(call->d, call->p, call->slot, &call->conn,
                                    call->deadline, &carry, NULL, 1);
        call->conn.fd = -1;
        return rv;
    }
    if (rv == APR_SUCCESS && carry.at < carry.len) {
        rv = APR_EGENERAL; /* bytes past a whole answer: a broken stream */
    }
    if (rv == APR_SUCCESS) {
        fa_dispatch_put_conn(call->d, call->slot, &call->conn);
        fa_dispatch_release_slot(call->d, call->slot);
        return rv;
    }
    if (rv == FA_TIMED_OUT) { /* never sent again */
        fa_dispatch_call_abandon(call);
        return rv;
    }
    fa_dispatch_call_abandon(call);
    retry = fa_dispatch_retry(call->attempt, 1, call->idempotent);
    fa_dispatch_log_failure(call->d, call->req, call->slot, rv, call->attempt,
                            1, retry);
    ++call->attempt;
    if (!retry) {
        return APR_ECONNABORTED;
    }
    rv = send_with_retries(call, 1);
    return rv == APR_SUCCESS ? FA_RESENT : rv;
}
