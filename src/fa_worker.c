/* fa_worker: the worker process's I/O thread and thread pool. */
#include <errno.h>
#include <fcntl.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <apr_atomic.h>
#include <apr_lib.h>
#include <apr_poll.h>
#include <apr_portable.h>
#include <apr_strings.h>
#include <apr_thread_pool.h>

#include "fa_python.h"
#include "fa_wire.h"
#include "fa_worker.h"

/* Headers, URL and route values of one request fit in this beside the
 * body; a frame above FA_MAX_BODY plus this is refused unread. */
#define MAX_REQUEST_OVERHEAD (4 * 1024 * 1024)
/* After SIGTERM, a worker with nothing in flight waits this long for
 * requests already on their way from old httpd children. */
#define DRAIN_QUIET apr_time_from_msec(500)

/* Sync requests wait in one queue, in arrival order, for a runner: a task
 * on the thread pool that runs queued requests one after another until
 * none is left.  A thread a request makes every thread fight for the GIL:
 * with 32 threads, a function of a few microseconds costs its worker some
 * 16 futex calls a request and a quarter of its throughput.  So while a
 * few runners keep the queue moving, no more are started; once it has not
 * moved for STALL_AFTER and no runner is running (or waiting for a CPU),
 * the runners are blocked (sleeping, waiting on I/O) and the waiting
 * requests get runners of their own, up to PythonThreadpoolThreadCount, as
 * on Azure.  Both numbers can be set at build time (-DFEW_RUNNERS=,
 * -DSTALL_MS=) to measure others. */
#ifndef FEW_RUNNERS
#define FEW_RUNNERS 4
#endif
#ifndef STALL_MS
#define STALL_MS 2
#endif
#define STALL_AFTER apr_time_from_msec(STALL_MS)

typedef struct worker worker_t;

/* A connection is IDLE between requests (the I/O thread reads it), BUSY
 * while its request runs (the running thread owns it until it answers),
 * GONE when its httpd child hung up meanwhile (the I/O thread closes it
 * once the request is done).  Transitions out of BUSY are compare-and-swap,
 * so the I/O thread and the answering thread agree on who has it. */
#define CONN_IDLE 0
#define CONN_BUSY 1
#define CONN_GONE 2

typedef struct conn {
    worker_t *w;
    apr_pool_t *pool;
    apr_socket_t *sock;
    apr_pollfd_t pfd;
    unsigned char hdr[FA_WIRE_HEADER_LEN];
    apr_size_t hdr_have;
    fa_frame_type_e type;
    char *payload;              /* malloc'd: bodies can be 100 MB */
    apr_size_t payload_len, payload_have;
    /* While a request runs, the connection stays in the pollset, to see a
     * hang-up; everything but the response write is done by the I/O
     * thread. */
    apr_uint32_t state;         /* CONN_IDLE, CONN_BUSY or CONN_GONE */
    int polled;                 /* in the pollset (I/O thread only) */
    int is_async;
    struct conn *next_done;
    struct conn *next_queued;
} conn_t;

struct worker {
    fa_app_t *app;
    int slot;
    apr_pool_t *pool;
    apr_pollset_t *pollset;
    apr_socket_t *listener;
    apr_thread_pool_t *threads;
    fa_python_table_t table;
    apr_thread_mutex_t *done_lock;
    conn_t *done;               /* hung up while busy, for the I/O thread
                                 * to close once their request is done */
    apr_thread_mutex_t *queue_lock;
    conn_t *queue_head, *queue_tail;    /* sync requests waiting to run */
    int queued;
    int runners;                /* runner tasks on the thread pool */
    pid_t *runner_tids;         /* theirs; 0: a free slot */
    pid_t *stalled_tids;        /* I/O thread only: a copy, to look at */
    apr_uint32_t taken;         /* requests runners took from the queue */
    apr_uint32_t inflight;
    apr_uint32_t nconns;
    /* I/O thread only: */
    conn_t *batch_head, *batch_tail;    /* read, not yet queued */
    int batch_n;
    int watching;               /* requests were waiting at the last look */
    apr_uint32_t taken_seen;    /* taken, at the last look */
    apr_time_t moved_at;        /* when the queue was last seen moving */
    apr_time_t last_request;
    char scratch[16384];
};

static volatile sig_atomic_t draining;
static apr_pollset_t *wake_pollset;

