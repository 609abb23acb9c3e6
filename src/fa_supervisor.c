/* SPDX-License-Identifier: Apache-2.0 */
/* fa_supervisor: forks and restarts worker processes in the httpd parent. */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <apr_signal.h>
#include <apr_strings.h>
#include <apr_thread_proc.h>

#include "fa_exit.h"
#include "fa_slot.h"
#include "fa_stats.h"
#include "fa_supervisor.h"
#include "fa_timer.h"
#include "fa_supervisor_private.h"

/* A worker that dies sooner than this after its start counts as failing
 * on start-up, and its restart is delayed. */
#define QUICK_DEATH apr_time_from_sec(5)
#define BACKOFF_FIRST apr_time_from_msec(100)
#define BACKOFF_MAX apr_time_from_sec(10)
#define LISTEN_BACKLOG 4096
/* On stop, how long workers may take to finish before SIGKILL. */
#define STOP_GRACE apr_time_from_sec(3)

/* One listening socket, closed and unlinked with pconf. */
typedef struct listener {
    fa_app_t *app;
    int slot;
    pid_t parent; /* children and workers inherit the cleanup */
} listener_t;

/* Kept in httpd's process pool across generations, so its layout must not
 * change between two loads of the module. */
struct fa_draining {
    pid_t pids[FA_MAX_DRAINING];
    int n;
};

fa_draining_t *fa_draining_get(apr_pool_t *plong)
{
    void *ledger;

    apr_pool_userdata_get(&ledger, "funcapp_draining", plong);
    if (!ledger) {
        ledger = apr_pcalloc(plong, sizeof(fa_draining_t));
        apr_pool_userdata_set(ledger, "funcapp_draining", apr_pool_cleanup_null,
                              plong);
    }
    return ledger;
}

apr_status_t fa_draining_add(fa_draining_t *dr, pid_t pid)
{
    if (dr->n >= FA_MAX_DRAINING) {
        return APR_ENOSPC;
    }
    dr->pids[dr->n++] = pid;
    return APR_SUCCESS;
}

void fa_draining_forget(fa_draining_t *dr, pid_t pid)
{
    int i;

    for (i = 0; i < dr->n; ++i) {
        if (dr->pids[i] == pid) {
            dr->pids[i] = dr->pids[--dr->n];
            return;
        }
    }
}

int fa_draining_count(const fa_draining_t *dr)
{
    return dr->n;
}

apr_interval_time_t fa_supervisor_backoff(int *quick_deaths,
                                          apr_interval_time_t lived)
{
    apr_interval_time_t delay;

    if (lived >= QUICK_DEATH) {
        *quick_deaths = 0;
        return 0;
    }
    (*quick_deaths)++;
    /* capped shift: 100 ms << 7 is already past the 10 s cap */
    delay = BACKOFF_FIRST << (*quick_deaths > 7 ? 7 : *quick_deaths - 1);
    return delay > BACKOFF_MAX ? BACKOFF_MAX : delay;
}

const char *fa_exit_reason(int code)
{
    switch (code) {
    case FA_EXIT_DRAINED:
        return "finished its requests after SIGTERM";
    case FA_EXIT_SETUP:
        return "cannot set up its process (listeners, privileges)";
    case FA_EXIT_PYTHON:
        return "cannot start Python or import the app";
    case FA_EXIT_POLLSET:
        return "cannot create its pollset";
    case FA_EXIT_THREADS:
        return "cannot create its thread pool";
    case FA_EXIT_LOCKS:
        return "cannot create its locks";
    case FA_EXIT_POLL:
        return "its poll failed";
    case FA_EXIT_DRAIN_TIMEOUT:
        return "stopped with requests in flight at its graceful timeout";
    default:
        return NULL;
    }
}

/* httpd's MPMs hand other-child callbacks the exit code or the signal
 * number, having dropped which one it was (ap_wait_or_timeout); a number
 * that can be both is told both ways. */
static void describe_death(char *buf, apr_size_t len, int status)
{
    const char *reason = fa_exit_reason(status);
    apr_size_t n;

    n = reason ? apr_snprintf(buf, len, "%s (status %d)", reason, status)
               : apr_snprintf(buf, len, "status %d", status);
    if (status > 0 && status < NSIG) {
        apr_snprintf(buf + n, len - n, ", or was killed by signal %d (%s)",
                     status, apr_signal_description_get(status));
    }
}

