/* SPDX-License-Identifier: Apache-2.0 */
/* fa_worker_recycle: a worker's side of recycling (fa_recycle.h): it
 * counts its requests and watches its size, and asks the parent for a
 * successor once, through the doorbell; and the retirement of a worker
 * that cannot go on. */
#include <unistd.h>

#include <apr_atomic.h>
#include <apr_general.h>

#include "fa_doorbell.h"
#include "fa_recycle.h"
#include "fa_slot.h"
#include "fa_stats.h"
#include "fa_worker_private.h"

/* How often a worker past FunctionWorkerMaxMemory is noticed, at most: a
 * look at /proc costs three system calls. */
#define MEMORY_CHECK_INTERVAL apr_time_from_msec(100)

/* Asks the parent for a successor, once; 1 if this call asked. */
static int ask_successor(worker_t *w)
{
    if (apr_atomic_cas32(&w->replace_asked, 1, 0) != 0) {
        return 0;
    }
    fa_slot_ask(w->app->slots, w->slot, FA_SLOT_ASK_REPLACE);
    fa_doorbell_ring(w->app->doorbell);
    return 1;
}

static void check_memory(worker_t *w)
{
    apr_uint64_t limit = w->app->config->max_memory, rss;
    apr_time_t now = apr_time_now();

    if (now - w->memory_checked < MEMORY_CHECK_INTERVAL) {
        return;
    }
    w->memory_checked = now;
    if (fa_recycle_rss(&rss) == APR_SUCCESS && rss > limit
        && ask_successor(w)) {
        fa_log(&w->app->log, FA_LOG_WARNING, 0,
               "FA076: worker %d (pid %ld) uses %" APR_UINT64_T_FMT
               " kB, past FunctionWorkerMaxMemory (%" APR_UINT64_T_FMT
               " kB); a successor replaces it",
               w->slot, (long)getpid(), rss / 1024, limit / 1024);
    }
}

void fa_worker_request_done(worker_t *w)
{
    apr_uint32_t served = apr_atomic_inc32(&w->served) + 1;

    if (served == w->recycle_at && ask_successor(w)) {
        fa_log(&w->app->log, FA_LOG_INFO, 0,
               "FA075: worker %d (pid %ld) served %u requests "
               "(FunctionWorkerMaxRequests %u, jitter %u); a successor "
               "replaces it",
               w->slot, (long)getpid(), served, w->app->config->max_requests,
               w->app->config->max_requests_jitter);
    }
    if (w->app->config->max_memory) {
        check_memory(w);
    }
}

void fa_worker_retire_now(worker_t *w, const char *why)
{
    (void)why; /* the caller said it in its own line */
    fa_stats_exit_hint(w->app->stats, w->slot, FA_STATS_EXIT_STUCK);
    /* children send elsewhere until the successor is ready */
    fa_slot_set_dead(w->app->slots, w->slot);
    ask_successor(w);
    fa_worker_draining = 1;
    apr_pollset_wakeup(w->pollset);
}

/* The recycling limit of this worker, its jitter drawn once. */
void fa_worker_set_recycle_limit(worker_t *w)
{
    const fa_app_config_t *cfg = w->app->config;
    apr_uint32_t random = (apr_uint32_t)getpid();

    if (!cfg->max_requests) {
        return;
    }
    apr_generate_random_bytes((unsigned char *)&random, sizeof(random));
    w->recycle_at =
        fa_recycle_limit(cfg->max_requests, cfg->max_requests_jitter, random);
}
