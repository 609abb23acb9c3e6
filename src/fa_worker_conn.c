/* SPDX-License-Identifier: Apache-2.0 */
/* fa_worker_conn: a worker's connections from httpd children: reading
 * request frames, handing them to the run queue or the event loop, and
 * writing the answers (see fa_worker_private.h for who owns what). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <apr_atomic.h>
#include <apr_portable.h>
#include <apr_strings.h>

#include "fa_http.h"
#include "fa_io.h"
#include "fa_stats.h"
#include "fa_worker_private.h"

/* Headers, URL and route values of one request fit in this beside the
 * body; a frame above the app's body limit plus this is refused unread. */
#define MAX_REQUEST_OVERHEAD (4 * 1024 * 1024)
#define REQUEST_TYPES                                                          \
    (FA_WIRE_TYPE_BIT(FA_FRAME_REQUEST) | FA_WIRE_TYPE_BIT(FA_FRAME_TABLE_GET))

static void close_conn(conn_t *c)
{
    apr_socket_close(c->sock);
    fa_wire_reader_clear(&c->reader);
    apr_atomic_dec32(&c->w->nconns);
    apr_pool_destroy(c->pool);
}

/* A new connection stays in the pollset (the event loop's for a
 * connection the loop reads), busy or not, until it is closed.  Its
 * reader only. */
static void poll_conn(conn_t *c)
{
    /* Marked first: the set's other thread (the loop, or the leader for
     * a connection the loop hands over) may see the connection and
     * unpoll it before the call returns; marked after, it would stay in
     * the set unpolled and fire on a stream's body bytes. */
    c->polled = 1;
    if ((c->loop ? fa_python_loop_watch(c->fd, c)
                 : apr_pollset_add(c->w->pollset, &c->pfd))
        != APR_SUCCESS) {
        c->polled = 0;
    }
}

static void unpoll_conn(conn_t *c)
{
    if (!c->polled) {
        return;
    }
    if (c->loop) {
        fa_python_loop_unwatch(c->fd);
    }
    else {
        apr_pollset_remove(c->w->pollset, &c->pfd);
    }
    c->polled = 0;
}

static void drop_conn(conn_t *c)
{
    unpoll_conn(c);
    close_conn(c);
}

/* The response as it may go out: refused headers and bodies over the
 * limit become a 500, said why in the log. */
static fa_response_t *checked(fa_invocation_t *inv, fa_response_t *resp,
                              fa_response_t *failed)
{
    const fa_logger_t *log = &((conn_t *)inv->owner)->w->app->log;
    const apr_array_header_t *arr = apr_table_elts(resp->headers);
    const apr_table_entry_t *e = (const apr_table_entry_t *)arr->elts;
    int i;

    for (i = 0; i < arr->nelts; ++i) {
        if (!fa_http_header_is_valid(e[i].key, e[i].val)) {
            fa_log(log, FA_LOG_ERR, 0,
                   "FA031: %s: refused response header "
                   "'%s' with invalid characters; answering 500",
                   inv->id, e[i].key);
            fa_http_response_500(failed, inv->pool);
            return failed;
        }
    }
    if (resp->body_len > FA_MAX_BODY) {
        /* children refuse frames over the limit; say why here */
        fa_log(log, FA_LOG_ERR, 0,
               "FA038: %s: response body of %lu bytes "
               "is over the %d-byte limit; answering 500",
               inv->id, (unsigned long)resp->body_len, FA_MAX_BODY);
        fa_http_response_500(failed, inv->pool);
        return failed;
    }
    return resp;
}

/* Sends @a resp, or the 500 that replaces a response that may not go out;
 * whether @a resp itself went out. */
