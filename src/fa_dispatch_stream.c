/* SPDX-License-Identifier: Apache-2.0 */
/* fa_dispatch_stream: a streamed answer's body read by an httpd child
 * (see fa_dispatch.h): chunk frames read back to back from the worker
 * connection, one at a time, watching the client and the deadline; and
 * meanwhile the rest of the request's body, if any, pumped to the worker,
 * so that a function can read its body as it streams its answer (an
 * echo). */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "fa_dispatch_private.h"
#include "fa_slot.h"

/* A streamed answer's body being read: the worker's connection and slot
 * stay the request's until fa_dispatch_stream_close. */
struct fa_dispatch_stream {
    fa_dispatch_t *d;
    int slot;
    conn_t conn;
    apr_time_t deadline;
    fa_wire_reader_t reader;
    fa_io_carry_t carry;
    char *payload; /* the last chunk's, freed by the next call */
    int clean;     /* its end was read: the connection can serve again */
    int reusable;  /* not after a streamed request body (fa_wire.h) */
    /* the rest of the request's body; NULL once sent, or once the worker
     * stopped taking it (its answer tells why) */
    fa_body_pump_t *pump;
};

fa_dispatch_stream_t *fa_dispatch_stream_make(fa_dispatch_t *d, apr_pool_t *p,
                                              int slot, const conn_t *conn,
                                              apr_time_t deadline,
                                              const fa_io_carry_t *carry,
                                              fa_body_pump_t *pump,
                                              int reusable)
{
    fa_dispatch_stream_t *s = apr_pcalloc(p, sizeof(*s));

    s->pump = pump;
    s->reusable = reusable;
    s->d = d;
    s->slot = slot;
    s->conn = *conn;
    s->deadline = deadline;
    fa_wire_reader_init(&s->reader, FA_WIRE_MAX_CHUNK + 4,
                        FA_WIRE_TYPE_BIT(FA_FRAME_RESPONSE_CHUNK));
    s->carry.len = carry->len - carry->at;
    memcpy(s->carry.buf, carry->buf + carry->at, s->carry.len);
    return s;
}

/* Pumps what goes of the body without waiting.  The source's failure
 * (FA_BODY_TOO_LARGE, FA_BODY_CLIENT_FAILED) stops the stream. */
static apr_status_t pump_some(fa_dispatch_stream_t *s)
{
    apr_status_t rv = fa_body_pump_step(s->pump, s->conn.fd);

    if (rv == APR_SUCCESS || rv == APR_ECONNRESET) {
        s->pump = NULL;
        return APR_SUCCESS;
    }
    return APR_STATUS_IS_EAGAIN(rv) ? APR_SUCCESS : rv;
}

/* fa_dispatch_wait while the body is pumped: the worker's socket is
 * polled for room too when the pump has a frame to write, the client's
 * for bytes when the pump waits for them (a hang-up is then a failed
 * read); one chunk each way at most is held. */
static apr_status_t duplex_wait(fa_dispatch_stream_t *s, int client_fd)
{
    apr_interval_time_t timeout = s->d->app->config->function_timeout;
    apr_status_t rv;

    while (s->pump) {
        int to_worker = s->pump->wants == FA_PUMP_WANTS_WORKER;
        apr_interval_time_t left = s->deadline - apr_time_now();
        int step = FA_SLOT_BEAT_INTERVAL_MS, n;
        struct pollfd pfd[2] = {
            {s->conn.fd, (short)(POLLIN | (to_worker ? POLLOUT : 0)), 0},
            {to_worker ? client_fd : s->pump->src->fd,
             (short)(to_worker ? 0 : POLLIN), 0}};

        if (timeout > 0 && left <= 0) {
            return FA_TIMED_OUT; /* a trickle each way does not extend it */
        }
        if (timeout > 0 && apr_time_as_msec(left) < step) {
            step = (int)apr_time_as_msec(left) + 1;
        }
        n = poll(pfd, 2, step);
        if (n == 0 && fa_dispatch_stalled(s->d, s->slot)) {
            return FA_WORKER_STALLED;
        }
        if (n < 0 && errno != EINTR) {
            return errno;
        }
        if (n > 0 && (pfd[0].revents & (POLLIN | POLLHUP | POLLERR))) {
            return APR_SUCCESS;
        }
        if (n > 0 && to_worker && (pfd[1].revents & (POLLHUP | POLLERR))) {
            return FA_CLIENT_GONE;
        }
        if ((rv = pump_some(s)) != APR_SUCCESS) {
            return rv;
        }
    }
    return fa_dispatch_wait(s->d, s->slot, s->conn.fd, client_fd, s->deadline);
}

apr_status_t fa_dispatch_stream_next(fa_dispatch_stream_t *s, int client_fd,
                                     const char **data, apr_size_t *len)
{
    fa_frame_type_e type;
    apr_size_t plen;
    apr_uint32_t flags;
    apr_status_t rv;

    free(s->payload);
    s->payload = NULL;
    /* the body flows on while the answer is read, whichever is faster */
    if (s->pump && (rv = pump_some(s)) != APR_SUCCESS) {
        return rv;
    }
    /* frames already read cost no system call; only a wait polls */
    rv = fa_io_recv_frame_carry(s->conn.fd, &s->reader, &s->carry, 0, &type,
                                &s->payload, &plen);
    while (rv == APR_INCOMPLETE || APR_STATUS_IS_EAGAIN(rv)) {
        rv = s->pump ? duplex_wait(s, client_fd)
                     : fa_dispatch_wait(s->d, s->slot, s->conn.fd, client_fd,
                                        s->deadline);
        if (rv != APR_SUCCESS) {
            return rv;
        }
        rv = fa_io_recv_frame_carry(s->conn.fd, &s->reader, &s->carry, -1,
                                    &type, &s->payload, &plen);
    }
    if (rv != APR_SUCCESS) {
        return rv == APR_EOF ? APR_ECONNRESET : rv;
    }
    if (fa_wire_decode_chunk(s->payload, plen, &flags, data, len)
        != APR_SUCCESS) {
        return APR_EGENERAL;
    }
    if (*len) {
        return APR_SUCCESS;
    }
    s->clean = 1;
    return flags & FA_CHUNK_ABORT ? FA_STREAM_ABORTED : APR_EOF;
}

void fa_dispatch_stream_close(fa_dispatch_stream_t *s)
{
    free(s->payload);
    s->payload = NULL;
    fa_wire_reader_clear(&s->reader);
    if (s->reusable && s->clean && s->carry.at == s->carry.len) {
        fa_dispatch_put_conn(s->d, s->slot, &s->conn);
    }
    else {
        /* the worker sees the hang-up: it closes the function's generator
         * or cancels its task */
        close(s->conn.fd);
    }
    fa_dispatch_release_slot(s->d, s->slot);
}
