/* SPDX-License-Identifier: Apache-2.0 */
/* fa_stats: the status page's counters in shared memory (see fa_stats.h). */
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <apr_atomic.h>
#include <apr_file_io.h>
#include <apr_shm.h>
#include <apr_strings.h>

#include "fa_stats.h"

/* A name entry is free, being written by the one child that won it, or
 * ready to be compared. */
#define NAME_FREE 0
#define NAME_WRITING 1
#define NAME_READY 2
/* How long a child waits for another's claim to finish: a child killed
 * mid-claim must not stop the others' tables for good. */
#define CLAIM_WAIT apr_time_from_sec(1)

/* A slot has more than one process while a successor takes over, and a
 * process killed mid-request never takes back what it added: so each
 * process counts in a lane of its own, which the parent empties when it
 * reaps the process.  A successor, its draining predecessor, and rarely
 * the successor's own successor: four lanes; past them processes share
 * the last one, unemptied. */
#define LANES 4

typedef struct lane {
    apr_uint32_t owner; /* pid, 0: free */
    apr_uint32_t busy, queued, async;
    apr_uint64_t served;
} lane_t;

/* Each worker's counters on cache lines of their own: a worker's threads
 * write them on every request, and its neighbours' threads theirs. */
typedef struct worker_stats {
    apr_uint32_t pid;
    apr_uint32_t generation;
    apr_uint32_t spawns;
    apr_uint32_t exit;      /* kind << 16 | status & 0xffff */
    apr_uint32_t exit_hint; /* FA_STATS_EXIT_* for the next exit */
    apr_uint64_t started;
    lane_t lanes[LANES];
} __attribute__((aligned(64))) worker_stats_t;

/* The lane this worker process counts in (a worker serves one slot of
 * one app all its life; the unit tests change them, so it is checked). */
static struct {
    fa_stats_t *st;
    int slot;
    lane_t *lane;
    /* its claimer: getpid() once, as a system call costs about 1 us in
     * a VM (5 a request were 11 % of a hello worker's time).  Only
     * workers and httpd children claim, and neither forks one that
     * counts, so a fork never inherits a claim. */
    apr_uint32_t pid;
} mine;

typedef struct function_stats {
    apr_uint32_t claimed; /* NAME_* */
    apr_uint32_t in_flight;
    char name[FA_STATS_NAME_MAX];
    apr_uint64_t requests, err4xx, err5xx, err504, err429;
    apr_uint64_t sum_usec;
    apr_uint64_t buckets[FA_STATS_BUCKETS + 1];
} function_stats_t;

struct fa_stats {
    int nworkers;
    worker_stats_t *workers;
    /* the named entries, then "(other)" */
    function_stats_t functions[FA_STATS_FUNCTIONS + 1];
};

const double fa_stats_bounds[FA_STATS_BUCKETS] = {
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
    0.5,   1,      2.5,   5,    10,    20,   30,  60};

/* The bounds in microseconds, for the request path's comparisons. */
static const apr_uint64_t bounds_usec[FA_STATS_BUCKETS] = {
    1000,   2500,    5000,    10000,   25000,    50000,    100000,   250000,
    500000, 1000000, 2500000, 5000000, 10000000, 20000000, 30000000, 60000000};

