/* SPDX-License-Identifier: Apache-2.0 */
/* fa_dispatch: connections from an httpd child to the workers. */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <apr_atomic.h>
#include <apr_general.h>
#include <apr_time.h>
#include <apr_strings.h>
#include <apr_thread_mutex.h>

#include "fa_dispatch_private.h"
#include "fa_doorbell.h"
#include "fa_io.h"
#include "fa_slot.h"
#include "fa_stats.h"

/* How long the first request of a child waits for a worker to index the
 * app (Python start-up and imports). */
#define TABLE_WAIT_MS 60000
/* After a reload the table is asked of a running worker, which answers
 * at once. */
#define TABLE_REFETCH_MS 5000
/* The function table is JSON of a few hundred bytes a function. */
#define MAX_TABLE (16 * 1024 * 1024)
/* A response body may be as large as a request body. */
#define MAX_RESPONSE (FA_MAX_BODY + 4 * 1024 * 1024)

#include "fa_dispatch_private.h"

/* Invocation ids are random (version 4) UUIDs, as on Azure.  apr_uuid_get
 * costs two system calls a request; a per-thread xorshift generator, seeded
 * from the system's random source once, costs none. */
static __thread apr_uint64_t id_state[2];

static apr_uint64_t next_random(void)
{
    apr_uint64_t x = id_state[0], y = id_state[1];

    id_state[0] = y;
    x ^= x << 23;
    id_state[1] = x ^ y ^ (x >> 17) ^ (y >> 26);
    return id_state[1] + y;
}

void fa_dispatch_invocation_id(char *out)
{
    unsigned char b[16];
    apr_uint64_t hi, lo;
    int i;

    while (!id_state[0] && !id_state[1]) {
        if (apr_generate_random_bytes((unsigned char *)id_state,
                                      sizeof(id_state))
            != APR_SUCCESS) {
            id_state[0] = (apr_uint64_t)apr_time_now() ^ (apr_uint64_t)getpid();
            id_state[1] = (apr_uint64_t)(apr_uintptr_t)&id_state;
        }
    }
    hi = next_random();
    lo = next_random();
    for (i = 0; i < 8; ++i) {
        b[i] = (unsigned char)(hi >> (8 * i));
        b[8 + i] = (unsigned char)(lo >> (8 * i));
    }
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40); /* version 4 */
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80); /* RFC 4122 variant */
    apr_snprintf(out, 37,
                 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
                 "%02x%02x%02x%02x%02x%02x",
                 b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9],
                 b[10], b[11], b[12], b[13], b[14], b[15]);
}

apr_status_t fa_dispatch_create(fa_dispatch_t **d, apr_pool_t *p, fa_app_t *app)
{
    fa_dispatch_t *dp = apr_pcalloc(p, sizeof(*dp));
    int i;

    dp->app = app;
    dp->pool = p;
    /* children start their tie-breaking scans at different workers */
    dp->next = (apr_uint32_t)getpid();
    dp->idle = apr_pcalloc(p, sizeof(idle_conns_t) * app->nslots);
    for (i = 0; i < app->nslots; ++i) {
        apr_thread_mutex_create(&dp->idle[i].lock, APR_THREAD_MUTEX_DEFAULT, p);
    }
    apr_thread_mutex_create(&dp->table_lock, APR_THREAD_MUTEX_DEFAULT, p);
    *d = dp;
    return APR_SUCCESS;
}

/* -1 with errno set on failure, as get_conn's callers read it. */
static int connect_slot(fa_dispatch_t *d, int slot, conn_t *conn)
{
    struct timeval beat = {FA_SLOT_BEAT_INTERVAL_MS / 1000,
                           (FA_SLOT_BEAT_INTERVAL_MS % 1000) * 1000};
    apr_status_t rv;
    int fd;

    /* read before connecting: see conn_t */
    conn->incarnation = fa_slot_incarnation(d->app->slots, slot);
    rv = fa_io_connect(d->app->socket_addrs[slot], &fd);
    if (rv != APR_SUCCESS) {
        errno = rv;
        return -1;
    }
    /* A blocking read that waits a beat interval fails with EAGAIN, so
     * that no wait on the worker (the rest of a streamed answer) outlives
     * a look at the function timeout and the worker's heartbeat. */
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &beat, sizeof(beat));
    conn->fd = fd;
    return fd;
}

/* A pooled connection, or a new one.  One whose worker has died needs no
 * check here: sending on a Unix socket whose peer is gone fails at once
 * (EPIPE), before the worker could have read anything, so it is retried.
 * One to a worker being replaced is closed unused: that worker may exit
 * between our send and its read. */
