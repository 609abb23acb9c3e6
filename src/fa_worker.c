/* SPDX-License-Identifier: Apache-2.0 */
/* fa_worker: a worker process's stages (see fa_worker.h): set up the
 * process, open what it serves with (Python, pollset, thread pool), serve
 * until drained. */
#include <fcntl.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <apr_atomic.h>
#include <apr_general.h>
#include <apr_portable.h>

#include "fa_doorbell.h"
#include "fa_exit.h"
#include "fa_funclist.h"
#include "fa_recycle.h"
#include "fa_reload.h"
#include "fa_slot.h"
#include "fa_timer.h"
#include "fa_worker.h"
#include "fa_worker_private.h"

/* After SIGTERM, a worker with nothing in flight waits this long for
 * requests already on their way from old httpd children. */
#define DRAIN_QUIET apr_time_from_msec(500)

/* Python's shutdown (atexit, ASGI lifespans) gets what the drain left of
 * the graceful timeout, but at least STOP_MIN: an app's cleanup deserves a
 * moment even after a drain that used it all. */
#define STOP_MIN apr_time_from_sec(1)
#define STOP_OFF apr_time_from_sec(30) /* when the timeout is off */

/* The run queue's tunables (fa_runq.h); both can be set at build time
 * (-DFEW_RUNNERS=, -DSTALL_MS=) to measure others. */
#ifndef FEW_RUNNERS
#define FEW_RUNNERS 4
#endif
#ifndef STALL_MS
#define STALL_MS 2
#endif
/* -DLOOP_READS=0: the leader reads every request, to measure the loop
 * reading its own (fa_worker_private.h). */
#ifndef LOOP_READS
#define LOOP_READS 1
#endif

volatile sig_atomic_t fa_worker_draining;
static apr_pollset_t *wake_pollset;

static void on_stop_signal(int signo)
{
    (void)signo;
    fa_worker_draining = 1;
    if (wake_pollset) {
        apr_pollset_wakeup(wake_pollset);
    }
}

static void block_stop_signals(int block)
{
    sigset_t set;

    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(block ? SIG_BLOCK : SIG_UNBLOCK, &set, NULL);
}

/* ---- stage 1: the process ---------------------------------------------- */

static void set_signals(void)
{
    struct sigaction sa;

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
    block_stop_signals(0);
}

/* Name, signals, descriptors, privileges, the link to the parent and the
 * supervisor's back-off: everything before Python. */
static void setup_process(fa_app_t *app, int slot, apr_interval_time_t delay,
                          apr_pool_t *p)
{
    pid_t parent = getppid();
    struct rlimit lim;
    char name[16];

    /* so `ps -o comm` and top tell workers from httpd children */
    snprintf(name, sizeof(name), "funcapp-w%d", slot);
    prctl(PR_SET_NAME, name);
    set_signals();
    /* one connection per httpd thread: 1000 parallel requests need more
     * descriptors than the usual soft limit */
    if (getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < lim.rlim_max) {
        lim.rlim_cur = lim.rlim_max;
        setrlimit(RLIMIT_NOFILE, &lim);
    }
    if (app->worker_init && app->worker_init(app, p) != APR_SUCCESS) {
        _exit(FA_EXIT_SETUP); /* the glue said why (FA017) */
    }
    /* A worker never outlives httpd: if the parent goes, so do we.  Set
     * after dropping privileges, which clears it. */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) {
        _exit(FA_EXIT_DRAINED); /* httpd is gone: nobody to serve */
    }
    if (delay > 0) {
        apr_sleep(delay);
    }
    if (fa_worker_draining) {
        _exit(FA_EXIT_DRAINED);
    }
    fa_slot_set_starting(app->slots, slot);
}

/* ---- stage 2: Python, the pollset, the thread pool ---------------------- */

/* Whether one of @a tids is on a CPU or waiting for one (state R in
 * /proc/self/task/TID/stat).  Where /proc cannot be read (a chroot), the
 * stall alone decides. */