static void on_stop_signal(int signo)
{
    (void)signo;
    draining = 1;
    if (wake_pollset) {
        apr_pollset_wakeup(wake_pollset);
    }
}

int fa_header_is_valid(const char *name, const char *value)
{
    const unsigned char *c;

    if (!*name) {
        return 0;
    }
    for (c = (const unsigned char *)name; *c; ++c) {
        /* RFC 9110 token characters */
        if (!apr_isalnum(*c) && !strchr("!#$%&'*+-.^_`|~", *c)) {
            return 0;
        }
    }
    for (c = (const unsigned char *)value; *c; ++c) {
        if ((*c < 0x20 && *c != '\t') || *c == 0x7f) {
            return 0;
        }
    }
    return 1;
}

static void close_conn(conn_t *c)
{
    apr_socket_close(c->sock);
    free(c->payload);
    apr_atomic_dec32(&c->w->nconns);
    apr_pool_destroy(c->pool);
}

static apr_status_t send_all(conn_t *c, struct iovec *vec, int nvec)
{
    apr_os_sock_t fd;

    apr_os_sock_get(&fd, c->sock);
    return fa_io_send(fd, vec, nvec);
}

static void respond_500(fa_response_t *resp, apr_pool_t *p)
{
    resp->status = 500;
    resp->headers = apr_table_make(p, 1);
    resp->body = "";
    resp->body_len = 0;
}

/* A new connection stays in the pollset, busy or not, until it is
 * closed.  I/O thread only. */
static void poll_conn(conn_t *c)
{
    c->polled = apr_pollset_add(c->w->pollset, &c->pfd) == APR_SUCCESS;
}

static void unpoll_conn(conn_t *c)
{
    if (c->polled) {
        apr_pollset_remove(c->w->pollset, &c->pfd);
        c->polled = 0;
    }
}

/* Checks, frames and writes a response from the thread that made it (a
 * pool thread or the event loop), then hands the connection back to the
 * I/O thread. */
static void complete(conn_t *c, const char *invocation_id,
                     fa_response_t *resp, apr_pool_t *p)
{
    worker_t *w = c->w;
    fa_response_t failed;
    char *head;
    apr_size_t head_len;
    struct iovec vec[3];
    int i;

    if (!resp) {
        /* no answer to give (the request could not even be read): closing
         * the connection is the child's 502, not an endless wait */
        apr_atomic_cas32(&c->state, CONN_GONE, CONN_BUSY);
    }
    else if (apr_atomic_read32(&c->state) == CONN_BUSY) {
        const apr_array_header_t *arr = apr_table_elts(resp->headers);
        const apr_table_entry_t *e = (const apr_table_entry_t *)arr->elts;
        for (i = 0; i < arr->nelts; ++i) {
            if (!fa_header_is_valid(e[i].key, e[i].val)) {
                fa_log(&w->app->log, FA_LOG_ERR, 0, "FA031: %s: refused "
                       "response header '%s' with invalid characters; "
                       "answering 500", invocation_id, e[i].key);
                respond_500(&failed, p);
                resp = &failed;
                break;
            }
        }
        if (resp->body_len > FA_MAX_BODY) {
            /* children refuse frames over the limit; say why here */
            fa_log(&w->app->log, FA_LOG_ERR, 0, "FA038: %s: response body "
                   "of %lu bytes is over the %d-byte limit; answering 500",
                   invocation_id, (unsigned long)resp->body_len, FA_MAX_BODY);
            respond_500(&failed, p);
            resp = &failed;
        }
        if (fa_wire_encode_response(p, resp, &head, &head_len)
            != APR_SUCCESS) {
            fa_log(&w->app->log, FA_LOG_ERR, 0, "FA032: %s: response cannot "
                   "be framed (header too long?); answering 500",
                   invocation_id);
            respond_500(&failed, p);
            resp = &failed;
            fa_wire_encode_response(p, resp, &head, &head_len);
        }
        fa_wire_frame_iov(vec, head, head_len, resp->body, resp->body_len);
        /* a failed write means the child hung up: the I/O thread will
         * read the end of stream and close the connection */
        send_all(c, vec, 3);
    }
    free(c->payload);
    c->payload = NULL;
    c->hdr_have = c->payload_have = c->payload_len = 0;
    apr_atomic_dec32(&w->inflight);
    /* Back to the I/O thread, which may see the child's next request as
     * soon as this succeeds: nothing here touches c afterwards. */
    if (apr_atomic_cas32(&c->state, CONN_IDLE, CONN_BUSY) == CONN_BUSY) {
        if (draining) {
            apr_pollset_wakeup(w->pollset);
        }
        return;
    }
    /* GONE: only the I/O thread may close it */
    apr_thread_mutex_lock(w->done_lock);
    c->next_done = w->done;
    w->done = c;
    apr_thread_mutex_unlock(w->done_lock);
    /* One wake-up a batch: a non-empty list has one on its way already. */
    if (!c->next_done) {
        apr_pollset_wakeup(w->pollset);
    }
}

