/* fa_supervisor: forks and restarts worker processes in the httpd parent. */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <apr_atomic.h>
#include <apr_shm.h>
#include <apr_strings.h>
#include <apr_thread_proc.h>

#include "fa_supervisor.h"
#include "fa_worker.h"

/* A worker that dies sooner than this after its start counts as failing
 * on start-up, and its restart is delayed. */
#define QUICK_DEATH apr_time_from_sec(5)
#define BACKOFF_FIRST apr_time_from_msec(100)
#define BACKOFF_MAX apr_time_from_sec(10)
#define LISTEN_BACKLOG 4096
/* On stop, how long workers may take to finish before SIGKILL. */
#define STOP_GRACE apr_time_from_sec(3)

typedef struct generation generation_t;
typedef struct draining draining_t;

typedef struct worker_rec {
    generation_t *gen;
    fa_app_t *app;
    int slot;
    apr_proc_t proc;
    apr_time_t started;
    int quick_deaths;      /* in a row; drives the back-off */
    int alive;
} worker_rec_t;

struct generation {
    apr_pool_t *pool;      /* pconf */
    apr_array_header_t *apps;
    apr_array_header_t *workers; /* of worker_rec_t * */
    pid_t parent;          /* only the parent retires: children and
                            * workers inherit the pconf cleanup */
    fa_logger_t log;
    draining_t *draining;
    int (*exiting)(void);
};

/* Workers of retired generations, still finishing requests.  httpd unloads
 * and reloads this module at every restart, so no callback of ours may
 * outlive pconf: each generation hands the pids of its draining workers to
 * the next (in httpd's process pool), which reaps them with its own code. */
#define MAX_DRAINING 1024
struct draining {
    pid_t pids[MAX_DRAINING];
    int n;
};

static void spawn(worker_rec_t *w, apr_interval_time_t delay);

static void forget_draining(draining_t *dr, pid_t pid)
{
    int i;

    for (i = 0; i < dr->n; ++i) {
        if (dr->pids[i] == pid) {
            dr->pids[i] = dr->pids[--dr->n];
            return;
        }
    }
}

typedef struct adopted {
    draining_t *ledger;
    apr_proc_t proc;
} adopted_t;

static void reap_draining(int reason, void *data, int status)
{
    adopted_t *a = data;

    (void)status;
    if (reason == APR_OC_REASON_DEATH || reason == APR_OC_REASON_LOST) {
        apr_proc_other_child_unregister(a);
        forget_draining(a->ledger, a->proc.pid);
    }
}

static void maintenance(int reason, void *data, int status)
{
    worker_rec_t *w = data;
    generation_t *gen = w->gen;
    fa_slot_t *slot = &w->app->slots[w->slot];
    apr_interval_time_t delay = 0;

    if (reason != APR_OC_REASON_DEATH && reason != APR_OC_REASON_LOST) {
        return;
    }
    apr_proc_other_child_unregister(w);
    w->alive = 0;
    apr_atomic_set32(&slot->ready, 0);
    apr_atomic_set32(&slot->pid, 0);
    if (apr_time_now() - w->started < QUICK_DEATH) {
        w->quick_deaths++;
        delay = BACKOFF_FIRST << (w->quick_deaths > 7 ? 7
                                  : w->quick_deaths - 1);
        if (delay > BACKOFF_MAX) {
            delay = BACKOFF_MAX;
        }
    }
    else {
        w->quick_deaths = 0;
    }
    /* httpd hands other-child callbacks the exit code or the signal
     * number, without saying which. */
    fa_log(&gen->log, FA_LOG_ERR, 0, "FA011: worker %d of %s (pid %ld) "
           "died (exit code or signal %d); restarting in %" APR_TIME_T_FMT
           " ms", w->slot, w->app->config->app_dir ? w->app->config->app_dir
                                                   : "the FunctionHandler app",
           (long)w->proc.pid, status, apr_time_as_msec(delay));
    spawn(w, delay);
}

static void spawn(worker_rec_t *w, apr_interval_time_t delay)
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
        fa_worker_main(app, w->slot, delay, p);
    }
    sigprocmask(SIG_SETMASK, &old_mask, NULL);
    if (rv != APR_INPARENT) {
        fa_log(&w->gen->log, FA_LOG_CRIT, rv, "FA012: cannot fork worker %d",
               w->slot);
        return;
    }
    apr_atomic_set32(&app->slots[w->slot].pid, (apr_uint32_t)w->proc.pid);
    apr_atomic_inc32(&app->slots[w->slot].incarnation);
    apr_proc_other_child_register(&w->proc, maintenance, w, NULL,
                                  w->gen->pool);
    w->alive = 1;
}