static int send_response(conn_t *c, fa_invocation_t *inv, fa_response_t *resp)
{
    fa_response_t failed, *out;
    struct iovec vec[3];
    char *head;
    apr_size_t head_len;

    out = checked(inv, resp, &failed);
    out->worker_pid = c->w->pid;
    if (fa_wire_encode_response(inv->pool, out, &head, &head_len)
        != APR_SUCCESS) {
        fa_log(&c->w->app->log, FA_LOG_ERR, 0,
               "FA032: %s: response cannot "
               "be framed (header too long?); answering 500",
               inv->id);
        fa_http_response_500(&failed, inv->pool);
        out = &failed;
        out->worker_pid = c->w->pid;
        fa_wire_encode_response(inv->pool, out, &head, &head_len);
    }
    fa_wire_frame_iov(vec, head, head_len, out->body, out->body_len);
    /* a failed write means the child hung up: the leader will read the
     * end of stream and close the connection */
    return fa_io_send(c->fd, vec, 3) == APR_SUCCESS && out == resp;
}

/* From the thread that ran the request (a runner or the event loop):
 * writes the response (a streamed one's end is written already), then
 * hands the connection back to the leader.  The invocation is freed
 * here; an async cancellation may still name it afterwards, as a token
 * only (see fa_pyloop.c). */
void fa_worker_complete(fa_invocation_t *inv, fa_response_t *resp)
{
    conn_t *c = inv->owner;
    worker_t *w = c->w;

    if (!resp) {
        /* no answer to give: closing the connection is the child's 502,
         * not an endless wait */
        apr_atomic_cas32(&c->state, CONN_GONE, CONN_BUSY);
        if (c->loop) {
            /* on the loop thread, between its reads: none of them sees c
             * again once the leader closes it */
            unpoll_conn(c);
        }
    }
    else if (!(resp->flags & FA_RESPONSE_STREAMED)
             && apr_atomic_read32(&c->state) == CONN_BUSY) {
        send_response(c, inv, resp);
    }
    apr_atomic_dec32(&w->inflight);
    fa_stats_answered(w->app->stats, w->slot, c->is_async);
    fa_worker_request_done(w);
    /* A streamed body may have been left unread in the socket: the
     * connection ends with the request (the child closes its end too). */
    if (c->streamed) {
        apr_atomic_cas32(&c->state, CONN_GONE, CONN_BUSY);
    }
    /* Back to the leader, which may see the child's next request as soon
     * as this succeeds: nothing here touches c afterwards. */
    else if (apr_atomic_cas32(&c->state, CONN_IDLE, CONN_BUSY) == CONN_BUSY) {
        fa_invocation_destroy(inv);
        if (fa_worker_draining) {
            apr_pollset_wakeup(w->pollset);
        }
        return;
    }
    fa_invocation_destroy(inv);
    /* GONE: only the leader may close it */
    apr_thread_mutex_lock(w->done_lock);
    c->next_done = w->done;
    w->done = c;
    apr_thread_mutex_unlock(w->done_lock);
    /* One wake-up a batch: a non-empty list has one on its way already. */
    if (!c->next_done) {
        apr_pollset_wakeup(w->pollset);
    }
}

/* The head of a streamed response: the chunks follow on the socket this
 * returns, written by the same thread (the connection is still BUSY, so
 * nothing else writes to it).  -1 when the invocation is done already: its
 * child hung up, or the head was refused and a 500 went out instead. */
int fa_worker_stream_begin(fa_invocation_t *inv, fa_response_t *resp)
{
    conn_t *c = inv->owner;
    fa_response_t over;

    resp->flags |= FA_RESPONSE_STREAMED;
    if (apr_atomic_read32(&c->state) != CONN_BUSY) {
        fa_worker_complete(inv, NULL);
        return -1;
    }
    if (send_response(c, inv, resp)) {
        return c->fd;
    }
    memset(&over, 0, sizeof(over));
    over.flags = FA_RESPONSE_STREAMED; /* nothing more to send */
    fa_worker_complete(inv, &over);
    return -1;
}

void fa_worker_run_queued(void *baton, fa_runq_item_t *item)
{
    conn_t *c = (conn_t *)item;
    worker_t *w = c->w; /* c is the leader's again once answered */

    (void)baton;
    fa_stats_run_begin(w->app->stats, w->slot);
    if (apr_atomic_read32(&c->state) == CONN_GONE) {
        /* queued behind busy threads and its client left meanwhile */
        fa_worker_complete(c->inv, NULL);
    }
    else {
        /* reports through fa_worker_complete */
        fa_python_invoke(c->inv);
    }
    fa_stats_run_end(w->app->stats, w->slot);
}

