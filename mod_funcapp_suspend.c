/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mod_funcapp_suspend: async functions that await without an httpd thread
 * (event MPM).
 *
 * The handler sends the request to a worker and waits for its answer in
 * its thread for FunctionAppSuspend's after=MS, and on up to 30 ms in
 * all while no more than its threads=PCT of the child's threads are busy
 * (threads to spare cost nothing, and keep the connection): an answer in
 * time (most short ones) is sent from there as any other, its connection
 * kept alive.  Otherwise it returns SUSPENDED and the event MPM's thread
 * goes back to serve others.  fa_suspend's watcher thread sees the
 * answer (or the timeout, the client's hang-up, a stalled worker) and a
 * zero-delay ap_mpm_register_timed_callback finishes the request on an
 * MPM worker thread, as httpd's mod_dialup does.
 *
 * What httpd 2.4 does not give, and how it is done here:
 *
 * - A suspended connection is never handed back: 2.4 has no
 *   ap_mpm_resume_suspended (trunk's), and its event MPM takes a
 *   SUSPENDED connection out of every queue and its pollset for good.
 *   So the answer carries "Connection: close" and the connection is
 *   closed here: ap_start_lingering_close, the lingering wait for the
 *   client's close done by the watcher on a dup of the socket, then the
 *   connection's pool (the MPM's ptrans) cleared, which closes the socket
 *   and gives the MPM its connection count back (so a graceful stop,
 *   which waits for that count to reach 0, ends).
 * - The thread that suspended the request still runs a few instructions
 *   of the MPM after the handler returned: it reads the connection state
 *   (so the state must not change before it is done) and, after the
 *   suspend_connection hook, stores two fields into the connection's
 *   memory.  A request is finished only after that hook ran
 *   (fa_suspend_park), and the cleared pool is destroyed a second later
 *   (fa_suspend_bury), so those two stores land in memory still owned.
 */
#include <unistd.h>

#include "httpd.h"
#include "http_config.h"
#include "http_connection.h"
#include "http_core.h"
#include "http_log.h"
#include "http_protocol.h"
#include "http_request.h"
#include "ap_mpm.h"
#include "mpm_common.h"
#include "scoreboard.h"
#include "util_cfgtree.h"

#include <apr_strings.h>

#include "fa_dispatch_call.h"
#include "fa_stats.h"
#include "fa_suspend.h"
#include "mod_funcapp.h"

APLOG_USE_MODULE(funcapp);

/* The longest a request waits in its thread while threads are to spare
 * (answered_in_thread): above the latency of a busy server's quick
 * answers (p99 20-28 ms, async hello, 64 connections, 2 cores), and what
 * a burst of long awaits pays in threads (1000 x asyncio.sleep(1), 150
 * threads: 1.28 x a bare asyncio server, 1.58 x with 100 ms). */
#define WAIT_ON apr_time_from_msec(30)

/* How long a closed connection waits for the client to close its side. */
#define LINGER apr_time_from_sec(2)

/* The child's watcher; NULL where requests are not suspended. */
static fa_suspend_t *watcher;

/* The child's threads (ThreadsPerChild); the event MPM's
 * AsyncRequestWorkerFactor, as its listener counts it (whole connections
 * an idle thread); and the child's slot in the scoreboard (found at its
 * first use: the parent records the child's pid there after the fork,
 * maybe after child_init ran). */
static int child_threads;
static int worker_factor = 2;
static int child_slot = -1;

/* A suspended request: in its pool, used by one thread at a time (the
 * handler's, then the callbacks'), and by the watcher only through
 * @a entry. */
typedef struct suspended_request {
    request_rec *r;
    const server_conf_t *conf;
    const fa_function_t *function;
    fa_request_t *req;
    fa_dispatch_call_t *call;
    fa_suspended_t *entry;
} suspended_request_t;

static void finish(void *baton);

static void fire(void *baton)
{
    /* the event MPM always takes it; were it ever refused, the request
     * is finished here rather than left suspended */
    if (ap_mpm_register_timed_callback(0, finish, baton) != APR_SUCCESS) {
        finish(baton);
    }
}

static int stalled(void *baton)
{
    return fa_dispatch_call_stalled(((suspended_request_t *)baton)->call);
}

int fa_glue_suspend_eligible(request_rec *r, const server_conf_t *conf,
                             const fa_function_t *function)
{
    conn_rec *c = r->connection;

    /* only the event MPM's own HTTP/1 connections, in their first
     * request (not a subrequest or an internal redirect): the ones that
     * ap_process_http_async_connection runs */
    return watcher && function->is_async && conf->app->config->suspend >= 0
        && c->cs && !c->master && !c->clogging_input_filters && !r->main
        && !r->prev && r->proto_num < HTTP_VERSION(2, 0);
}

/* Whether this child has threads to spare for a request to wait on in
 * its thread: no more than threads=PCT of them busy (serving a request,
 * reading one, closing a connection: all but the idle ones, which wait
 * for work in the event MPM's queue), and one more held would not stop
 * the child from accepting connections.  The event MPM's listener takes
 * connections while they number fewer than ThreadsPerChild + idle
 * threads x AsyncRequestWorkerFactor, counting suspended and kept-alive
 * ones, so each thread held costs the child that many connections (a
 * burst of 10,000 long awaits needs most threads idle to be accepted in
 * one wave).  The count of suspended ones is read without the watcher's
 * lock: an estimate is enough here. */
static int threads_to_spare(const fa_app_config_t *cfg)
{
    int busy = 0, idle, connections, i;

    if (child_slot < 0) {
        apr_proc_t me = {.pid = getpid()};
        child_slot = ap_find_child_by_pid(&me);
        if (child_slot < 0) {
            return 0;
        }
    }
    for (i = 0; i < child_threads; ++i) {
        int status =
            ap_get_scoreboard_worker_from_indexes(child_slot, i)->status;
        busy += status != SERVER_READY && status != SERVER_DEAD;
    }
    idle = child_threads - busy;
    /* the busy ones, the ones suspended here (or lingering after), and
     * the kept-alive ones as the listener last counted them */
    connections = busy + fa_suspend_count(watcher)
        + (int)ap_get_scoreboard_process(child_slot)->keep_alive;
    return busy * 100 <= child_threads * cfg->suspend_threads
        && connections < child_threads + (idle - 1) * worker_factor;
}

/* Waits in this thread for the answer: after=MS, and on up to WAIT_ON in
 * all while the child has threads to spare (and the client stays);
 * whether the answer came.  Past that, the watcher sees to it.  Why: by
 * Little's law a busy server's answers take connections / rate (64 / 8k
 * req/s = 8 ms), so MS alone suspended most requests of a slower
 * machine, each then closing its connection, while the threads the waits
 * held were to spare.  A burst of long awaits leaves none to spare, so
 * its requests are suspended after MS; a steady load that leaves threads
 * idle keeps its connections.  The share is looked at once, and the wait
 * on is bounded: threads that grow scarce meanwhile come back soon. */
static int answered_in_thread(suspended_request_t *s, int client_fd)
{
    const fa_app_config_t *cfg = s->conf->app->config;
    /* the first wait watches the worker's socket only: watching the
     * client's too cost the httpd side of an async hello a fifth more CPU
     * (64 connections); a hang-up is seen MS later, by the wait on or the
     * watcher */
    int got = fa_dispatch_call_wait(s->call, -1, cfg->suspend_after);

    if (got == 0 && cfg->suspend_after > 0 && cfg->suspend_after < WAIT_ON
        && cfg->suspend_threads > 0 && threads_to_spare(cfg)) {
        got = fa_dispatch_call_wait(s->call, client_fd,
                                    WAIT_ON - cfg->suspend_after);
    }
    return got == 1;
}

int fa_glue_suspend(request_rec *r, const server_conf_t *conf,
                    fa_request_t *req, const fa_function_t *function)
{
    suspended_request_t *s = apr_pcalloc(r->pool, sizeof(*s));
    fa_response_t resp;
    fa_dispatch_stream_t *stream;
    apr_status_t rv;

    s->r = r;
    s->conf = conf;
    s->function = function;
    /* the callers' copies live on their stacks */
    s->req = apr_pmemdup(r->pool, req, sizeof(*req));
    s->req->invocation_id = apr_pstrdup(r->pool, req->invocation_id);
    rv = fa_dispatch_call_send(
        conf->dispatch, r->pool, s->req,
        r->method_number == M_GET || r->method_number == M_OPTIONS, &s->call);
    if (rv == APR_SUCCESS && answered_in_thread(s, fa_glue_client_fd(r))) {
        /* answered in time: in this thread, the connection kept alive */
        rv = fa_dispatch_call_receive(s->call, APR_SUCCESS, &resp, &stream);
        if (rv != FA_RESENT) { /* else another worker has it: suspended */
            return fa_glue_call_end(r, conf, function, s->req->invocation_id,
                                    rv, &resp, stream,
                                    fa_dispatch_call_worker(s->call), 0);
        }
        rv = APR_SUCCESS;
    }
    if (rv == APR_SUCCESS) {
        s->entry = fa_suspend_add(watcher, fa_dispatch_call_fd(s->call),
                                  fa_glue_client_fd(r),
                                  fa_dispatch_call_deadline(s->call), s);
        if (!s->entry) { /* the child is stopping */
            fa_dispatch_call_abandon(s->call);
            rv = APR_ECONNABORTED;
        }
    }
    if (rv != APR_SUCCESS) {
        return fa_glue_call_end(r, conf, function, s->req->invocation_id, rv,
                                NULL, NULL, -1, 0);
    }
    /* the suspend_connection hook parks it */
    ap_set_module_config(r->connection->conn_config, &funcapp_module, s);
    return SUSPENDED;
}

/* The MPM's thread is done with the connection it suspended. */
static void suspend_connection(conn_rec *c, request_rec *r)
{
    suspended_request_t *s =
        ap_get_module_config(c->conn_config, &funcapp_module);

    (void)r;
    if (s) {
        ap_set_module_config(c->conn_config, &funcapp_module, NULL);
        fa_suspend_park(s->entry);
    }
}

/* What the watcher saw, as fa_dispatch_call_receive takes it. */
static apr_status_t receive(suspended_request_t *s, fa_response_t *resp,
                            fa_dispatch_stream_t **stream)
{
    *stream = NULL;
    switch (fa_suspend_event(s->entry)) {
    case FA_SUSPEND_ANSWER:
        return fa_dispatch_call_receive(s->call, APR_SUCCESS, resp, stream);
    case FA_SUSPEND_TIMEOUT:
        return fa_dispatch_call_receive(s->call, FA_TIMED_OUT, resp, stream);
    case FA_SUSPEND_STALLED:
        return fa_dispatch_call_receive(s->call, FA_WORKER_STALLED, resp,
                                        stream);
    default: /* the client hung up: the worker cancels the task */
        fa_dispatch_call_abandon(s->call);
        return FA_CLIENT_GONE;
    }
}

static void destroy_pool(void *pool)
{
    apr_pool_destroy(pool);
}

/* Closes the connection of a finished request (see the top). */
static void close_connection(conn_rec *c)
{
    apr_socket_t *sock = ap_get_conn_socket(c);
    apr_os_sock_t fd = -1;
    apr_pool_t *ptrans = c->pool;

    if (!ap_start_lingering_close(c) && sock
        && apr_os_sock_get(&fd, sock) == APR_SUCCESS && (fd = dup(fd)) >= 0) {
        fa_suspend_linger(watcher, fd, LINGER);
    }
    /* the MPM counts the connection as suspended until its pool goes */
    c->cs->state = CONN_STATE_SUSPENDED;
    apr_pool_clear(ptrans);
    fa_suspend_bury(watcher, destroy_pool, ptrans);
}

/* The timed callback: on an MPM worker thread, after the MPM's thread
 * left the request (fa_suspend_park). */
static void finish(void *baton)
{
    suspended_request_t *s = baton;
    request_rec *r = s->r;
    conn_rec *c = r->connection;
    fa_app_t *app = s->conf->app;
    fa_response_t resp;
    fa_dispatch_stream_t *stream;
    apr_status_t rv;
    int status;

    if (r->invoke_mtx) {
        apr_thread_mutex_lock(r->invoke_mtx);
    }
    rv = receive(s, &resp, &stream);
    if (rv == FA_RESENT) { /* the worker died; another one has it */
        fa_suspend_rearm(s->entry, fa_dispatch_call_fd(s->call),
                         fa_dispatch_call_deadline(s->call));
        if (r->invoke_mtx) {
            apr_thread_mutex_unlock(r->invoke_mtx);
        }
        return;
    }
    fa_suspend_done(s->entry);
    /* no scoreboard slot is ours here (the MPM cleared it too) */
    c->sbh = NULL;
    /* The connection cannot be kept alive (see the top).  Said as the
     * client's "Connection: close": ap_set_keepalive then still frames a
     * body of unknown length chunked (it sets r->chunked before it looks
     * at that header; with c->keepalive already AP_CONN_CLOSE it would
     * not, and a stream would go out unframed) and closes. */
    apr_table_mergen(r->headers_in, "Connection", "close");
    /* a streamed answer is relayed from this thread to its end */
    status =
        fa_glue_call_end(r, s->conf, s->function, s->req->invocation_id, rv,
                         &resp, stream, fa_dispatch_call_worker(s->call), 0);
    fa_stats_request_end(app->stats, s->function->stats,
                         status == OK ? r->status : status,
                         apr_time_now() - r->request_time);
    if (r->invoke_mtx) {
        apr_thread_mutex_unlock(r->invoke_mtx);
    }
    if (status == OK) {
        ap_finalize_request_protocol(r);
    }
    else {
        r->status = HTTP_OK;
        ap_die(status, r);
    }
    /* whatever went out (nothing, for a client gone) */
    c->keepalive = AP_CONN_CLOSE;
    ap_process_request_after_handler(r); /* logs it; r is gone */
    close_connection(c);
}

/* The last AsyncRequestWorkerFactor in the configuration, whole (as the
 * event MPM's listener uses it), else @a dflt.  httpd 2.4 has no query
 * for it: read from the configuration tree, as mod_info does. */
static int configured_worker_factor(const ap_directive_t *d, int dflt)
{
    for (; d; d = d->next) {
        if (!ap_cstr_casecmp(d->directive, "AsyncRequestWorkerFactor")
            && d->args) {
            double factor = strtod(d->args, NULL);
            dflt = factor > 0 && factor < 1e6 ? (int)factor : dflt;
        }
        dflt = configured_worker_factor(d->first_child, dflt);
    }
    return dflt;
}

void fa_glue_suspend_child_init(apr_pool_t *pchild, server_rec *s)
{
    int async = 0;
    apr_status_t rv;

    /* the event MPM, the only async one of 2.4, runs timed callbacks
     * (they cannot be tried here: its timers start after child_init) */
    if (ap_mpm_query(AP_MPMQ_IS_ASYNC, &async) != APR_SUCCESS || !async) {
        return; /* prefork, worker: a thread a request, as ever */
    }
    if (ap_mpm_query(AP_MPMQ_MAX_THREADS, &child_threads) != APR_SUCCESS) {
        child_threads = 0; /* then every wait ends after MS */
    }
    worker_factor = configured_worker_factor(ap_conftree, worker_factor);
    rv = fa_suspend_create(&watcher, pchild, fire, stalled);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_ERR, rv, s,
                     "FA120: no watcher for suspended requests in this "
                     "child; async functions hold a thread while they "
                     "await");
        watcher = NULL;
    }
}

void fa_glue_suspend_register(void)
{
    ap_hook_suspend_connection(suspend_connection, NULL, NULL, APR_HOOK_MIDDLE);
}