static void run_request(conn_t *c)
{
    apr_pool_t *rp;
    fa_request_t req;
    apr_status_t rv;

    apr_pool_create(&rp, NULL);
    rv = fa_wire_decode_request(rp, c->payload, c->payload_len, &req);
    if (rv != APR_SUCCESS) {
        fa_log(&c->w->app->log, FA_LOG_ERR, rv, "FA030: malformed request "
               "frame (%lu bytes); closing the connection",
               (unsigned long)c->payload_len);
        apr_atomic_set32(&c->state, CONN_GONE);
        complete(c, "-", NULL, rp);
    }
    else if (apr_atomic_read32(&c->state) == CONN_GONE) {
        /* queued behind busy threads and its client left meanwhile */
        complete(c, req.invocation_id, NULL, rp);
    }
    else {
        /* reports through on_done, which hands the connection back */
        fa_python_invoke(rp, &req, &c->payload, c);
    }
    apr_pool_destroy(rp);
}

static void *APR_THREAD_FUNC runner(apr_thread_t *thd, void *data)
{
    worker_t *w = data;
    pid_t *mine;
    conn_t *c;

    (void)thd;
    apr_thread_mutex_lock(w->queue_lock);
    /* there are never more runners than slots */
    for (mine = w->runner_tids; *mine; ++mine) {
    }
    *mine = gettid();
    while ((c = w->queue_head) != NULL) {
        w->queue_head = c->next_queued;
        if (!w->queue_head) {
            w->queue_tail = NULL;
        }
        --w->queued;
        ++w->taken;
        apr_thread_mutex_unlock(w->queue_lock);
        run_request(c);
        apr_thread_mutex_lock(w->queue_lock);
    }
    *mine = 0;
    --w->runners;
    apr_thread_mutex_unlock(w->queue_lock);
    return NULL;
}

/* Whether one of @a tids is on a CPU or waiting for one (state R in
 * /proc/self/task/TID/stat): then the queue is slow, not blocked, and more
 * runners would only fight for the GIL and the CPUs (on a busy machine a
 * runner can wait for a CPU longer than STALL_AFTER).  Read only while
 * the queue is stalled, and without queue_lock: a runner waiting for the
 * lock would look blocked.  Where /proc cannot be read (a chroot), the
 * stall alone decides. */
static int a_runner_runs(const pid_t *tids, int n_tids)
{
    int i;

    for (i = 0; i < n_tids; ++i) {
        char path[64], stat[512];
        const char *end;
        ssize_t n;
        int fd;

        snprintf(path, sizeof(path), "/proc/self/task/%ld/stat",
                 (long)tids[i]);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            continue;
        }
        n = read(fd, stat, sizeof(stat) - 1);
        close(fd);
        if (n <= 0) {
            continue;
        }
        stat[n] = '\0';
        /* "tid (name) S ...": the name may hold anything, ')' included */
        end = strrchr(stat, ')');
        if (end && end[1] == ' ' && end[2] == 'R') {
            return 1;
        }
    }
    return 0;
}

static void *APR_THREAD_FUNC nudge(apr_thread_t *thd, void *data)
{
    (void)thd;
    (void)data;
    return NULL;
}

/* With queue_lock held.  Never more runners than the pool's threads. */
static void start_runners(worker_t *w, int n)
{
    for (; n > 0 && w->runners < w->app->config->thread_count; --n) {
        ++w->runners;
        apr_thread_pool_push(w->threads, runner, w,
                             APR_THREAD_TASK_PRIORITY_NORMAL, NULL);
    }
}

/* I/O thread: a request read in this round of the poll; they join the
 * queue together, in one hold of its lock, by hand_over(). */
