/* SPDX-License-Identifier: Apache-2.0 */
/**
 * fa_supervisor: the httpd parent's side of the worker processes.
 *
 * For each generation (start-up and every graceful restart) it makes one
 * listening Unix socket a worker slot, forks the workers, and restarts any
 * that dies, at once, or with back-off when it keeps dying on start-up.  The
 * listening sockets belong to the parent, so connections queued while a
 * worker is replaced wait in the backlog instead of failing.  When the
 * generation is retired (pconf cleanup on restart or stop), its workers get
 * SIGTERM and finish what they have in flight; their deaths are still
 * reaped here, so httpd never sees an unknown child.
 */
#ifndef FA_SUPERVISOR_H
#define FA_SUPERVISOR_H

#include <sys/types.h>

#include <apr_pools.h>
#include <apr_tables.h>

#include "fa_app.h"

/**
 * Runs worker @a slot of @a app in a freshly forked process, after waiting
 * @a delay (the restart back-off); @a p is the process's own pool.  Should
 * not return: it exits with one of fa_exit.h's codes (the process exits
 * with FA_EXIT_SETUP if it does return).  The glue passes fa_worker_main;
 * passing it in keeps Python out of the supervisor, so tests link it alone.
 */
typedef void fa_worker_entry_fn(fa_app_t *app, int slot,
                                apr_interval_time_t delay, apr_pool_t *p);

/**
 * Creates the shared slots and the listening sockets of @a apps (an array
 * of fa_app_t *), forks their workers into @a entry and arranges for the
 * generation to be retired when @a pconf is cleared.  @a plong outlives
 * pconf (httpd's process pool), so old workers are reaped after a graceful
 * restart.  @a exiting tells, at retirement, whether httpd is stopping
 * rather than restarting: then the workers are reaped (SIGKILL after 3 s)
 * before the parent exits.  Each listener is closed and unlinked with
 * pconf, also when a later one fails.
 */
apr_status_t fa_supervisor_start(apr_pool_t *pconf, apr_pool_t *plong,
                                 apr_array_header_t *apps,
                                 const fa_logger_t *log, int (*exiting)(void),
                                 fa_worker_entry_fn *entry);

/** Installs a no-op SIGCHLD handler in the parent so httpd's one-second
 * wait for dead children returns early and a dead worker is replaced in
 * milliseconds; fa_supervisor_child_signals undoes it in httpd children. */
void fa_supervisor_parent_signals(void);
void fa_supervisor_child_signals(void);

/* ---- the policies, exposed for the unit tests ------------------------- */

/**
 * The delay before restarting a worker that died after @a lived.  Deaths
 * within 5 s of a start, in a row, count in *@a quick_deaths and wait
 * 100 ms, doubling each time up to 10 s; a longer life resets the count
 * and the restart is immediate.
 */
apr_interval_time_t fa_supervisor_backoff(int *quick_deaths,
                                          apr_interval_time_t lived);

/**
 * The draining ledger: pids of retired generations' workers that are
 * still finishing requests.  httpd unloads and reloads this module at
 * every restart, so no callback of ours may outlive pconf: each generation
 * hands the ledger (kept in httpd's process pool) to the next, which reaps
 * those workers with its own code.
 */
#define FA_MAX_DRAINING 1024
typedef struct fa_draining fa_draining_t;

/** The ledger kept in @a plong, made empty on first use. */
fa_draining_t *fa_draining_get(apr_pool_t *plong);
/** APR_ENOSPC when FA_MAX_DRAINING pids are in already. */
apr_status_t fa_draining_add(fa_draining_t *dr, pid_t pid);
/** Takes @a pid out (reaped); unknown pids are ignored. */
void fa_draining_forget(fa_draining_t *dr, pid_t pid);
int fa_draining_count(const fa_draining_t *dr);

#endif
