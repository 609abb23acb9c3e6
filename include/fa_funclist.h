/* SPDX-License-Identifier: Apache-2.0 */
/**
 * fa_funclist: the function list at start, as `func start` prints it: a
 * line for the app (FA095), then one a function (FA096) with its methods
 * and full URL, or its trigger, or why it is not served.
 *
 * Runs in a worker process, once its app is indexed: the first worker of
 * a generation to be ready logs it (fa_funclist_claim), not the ones
 * that replace it after a crash or recycling.  Everything it makes lives
 * in the caller's pool.  The lines are logged at notice, which httpd
 * writes whatever the LogLevel; `funcapp-serve` shows them to users, so
 * their format is stable (README, "The function list").
 */
#ifndef FA_FUNCLIST_H
#define FA_FUNCLIST_H

#include <apr_pools.h>

#include "fa_app.h"

/** Whether the caller is the first of @a app's workers to claim the
 * list in this generation (1 once, then 0): one compare-and-swap in
 * the app's shared memory. */
int fa_funclist_claim(fa_app_t *app);

/**
 * Logs the list of @a app from its function table (@a json, @a len:
 * fa_python_table_t's JSON).  Unconditional: a per-app reload calls it
 * for its new generation.  APR_EGENERAL if the table cannot be read
 * (nothing is logged then).
 */
apr_status_t fa_funclist_log(const fa_app_t *app, const char *json,
                             apr_size_t len, apr_pool_t *p);

#endif