const char *fa_supervisor_app_name(const fa_app_t *app)
{
    return app->config->app_dir ? app->config->app_dir
                                : "the FunctionHandler app";
}

typedef struct adopted {
    fa_draining_t *ledger;
    apr_proc_t proc;
    const fa_logger_t *log; /* this generation's */
} adopted_t;

/* A drained worker exits 0; anything else is worth a line. */
static void say_retired_death(const fa_logger_t *log, pid_t pid, int reason,
                              int status)
{
    char why[200];

    if (reason == APR_OC_REASON_DEATH && status != FA_EXIT_DRAINED) {
        describe_death(why, sizeof(why), status);
        fa_log(log, FA_LOG_WARNING, 0,
               "FA023: retired worker (pid %ld) exited: %s", (long)pid, why);
    }
}

static void reap_draining(int reason, void *data, int status)
{
    adopted_t *a = data;

    if (reason == APR_OC_REASON_DEATH || reason == APR_OC_REASON_LOST) {
        apr_proc_other_child_unregister(a);
        fa_draining_forget(a->ledger, a->proc.pid);
        say_retired_death(a->log, a->proc.pid, reason, status);
    }
}

static void maintenance(int reason, void *data, int status)
{
    worker_rec_t *w = data;
    generation_t *gen = w->gen;
    apr_interval_time_t delay;
    char death[200];

    if (reason != APR_OC_REASON_DEATH && reason != APR_OC_REASON_LOST) {
        return;
    }
    apr_proc_other_child_unregister(w);
    w->alive = 0;
    fa_stats_worker_exited(w->app->stats, w->slot, w->proc.pid, w->replaced,
                           status);
    if (w->replaced) {
        /* The slot stays as it is: its successor marks it ready (if this
         * one died first, requests wait in the listener's backlog for the
         * successor, as for any restart). */
        if (!w->superseded) {
            say_retired_death(&gen->log, w->proc.pid, reason, status);
        }
        return;
    }
    delay =
        fa_supervisor_backoff(&w->quick_deaths, apr_time_now() - w->started);
    describe_death(death, sizeof(death), status);
    if (fa_succession_predecessor_serves(gen, w->app, w->slot)) {
        fa_log(&gen->log, FA_LOG_ERR, 0,
               "FA099: the successor of worker %d of %s (pid %ld) "
               "exited: %s; the worker it was to replace keeps serving the "
               "code it has, and the successor starts again in %" APR_TIME_T_FMT
               " ms or at the next reload",
               w->slot, fa_supervisor_app_name(w->app), (long)w->proc.pid,
               death, apr_time_as_msec(delay));
        fa_supervisor_spawn(w, delay);
        return;
    }
    fa_slot_set_dead(w->app->slots, w->slot);
    fa_log(&gen->log, FA_LOG_ERR, 0,
           "FA011: worker %d of %s (pid %ld) "
           "exited: %s; restarting in %" APR_TIME_T_FMT " ms",
           w->slot, fa_supervisor_app_name(w->app), (long)w->proc.pid, death,
           apr_time_as_msec(delay));
    fa_supervisor_spawn(w, delay);
}