int fa_dispatch_get_conn(fa_dispatch_t *d, int slot, conn_t *conn, int *reused)
{
    idle_conns_t *ic = &d->idle[slot];
    apr_uint32_t now = fa_slot_incarnation(d->app->slots, slot);
    int found = 0;

    apr_thread_mutex_lock(ic->lock);
    while (!found && ic->n > 0) {
        *conn = ic->conns[--ic->n];
        found = conn->incarnation == now;
        if (!found) {
            close(conn->fd);
        }
    }
    apr_thread_mutex_unlock(ic->lock);
    *reused = found;
    return found ? conn->fd : connect_slot(d, slot, conn);
}

void fa_dispatch_put_conn(fa_dispatch_t *d, int slot, const conn_t *conn)
{
    idle_conns_t *ic = &d->idle[slot];
    int kept = 0;

    apr_thread_mutex_lock(ic->lock);
    if (ic->n < MAX_IDLE) {
        ic->conns[ic->n++] = *conn;
        kept = 1;
    }
    apr_thread_mutex_unlock(ic->lock);
    if (!kept) {
        close(conn->fd);
    }
}

static apr_status_t free_cleanup(void *data)
{
    free(data);
    return APR_SUCCESS;
}

/* The end of a frame's read: its payload freed with @a p, or what the
 * reader held freed at once. */
static apr_status_t frame_read(apr_status_t rv, fa_wire_reader_t *r,
                               apr_pool_t *p, char *payload)
{
    if (rv != APR_SUCCESS) {
        fa_wire_reader_clear(r);
        return rv;
    }
    apr_pool_cleanup_register(p, payload, free_cleanup, apr_pool_cleanup_null);
    return APR_SUCCESS;
}

/* Reads one frame of @a want type; its payload is freed with @a p. */
static apr_status_t recv_frame(int fd, apr_pool_t *p, fa_frame_type_e want,
                               apr_size_t max, int timeout_ms, char **payload,
                               apr_size_t *len)
{
    fa_wire_reader_t r;
    fa_frame_type_e type;
    apr_status_t rv;

    fa_wire_reader_init(&r, max, FA_WIRE_TYPE_BIT(want));
    /* in two steps: the payload exists once the read is over */
    rv = fa_io_recv_frame(fd, &r, timeout_ms, &type, payload, len);
    return frame_read(rv, &r, p, *payload);
}

/* @a function is the table's index of the function to run, or -1 for a
 * request any worker answers at once (the table). */
int fa_dispatch_reserve_slot(fa_dispatch_t *d, int exclude,
                             apr_uint32_t function)
{
    apr_uint32_t capacity = 0; /* an async function's tasks: unbounded */

    const fa_function_table_t *t = d->table;

    if (t && function < (apr_uint32_t)t->nfunctions
        && !t->functions[function].is_async) {
        capacity = (apr_uint32_t)d->app->config->thread_count;
    }
    return fa_slot_reserve(d->app->slots, d->app->nslots, exclude, capacity,
                           &d->next);
}

void fa_dispatch_release_slot(fa_dispatch_t *d, int slot)
{
    fa_slot_release(d->app->slots, slot);
}

/* A table from a worker started before the last reload has the old
 * code's functions: the one in use stays. */
static apr_status_t parse_table(fa_dispatch_t *d, const char *text,
                                apr_size_t len)
{
    fa_function_table_t *table = apr_pcalloc(d->pool, sizeof(*table));
    apr_status_t rv;
    int i;

    rv = fa_dispatch_parse_table(table, text, len, d->pool, &d->app->log);
    for (i = 0; rv == APR_SUCCESS && i < table->nfunctions; ++i) {
        table->functions[i].stats =
            fa_stats_function_index(d->app->stats, table->functions[i].name);
    }
    if (rv == APR_SUCCESS
        && (!d->table
            || table->reloads
                >= fa_slot_reloads(d->app->slots, d->app->nslots))) {
        /* whole: readers take the pointer once */
        apr_atomic_casptr((volatile void **)&d->table, table, d->table);
    }
    return rv;
}

