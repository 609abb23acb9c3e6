/* SPDX-License-Identifier: Apache-2.0 */
/**
 * fa_timer: timer triggers, run as a singleton per app as Azure runs
 * them: each tick runs once, in one of the app's workers.
 *
 * The httpd parent makes the app's timer area in shared memory (one
 * generation's, like the slots) and the directory the tick states are
 * kept in.  Every worker of an app with timers runs a timer thread that
 * computes each timer's next tick (fa_cron) and, when it comes, claims it
 * with a compare-and-swap of the timer's last claimed tick in the shared
 * area: one worker wins, the others see the tick taken.  The winner sends
 * the invocation to its own slot's socket, as an httpd child sends a
 * request, so the function runs on the thread pool or the event loop like
 * any other, and waits for the answer in a thread of its own.  Who runs a
 * timer now (its pid) is in the shared area too: a tick that finds the
 * previous run still going is skipped.  The first worker of a generation
 * makes the start-up runs (runOnStartup, and a past-due run when a
 * useMonitor timer's state file says a tick was missed while httpd was
 * down).
 */
#ifndef FA_TIMER_H
#define FA_TIMER_H

#include <signal.h>

#include <apr_pools.h>

#include "fa_app.h"

/** An app's timer area (its fields are fa_timer.c's). */
typedef struct fa_timer_shared fa_timer_shared_t;

/** Timers of one app that are scheduled; more are refused (logged). */
#define FA_TIMER_MAX 64

/** Parent, for each generation: the app's timer area, and the state
 * directory (@a app->timer_dir) made for the workers' user. */
apr_status_t fa_timer_create(fa_app_t *app, apr_pool_t *p);

/**
 * Worker, once the app is indexed: schedules the timers of the function
 * table @a json (entries whose "trigger" is "timerTrigger", with
 * "schedule", "run_on_startup", "use_monitor"), unless the app's timers
 * are off, in a thread that stops claiming ticks once *@a stop is set.
 * Sets the process's TZ from WEBSITE_TIME_ZONE (or TZ) when one is set.
 */
apr_status_t fa_timer_start(fa_app_t *app, int slot, const char *json,
                            apr_size_t len, volatile sig_atomic_t *stop,
                            apr_pool_t *p);

#endif