void fa_supervisor_spawn(worker_rec_t *w, apr_interval_time_t delay)
{
    fa_app_t *app = w->app;
    apr_status_t rv;

    sigset_t stop_signals, old_mask;

    w->started = apr_time_now() + delay;
    /* Until the worker has its own handlers, httpd's would swallow a stop
     * signal; keep them pending across the fork. */
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGTERM);
    sigaddset(&stop_signals, SIGINT);
    sigprocmask(SIG_BLOCK, &stop_signals, &old_mask);
    rv = apr_proc_fork(&w->proc, w->gen->pool);
    if (rv == APR_INCHILD) {
        apr_pool_t *p;
        int i, j;
        generation_t *gen = w->gen;

        close(gen->bell.fds[0]);
        /* Keep only our own listener: a sibling's would keep its socket
         * connectable after that sibling is gone. */
        for (i = 0; i < gen->apps->nelts; ++i) {
            fa_app_t *other = APR_ARRAY_IDX(gen->apps, i, fa_app_t *);
            for (j = 0; j < other->nslots; ++j) {
                if (other != app || j != w->slot) {
                    close(other->listen_fds[j]);
                }
            }
        }
        /* Our own process group: prefork signals its whole group on stop,
         * and workers are stopped by their generation, not by that. */
        setpgid(0, 0);
        apr_pool_create(&p, NULL);
        gen->entry(app, w->slot, delay, p);
        /* an entry point that returns never got its process going */
        _exit(FA_EXIT_SETUP);
    }
    sigprocmask(SIG_SETMASK, &old_mask, NULL);
    if (rv != APR_INPARENT) {
        fa_log(&w->gen->log, FA_LOG_CRIT, rv, "FA012: cannot fork worker %d",
               w->slot);
        return;
    }
    /* a registration is a few bytes of its pool: recycling registers again
     * and again, so each lives in a pool cleared at the next */
    apr_pool_clear(w->ocpool);
    apr_proc_other_child_register(&w->proc, maintenance, w, NULL, w->ocpool);
    w->alive = 1;
    w->stall_killed = 0;
    fa_stats_worker_started(app->stats, w->slot, w->proc.pid, app->generation,
                            w->started);
}

static apr_status_t make_listener(apr_pool_t *p, fa_app_t *app, int slot,
                                  const fa_logger_t *log)
{
    apr_status_t rv;

    (void)p;
    rv = fa_io_listen(app->socket_addrs[slot], LISTEN_BACKLOG, app->worker_uid,
                      app->worker_gid, &app->listen_fds[slot]);
    if (rv != APR_SUCCESS) {
        fa_log(log, FA_LOG_CRIT, rv,
               "FA014: cannot listen on worker socket "
               "%s",
               app->socket_paths[slot]);
    }
    return rv;
}

/* httpd is stopping: nobody will reap our workers after the parent
 * exits, so give them a moment to finish and reap them here. */
static void reap_before_exit(generation_t *gen)
{
    apr_time_t deadline = apr_time_now() + STOP_GRACE;
    int i, left;

    do {
        left = 0;
        for (i = 0; i < gen->workers->nelts; ++i) {
            worker_rec_t *w = APR_ARRAY_IDX(gen->workers, i, worker_rec_t *);
            if (w->alive) {
                if (waitpid(w->proc.pid, NULL, WNOHANG) != 0) {
                    w->alive = 0;
                }
                else if (apr_time_now() >= deadline) {
                    kill(w->proc.pid, SIGKILL);
                    waitpid(w->proc.pid, NULL, 0);
                    w->alive = 0;
                }
                else {
                    left++;
                }
            }
        }
        if (left) {
            apr_sleep(apr_time_from_msec(20));
        }
    } while (left);
}

static apr_status_t close_listener(void *data)
{
    listener_t *l = data;

    if (getpid() == l->parent && l->app->listen_fds[l->slot] >= 0) {
        close(l->app->listen_fds[l->slot]);
        l->app->listen_fds[l->slot] = -1;
        unlink(l->app->socket_paths[l->slot]);
    }
    return APR_SUCCESS;
}

/* Registered after the listeners' cleanups, so it runs before them: the
 * workers are told to drain before their socket paths go. */
static apr_status_t retire(void *data)
{
    generation_t *gen = data;
    int i;

    if (getpid() != gen->parent) {
        return APR_SUCCESS;
    }
    for (i = 0; i < gen->workers->nelts; ++i) {
        worker_rec_t *w = APR_ARRAY_IDX(gen->workers, i, worker_rec_t *);
        if (w->alive) {
            kill(w->proc.pid, SIGTERM);
            /* past a full ledger, httpd meets a child it does not know:
             * a log line, nothing worse */
            fa_draining_add(gen->draining, w->proc.pid);
        }
    }
    /* Their own cleanups would close the listeners after this one; run
     * them now, so the sockets are gone before a stop waits for workers. */
    for (i = 0; i < gen->listeners->nelts; ++i) {
        apr_pool_cleanup_run(gen->pool,
                             APR_ARRAY_IDX(gen->listeners, i, listener_t *),
                             close_listener);
    }
    fa_reload_stop(gen);
    fa_succession_close(gen);
    /* The handler below is in this module's code, about to be unloaded. */
    signal(SIGCHLD, SIG_DFL);
    if (gen->exiting && gen->exiting()) {
        reap_before_exit(gen);
    }
    return APR_SUCCESS;
}