static apr_status_t fetch_table(fa_dispatch_t *d, int wait_ms)
{
    unsigned char hdr[FA_WIRE_HEADER_LEN];
    struct iovec vec = {hdr, sizeof(hdr)};
    apr_pool_t *tmp;
    char *payload;
    apr_size_t len;
    apr_status_t rv = APR_EAGAIN;
    int slot, fd, reused;
    conn_t conn;

    apr_pool_create(&tmp, NULL);
    slot = fa_dispatch_reserve_slot(d, -1, (apr_uint32_t)-1);
    fa_dispatch_release_slot(d, slot);
    fd = fa_dispatch_get_conn(d, slot, &conn, &reused);
    if (fd >= 0) {
        fa_wire_make_header(hdr, FA_FRAME_TABLE_GET, 0);
        rv = fa_io_send(fd, &vec, 1);
        if (rv == APR_SUCCESS) {
            rv = recv_frame(fd, tmp, FA_FRAME_TABLE, MAX_TABLE, wait_ms,
                            &payload, &len);
        }
        if (rv == APR_SUCCESS) {
            rv = parse_table(d, payload, len);
            fa_dispatch_put_conn(d, slot, &conn);
        }
        else {
            close(fd);
        }
    }
    if (rv != APR_SUCCESS) {
        fa_log(&d->app->log, FA_LOG_ERR, rv,
               "FA052: no function table from "
               "worker %d",
               slot);
        rv = APR_EAGAIN;
    }
    apr_pool_destroy(tmp);
    return rv;
}

/* Whether the app was reloaded since the table in use was made, and a
 * fetch is due (one every FA_DISPATCH_REFETCH while old workers answer). */
static int table_stale(fa_dispatch_t *d, const fa_function_table_t *t)
{
    return t->reloads < fa_slot_reloads(d->app->slots, d->app->nslots)
        && apr_time_now() - d->table_tried >= FA_DISPATCH_REFETCH;
}

/* The table, fetched by the first request of the child that needs it,
 * and again after a reload; *@a out is the one to use for the request. */
static apr_status_t have_table(fa_dispatch_t *d,
                               const fa_function_table_t **out)
{
    apr_status_t rv = APR_SUCCESS;
    const fa_function_table_t *t = d->table;

    if (!t || table_stale(d, t)) {
        apr_thread_mutex_lock(d->table_lock);
        if (!d->table) {
            rv = fetch_table(d, TABLE_WAIT_MS);
        }
        else if (table_stale(d, d->table)) {
            d->table_tried = apr_time_now();
            /* a worker answers a table at once; old ones keep serving */
            fetch_table(d, TABLE_REFETCH_MS);
        }
        apr_thread_mutex_unlock(d->table_lock);
        t = d->table;
    }
    *out = t;
    return t ? APR_SUCCESS : rv;
}

apr_status_t fa_dispatch_find(fa_dispatch_t *d, const char *name,
                              const fa_function_t **function)
{
    const fa_function_table_t *t;
    apr_status_t rv = have_table(d, &t);
    int i;

    *function = NULL;
    for (i = 0; rv == APR_SUCCESS && i < t->nfunctions; ++i) {
        if (t->functions[i].name && !strcasecmp(t->functions[i].name, name)) {
            *function = &t->functions[i];
        }
    }
    return rv;
}

apr_status_t fa_dispatch_route(fa_dispatch_t *d, apr_pool_t *p,
                               const char *path, const char *method,
                               fa_route_result_e *result,
                               const fa_function_t **function,
                               apr_table_t *params, const char **allow)
{
    int index = -1;
    const fa_function_table_t *t;
    apr_status_t rv = have_table(d, &t);

    if (rv != APR_SUCCESS) {
        return rv;
    }
    *result =
        fa_router_match(t->router, p, path, method, &index, params, allow);
    *function =
        (*result == FA_ROUTE_MATCHED && index >= 0 && index < t->nfunctions)
        ? &t->functions[index]
        : NULL;
    return APR_SUCCESS;
}

/* The worker on @a slot has missed its heartbeats with our request: the
 * parent looks again and kills it; the request counts as lost. */
int fa_dispatch_stalled(fa_dispatch_t *d, int slot)
{
    if (!fa_slot_stalled(d->app->slots, slot, FA_SLOT_STALL_SECONDS)) {
        return 0;
    }
    fa_slot_ask(d->app->slots, slot, FA_SLOT_ASK_KILL);
    fa_doorbell_ring(d->app->doorbell);
    return 1;
}

/* Waits for the worker's answer while watching the client: if the client
 * hangs up first, closing the worker connection tells the worker, which
 * cancels an async function's task.  A wait past the function timeout is
 * FA_TIMED_OUT.  Every beat interval without an answer it looks at the
 * worker's heartbeat: a stalled worker is FA_WORKER_STALLED. */
