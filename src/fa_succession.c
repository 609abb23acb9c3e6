/* SPDX-License-Identifier: Apache-2.0 */
/* fa_succession: in the httpd parent, a successor for each worker that
 * asks to be replaced (fa_recycle.h), started while the worker still
 * serves and handed its slot once ready; and the doorbell by which workers
 * ask (fa_doorbell.h). */
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fa_doorbell.h"
#include "fa_slot.h"
#include "fa_stats.h"
#include "fa_supervisor_private.h"

/* A record for a new worker of @a slot.  A replaced worker's, once
 * reaped, serves again: recycling keeps no more records than there are
 * workers alive at once. */
worker_rec_t *fa_succession_make_rec(generation_t *gen, fa_app_t *app, int slot)
{
    worker_rec_t *w = NULL;
    int i;

    for (i = 0; i < gen->workers->nelts && !w; ++i) {
        worker_rec_t *old = APR_ARRAY_IDX(gen->workers, i, worker_rec_t *);
        if (!old->alive && old->replaced) {
            w = old;
        }
    }
    if (!w) {
        w = apr_pcalloc(gen->pool, sizeof(*w));
        apr_pool_create(&w->ocpool, gen->pool);
        APR_ARRAY_PUSH(gen->workers, worker_rec_t *) = w;
    }
    w->gen = gen;
    w->app = app;
    w->slot = slot;
    w->quick_deaths = 0;
    w->replaced = 0;
    w->handed_over = 0;
    w->superseded = 0;
    return w;
}

/* The slot's worker that is not being replaced. */
static worker_rec_t *current_rec(generation_t *gen, fa_app_t *app, int slot)
{
    int i;

    for (i = 0; i < gen->workers->nelts; ++i) {
        worker_rec_t *w = APR_ARRAY_IDX(gen->workers, i, worker_rec_t *);
        if (w->app == app && w->slot == slot && !w->replaced) {
            return w;
        }
    }
    return NULL;
}

/* The worker keeps serving while its successor starts: both accept on the
 * slot's listener until the successor is ready (hand_over). */
static void start_successor(generation_t *gen, fa_app_t *app, int slot)
{
    worker_rec_t *cur = current_rec(gen, app, slot), *next;

    /* one successor at a time; a worker in back-off is starting anyway */
    if (!cur || !cur->alive || fa_slot_retiring(app->slots, slot)) {
        return;
    }
    cur->replaced = 1;
    fa_slot_set_retiring(app->slots, slot, 1);
    next = fa_succession_make_rec(gen, app, slot);
    fa_supervisor_spawn(next, 0);
    fa_log(&gen->log, FA_LOG_INFO, 0,
           "FA077: worker %d of %s (pid %ld) asked to be replaced; its "
           "successor is pid %ld",
           slot, fa_supervisor_app_name(app), (long)cur->proc.pid,
           (long)next->proc.pid);
}

int fa_succession_predecessor_serves(generation_t *gen, fa_app_t *app, int slot)
{
    int i;

    for (i = 0; i < gen->workers->nelts; ++i) {
        worker_rec_t *w = APR_ARRAY_IDX(gen->workers, i, worker_rec_t *);
        if (w->app == app && w->slot == slot && w->replaced && w->alive
            && !w->handed_over) {
            /* the successor's start marked the slot starting */
            fa_slot_set_ready(app->slots, slot);
            return 1;
        }
    }
    return 0;
}

/* A reload: a successor with the new code.  One still starting may have
 * read the old code: it has taken no request yet (it listens once
 * ready), so it is killed and started again, and a change while it
 * starts is never lost nor a second successor piled up. */
static void reload_slot(generation_t *gen, fa_app_t *app, int slot)
{
    worker_rec_t *cur = current_rec(gen, app, slot), *next;

    if (!cur || !cur->alive || !fa_slot_retiring(app->slots, slot)) {
        start_successor(gen, app, slot);
        return;
    }
    cur->replaced = 1;
    cur->handed_over = 1;
    cur->superseded = 1;
    kill(cur->proc.pid, SIGKILL);
    next = fa_succession_make_rec(gen, app, slot);
    fa_supervisor_spawn(next, 0);
}

/* The successor is ready: its predecessors drain (within
 * FunctionWorkerGracefulTimeout) and exit. */
static void hand_over(generation_t *gen, fa_app_t *app, int slot)
{
    int i;

    fa_slot_set_retiring(app->slots, slot, 0);
    for (i = 0; i < gen->workers->nelts; ++i) {
        worker_rec_t *w = APR_ARRAY_IDX(gen->workers, i, worker_rec_t *);
        if (w->app == app && w->slot == slot && w->replaced && w->alive
            && !w->handed_over) {
            kill(w->proc.pid, SIGTERM);
            w->handed_over = 1;
        }
    }
}