apr_status_t fa_stats_create(fa_stats_t **st, int nworkers, apr_pool_t *pconf)
{
    apr_size_t head = APR_ALIGN(sizeof(fa_stats_t), 64);
    apr_size_t size = head + sizeof(worker_stats_t) * (apr_size_t)nworkers;
    apr_shm_t *shm;
    apr_uintptr_t base;
    apr_status_t rv;
    fa_stats_t *s;

    if (nworkers < 1) {
        return APR_EINVAL;
    }
    /* anonymous: it survives fork and goes with pconf, as the slots */
    if ((rv = apr_shm_create(&shm, size + 64, NULL, pconf)) != APR_SUCCESS) {
        return rv;
    }
    /* APR keeps its own header at the start of anonymous shared memory, so
     * the base is only 16-byte aligned; the workers' lanes want 64 (one
     * cache line each, no false sharing between processes) */
    base = (apr_uintptr_t)apr_shm_baseaddr_get(shm);
    s = (fa_stats_t *)((base + 63) & ~(apr_uintptr_t)63);
    memset(s, 0, size);
    s->nworkers = nworkers;
    s->workers = (worker_stats_t *)((char *)s + head);
    apr_cpystrn(s->functions[FA_STATS_FUNCTIONS].name, FA_STATS_OTHER_NAME,
                FA_STATS_NAME_MAX);
    s->functions[FA_STATS_FUNCTIONS].claimed = NAME_READY;
    *st = s;
    return APR_SUCCESS;
}

int fa_stats_nworkers(const fa_stats_t *st)
{
    return st->nworkers;
}

/* ---- workers ------------------------------------------------------------ */

void fa_stats_worker_started(fa_stats_t *st, int slot, pid_t pid,
                             apr_uint32_t generation, apr_time_t at)
{
    worker_stats_t *w = &st->workers[slot];

    apr_atomic_set64(&w->started, (apr_uint64_t)at);
    apr_atomic_set32(&w->generation, generation);
    apr_atomic_set32(&w->pid, (apr_uint32_t)pid);
    apr_atomic_inc32(&w->spawns);
}

void fa_stats_exit_hint(fa_stats_t *st, int slot, apr_uint32_t why)
{
    apr_atomic_set32(&st->workers[slot].exit_hint, why);
}

/* Empties the lanes of @a pid, a process reaped. */
static void free_lanes(worker_stats_t *w, pid_t pid)
{
    int i;

    for (i = 0; i < LANES; ++i) {
        lane_t *l = &w->lanes[i];
        if (apr_atomic_read32(&l->owner) == (apr_uint32_t)pid) {
            apr_atomic_set32(&l->busy, 0);
            apr_atomic_set32(&l->queued, 0);
            apr_atomic_set32(&l->async, 0);
            apr_atomic_set64(&l->served, 0);
            apr_atomic_set32(&l->owner, 0);
        }
    }
}

void fa_stats_worker_exited(fa_stats_t *st, int slot, pid_t pid, int replaced,
                            int status)
{
    worker_stats_t *w = &st->workers[slot];
    apr_uint32_t kind = apr_atomic_xchg32(&w->exit_hint, FA_STATS_EXIT_NONE);

    free_lanes(w, pid);
    if (kind == FA_STATS_EXIT_NONE) {
        kind = replaced ? FA_STATS_EXIT_RECYCLED : FA_STATS_EXIT_STATUS;
    }
    apr_atomic_set32(&w->exit, kind << 16 | ((apr_uint32_t)status & 0xffff));
}

/* The calling process's lane of @a slot, claimed at its first request
 * (on the worker's I/O thread, before any runner counts). */
static lane_t *lane_of(fa_stats_t *st, int slot)
{
    worker_stats_t *w = &st->workers[slot];
    apr_uint32_t me;
    int i;

    /* the owner is checked too: a unit test's next fa_stats_t may come
     * at the address of the last */
    if (mine.st == st && mine.slot == slot
        && (mine.lane == &w->lanes[LANES - 1]
            || apr_atomic_read32(&mine.lane->owner) == mine.pid)) {
        return mine.lane;
    }
    me = (apr_uint32_t)getpid();
    for (i = 0; i < LANES - 1; ++i) {
        if (apr_atomic_read32(&w->lanes[i].owner) == me
            || apr_atomic_cas32(&w->lanes[i].owner, me, 0) == 0) {
            break;
        }
    }
    mine.lane = &w->lanes[i]; /* the last one is shared, never owned */
    mine.slot = slot;
    mine.st = st;
    mine.pid = me;
    return mine.lane;
}

