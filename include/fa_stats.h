/* SPDX-License-Identifier: Apache-2.0 */
/**
 * fa_stats: an app's counters for the status page, in memory shared by
 * the httpd parent, its children and the app's workers.
 *
 * The parent makes them in fa_supervisor_start for every generation, next
 * to the slots (anonymous shared memory in pconf, inherited by every
 * child and worker; a graceful restart starts them from zero, as
 * Prometheus expects of a counter after a restart).  Who writes what:
 * - the parent, per worker slot: pid, start time and spawns when it forks
 *   the slot's worker, the last exit when it reaps one;
 * - a worker, in its own slot: requests queued, threads busy, async tasks
 *   running, requests served, each process in a lane of its own that the
 *   parent empties when it reaps the process (a successor and its
 *   draining predecessor share a slot; a killed worker gives nothing
 *   back); a slot shows the sum of its live processes;
 * - httpd children, per function: requests, errors, in flight and the
 *   latency histogram; a function's entry is claimed by name once, when a
 *   child parses the function table;
 * - anyone reads, at any time: the status page renders a snapshot.
 * Every field is written with apr_atomic_* and never under a lock, so the
 * request path pays a few atomic adds; a snapshot may be a request apart
 * between two counters, never torn within one.
 */
#ifndef FA_STATS_H
#define FA_STATS_H

#include <sys/types.h>

#include <apr_pools.h>
#include <apr_time.h>

typedef struct fa_stats fa_stats_t;

/** Named function entries; functions past them share one "(other)". */
#define FA_STATS_FUNCTIONS 128
/** Longest name kept, with its NUL; a longer one counts as "(other)". */
#define FA_STATS_NAME_MAX 128
#define FA_STATS_OTHER_NAME "(other)"
/** Finite histogram buckets (upper bounds, fa_stats_bounds); one more,
 * +Inf, follows them. */
#define FA_STATS_BUCKETS 16

/** The buckets' upper bounds in seconds, from 1 ms to 60 s. */
extern const double fa_stats_bounds[FA_STATS_BUCKETS];

/** Why a slot's last worker went (fa_stats_worker_exited). */
#define FA_STATS_EXIT_NONE 0     /* none went yet */
#define FA_STATS_EXIT_STATUS 1   /* died: an exit code or a signal */
#define FA_STATS_EXIT_RECYCLED 2 /* replaced by a successor (limits) */
#define FA_STATS_EXIT_STUCK 3    /* retired for a stuck thread */
#define FA_STATS_EXIT_STALLED 4  /* killed for missing its heartbeats */

/** Parent: zeroed counters for @a nworkers slots and the function table,
 * in shared memory that lives as long as @a pconf. */
apr_status_t fa_stats_create(fa_stats_t **st, int nworkers, apr_pool_t *pconf);

/* ---- the parent, per worker slot ---------------------------------------- */

/** The slot's worker @a pid was forked, of @a generation, starting at
 * @a at (after its back-off). */
void fa_stats_worker_started(fa_stats_t *st, int slot, pid_t pid,
                             apr_uint32_t generation, apr_time_t at);
/** Worker @a pid of the slot was reaped: what it counted goes (it may
 * have died mid-request); @a replaced if a successor had been started for
 * it (then its reason is RECYCLED, or the one a hint gave), else its
 * @a status (exit code or signal), or the hint's. */
void fa_stats_worker_exited(fa_stats_t *st, int slot, pid_t pid, int replaced,
                            int status);
/** Says why the slot's worker is about to go (STUCK from the worker,
 * STALLED from the parent), for the next fa_stats_worker_exited. */
void fa_stats_exit_hint(fa_stats_t *st, int slot, apr_uint32_t why);

/* ---- a worker, in its own slot ------------------------------------------ */

/** A request arrived: queued for a thread (sync) or a task (async). */
void fa_stats_dispatched(fa_stats_t *st, int slot, int is_async);
/** A thread took a queued request, and later was done with it. */
void fa_stats_run_begin(fa_stats_t *st, int slot);
void fa_stats_run_end(fa_stats_t *st, int slot);
/** A request was answered (or dropped): served once more. */
void fa_stats_answered(fa_stats_t *st, int slot, int is_async);

/* ---- httpd children, per function --------------------------------------- */

/** The entry of function @a name, claimed if new: 0 ..
 * FA_STATS_FUNCTIONS - 1, or FA_STATS_FUNCTIONS ("(other)") once the
 * table is full, for a name too long or without @a st (unit tests of the
 * dispatch).  Called when a child parses the
 * function table, not per request. */
int fa_stats_function_index(fa_stats_t *st, const char *name);
/** A request of function @a fn is in, and its answer went out with
 * @a status after @a elapsed. */
void fa_stats_request_begin(fa_stats_t *st, int fn);
void fa_stats_request_end(fa_stats_t *st, int fn, int status,
                          apr_interval_time_t elapsed);

/* ---- snapshots, for the status page ------------------------------------- */

typedef struct fa_stats_worker_view {
    pid_t pid; /* 0: never started */
    apr_uint32_t generation;
    apr_time_t started;
    apr_uint32_t restarts; /* forks of the slot after its first */
    apr_uint32_t busy, queued, async;
    apr_uint64_t served;    /* by the slot's processes alive */
    apr_uint32_t exit_kind; /* FA_STATS_EXIT_* */
    int exit_status;        /* for FA_STATS_EXIT_STATUS */
} fa_stats_worker_view_t;

typedef struct fa_stats_function_view {
    char name[FA_STATS_NAME_MAX];
    apr_uint64_t requests, in_flight;
    apr_uint64_t err4xx, err5xx, err504, err429; /* apart: 4xx is not 429,
                                                  * 5xx is not 504 */
    apr_uint64_t buckets[FA_STATS_BUCKETS + 1];  /* per bucket, +Inf last;
                                                 * not cumulative */
    apr_uint64_t sum_usec;
} fa_stats_function_view_t;

int fa_stats_nworkers(const fa_stats_t *st);
void fa_stats_worker_read(fa_stats_t *st, int slot, fa_stats_worker_view_t *v);
/** Entry @a fn (0 .. FA_STATS_FUNCTIONS, the last "(other)"): 0 if it is
 * not claimed (or "(other)" saw no request), else 1 and *@a v. */
int fa_stats_function_read(fa_stats_t *st, int fn, fa_stats_function_view_t *v);

/** The @a q quantile (0..1) of a histogram's per-bucket counts, as
 * Prometheus' histogram_quantile estimates it: linear within the bucket
 * it falls in, the last finite bound for +Inf; -1 when it is empty. */
double fa_stats_quantile(const apr_uint64_t *buckets, double q);

/** The resident size of process @a pid (/proc/PID/statm), in bytes. */
apr_status_t fa_stats_rss(pid_t pid, apr_uint64_t *bytes);

/** A few words for an exit: "recycled", "stuck", "stalled", "exit 3",
 * "signal 9", "" for none; @a buf has @a len bytes. */
const char *fa_stats_exit_text(const fa_stats_worker_view_t *v, char *buf,
                               apr_size_t len);

#endif