/* An httpd child saw the slot's worker miss its heartbeats with a request
 * in hand: if it still does, it is stopped or starved beyond use; its
 * death restarts it as any other. */
static void kill_stalled(generation_t *gen, fa_app_t *app, int slot)
{
    worker_rec_t *cur = current_rec(gen, app, slot);

    if (!cur || !cur->alive || cur->stall_killed
        || !fa_slot_stalled(app->slots, slot, FA_SLOT_STALL_SECONDS)) {
        return;
    }
    cur->stall_killed = 1;
    fa_log(&gen->log, FA_LOG_ERR, 0,
           "FA080: worker %d of %s (pid %ld) has not run for over %d s "
           "(stopped?) with requests waiting; killing it",
           slot, fa_supervisor_app_name(app), (long)cur->proc.pid,
           FA_SLOT_STALL_SECONDS);
    fa_stats_exit_hint(app->stats, slot, FA_STATS_EXIT_STALLED);
    kill(cur->proc.pid, SIGKILL);
}

static void take_asks(generation_t *gen)
{
    int i, j;

    for (i = 0; i < gen->apps->nelts; ++i) {
        fa_app_t *app = APR_ARRAY_IDX(gen->apps, i, fa_app_t *);
        for (j = 0; j < app->nslots; ++j) {
            apr_uint32_t asks = fa_slot_take_asks(app->slots, j);
            if (asks & FA_SLOT_ASK_HANDOVER) {
                hand_over(gen, app, j);
            }
            if (asks & FA_SLOT_ASK_RELOAD) {
                reload_slot(gen, app, j);
            }
            else if (asks & FA_SLOT_ASK_REPLACE) {
                start_successor(gen, app, j);
            }
            if (asks & FA_SLOT_ASK_KILL) {
                kill_stalled(gen, app, j);
            }
        }
    }
}

static void bell_rang(int reason, void *data, int status)
{
    generation_t *gen = data;

    (void)status;
    if (reason != APR_OC_REASON_DEATH && reason != APR_OC_REASON_LOST) {
        return;
    }
    apr_proc_other_child_unregister(gen);
    gen->bell.alive = 0;
    take_asks(gen);
    fa_succession_start_bell(gen);
}

void fa_succession_start_bell(generation_t *gen)
{
    apr_status_t rv;

    apr_pool_clear(gen->bell.pool);
    rv = apr_proc_fork(&gen->bell.proc, gen->bell.pool);
    if (rv == APR_INCHILD) {
        fa_doorbell_wait(gen->bell.fds[0]);
        _exit(0);
    }
    if (rv != APR_INPARENT) {
        fa_log(&gen->log, FA_LOG_CRIT, rv,
               "FA079: cannot fork the doorbell process: workers past "
               "FunctionWorkerMaxRequests or FunctionWorkerMaxMemory are "
               "not replaced until the next restart");
        return;
    }
    apr_proc_other_child_register(&gen->bell.proc, bell_rang, gen, NULL,
                                  gen->bell.pool);
    gen->bell.alive = 1;
}

/* The doorbell, its pipe's write end given to every app's workers. */
apr_status_t fa_succession_open(generation_t *gen)
{
    apr_status_t rv;
    int i;

    if ((rv = fa_doorbell_create(gen->bell.fds)) != APR_SUCCESS) {
        fa_log(&gen->log, FA_LOG_CRIT, rv,
               "FA078: cannot create the doorbell pipe");
        return rv;
    }
    /* Not pconf's: pconf's subpools go before its cleanups run, and the
     * registration must outlive them until fa_succession_close. */
    apr_pool_create(&gen->bell.pool, NULL);
    for (i = 0; i < gen->apps->nelts; ++i) {
        APR_ARRAY_IDX(gen->apps, i, fa_app_t *)->doorbell = gen->bell.fds[1];
    }
    return APR_SUCCESS;
}

/* SIGKILL and reaped at once: a bell has nothing to finish.  Its
 * registration, if any, goes with its pool. */
void fa_succession_close(generation_t *gen)
{
    if (gen->bell.alive) {
        gen->bell.alive = 0;
        kill(gen->bell.proc.pid, SIGKILL);
        waitpid(gen->bell.proc.pid, NULL, 0);
    }
    apr_pool_destroy(gen->bell.pool);
    close(gen->bell.fds[0]);
    close(gen->bell.fds[1]);
}