void fa_stats_dispatched(fa_stats_t *st, int slot, int is_async)
{
    lane_t *l = lane_of(st, slot);

    apr_atomic_inc32(is_async ? &l->async : &l->queued);
}

void fa_stats_run_begin(fa_stats_t *st, int slot)
{
    lane_t *l = lane_of(st, slot);

    apr_atomic_dec32(&l->queued);
    apr_atomic_inc32(&l->busy);
}

void fa_stats_run_end(fa_stats_t *st, int slot)
{
    apr_atomic_dec32(&lane_of(st, slot)->busy);
}

void fa_stats_answered(fa_stats_t *st, int slot, int is_async)
{
    lane_t *l = lane_of(st, slot);

    if (is_async) {
        apr_atomic_dec32(&l->async);
    }
    apr_atomic_inc64(&l->served);
}

void fa_stats_worker_read(fa_stats_t *st, int slot, fa_stats_worker_view_t *v)
{
    worker_stats_t *w = &st->workers[slot];
    apr_uint32_t spawns = apr_atomic_read32(&w->spawns);
    apr_uint32_t exit = apr_atomic_read32(&w->exit);
    int i;

    v->pid = (pid_t)apr_atomic_read32(&w->pid);
    v->generation = apr_atomic_read32(&w->generation);
    v->started = (apr_time_t)apr_atomic_read64(&w->started);
    v->restarts = spawns ? spawns - 1 : 0;
    v->busy = v->queued = v->async = 0;
    v->served = 0;
    for (i = 0; i < LANES; ++i) {
        v->busy += apr_atomic_read32(&w->lanes[i].busy);
        v->queued += apr_atomic_read32(&w->lanes[i].queued);
        v->async += apr_atomic_read32(&w->lanes[i].async);
        v->served += apr_atomic_read64(&w->lanes[i].served);
    }
    v->exit_kind = exit >> 16;
    v->exit_status = (int)(exit & 0xffff);
}

const char *fa_stats_exit_text(const fa_stats_worker_view_t *v, char *buf,
                               apr_size_t len)
{
    switch (v->exit_kind) {
    case FA_STATS_EXIT_STATUS:
        /* httpd hands the parent an exit code or a signal number without
         * saying which (see fa_supervisor.c) */
        apr_snprintf(buf, len, "status %d", v->exit_status);
        return buf;
    case FA_STATS_EXIT_RECYCLED:
        return "recycled";
    case FA_STATS_EXIT_STUCK:
        return "stuck";
    case FA_STATS_EXIT_STALLED:
        return "stalled";
    default:
        return "";
    }
}

apr_status_t fa_stats_rss(pid_t pid, apr_uint64_t *bytes)
{
    char path[64], text[128];
    unsigned long size, resident;
    apr_size_t n = sizeof(text) - 1;
    apr_file_t *f;
    apr_pool_t *p;
    apr_status_t rv;

    apr_snprintf(path, sizeof(path), "/proc/%ld/statm", (long)pid);
    apr_pool_create(&p, NULL);
    rv = apr_file_open(&f, path, APR_FOPEN_READ, 0, p);
    if (rv == APR_SUCCESS) {
        rv = apr_file_read(f, text, &n);
    }
    apr_pool_destroy(p);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    text[n] = '\0';
    if (sscanf(text, "%lu %lu", &size, &resident) != 2) {
        return APR_EGENERAL;
    }
    *bytes = (apr_uint64_t)resident * (apr_uint64_t)sysconf(_SC_PAGESIZE);
    return APR_SUCCESS;
}

/* ---- functions ---------------------------------------------------------- */

/* Entry @a i once its claim is over: whether it holds @a name.  A claim
 * that never ends (its child died) is skipped after CLAIM_WAIT. */
static int entry_is(function_stats_t *e, const char *name)
{
    apr_time_t until = 0;

    while (apr_atomic_read32(&e->claimed) == NAME_WRITING) {
        if (!until) {
            until = apr_time_now() + CLAIM_WAIT;
        }
        else if (apr_time_now() > until) {
            return 0;
        }
        sched_yield();
    }
    return !strcmp(e->name, name);
}