static int a_runner_runs(void *baton, const pid_t *tids, int n_tids)
{
    int i;

    (void)baton;
    for (i = 0; i < n_tids; ++i) {
        char path[64], stat[512];
        const char *end;
        ssize_t n;
        int fd;

        snprintf(path, sizeof(path), "/proc/self/task/%ld/stat", (long)tids[i]);
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

static void *APR_THREAD_FUNC runner(apr_thread_t *thd, void *data)
{
    (void)thd;
    fa_runq_run(((worker_t *)data)->runq, gettid());
    return NULL;
}

static void *APR_THREAD_FUNC nothing(apr_thread_t *thd, void *data)
{
    (void)thd;
    (void)data;
    return NULL;
}

static void start_runner(void *baton)
{
    worker_t *w = baton;

    apr_thread_pool_push(w->threads, runner, w, APR_THREAD_TASK_PRIORITY_NORMAL,
                         NULL);
}

static int idle_threads(void *baton)
{
    return (int)apr_thread_pool_idle_count(((worker_t *)baton)->threads);
}

/* A no-op task makes the pool create a thread, which takes the oldest
 * task (a waiting runner) first. */
static void nudge(void *baton, int n)
{
    worker_t *w = baton;

    while (n-- > 0) {
        apr_thread_pool_push(w->threads, nothing, NULL,
                             APR_THREAD_TASK_PRIORITY_NORMAL, NULL);
    }
}

static apr_time_t clock_now(void *baton)
{
    (void)baton;
    return apr_time_now();
}

static int open_pollset(worker_t *w)
{
    apr_os_sock_t fd = w->app->listen_fds[w->slot];
    apr_pollfd_t pfd;

    apr_os_sock_put(&w->listener, &fd, w->pool);
    apr_socket_opt_set(w->listener, APR_SO_NONBLOCK, 1);
    if (apr_pollset_create(&w->pollset, 256, w->pool,
                           APR_POLLSET_THREADSAFE | APR_POLLSET_WAKEABLE)
        != APR_SUCCESS) {
        return FA_EXIT_POLLSET;
    }
    memset(&pfd, 0, sizeof(pfd));
    pfd.desc_type = APR_POLL_SOCKET;
    pfd.desc.s = w->listener;
    pfd.reqevents = APR_POLLIN;
    pfd.client_data = w;
    apr_pollset_add(w->pollset, &pfd);
    return 0;
}

static int runner_leads(void *baton, fa_runq_batch_t *batch);
static void wake_leader(void *baton);

/* Threads for the first runners now, the others when a stall needs them,
 * kept a second after their last request: each costs its worker some
 * 16 kB (stack pages and a pool), and more idle threads make slower
 * answers (the pool wakes the one idle longest, with the coldest caches:
 * 200 us at one connection became 390 us with 11).  Runners take turns
 * leading (fa_runq.h): the `few` first wait for their turn for good,
 * others end after a second without work.  Threads the pool makes later
 * may take the stop signals; the handler only wakes the leader's poll. */
static int open_threads(worker_t *w)
{
    int threads = w->app->config->thread_count;
    int few = FEW_RUNNERS < threads ? FEW_RUNNERS : threads;
    fa_runq_hooks_t hooks = {NULL,          start_runner, fa_worker_run_queued,
                             a_runner_runs, idle_threads, nudge,
                             clock_now,     runner_leads, wake_leader};

    hooks.baton = w;
    if (fa_runq_create(&w->runq, w->pool, threads, few,
                       apr_time_from_msec(STALL_MS), &hooks)
        != APR_SUCCESS) {
        return FA_EXIT_LOCKS;
    }
    /* A lone runner cannot hand the lead to another: it would hand it to
     * the keeper before each request and ask for it back after, waking
     * the keeper twice a request (6.1 context switches a request at one
     * connection against 3.6 for the plain hand-off, measured at
     * PythonThreadpoolThreadCount 1, Azure's default). */
    if (threads > 1) {
        fa_runq_follow(w->runq, apr_time_from_sec(1));
    }
    block_stop_signals(1);
    if (apr_thread_pool_create(&w->threads, few, threads, w->pool)
        != APR_SUCCESS) {
        return FA_EXIT_THREADS;
    }
    block_stop_signals(0);
    apr_thread_pool_idle_max_set(w->threads, few);
    apr_thread_pool_idle_wait_set(w->threads, apr_time_from_sec(1));
    return 0;
}

/* A def function's thread is stuck past its timeout (fa_pywatch.c). */
static void retire_stuck(void *baton, const char *why)
{
    fa_worker_retire_now(baton, why);
}

/* Python and the app first: the rest is of no use if the app fails.
 * Returns 0 or the fa_exit_e code to exit with. */
static int open_worker(worker_t *w)
{
    int code;

    if (apr_thread_mutex_create(&w->done_lock, APR_THREAD_MUTEX_DEFAULT,
                                w->pool)
        != APR_SUCCESS) {
        return FA_EXIT_LOCKS;
    }
    if (fa_python_start(w->pool, w->app, fa_worker_complete,
                        fa_worker_stream_begin, &w->table)
        != APR_SUCCESS) {
        return FA_EXIT_PYTHON;
    }
    /* before more threads: it may set TZ; ticks wait in the backlog */
    if (fa_timer_start(w->app, w->slot, w->table.json, w->table.json_len,
                       &fa_worker_draining, w->pool)
        != APR_SUCCESS) {
        return FA_EXIT_THREADS;
    }
#ifdef __GLIBC__
    /* Importing the app freed much of what it allocated (source text,
     * compiler trees); hand those pages back rather than keep them
     * resident in every idle worker. */
    malloc_trim(0);
#endif
    if ((code = open_pollset(w)) != 0 || (code = open_threads(w)) != 0) {
        return code;
    }
    if (LOOP_READS) {
        fa_worker_loop_reads(w);
    }
    if (fa_python_watch(w->pool, w->slot, retire_stuck, w) != APR_SUCCESS) {
        return FA_EXIT_THREADS;
    }
    wake_pollset = w->pollset;
    if (fa_worker_draining) {
        apr_pollset_wakeup(w->pollset);
    }
    return 0;
}

/* ---- stage 3: serve ----------------------------------------------------- */

/* For now the drain alone: the worker stops listening, its other requests
 * have FunctionWorkerGracefulTimeout to finish, and the supervisor
 * restarts it once it exits.  Any thread; the caller has said why in the
 * log. */
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
    /* after the close: a connection made from now on is a successor's */
    fa_slot_new_incarnation(w->app->slots, w->slot);
}

/* Whether the worker is done: after a stop signal, once nothing is in
 * flight (*code FA_EXIT_DRAINED), or when the graceful timeout ends the
 * drain with requests in flight (*code FA_EXIT_DRAIN_TIMEOUT; their httpd
 * children answer 502). */
static int drained(worker_t *w, int *code)
{
    apr_interval_time_t limit = w->app->config->graceful_timeout;
    apr_uint32_t inflight = apr_atomic_read32(&w->inflight);
    apr_time_t now;

    if (!fa_worker_draining) {
        return 0;
    }
    *code = FA_EXIT_DRAINED;
    now = apr_time_now();
    if (!w->drain_started) {
        w->drain_started = now;
    }
    if (inflight == 0) {
        return apr_atomic_read32(&w->nconns) == 0
            || now - (apr_time_t)apr_atomic_read64(&w->last_request)
            > DRAIN_QUIET;
    }
    if (limit > 0 && now - w->drain_started >= limit) {
        fa_log(&w->app->log, FA_LOG_WARNING, 0,
               "FA022: worker %d (pid %ld) "
               "still has %u request(s) in flight %" APR_TIME_T_FMT " s after "
               "it was told to stop (FunctionWorkerGracefulTimeout); exiting",
               w->slot, (long)getpid(), inflight, apr_time_sec(limit));
        *code = FA_EXIT_DRAIN_TIMEOUT;
        return 1;
    }
    return 0;
}

/* One poll round by the leader (the keeper or a runner, fa_runq.h):
 * accepts, reads frames (sync requests into w->batch), closes what hung
 * up.  The heartbeat is the leader's: it never waits on Python. */
static apr_status_t poll_round(worker_t *w, apr_interval_time_t timeout)
{
    const apr_pollfd_t *ready;
    apr_int32_t n, i;
    apr_status_t rv;

    if (fa_worker_draining
        && (timeout < 0 || timeout > apr_time_from_msec(100))) {
        timeout = apr_time_from_msec(100);
    }
    /* idle or not, a heartbeat a second (fa_slot_stalled) */
    if (timeout < 0 || timeout > apr_time_from_msec(FA_SLOT_BEAT_INTERVAL_MS)) {
        timeout = apr_time_from_msec(FA_SLOT_BEAT_INTERVAL_MS);
    }
    rv = apr_pollset_poll(w->pollset, timeout, &n, &ready);
    fa_slot_beat(w->app->slots, w->slot);
    if (fa_worker_draining) {
        stop_listening(w);
    }
    if (rv == APR_SUCCESS) {
        for (i = 0; i < n; ++i) {
            if (ready[i].client_data != w) {
                fa_worker_conn_event(ready[i].client_data);
            }
            else if (w->listener) {
                fa_worker_accept(w);
            }
        }
    }
    fa_worker_close_done(w);
    return APR_STATUS_IS_EINTR(rv) || APR_STATUS_IS_TIMEUP(rv) ? APR_SUCCESS
                                                               : rv;
}

/* The runq's lead hook: a runner's round.  The keeper takes over when
 * draining, and when the poll fails (its own round then says so). */
static int runner_leads(void *baton, fa_runq_batch_t *batch)
{
    worker_t *w = baton;

    if (fa_worker_draining || poll_round(w, -1) != APR_SUCCESS) {
        return 1;
    }
    *batch = w->batch;
    memset(&w->batch, 0, sizeof(w->batch));
    return fa_worker_draining != 0;
}

static void wake_leader(void *baton)
{
    apr_pollset_wakeup(((worker_t *)baton)->pollset);
}

/* The I/O thread's loop, as the keeper (fa_runq.h): it leads while no
 * runner can, hands the sync requests it read to the run queue, whose
 * answer bounds the next wait, and hands the lead to an idle runner that
 * asks.  Once draining it keeps the lead.  Returns FA_EXIT_DRAINED once
 * drained. */
static int serve(worker_t *w)
{
    apr_interval_time_t timeout;
    apr_status_t rv;
    int code;

    for (;;) {
        if (fa_worker_draining) {
            fa_runq_keep(w->runq);
        }
        if (!fa_runq_keeper_wait(
                w->runq, apr_time_from_msec(FA_SLOT_BEAT_INTERVAL_MS))) {
            continue;
        }
        /* what the last round read, if anything */
        timeout = fa_runq_push(w->runq, &w->batch);
        if (drained(w, &code)) {
            return code;
        }
        if (fa_runq_keeper_yield(w->runq)) {
            continue;
        }
        if ((rv = poll_round(w, timeout)) != APR_SUCCESS) {
            fa_log(&w->app->log, FA_LOG_CRIT, rv,
                   "FA037: worker %d (pid "
                   "%ld): its poll failed; exiting",
                   w->slot, (long)getpid());
            return FA_EXIT_POLL;
        }
    }
}

static apr_interval_time_t stop_bound(const worker_t *w)
{
    apr_interval_time_t limit = w->app->config->graceful_timeout;
    apr_interval_time_t left;

    if (limit <= 0) {
        limit = STOP_OFF;
    }
    left = limit;
    if (w->drain_started && apr_time_now() > w->drain_started) {
        left -= apr_time_now() - w->drain_started;
    }
    return left < STOP_MIN ? STOP_MIN : left;
}

/* Once per app (by its first worker): which functions need a key when
 * none is configured, or go without one when keys are off. */
static void say_keys(worker_t *w)
{
    const fa_app_config_t *cfg = w->app->config;
    const char *app = cfg->app_dir ? cfg->app_dir : "the FunctionHandler app";

    if (!w->table.keyed) {
        return;
    }
    if (cfg->keys_mode == FA_KEYS_OFF) {
        fa_log(&w->app->log, FA_LOG_WARNING, 0,
               "FA020: FunctionAppKeys off "
               "for %s: %s (authLevel function or admin) answer without a "
               "key",
               app, w->table.keyed);
    }
    else if (cfg->keys_mode == FA_KEYS_DEFAULT) {
        fa_log(&w->app->log, FA_LOG_WARNING, 0,
               "FA021: %s of %s need a key "
               "(authLevel function or admin) and none is configured: they "
               "answer 401.  Give keys with FunctionAppKeys DIR (Azure's key "
               "files, generated when absent) or FunctionAppKey, or turn "
               "them off with FunctionAppKeys off",
               w->table.keyed, app);
    }
}

/* A successor whose code fails to load leaves the worker it was to
 * replace serving, unless that one's code failed too (fa_reload.h); the
 * loader said why. */
static int check_successor(worker_t *w)
{
    fa_app_t *app = w->app;
    int failed = fa_reload_table_failed(w->table.json, w->table.json_len);

    if (failed && fa_slot_retiring(app->slots, w->slot)
        && !fa_slot_code_failing(app->slots, app->nslots, -1)) {
        return FA_EXIT_PYTHON;
    }
    fa_slot_code_failing(app->slots, app->nslots, failed);
    return 0;
}

void fa_worker_main(fa_app_t *app, int slot, apr_interval_time_t delay,
                    apr_pool_t *p)
{
    worker_t *w = apr_pcalloc(p, sizeof(*w));
    int code;

    w->app = app;
    w->slot = slot;
    w->pid = (apr_uint32_t)getpid();
    w->pool = p;
    setup_process(app, slot, delay, p);
    /* before the import: the code read is at least as new as this */
    w->reloads = fa_slot_reloads(app->slots, app->nslots);
    if ((code = open_worker(w)) != 0 || (code = check_successor(w)) != 0) {
        /* Python's failures were logged as they happened (FA040, FA041) */
        fa_log(&app->log, FA_LOG_CRIT, 0,
               "FA018: worker %d (pid %ld) "
               "cannot start: %s",
               slot, (long)getpid(), fa_exit_reason(code));
        fflush(NULL);
        _exit(code);
    }
    fa_worker_set_recycle_limit(w);
    fa_slot_beat(app->slots, slot);
    fa_slot_set_ready(app->slots, slot);
    /* a successor: its predecessor may drain now */
    if (fa_slot_retiring(app->slots, slot)) {
        fa_slot_ask(app->slots, slot, FA_SLOT_ASK_HANDOVER);
        fa_doorbell_ring(app->doorbell);
    }
    fa_log(&app->log, FA_LOG_INFO, 0,
           "FA010: worker %d (pid %ld) of "
           "generation %u ready with %d thread(s) for %s",
           slot, (long)getpid(), app->generation, app->config->thread_count,
           app->config->app_dir ? app->config->app_dir
                                : "the FunctionHandler app");
    if (slot == 0) {
        say_keys(w);
    }
    /* the functions whose trigger needs an Azure service are in it */
    if (fa_funclist_claim(app)) {
        fa_funclist_log(app, w->table.json, w->table.json_len, p);
    }
    code = serve(w);
    if (code == FA_EXIT_DRAINED) {
        fa_log(&app->log, FA_LOG_INFO, 0,
               "FA019: worker %d (pid %ld) "
               "drained; exiting",
               slot, (long)getpid());
    }
    fa_python_stop(slot, stop_bound(w), code);
    fflush(NULL);
    _exit(code);
}