/* Registers the previous generations' draining workers with this
 * generation's code, so httpd never meets a child it does not know. */
static void adopt_draining(apr_pool_t *pconf, fa_draining_t *dr,
                           const fa_logger_t *log)
{
    int i;

    for (i = 0; i < dr->n; ++i) {
        adopted_t *a = apr_pcalloc(pconf, sizeof(*a));
        a->ledger = dr;
        a->proc.pid = dr->pids[i];
        a->log = log;
        apr_proc_other_child_register(&a->proc, reap_draining, a, NULL, pconf);
    }
}

/* The slots and listeners of one app; each listener's cleanup is
 * registered as soon as it exists, so a failure halfway leaves none. */
static apr_status_t open_app(generation_t *gen, fa_app_t *app)
{
    apr_status_t rv;
    int j;

    if ((rv = fa_slot_create(&app->slots, app->nslots, gen->pool))
            != APR_SUCCESS
        || (rv = fa_stats_create(&app->stats, app->nslots, gen->pool))
            != APR_SUCCESS
        || (rv = fa_timer_create(app, gen->pool)) != APR_SUCCESS
        || (rv = fa_slot_limit_running(
                app->slots, app->nslots,
                (apr_uint32_t)app->config->max_concurrent))
            != APR_SUCCESS) {
        fa_log(&gen->log, FA_LOG_CRIT, rv,
               "FA016: cannot create shared "
               "memory");
        return rv;
    }
    app->listen_fds = apr_palloc(gen->pool, sizeof(int) * app->nslots);
    for (j = 0; j < app->nslots; ++j) {
        app->listen_fds[j] = -1;
    }
    for (j = 0; j < app->nslots; ++j) {
        listener_t *l;
        if ((rv = make_listener(gen->pool, app, j, &gen->log)) != APR_SUCCESS) {
            return rv;
        }
        l = apr_palloc(gen->pool, sizeof(*l));
        l->app = app;
        l->slot = j;
        l->parent = gen->parent;
        apr_pool_cleanup_register(gen->pool, l, close_listener,
                                  apr_pool_cleanup_null);
        APR_ARRAY_PUSH(gen->listeners, listener_t *) = l;
    }
    return APR_SUCCESS;
}

apr_status_t fa_supervisor_start(apr_pool_t *pconf, apr_pool_t *plong,
                                 apr_array_header_t *apps,
                                 const fa_logger_t *log, int (*exiting)(void),
                                 fa_worker_entry_fn *entry)
{
    generation_t *gen;
    apr_status_t rv;
    int i, j;

    gen = apr_pcalloc(pconf, sizeof(*gen));
    gen->pool = pconf;
    gen->draining = fa_draining_get(plong);
    gen->apps = apps;
    gen->log = *log;
    adopt_draining(pconf, gen->draining, &gen->log);
    gen->parent = getpid();
    gen->exiting = exiting;
    gen->entry = entry;
    gen->workers = apr_array_make(pconf, 4, sizeof(worker_rec_t *));
    gen->listeners = apr_array_make(pconf, 4, sizeof(listener_t *));

    for (i = 0; i < apps->nelts; ++i) {
        fa_app_t *app = APR_ARRAY_IDX(apps, i, fa_app_t *);
        if ((rv = open_app(gen, app)) != APR_SUCCESS) {
            return rv;
        }
    }
    if ((rv = fa_succession_open(gen)) != APR_SUCCESS) {
        return rv;
    }
    apr_pool_cleanup_register(pconf, gen, retire, apr_pool_cleanup_null);

    for (i = 0; i < apps->nelts; ++i) {
        fa_app_t *app = APR_ARRAY_IDX(apps, i, fa_app_t *);
        for (j = 0; j < app->nslots; ++j) {
            fa_supervisor_spawn(fa_succession_make_rec(gen, app, j), 0);
        }
    }
    fa_succession_start_bell(gen);
    fa_reload_start(gen);
    return APR_SUCCESS;
}

static void on_sigchld(int signo)
{
    (void)signo;
}

void fa_supervisor_parent_signals(void)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_sigchld;
    sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGCHLD, &sa, NULL);
}

void fa_supervisor_child_signals(void)
{
    signal(SIGCHLD, SIG_DFL);
}
