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

#include <apr_pools.h>

#include "fa_app.h"

/**
 * Creates the shared slots and the listening sockets of @a apps (an array
 * of fa_app_t *), forks their workers and arranges for the generation to be
 * retired when @a pconf is cleared.  @a plong outlives pconf (httpd's
 * process pool), so old workers are reaped after a graceful restart.
 * @a exiting tells, at retirement, whether httpd is stopping rather than
 * restarting: then the workers are reaped (SIGKILL after 3 s) before the
 * parent exits.
 */
apr_status_t fa_supervisor_start(apr_pool_t *pconf, apr_pool_t *plong,
                                 apr_array_header_t *apps,
                                 const fa_logger_t *log, int (*exiting)(void));

/** Installs a no-op SIGCHLD handler in the parent so httpd's one-second
 * wait for dead children returns early and a dead worker is replaced in
 * milliseconds; fa_supervisor_child_signals undoes it in httpd children. */
void fa_supervisor_parent_signals(void);
void fa_supervisor_child_signals(void);

#endif