void fa_worker_close_done(worker_t *w)
{
    conn_t *c, *next;

    apr_thread_mutex_lock(w->done_lock);
    c = w->done;
    w->done = NULL;
    apr_thread_mutex_unlock(w->done_lock);
    for (; c; c = next) {
        next = c->next_done;
        drop_conn(c);
    }
}

/* An event on a busy connection (seen by its reader: the leader, or the
 * loop for its own): either its httpd child hung up (its
 * client went away, or httpd is stopping), or the child already sent its
 * next request in the moment between our response and the answering
 * thread handing the connection back, a few instructions later.  Only a
 * hang-up counts: an async task is cancelled; a sync function finishes
 * and its response is dropped. */
static void on_busy_event(conn_t *c)
{
    char byte;
    ssize_t n;

    /* a streamed request's connection is polled for hang-ups only, and
     * its unread body is no next request */
    n = c->streamed ? 0 : recv(c->fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    if (n > 0 || (n < 0 && (errno == EAGAIN || errno == EINTR))) {
        return;
    }
    if (apr_atomic_cas32(&c->state, CONN_GONE, CONN_BUSY) != CONN_BUSY) {
        return; /* answered meanwhile: the next round reads the EOF */
    }
    unpoll_conn(c);
    if (c->is_async) {
        fa_python_cancel(c->inv);
    }
}

/* The table with the reload count the worker started under: a child
 * that knows of a later reload keeps its table until a worker started
 * after that one answers (fa_dispatch.c). */
static void send_table(conn_t *c)
{
    unsigned char hdr[FA_WIRE_HEADER_LEN];
    char head[64];
    struct iovec vec[4];
    int n = apr_snprintf(head, sizeof(head),
                         "{\"reloads\":%u,\"functions\":", c->w->reloads);

    fa_wire_make_header(hdr, FA_FRAME_TABLE, c->w->table.json_len + n + 1);
    vec[0].iov_base = hdr;
    vec[0].iov_len = sizeof(hdr);
    vec[1].iov_base = head;
    vec[1].iov_len = (apr_size_t)n;
    vec[2].iov_base = (void *)c->w->table.json;
    vec[2].iov_len = c->w->table.json_len;
    vec[3].iov_base = "}";
    vec[3].iov_len = 1;
    if (fa_io_send(c->fd, vec, 4) != APR_SUCCESS) {
        drop_conn(c);
    }
}

/* The request's function in this worker's table.  Its index is the one of
 * the table the child routed with; while a reload's old and new workers
 * overlap that may be another version of the table, where the index names
 * another function (with another authLevel): the name decides.  A function
 * gone from this code gets an index past the table, which Python answers
 * with a 500. */
static void resolve_function(worker_t *w, fa_invocation_t *inv)
{
    const char *name = inv->req.function_name;
    apr_uint32_t n = (apr_uint32_t)w->table.nfunctions, i;

    if (!name || !*name
        || (inv->function_index < n
            && !strcmp(w->table.names[inv->function_index], name))) {
        return;
    }
    for (i = 0; i < n && strcmp(w->table.names[i], name); ++i) {
    }
    fa_log(&w->app->log, i < n ? FA_LOG_INFO : FA_LOG_WARNING, 0,
           "FA082: %s: function %s was routed with another version of "
           "the function table (a reload): %s",
           inv->id, name,
           i < n ? "run by name" : "not in this worker's code, answering 500");
    inv->function_index = i;
}

/* A request whose body follows: the thread that runs it reads the body
 * from the socket (fa_body.h) as the function asks, so the I/O thread
 * stops reading it and watches only for a hang-up.  0 when the
 * connection had to be dropped. */
static int stream_body(conn_t *c, const char *extra, apr_size_t extra_len)
{
    if (fa_invocation_stream_body(c->inv, c->fd, c->w->app->config->max_body,
                                  extra, extra_len)
        != APR_SUCCESS) {
        fa_invocation_destroy(c->inv);
        drop_conn(c);
        return 0;
    }
    c->streamed = 1;
    unpoll_conn(c);
    /* The body's reader waits on the socket itself; the loop's poll set,
     * level-triggered, would fire with every chunk.  The leader watches
     * for a hang-up instead, and closes the connection once answered. */
    c->loop = 0;
    c->pfd.reqevents = 0; /* hang-ups and errors are always reported */
    poll_conn(c);
    return 1;
}

/* A complete request frame, decoded here once: async functions go to the
 * event loop, the rest into this poll round's batch (run by the runner
 * that leads, or queued).  A connection the loop reads has only async
 * functions to ask for (a function missing from the table is answered by
 * the loop too). */
static void dispatch(conn_t *c, char *payload, apr_size_t len)
{
    worker_t *w = c->w;
    int by_loop = c->loop; /* stream_body hands the connection over */
    apr_status_t rv;

    rv = fa_invocation_decode(&c->inv, payload, len, c);
    if (rv != APR_SUCCESS) {
        fa_log(&w->app->log, FA_LOG_ERR, rv,
               "FA030: malformed request "
               "frame (%lu bytes); closing the connection",
               (unsigned long)len);
        drop_conn(c);
        return;
    }
    if (c->extra_len && !(c->inv->req.flags & FA_REQUEST_BODY_FOLLOWS)) {
        fa_log(&w->app->log, FA_LOG_ERR, 0,
               "FA111: %s: bytes past a request "
               "with no body to follow; closing the connection",
               c->inv->id);
        fa_invocation_destroy(c->inv);
        drop_conn(c);
        return;
    }
    resolve_function(w, c->inv);
    c->is_async = by_loop
        || (c->inv->function_index < (apr_uint32_t)w->table.nfunctions
            && w->table.is_async[c->inv->function_index]);
    apr_atomic_set32(&c->state, CONN_BUSY);
    /* Busy before stream_body puts it in the leader's set: a hang-up the
     * leader sees there at once must find it busy (on_busy_event), not
     * idle to be read while this thread still dispatches it. */
    if ((c->inv->req.flags & FA_REQUEST_BODY_FOLLOWS)
        && !stream_body(c, c->extra, c->extra_len)) {
        return;
    }
    /* it stays polled: a hang-up while busy must be seen (on_busy_event) */
    apr_atomic_inc32(&w->inflight);
    fa_stats_dispatched(w->app->stats, w->slot, c->is_async);
    apr_atomic_set64(&w->last_request, (apr_uint64_t)apr_time_now());
    if (c->is_async) {
        fa_python_submit(c->inv);
    }
    else {
        fa_runq_batch_add(&w->batch, &c->queued);
    }
}

/* A whole frame is in: a table request is answered at once, a request
 * dispatched. */
static void on_frame(conn_t *c)
{
    fa_frame_type_e type;
    char *payload;
    apr_size_t len;

    fa_wire_reader_take(&c->reader, &type, &payload, &len);
    if (type == FA_FRAME_TABLE_GET && c->extra_len) {
        free(payload);
        drop_conn(c); /* a child sends nothing before the table comes */
        return;
    }
    if (type == FA_FRAME_TABLE_GET) {
        free(payload);
        send_table(c);
        return;
    }
    dispatch(c, payload, len);
}

/* One read: the start of a frame into its reader's scratch buffer (a
 * small request usually comes whole in it), the rest of a large one
 * straight into its payload.  APR_SUCCESS once a frame is complete. */
static apr_status_t read_some(conn_t *c)
{
    apr_size_t n, used;
    char *room = fa_wire_reader_room(&c->reader, &n);
    char *scratch = c->loop ? c->w->loop_scratch : c->w->scratch;
    apr_status_t rv;

    c->extra_len = 0;
    if (room) {
        rv = apr_socket_recv(c->sock, room, &n);
        return rv == APR_SUCCESS ? fa_wire_reader_filled(&c->reader, n) : rv;
    }
    n = sizeof(c->w->scratch);
    rv = apr_socket_recv(c->sock, scratch, &n);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    rv = fa_wire_reader_feed(&c->reader, scratch, n, &used);
    /* a child sends its next frame only after our answer, but a streamed
     * body's chunks follow its request at once (checked in dispatch) */
    if (rv == APR_SUCCESS && used < n) {
        c->extra = scratch + used;
        c->extra_len = n - used;
    }
    return rv;
}

/* Reads what is there of the current frame. */
static void on_readable(conn_t *c)
{
    const fa_logger_t *log = &c->w->app->log;
    apr_status_t rv;

    while ((rv = read_some(c)) == APR_INCOMPLETE) {
    }
    if (rv == APR_SUCCESS) {
        on_frame(c);
        return;
    }
    if (APR_STATUS_IS_EAGAIN(rv)) {
        return;
    }
    if (rv == APR_ENOMEM) {
        fa_log(log, FA_LOG_ERR, rv,
               "FA034: no memory for a frame; closing "
               "the connection");
    }
    else if (rv == APR_EGENERAL || rv == APR_ENOSPC) {
        fa_log(log, FA_LOG_ERR, rv,
               "FA033: bad frame from an httpd child; "
               "closing the connection");
    }
    else if (!(rv == APR_EOF && fa_wire_reader_idle(&c->reader))) {
        /* EOF between frames is an httpd child closing its connection */
        fa_log(log, FA_LOG_DEBUG, rv, "FA035: connection lost mid-frame");
    }
    drop_conn(c);
}

/* The loop's reader (fa_python_loop_reader). */
static void loop_ready(void *data)
{
    fa_worker_conn_event(data);
}

void fa_worker_loop_reads(worker_t *w)
{
    int i;

    for (i = 0; i < w->table.nfunctions; ++i) {
        if (!w->table.is_async[i]) {
            return;
        }
    }
    if (w->table.nfunctions > 0) {
        fa_python_loop_reader(loop_ready);
        w->loop_reads = 1;
    }
}

void fa_worker_conn_event(conn_t *c)
{
    if (apr_atomic_read32(&c->state) != CONN_IDLE) {
        on_busy_event(c);
    }
    else {
        on_readable(c);
    }
}

static int peer_allowed(int fd)
{
    struct ucred cred;
    socklen_t len = sizeof(cred);

    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) {
        return 0;
    }
    return cred.uid == geteuid() || cred.uid == 0;
}