static void enqueue(conn_t *c)
{
    worker_t *w = c->w;

    c->next_queued = NULL;
    if (w->batch_tail) {
        w->batch_tail->next_queued = c;
    }
    else {
        w->batch_head = c;
    }
    w->batch_tail = c;
    ++w->batch_n;
}

/* I/O thread, after each round of the poll: queues what it read, starts
 * runners while there are fewer than FEW_RUNNERS, and more when the queue
 * has not moved for STALL_AFTER.  Returns how long the next poll may wait
 * before a look at the queue again (-1: nothing waits). */
static apr_interval_time_t hand_over(worker_t *w)
{
    apr_interval_time_t look_again = -1;
    apr_time_t now;

    if (!w->batch_n && !w->watching) {
        return -1;
    }
    apr_thread_mutex_lock(w->queue_lock);
    if (w->batch_n) {
        if (w->queue_tail) {
            w->queue_tail->next_queued = w->batch_head;
        }
        else {
            w->queue_head = w->batch_head;
        }
        w->queue_tail = w->batch_tail;
        w->queued += w->batch_n;
        w->batch_head = w->batch_tail = NULL;
        w->batch_n = 0;
        /* no more runners than requests: one woken for nothing costs
         * as much as one that runs */
        if (w->runners < FEW_RUNNERS) {
            start_runners(w, FEW_RUNNERS - w->runners < w->queued
                          ? FEW_RUNNERS - w->runners : w->queued);
        }
    }
    w->watching = w->queued > 0;
    if (w->watching) {
        now = apr_time_now();
        look_again = STALL_AFTER;
        if (w->taken != w->taken_seen || !w->moved_at) {
            w->taken_seen = w->taken;
            w->moved_at = now;
        }
        else if (now - w->moved_at >= STALL_AFTER) {
            pid_t *tids = w->stalled_tids;
            int i, n = 0, pending;
            for (i = 0; i < w->app->config->thread_count; ++i) {
                if (w->runner_tids[i]) {
                    tids[n++] = w->runner_tids[i];
                }
            }
            pending = w->runners - n;   /* pushed, not started */
            apr_thread_mutex_unlock(w->queue_lock);
            if (a_runner_runs(tids, n)) {
                return look_again;
            }
            if (pending > 0) {
                /* With a thread idle, it is only waiting to be scheduled:
                 * as good as running.  With none, it waits behind blocked
                 * runners for a thread the pool never made (it makes one
                 * only at a push that finds none idle, and pushes in a
                 * burst find the threads that are just waking): a no-op
                 * push a stuck runner makes one, which takes the oldest
                 * task first. */
                if (!apr_thread_pool_idle_count(w->threads)) {
                    while (pending-- > 0) {
                        apr_thread_pool_push(w->threads, nudge, NULL,
                                             APR_THREAD_TASK_PRIORITY_NORMAL,
                                             NULL);
                    }
                }
                return look_again;
            }
            apr_thread_mutex_lock(w->queue_lock);
            if (w->taken == w->taken_seen) {
                start_runners(w, w->queued);
            }
            w->moved_at = now;
        }
    }
    else {
        w->moved_at = 0;
    }
    apr_thread_mutex_unlock(w->queue_lock);
    return look_again;
}

static void on_done(void *token, const char *invocation_id,
                    fa_response_t *resp, apr_pool_t *p)
{
    complete(token, invocation_id, resp, p);
}

/* The I/O thread closes the connections that hung up while busy, once
 * their request is done. */
static void take_done(worker_t *w)
{
    conn_t *c, *next;

    apr_thread_mutex_lock(w->done_lock);
    c = w->done;
    w->done = NULL;
    apr_thread_mutex_unlock(w->done_lock);
    for (; c; c = next) {
        next = c->next_done;
        unpoll_conn(c);
        close_conn(c);
    }
}

/* An event on a busy connection: either its httpd child hung up (its
 * client went away, or httpd is stopping), or the child already sent its
 * next request in the moment between our response and the answering
 * thread handing the connection back, a few instructions later.  Only a hang-up counts: an async
 * task is cancelled; a sync function finishes and its response is
 * dropped. */
