/* SPDX-License-Identifier: Apache-2.0 */
/**
 * fa_worker: a worker process.
 *
 * Runs in a worker process, forked by the supervisor in the httpd parent.
 * Its stages: set up the process (name, signals, privileges, back-off),
 * open what it serves with (Python and the app, the pollset, the run
 * queue and thread pool), serve until drained.  One I/O thread reads
 * request frames from every connection (apr_pollset), without the GIL.  A
 * request for a def function joins the run queue (fa_runq) for the
 * thread pool of PythonThreadpoolThreadCount threads, one for an async def
 * function goes to the event loop thread (fa_python); the thread that ran
 * it writes the response and hands the connection back with one
 * compare-and-swap of its state, so only one thread ever reads or writes a
 * connection at a time.
 */
#ifndef FA_WORKER_H
#define FA_WORKER_H

#include <apr_pools.h>

#include "fa_app.h"

/**
 * Runs worker @a slot of @a app in the freshly forked process; never
 * returns.  Waits @a delay first (the supervisor's back-off), and exits
 * with status 0 after a drain (SIGTERM), non-zero if it could not start.
 */
void fa_worker_main(fa_app_t *app, int slot, apr_interval_time_t delay,
                    apr_pool_t *p) __attribute__((noreturn));

#endif
