/* SPDX-License-Identifier: Apache-2.0 */
/* fa_reload_parent: in the httpd parent, the watcher process of each app
 * with FunctionAppReload touch or watch (fa_reload.h): forked with the
 * generation, forked again if it dies after a while, killed and reaped
 * when the generation retires, as the doorbell's bell is. */
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fa_reload.h"
#include "fa_supervisor_private.h"

/* A watcher that dies sooner than this after its start is not forked
 * again: it would die the same way (it said why, FA068). */
#define QUICK_DEATH apr_time_from_sec(5)

struct fa_reload_watcher {
    generation_t *gen;
    fa_app_t *app;
    apr_proc_t proc;
    apr_pool_t *pool; /* its registration; not pconf's (see the bell) */
    apr_time_t started;
    int alive;
};

static void spawn(fa_reload_watcher_t *rec);

static void watcher_died(int reason, void *data, int status)
{
    fa_reload_watcher_t *rec = data;

    (void)status;
    if (reason != APR_OC_REASON_DEATH && reason != APR_OC_REASON_LOST) {
        return;
    }
    apr_proc_other_child_unregister(rec);
    rec->alive = 0;
    if (apr_time_now() - rec->started >= QUICK_DEATH) {
        spawn(rec);
    }
}

/* Forked as a worker is: stop signals held until its own handlers are
 * in, no socket of any app, its own process group. */
static void spawn(fa_reload_watcher_t *rec)
{
    generation_t *gen = rec->gen;
    sigset_t stop_signals, old_mask;
    apr_status_t rv;
    int i, j;

    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGTERM);
    sigaddset(&stop_signals, SIGINT);
    sigprocmask(SIG_BLOCK, &stop_signals, &old_mask);
    apr_pool_clear(rec->pool);
    rv = apr_proc_fork(&rec->proc, rec->pool);
    if (rv == APR_INCHILD) {
        apr_pool_t *p;
        close(gen->bell.fds[0]);
        for (i = 0; i < gen->apps->nelts; ++i) {
            fa_app_t *app = APR_ARRAY_IDX(gen->apps, i, fa_app_t *);
            for (j = 0; j < app->nslots; ++j) {
                close(app->listen_fds[j]);
            }
        }
        setpgid(0, 0);
        apr_pool_create(&p, NULL);
        fa_reload_watcher_main(rec->app, p);
        _exit(1);
    }
    sigprocmask(SIG_SETMASK, &old_mask, NULL);
    if (rv != APR_INPARENT) {
        fa_reload_say_off(rec->app, rv, "cannot fork its watcher");
        return;
    }
    rec->started = apr_time_now();
    rec->alive = 1;
    apr_proc_other_child_register(&rec->proc, watcher_died, rec, NULL,
                                  rec->pool);
}

void fa_reload_start(generation_t *gen)
{
    int i;

    gen->watchers = apr_array_make(gen->pool, 1, sizeof(fa_reload_watcher_t *));
    for (i = 0; i < gen->apps->nelts; ++i) {
        fa_app_t *app = APR_ARRAY_IDX(gen->apps, i, fa_app_t *);
        fa_reload_watcher_t *rec;
        int mode = app->config->reload;
        if (mode != FA_RELOAD_TOUCH && mode != FA_RELOAD_WATCH) {
            continue;
        }
        if (!app->config->app_dir) {
            fa_reload_say_off(app, APR_SUCCESS, "it has no FunctionApp DIR");
            continue;
        }
        rec = apr_pcalloc(gen->pool, sizeof(*rec));
        rec->gen = gen;
        rec->app = app;
        apr_pool_create(&rec->pool, NULL);
        APR_ARRAY_PUSH(gen->watchers, fa_reload_watcher_t *) = rec;
        spawn(rec);
    }
}

/* SIGKILL and reaped at once: a watcher has nothing to finish. */
void fa_reload_stop(generation_t *gen)
{
    int i;

    for (i = 0; gen->watchers && i < gen->watchers->nelts; ++i) {
        fa_reload_watcher_t *rec =
            APR_ARRAY_IDX(gen->watchers, i, fa_reload_watcher_t *);
        if (rec->alive) {
            rec->alive = 0;
            kill(rec->proc.pid, SIGKILL);
            waitpid(rec->proc.pid, NULL, 0);
        }
        apr_pool_destroy(rec->pool); /* and the registration with it */
    }
}