apr_status_t fa_dispatch_wait(fa_dispatch_t *d, int slot, int fd, int client_fd,
                              apr_time_t deadline)
{
    apr_interval_time_t timeout = d->app->config->function_timeout;
    struct pollfd pfd[2] = {{fd, POLLIN, 0}, {client_fd, POLLRDHUP, 0}};

    for (;;) {
        apr_interval_time_t left = deadline - apr_time_now();
        int step = FA_SLOT_BEAT_INTERVAL_MS, n;

        if (timeout > 0 && apr_time_as_msec(left) < step) {
            step = left > 0 ? (int)apr_time_as_msec(left) : 0;
        }
        n = poll(pfd, 2, step);
        if (n == 0 && timeout > 0 && apr_time_now() >= deadline) {
            return FA_TIMED_OUT;
        }
        if (n == 0) {
            if (fa_dispatch_stalled(d, slot)) {
                return FA_WORKER_STALLED;
            }
            continue;
        }
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            return errno;
        }
        if (pfd[0].revents) {
            return APR_SUCCESS;
        }
        if (pfd[1].revents & (POLLRDHUP | POLLHUP | POLLERR)) {
            return FA_CLIENT_GONE;
        }
    }
}

/* Reads the worker's answer; each beat interval a wait is in vain it
 * looks at the deadline and the worker's heartbeat, and goes on reading
 * where it was.  Bytes past the frame (a streamed answer's first chunks)
 * stay in @a carry.  The wait is a poll() for input, not a blocking recv:
 * a thread asleep in recv() on a Unix socket is woken whenever the worker
 * reads the request this side sent (unix_write_space wakes every sleeper
 * of the socket), a second wake-up and context switch a request. */
apr_status_t fa_dispatch_read_response(fa_dispatch_t *d, int slot, int fd,
                                       apr_pool_t *p, apr_time_t deadline,
                                       fa_io_carry_t *carry, char **payload,
                                       apr_size_t *len)
{
    apr_interval_time_t timeout = d->app->config->function_timeout;
    fa_wire_reader_t r;
    fa_frame_type_e type;
    apr_status_t rv;

    fa_wire_reader_init(&r, MAX_RESPONSE, FA_WIRE_TYPE_BIT(FA_FRAME_RESPONSE));
    while (APR_STATUS_IS_EAGAIN(rv = fa_io_recv_frame_carry(
                                    fd, &r, carry, FA_SLOT_BEAT_INTERVAL_MS,
                                    &type, payload, len))
           || APR_STATUS_IS_TIMEUP(rv)) {
        if (timeout > 0 && apr_time_now() >= deadline) {
            rv = FA_TIMED_OUT;
            break;
        }
        if (fa_dispatch_stalled(d, slot)) {
            rv = FA_WORKER_STALLED;
            break;
        }
    }
    return frame_read(rv, &r, p, *payload);
}

/* The rest of a streamed body, once the worker has the request, until
 * the worker answers; a function timeout of 0 (off) bounds nothing. */
static apr_status_t send_more(fa_dispatch_t *d, int fd, fa_body_pump_t *pump,
                              apr_time_t deadline)
{
    int answered;
    apr_status_t rv;

    if (d->app->config->function_timeout <= 0) {
        deadline = APR_INT64_MAX;
    }
    rv = fa_body_pump(pump, fd, deadline, &answered);
    return rv == APR_TIMEUP ? FA_TIMED_OUT : rv;
}

/* One attempt on one reserved worker.  *sent tells whether the worker may
 * have read the request; *stream is set for a streamed answer, which
 * keeps the connection, and the rest of the body to pump meanwhile. */
