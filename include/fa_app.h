/* SPDX-License-Identifier: Apache-2.0 */
/**
 * fa_app: one function app at run time, as the httpd parent, its children
 * and the app's worker processes all see it.
 *
 * The parent builds it in post_config for every generation (each graceful
 * restart makes a new one), before the MPM forks, so children and workers
 * inherit it, including the slot array in anonymous shared memory.
 * Everything here is the parent's and read-only elsewhere, except the
 * slots, which every process of the app writes through fa_slot.h.
 */
#ifndef FA_APP_H
#define FA_APP_H

#include <apr_pools.h>

#include "fa_config.h"
#include "fa_io.h"
#include "fa_keys.h"
#include "fa_log.h"
#include "fa_slot.h"

/**
 * One worker process's place, in memory shared by the parent, its children
 * and the app's workers; touched only through fa_slot.h.
 *
 * outstanding: added to and taken from by httpd children (a request sent
 *              and awaited); read by children to pick the least busy.
 * state:       FA_SLOT_DOWN, _STARTING or _READY (fa_slot.h): the worker
 *              sets STARTING after its restart back-off and READY once it
 *              has indexed the app; the parent sets DOWN when it reaps it.
 *              Read by children to prefer a free thread, then one about
 *              to be ready, over a queue behind a busy worker.
 * incarnation: bumped by a worker when it stops listening (it is being
 *              replaced or stopped); children drop pooled connections made
 *              before, which lead to that worker, instead of sending on them.
 * asks:        FA_SLOT_ASK_* bits a worker sets for the parent, which takes
 *              them when the doorbell rings (fa_doorbell.h).
 * retiring:    set by the parent while a successor for the slot's worker
 *              starts; read by that successor once ready.
 * beat:        the worker's I/O thread's heartbeat (fa_slot_beat), at
 *              least once a second; children and the parent read it to
 *              tell a stalled worker (SIGSTOP, a hung machine) from a slow
 *              function.
 */
struct fa_slot {
    apr_uint32_t outstanding;
    apr_uint32_t state;
    apr_uint32_t incarnation;
    apr_uint32_t asks;
    apr_uint32_t retiring;
    apr_uint32_t beat;
};

typedef struct fa_app fa_app_t;

/** Runs in every new worker process before Python starts: the glue closes
 * httpd's listeners there and drops root privileges. */
typedef apr_status_t fa_worker_init_fn(fa_app_t *app, apr_pool_t *p);

struct fa_app {
    int id; /* among this generation's apps */
    apr_uint32_t generation;
    fa_app_config_t *config;
    int nslots;                  /* = config->process_count */
    fa_slot_t *slots;            /* shared memory, see fa_slot.h */
    struct fa_stats *stats;      /* shared memory, see fa_stats.h */
    const char **socket_paths;   /* one a slot */
    fa_io_addr_t **socket_addrs; /* one a slot, built once */
    int *listen_fds;             /* made by the parent, one a slot */
    long worker_uid, worker_gid; /* owner of the sockets; -1 to keep */
    int python_log_level;        /* logging.* level for the workers */
    const char *base_url;        /* scheme://host[:port] of the server that
                           * serves it, for the function list */
    fa_logger_t log;
    fa_keys_t *keys; /* NULL when off; wiped in every worker process */
    int doorbell;    /* write end of the generation's doorbell pipe */
    struct fa_timer_shared *timers; /* shared memory, see fa_timer.h */
    const char *timer_dir; /* where useMonitor timers keep their state */
    fa_worker_init_fn *worker_init;
    void *glue; /* the glue's own data (server_rec) */
};

#endif