static void on_busy_event(conn_t *c)
{
    apr_os_sock_t fd;
    char byte;
    ssize_t n;

    apr_os_sock_get(&fd, c->sock);
    n = recv(fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    if (n > 0 || (n < 0 && (errno == EAGAIN || errno == EINTR))) {
        return;
    }
    if (apr_atomic_cas32(&c->state, CONN_GONE, CONN_BUSY) != CONN_BUSY) {
        return;   /* answered meanwhile: the next round reads the EOF */
    }
    unpoll_conn(c);
    if (c->is_async) {
        fa_python_cancel(c);
    }
}

static void send_table(conn_t *c)
{
    unsigned char hdr[FA_WIRE_HEADER_LEN];
    struct iovec vec[2];

    fa_wire_make_header(hdr, FA_FRAME_TABLE, c->w->table.json_len);
    vec[0].iov_base = hdr;
    vec[0].iov_len = sizeof(hdr);
    vec[1].iov_base = (void *)c->w->table.json;
    vec[1].iov_len = c->w->table.json_len;
    if (send_all(c, vec, 2) != APR_SUCCESS) {
        unpoll_conn(c);
        close_conn(c);
    }
}

/* A complete request: async functions go to the event loop, the rest to
 * the thread pool, where they queue in order when every thread is busy. */
static void dispatch(conn_t *c)
{
    worker_t *w = c->w;
    const unsigned char *b = (const unsigned char *)c->payload;
    apr_uint32_t index = c->payload_len >= 4
        ? ((apr_uint32_t)b[0] << 24 | (apr_uint32_t)b[1] << 16
           | (apr_uint32_t)b[2] << 8 | b[3]) : 0xffffffff;

    apr_atomic_set32(&c->state, CONN_BUSY);
    c->is_async = index < (apr_uint32_t)w->table.nfunctions
                  && w->table.is_async[index];
    /* it stays polled: a hang-up while busy must be seen (on_busy_event) */
    apr_atomic_inc32(&w->inflight);
    w->last_request = apr_time_now();
    if (c->is_async) {
        fa_python_submit(c, &c->payload, c->payload_len);
    }
    else {
        enqueue(c);
    }
}

/* Reads what is there of the current frame; a complete request leaves the
 * pollset and goes to the thread pool. */
static void on_readable(conn_t *c)
{
    worker_t *w = c->w;
    apr_status_t rv;
    apr_size_t n;

    for (;;) {
        if (c->hdr_have < FA_WIRE_HEADER_LEN) {
            /* A whole small request usually comes in one read: into the
             * I/O thread's scratch buffer, never past this frame, since a
             * child sends its next frame only after our answer. */
            char *scratch = w->scratch;
            apr_size_t got;
            n = FA_WIRE_HEADER_LEN - c->hdr_have;
            if (c->hdr_have == 0) {
                n = sizeof(w->scratch);
            }
            rv = apr_socket_recv(c->sock, scratch, &n);
            if (rv != APR_SUCCESS) {
                break;
            }
            got = n < FA_WIRE_HEADER_LEN - c->hdr_have
                  ? n : FA_WIRE_HEADER_LEN - c->hdr_have;
            memcpy(c->hdr + c->hdr_have, scratch, got);
            c->hdr_have += got;
            if (c->hdr_have < FA_WIRE_HEADER_LEN) {
                continue;
            }
            rv = fa_wire_parse_header(c->hdr, FA_MAX_BODY
                                      + MAX_REQUEST_OVERHEAD, &c->type,
                                      &c->payload_len);
            if (rv != APR_SUCCESS || (c->type != FA_FRAME_REQUEST
                                      && c->type != FA_FRAME_TABLE_GET)
                || n - got > c->payload_len) {
                fa_log(&w->app->log, FA_LOG_ERR, rv, "FA033: bad frame "
                       "from an httpd child; closing the connection");
                goto drop;
            }
            c->payload = malloc(c->payload_len ? c->payload_len : 1);
            if (!c->payload) {
                fa_log(&w->app->log, FA_LOG_ERR, APR_ENOMEM, "FA034: no "
                       "memory for a %lu-byte frame",
                       (unsigned long)c->payload_len);
                goto drop;
            }
            memcpy(c->payload, scratch + got, n - got);
            c->payload_have = n - got;
        }
        if (c->payload_have < c->payload_len) {
            n = c->payload_len - c->payload_have;
            rv = apr_socket_recv(c->sock, c->payload + c->payload_have, &n);
            if (rv != APR_SUCCESS) {
                break;
            }
            c->payload_have += n;
            if (c->payload_have < c->payload_len) {
                continue;
            }
        }
        if (c->type == FA_FRAME_TABLE_GET) {
            free(c->payload);
            c->payload = NULL;
            c->hdr_have = 0;
            send_table(c);
            return;
        }
        dispatch(c);
        return;
    }
    if (APR_STATUS_IS_EAGAIN(rv)) {
        return;
    }
    /* EOF between frames is an httpd child closing its connection. */
    if (!(rv == APR_EOF && c->hdr_have == 0)) {
        fa_log(&w->app->log, FA_LOG_DEBUG, rv, "FA035: connection lost "
               "mid-frame");
    }
drop:
    unpoll_conn(c);
    close_conn(c);
}

static int peer_allowed(apr_socket_t *sock)
{
    apr_os_sock_t fd;
    struct ucred cred;
    socklen_t len = sizeof(cred);

    apr_os_sock_get(&fd, sock);
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) {
        return 0;
    }
    return cred.uid == geteuid() || cred.uid == 0;
}

