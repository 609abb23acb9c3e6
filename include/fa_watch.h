/* SPDX-License-Identifier: Apache-2.0 */
/**
 * fa_watch: the sync invocations a worker runs now, and when each is due
 * for the function timeout's two steps.
 *
 * Runs in a worker process.  A runner thread enters its invocation when
 * the function starts and leaves when it returns (at most one entry a
 * runner, so the table has one place per thread of the pool).  The
 * worker's watchdog asks what is due: an invocation past the timeout is
 * to be interrupted (FA_WATCH_RAISE), one still running a grace period
 * after that is stuck (FA_WATCH_STUCK) and its worker must go.  Each is
 * given once per invocation.  Pure logic under one mutex, with the clock
 * given by the caller, so it is tested without threads or Python.
 */
#ifndef FA_WATCH_H
#define FA_WATCH_H

#include <apr_pools.h>
#include <apr_time.h>

typedef struct fa_watch fa_watch_t;

typedef enum {
    FA_WATCH_NONE = 0,
    FA_WATCH_RAISE, /* past the timeout: interrupt its thread */
    FA_WATCH_STUCK  /* still running a grace period after that */
} fa_watch_action_e;

/** What is due, copied out of the table under its lock. */
typedef struct fa_watch_due {
    fa_watch_action_e action;
    int entry;           /* for fa_watch_running */
    apr_uint64_t serial; /* the invocation's, for fa_watch_running */
    unsigned long ident; /* its thread (Python's thread ident) */
    apr_time_t started;  /* when the function started */
    char id[64];         /* invocation id */
    char function[128];  /* function name */
} fa_watch_due_t;

/** A table for @a entries runners, with the worker's @a timeout (> 0)
 * and @a grace. */
apr_status_t fa_watch_create(fa_watch_t **watch, apr_pool_t *p, int entries,
                             apr_interval_time_t timeout,
                             apr_interval_time_t grace);

/** Enters an invocation started at @a now in thread @a ident; @a id and
 * @a function are read until fa_watch_leave.  Returns its entry, or -1
 * when the table is full (it then goes unwatched). */
int fa_watch_enter(fa_watch_t *watch, unsigned long ident, apr_time_t now,
                   const char *id, const char *function);

/** Leaves @a entry (-1: nothing).  Returns whether it was given as due
 * (FA_WATCH_RAISE): its thread may have an interruption pending. */
int fa_watch_leave(fa_watch_t *watch, int entry);

/** Whether @a entry still runs invocation @a serial. */
int fa_watch_running(fa_watch_t *watch, int entry, apr_uint64_t serial);

/**
 * What is due at @a now: fills *@a due (marked given, so never twice) and
 * returns 0, or sets due->action to FA_WATCH_NONE and returns how long
 * until the next may be due (at most the timeout: an invocation entered
 * later is due no sooner).
 */
apr_interval_time_t fa_watch_due(fa_watch_t *watch, apr_time_t now,
                                 fa_watch_due_t *due);

#endif