int fa_stats_function_index(fa_stats_t *st, const char *name)
{
    int i;

    if (!st || !name || strlen(name) >= FA_STATS_NAME_MAX) {
        return FA_STATS_FUNCTIONS;
    }
    /* Claims go in order, and a looker waits for a claim in progress
     * before going past it, so two children never claim one name twice. */
    for (i = 0; i < FA_STATS_FUNCTIONS; ++i) {
        function_stats_t *e = &st->functions[i];
        if (apr_atomic_cas32(&e->claimed, NAME_WRITING, NAME_FREE)
            == NAME_FREE) {
            apr_cpystrn(e->name, name, FA_STATS_NAME_MAX);
            apr_atomic_set32(&e->claimed, NAME_READY);
            return i;
        }
        if (entry_is(e, name)) {
            return i;
        }
    }
    return FA_STATS_FUNCTIONS;
}

void fa_stats_request_begin(fa_stats_t *st, int fn)
{
    apr_atomic_inc32(&st->functions[fn].in_flight);
}

void fa_stats_request_end(fa_stats_t *st, int fn, int status,
                          apr_interval_time_t elapsed)
{
    function_stats_t *e = &st->functions[fn];
    apr_uint64_t usec = elapsed > 0 ? (apr_uint64_t)elapsed : 0;
    int b = 0;

    while (b < FA_STATS_BUCKETS && usec > bounds_usec[b]) {
        ++b;
    }
    apr_atomic_inc64(&e->buckets[b]);
    apr_atomic_add64(&e->sum_usec, usec);
    if (status == 429) {
        apr_atomic_inc64(&e->err429);
    }
    else if (status == 504) {
        apr_atomic_inc64(&e->err504);
    }
    else if (status >= 500) {
        apr_atomic_inc64(&e->err5xx);
    }
    else if (status >= 400) {
        apr_atomic_inc64(&e->err4xx);
    }
    apr_atomic_inc64(&e->requests);
    apr_atomic_dec32(&e->in_flight);
}

int fa_stats_function_read(fa_stats_t *st, int fn, fa_stats_function_view_t *v)
{
    function_stats_t *e = &st->functions[fn];
    int b;

    if (apr_atomic_read32(&e->claimed) != NAME_READY) {
        return 0;
    }
    v->requests = apr_atomic_read64(&e->requests);
    if (fn == FA_STATS_FUNCTIONS && !v->requests) {
        return 0;
    }
    apr_cpystrn(v->name, e->name, sizeof(v->name));
    v->in_flight = apr_atomic_read32(&e->in_flight);
    v->err4xx = apr_atomic_read64(&e->err4xx);
    v->err5xx = apr_atomic_read64(&e->err5xx);
    v->err504 = apr_atomic_read64(&e->err504);
    v->err429 = apr_atomic_read64(&e->err429);
    v->sum_usec = apr_atomic_read64(&e->sum_usec);
    for (b = 0; b <= FA_STATS_BUCKETS; ++b) {
        v->buckets[b] = apr_atomic_read64(&e->buckets[b]);
    }
    return 1;
}

double fa_stats_quantile(const apr_uint64_t *buckets, double q)
{
    apr_uint64_t total = 0, below = 0;
    double rank, lower;
    int b;

    for (b = 0; b <= FA_STATS_BUCKETS; ++b) {
        total += buckets[b];
    }
    if (!total) {
        return -1;
    }
    rank = q * (double)total;
    for (b = 0; b < FA_STATS_BUCKETS; ++b) {
        if ((double)(below + buckets[b]) >= rank && buckets[b]) {
            lower = b ? fa_stats_bounds[b - 1] : 0;
            return lower
                + (fa_stats_bounds[b] - lower) * (rank - (double)below)
                / (double)buckets[b];
        }
        below += buckets[b];
    }
    return fa_stats_bounds[FA_STATS_BUCKETS - 1];
}