void fa_worker_accept(worker_t *w)
{
    for (;;) {
        apr_pool_t *cp;
        apr_socket_t *sock;
        apr_os_sock_t fd;
        conn_t *c;

        apr_pool_create(&cp, NULL);
        if (apr_socket_accept(&sock, w->listener, cp) != APR_SUCCESS) {
            apr_pool_destroy(cp);
            return;
        }
        apr_os_sock_get(&fd, sock);
        if (!peer_allowed(fd)) {
            fa_log(&w->app->log, FA_LOG_ERR, 0,
                   "FA036: refused a connection "
                   "from a process of another user");
            apr_socket_close(sock);
            apr_pool_destroy(cp);
            continue;
        }
        apr_socket_timeout_set(sock, 0);
        c = apr_pcalloc(cp, sizeof(*c));
        c->w = w;
        c->pool = cp;
        c->sock = sock;
        c->fd = fd;
        fa_wire_reader_init(&c->reader,
                            w->app->config->max_body + MAX_REQUEST_OVERHEAD,
                            REQUEST_TYPES);
        c->pfd.desc_type = APR_POLL_SOCKET;
        c->pfd.desc.s = sock;
        c->pfd.reqevents = APR_POLLIN;
        c->pfd.client_data = c;
        /* from here on the loop may read it: it is complete */
        c->loop = w->loop_reads;
        apr_atomic_inc32(&w->nconns);
        poll_conn(c);
    }
}