static apr_status_t make_listener(apr_pool_t *p, fa_app_t *app, int slot,
                                  const fa_logger_t *log)
{
    apr_status_t rv;

    (void)p;
    rv = fa_io_listen(app->socket_addrs[slot], LISTEN_BACKLOG,
                      app->worker_uid, app->worker_gid,
                      &app->listen_fds[slot]);
    if (rv != APR_SUCCESS) {
        fa_log(log, FA_LOG_CRIT, rv, "FA014: cannot listen on worker socket "
               "%s", app->socket_paths[slot]);
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

static apr_status_t retire(void *data)
{
    generation_t *gen = data;
    int i, j;

    if (getpid() != gen->parent) {
        return APR_SUCCESS;
    }
    for (i = 0; i < gen->workers->nelts; ++i) {
        worker_rec_t *w = APR_ARRAY_IDX(gen->workers, i, worker_rec_t *);
        if (w->alive) {
            kill(w->proc.pid, SIGTERM);
            if (gen->draining->n < MAX_DRAINING) {
                gen->draining->pids[gen->draining->n++] = w->proc.pid;
            }
        }
    }
    for (i = 0; i < gen->apps->nelts; ++i) {
        fa_app_t *app = APR_ARRAY_IDX(gen->apps, i, fa_app_t *);
        for (j = 0; j < app->nslots; ++j) {
            if (app->listen_fds[j] >= 0) {
                close(app->listen_fds[j]);
                unlink(app->socket_paths[j]);
            }
        }
    }
    /* The handler below is in this module's code, about to be unloaded. */
    signal(SIGCHLD, SIG_DFL);
    if (gen->exiting && gen->exiting()) {
        reap_before_exit(gen);
    }
    return APR_SUCCESS;
}

/* Registers the previous generations' draining workers with this
 * generation's code, so httpd never meets a child it does not know. */
static void adopt_draining(apr_pool_t *pconf, draining_t *dr)
{
    int i;

    for (i = 0; i < dr->n; ++i) {
        adopted_t *a = apr_pcalloc(pconf, sizeof(*a));
        a->ledger = dr;
        a->proc.pid = dr->pids[i];
        apr_proc_other_child_register(&a->proc, reap_draining, a, NULL, pconf);
    }
}

apr_status_t fa_supervisor_start(apr_pool_t *pconf, apr_pool_t *plong,
                                 apr_array_header_t *apps,
                                 const fa_logger_t *log, int (*exiting)(void))
{
    generation_t *gen;
    void *ledger;
    apr_status_t rv;
    int i, j;

    gen = apr_pcalloc(pconf, sizeof(*gen));
    gen->pool = pconf;
    apr_pool_userdata_get(&ledger, "funcapp_draining", plong);
    if (!ledger) {
        ledger = apr_pcalloc(plong, sizeof(draining_t));
        apr_pool_userdata_set(ledger, "funcapp_draining",
                              apr_pool_cleanup_null, plong);
    }
    gen->draining = ledger;
    adopt_draining(pconf, ledger);
    gen->apps = apps;
    gen->log = *log;
    gen->parent = getpid();
    gen->exiting = exiting;
    gen->workers = apr_array_make(pconf, 4, sizeof(worker_rec_t *));

    for (i = 0; i < apps->nelts; ++i) {
        fa_app_t *app = APR_ARRAY_IDX(apps, i, fa_app_t *);
        apr_shm_t *shm;

        /* Anonymous shared memory survives fork; it lives with pconf in
         * the parent and as long as the mapping in children and workers. */
        rv = apr_shm_create(&shm, sizeof(fa_slot_t) * app->nslots, NULL,
                            pconf);
        if (rv != APR_SUCCESS) {
            fa_log(log, FA_LOG_CRIT, rv, "FA016: cannot create shared memory");
            return rv;
        }
        app->slots = apr_shm_baseaddr_get(shm);
        memset(app->slots, 0, sizeof(fa_slot_t) * app->nslots);
        app->listen_fds = apr_palloc(pconf, sizeof(int) * app->nslots);
        for (j = 0; j < app->nslots; ++j) {
            app->listen_fds[j] = -1;
        }
        for (j = 0; j < app->nslots; ++j) {
            if ((rv = make_listener(pconf, app, j, log)) != APR_SUCCESS) {
                return rv;
            }
        }
    }
    apr_pool_cleanup_register(pconf, gen, retire, apr_pool_cleanup_null);

    for (i = 0; i < apps->nelts; ++i) {
        fa_app_t *app = APR_ARRAY_IDX(apps, i, fa_app_t *);
        for (j = 0; j < app->nslots; ++j) {
            worker_rec_t *w = apr_pcalloc(pconf, sizeof(*w));
            w->gen = gen;
            w->app = app;
            w->slot = j;
            APR_ARRAY_PUSH(gen->workers, worker_rec_t *) = w;
            spawn(w, 0);
        }
    }
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