static void on_acceptable(worker_t *w)
{
    for (;;) {
        apr_pool_t *cp;
        apr_socket_t *sock;
        conn_t *c;

        apr_pool_create(&cp, NULL);
        if (apr_socket_accept(&sock, w->listener, cp) != APR_SUCCESS) {
            apr_pool_destroy(cp);
            return;
        }
        if (!peer_allowed(sock)) {
            fa_log(&w->app->log, FA_LOG_ERR, 0, "FA036: refused a connection "
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
        c->pfd.desc_type = APR_POLL_SOCKET;
        c->pfd.desc.s = sock;
        c->pfd.reqevents = APR_POLLIN;
        c->pfd.client_data = c;
        apr_atomic_inc32(&w->nconns);
        poll_conn(c);
    }
}

static void stop_listening(worker_t *w)
{
    apr_pollfd_t pfd;

    if (!w->listener) {
        return;
    }
    memset(&pfd, 0, sizeof(pfd));
    pfd.desc_type = APR_POLL_SOCKET;
    pfd.desc.s = w->listener;
    pfd.reqevents = APR_POLLIN;
    apr_pollset_remove(w->pollset, &pfd);
    apr_socket_close(w->listener);
    w->listener = NULL;
}

static void serve(worker_t *w)
{
    apr_interval_time_t timeout = -1;

    for (;;) {
        const apr_pollfd_t *ready;
        apr_int32_t n, i;
        apr_status_t rv;

        if (draining && (timeout < 0 || timeout > apr_time_from_msec(100))) {
            timeout = apr_time_from_msec(100);
        }
        rv = apr_pollset_poll(w->pollset, timeout, &n, &ready);
        if (draining) {
            stop_listening(w);
        }
        if (rv == APR_SUCCESS) {
            for (i = 0; i < n; ++i) {
                if (ready[i].client_data == w) {
                    if (w->listener) {
                        on_acceptable(w);
                    }
                }
                else if (apr_atomic_read32(&((conn_t *)ready[i].client_data)
                                           ->state) != CONN_IDLE) {
                    on_busy_event(ready[i].client_data);
                }
                else {
                    on_readable(ready[i].client_data);
                }
            }
        }
        else if (!APR_STATUS_IS_EINTR(rv) && !APR_STATUS_IS_TIMEUP(rv)) {
            fa_log(&w->app->log, FA_LOG_CRIT, rv, "FA037: poll failed");
            return;
        }
        take_done(w);
        timeout = hand_over(w);
        if (draining && apr_atomic_read32(&w->inflight) == 0
            && (apr_atomic_read32(&w->nconns) == 0
                || apr_time_now() - w->last_request > DRAIN_QUIET)) {
            return;
        }
    }
}

static void set_signals(int block)
{
    sigset_t set;

    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(block ? SIG_BLOCK : SIG_UNBLOCK, &set, NULL);
}

void fa_worker_main(fa_app_t *app, int slot, apr_interval_time_t delay,
                    apr_pool_t *p)
{
    worker_t *w = apr_pcalloc(p, sizeof(*w));
    apr_os_sock_t fd = app->listen_fds[slot];
    apr_pollfd_t pfd;
    struct sigaction sa;
    pid_t parent = getppid();
    int few;

    {
        /* so `ps -o comm` and top tell workers from httpd children */
        char name[16];
        snprintf(name, sizeof(name), "funcapp-w%d", slot);
        prctl(PR_SET_NAME, name);
    }
    memset(&sa, 0, sizeof(sa));
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = on_stop_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    /* httpd's restart signals are for httpd; a worker follows its
     * generation instead. */
    signal(SIGHUP, SIG_IGN);
    signal(SIGUSR1, SIG_IGN);
    signal(SIGWINCH, SIG_IGN);
    signal(SIGPIPE, SIG_IGN);
    signal(SIGCHLD, SIG_DFL);
    /* The supervisor forked us with these blocked; our handlers are in. */
    set_signals(0);

    w->app = app;
    w->slot = slot;
    w->pool = p;
    {
        /* one connection per httpd thread: 1000 parallel requests need
         * more descriptors than the usual soft limit */
        struct rlimit lim;
        if (getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < lim.rlim_max) {
            lim.rlim_cur = lim.rlim_max;
            setrlimit(RLIMIT_NOFILE, &lim);
        }
    }
    if (app->worker_init && app->worker_init(app, p) != APR_SUCCESS) {
        _exit(2);
    }
    /* A worker never outlives httpd: if the parent goes, so do we.  Set
     * after dropping privileges, which clears it. */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) {
        _exit(0);
    }
    if (delay > 0) {
        apr_sleep(delay);
    }
    if (draining) {
        _exit(0);
    }
    if (apr_thread_mutex_create(&w->done_lock, APR_THREAD_MUTEX_DEFAULT, p)
        != APR_SUCCESS
        || apr_thread_mutex_create(&w->queue_lock, APR_THREAD_MUTEX_DEFAULT, p)
        != APR_SUCCESS
        || fa_python_start(p, app, on_done, &w->table) != APR_SUCCESS) {
        _exit(3);
    }
#ifdef __GLIBC__
    /* Importing the app freed much of what it allocated (source text,
     * compiler trees); hand those pages back rather than keep them
     * resident in every idle worker. */
    malloc_trim(0);
#endif

    w->runner_tids = apr_pcalloc(p, sizeof(pid_t)
                                    * (apr_size_t)app->config->thread_count);
    w->stalled_tids = apr_pcalloc(p, sizeof(pid_t)
                                     * (apr_size_t)app->config->thread_count);
    apr_os_sock_put(&w->listener, &fd, p);
    apr_socket_opt_set(w->listener, APR_SO_NONBLOCK, 1);
    if (apr_pollset_create(&w->pollset, 256, p, APR_POLLSET_THREADSAFE
                           | APR_POLLSET_WAKEABLE) != APR_SUCCESS) {
        _exit(4);
    }
    memset(&pfd, 0, sizeof(pfd));
    pfd.desc_type = APR_POLL_SOCKET;
    pfd.desc.s = w->listener;
    pfd.reqevents = APR_POLLIN;
    pfd.client_data = w;
    apr_pollset_add(w->pollset, &pfd);

    /* Threads for the first runners now, the others when a stall needs
     * them, kept a second after their last request: each costs its worker
     * some 16 kB (stack pages and a pool), and more idle threads make
     * slower answers (the pool wakes the one idle longest, with the
     * coldest caches: 200 us at one connection became 390 us with 11).
     * Threads the pool makes later may take the stop signals; the handler
     * only wakes this thread's poll. */
    few = FEW_RUNNERS < app->config->thread_count ? FEW_RUNNERS
                                                  : app->config->thread_count;
    set_signals(1);
    if (apr_thread_pool_create(&w->threads, few, app->config->thread_count, p)
        != APR_SUCCESS) {
        _exit(5);
    }
    set_signals(0);
    apr_thread_pool_idle_max_set(w->threads, few);
    apr_thread_pool_idle_wait_set(w->threads, apr_time_from_sec(1));
    wake_pollset = w->pollset;
    if (draining) {
        apr_pollset_wakeup(w->pollset);
    }

    apr_atomic_set32(&app->slots[slot].ready, 1);
    fa_log(&app->log, FA_LOG_INFO, 0, "FA010: worker %d (pid %ld) of "
           "generation %u ready with %d thread(s) for %s", slot,
           (long)getpid(), app->generation, app->config->thread_count,
           app->config->app_dir ? app->config->app_dir
                                : "the FunctionHandler app");
    serve(w);
    fa_log(&app->log, FA_LOG_INFO, 0, "FA019: worker %d (pid %ld) drained; "
           "exiting", slot, (long)getpid());
    fflush(NULL);
    _exit(0);
}