static apr_status_t exchange(fa_dispatch_t *d, apr_pool_t *p, int slot,
                             struct iovec *vec, fa_body_source_t *more,
                             int client_fd, fa_response_t *resp, int *sent,
                             fa_dispatch_stream_t **stream)
{
    struct iovec copy[3];
    fa_io_carry_t carry;
    fa_body_pump_t *pump = NULL;
    char *payload;
    apr_size_t len;
    apr_status_t rv;
    int fd, reused;
    conn_t conn;
    apr_time_t deadline;

    *sent = 0;
    carry.at = carry.len = 0;
    /* pooled connections to a worker that died since fail at once; the
     * next one, or a new connection, goes to its replacement */
    do {
        fd = fa_dispatch_get_conn(d, slot, &conn, &reused);
        if (fd < 0) {
            return errno ? errno : APR_ECONNREFUSED;
        }
        memcpy(copy, vec, sizeof(copy));
        rv = fa_io_send(fd, copy, 3);
        if (rv != APR_SUCCESS) {
            close(fd);
        }
    } while (rv != APR_SUCCESS && reused);
    deadline = apr_time_now() + d->app->config->function_timeout;
    if (rv == APR_SUCCESS) {
        *sent = 1;
        if (more) {
            pump = apr_palloc(p, sizeof(*pump));
            fa_body_pump_init(pump, more);
            rv = send_more(d, fd, pump, deadline);
        }
    }
    /* only a client to watch needs a poll; without, the read waits */
    if (rv == APR_SUCCESS && client_fd >= 0) {
        rv = fa_dispatch_wait(d, slot, fd, client_fd, deadline);
    }
    if (rv == APR_SUCCESS) {
        rv = fa_dispatch_read_response(d, slot, fd, p, deadline, &carry,
                                       &payload, &len);
    }
    if (rv == APR_SUCCESS) {
        rv = fa_wire_decode_response(p, payload, len, resp);
    }
    if (rv == APR_SUCCESS && (resp->flags & FA_RESPONSE_STREAMED)) {
        *stream =
            fa_dispatch_stream_make(d, p, slot, &conn, deadline, &carry,
                                    pump && !pump->done ? pump : NULL, !more);
        return APR_SUCCESS;
    }
    if (rv == APR_SUCCESS && carry.at < carry.len) {
        rv = APR_EGENERAL; /* bytes past a whole answer: a broken stream */
    }
    if (rv == APR_SUCCESS && !more) {
        fa_dispatch_put_conn(d, slot, &conn);
    }
    else if (*sent) {
        close(fd);
    }
    return rv;
}

void fa_dispatch_log_failure(fa_dispatch_t *d, const fa_request_t *req,
                             int slot, apr_status_t rv, int attempt, int sent,
                             int retry)
{
    fa_log(&d->app->log, attempt ? FA_LOG_ERR : FA_LOG_WARNING,
           rv == FA_WORKER_STALLED ? 0 : rv,
           "FA053: %s: worker %d %s the request%s", req->invocation_id, slot,
           rv == FA_WORKER_STALLED ? "stalled (no heartbeat) with"
               : sent              ? "failed after receiving"
                                   : "failed before",
           retry ? "; retrying on another worker" : "");
}

apr_status_t fa_dispatch_invoke(fa_dispatch_t *d, apr_pool_t *p,
                                const fa_request_t *req, int idempotent,
                                int client_fd, fa_response_t *resp,
                                fa_dispatch_stream_t **stream, int *worker)
{
    return fa_dispatch_invoke_streamed(d, p, req, NULL, idempotent, client_fd,
                                       resp, stream, worker);
}

apr_status_t fa_dispatch_invoke_streamed(fa_dispatch_t *d, apr_pool_t *p,
                                         const fa_request_t *req,
                                         fa_body_source_t *more, int idempotent,
                                         int client_fd, fa_response_t *resp,
                                         fa_dispatch_stream_t **stream,
                                         int *worker)
{
    struct iovec vec[3];
    char *head;
    apr_size_t head_len;
    apr_status_t rv;
    int slot = -1, attempt, sent, retry;

    *stream = NULL;
    if ((rv = fa_wire_encode_request(p, req, &head, &head_len))
        != APR_SUCCESS) {
        return rv;
    }
    fa_wire_frame_iov(vec, head, head_len, req->body, req->body_len);
    for (attempt = 0;; ++attempt) {
        slot = fa_dispatch_reserve_slot(d, slot, req->function_index);
        rv = exchange(d, p, slot, vec, more, client_fd, resp, &sent, stream);
        *worker = slot;
        if (*stream) {
            return rv; /* the slot stays reserved while it streams */
        }
        fa_dispatch_release_slot(d, slot);
        /* a timed-out request is never sent again, nor a body that failed
         * on the client's side */
        if (rv == APR_SUCCESS || rv == FA_CLIENT_GONE || rv == FA_TIMED_OUT
            || rv == FA_BODY_TOO_LARGE || rv == FA_BODY_CLIENT_FAILED) {
            return rv;
        }
        /* a body that began to flow cannot flow again */
        retry = fa_dispatch_retry(attempt, sent, idempotent)
            && !(more && more->started);
        fa_dispatch_log_failure(d, req, slot, rv, attempt, sent, retry);
        if (!retry) {
            return APR_ECONNABORTED;
        }
    }
}

int fa_dispatch_retry(int attempt, int sent, int idempotent)
{
    return attempt == 0 && (!sent || idempotent);
}
