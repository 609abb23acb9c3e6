/* SPDX-License-Identifier: Apache-2.0 */
/**
 * fa_supervisor_private: the httpd parent's records of a generation and
 * its workers, shared by fa_supervisor.c (start, restart, retire) and
 * fa_succession.c (successors for recycled workers, the doorbell).
 *
 * Parent only, on httpd's main thread: other-child callbacks and pool
 * cleanups run there, one at a time, so nothing here is locked.
 */
#ifndef FA_SUPERVISOR_PRIVATE_H
#define FA_SUPERVISOR_PRIVATE_H

#include <apr_thread_proc.h>

#include "fa_supervisor.h"

typedef struct generation generation_t;
typedef struct fa_reload_watcher fa_reload_watcher_t;

typedef struct worker_rec {
    generation_t *gen;
    fa_app_t *app;
    int slot;
    apr_proc_t proc;
    apr_time_t started;
    int quick_deaths; /* in a row; drives the back-off */
    int alive;
    int replaced;       /* a successor was started for it */
    int handed_over;    /* and is ready: this one was told to drain */
    int stall_killed;   /* sent SIGKILL for missing heartbeats (FA080):
                         * once, though it may be reaped a round later */
    int superseded;     /* a successor killed by a reload before ready */
    apr_pool_t *ocpool; /* its other-child registration, one a spawn */
} worker_rec_t;

/* The generation's doorbell process (fa_doorbell.h). */
typedef struct bell {
    apr_proc_t proc;
    apr_pool_t *pool; /* its registration, one a ring */
    int fds[2];       /* the pipe: read end for the bell, write end for
                       * the workers */
    int alive;
} bell_t;

struct generation {
    apr_pool_t *pool; /* pconf */
    apr_array_header_t *apps;
    apr_array_header_t *workers;   /* of worker_rec_t * */
    apr_array_header_t *listeners; /* of listener_t * */
    pid_t parent;                  /* only the parent retires: children and
                            * workers inherit the pconf cleanup */
    fa_logger_t log;
    fa_draining_t *draining;
    int (*exiting)(void);
    fa_worker_entry_fn *entry;
    bell_t bell;
    apr_array_header_t *watchers; /* of fa_reload_watcher_t * */
};

/* ---- fa_supervisor.c ---------------------------------------------------- */

/** Forks @a w's worker (after @a delay, in the worker) and registers it
 * for maintenance. */
void fa_supervisor_spawn(worker_rec_t *w, apr_interval_time_t delay);
/** The app's folder, for log lines. */
const char *fa_supervisor_app_name(const fa_app_t *app);

/* ---- fa_succession.c ---------------------------------------------------- */

/** A record for a new worker of @a slot, a reaped replaced one reused. */
worker_rec_t *fa_succession_make_rec(generation_t *gen, fa_app_t *app,
                                     int slot);
/** The doorbell pipe, its write end given to every app. */
apr_status_t fa_succession_open(generation_t *gen);
/** Forks the bell process; when it rings, the asks are taken and a new
 * bell started. */
void fa_succession_start_bell(generation_t *gen);
/** At retirement: the bell killed and reaped, the pipe closed. */
void fa_succession_close(generation_t *gen);
/** Whether a worker of @a slot other than its current one (a successor,
 * still starting) serves: the slot is not down when the successor is. */
int fa_succession_predecessor_serves(generation_t *gen, fa_app_t *app,
                                     int slot);

/* ---- fa_reload_parent.c ------------------------------------------------- */

/** Forks the watcher of each app with FunctionAppReload touch or watch. */
void fa_reload_start(generation_t *gen);
/** At retirement: the watchers killed and reaped. */
void fa_reload_stop(generation_t *gen);

#endif
