/* SPDX-License-Identifier: Apache-2.0 */
/**
 * fa_runq: the worker process's queue of sync requests and the rule that
 * decides how many threads run them.
 *
 * Runs in a worker process.  The keeper (the I/O thread) pushes the
 * requests it read in one poll round as a batch and asks when to look
 * again; runners (tasks on the worker's thread pool) take requests one
 * after another until none is left.  The queue owns nothing it holds:
 * items are embedded in the caller's objects (the worker's connections).
 * Everything the runners and the keeper share is under the queue's own
 * lock; what only the keeper touches (the stall watch) needs none.
 *
 * Why runners and a stall rule: a thread a request makes every thread
 * fight for the GIL (with 32 threads, a function of a few microseconds
 * costs its worker some 16 futex calls a request and a quarter of its
 * throughput).  So while a few runners keep the queue moving, no more are
 * started; once it has not moved for the stall time and no runner is on a
 * CPU (or waiting for one), the runners are blocked (sleeping, waiting on
 * I/O) and the waiting requests get runners of their own, up to
 * PythonThreadpoolThreadCount, as on Azure.
 *
 * Leader/follower (fa_runq_follow): a runner whose queue is empty does
 * not end but waits to lead.  One thread at a time leads: it polls the
 * worker's connections (the lead hook).  A runner that leads and reads
 * requests keeps the lead and runs them itself, one after another, then
 * polls again: nobody is woken on the requests' path, and one thread at a
 * time wants the GIL (waking a follower for each batch cost a hello
 * worker 0.6 context switches and 15-25 us a request).  Nobody polls while
 * it runs, so the keeper (the worker's I/O thread, which never runs
 * Python) watches it in steps of the stall time: once a request has run
 * that long, the keeper takes the lead, and what the runner had queued
 * gets runners by the stall rule.  The keeper also leads whenever no
 * runner can (draining, none started yet) and hands the lead back to a
 * runner that asks for it (a runner that finds the queue empty while the
 * keeper leads wakes the keeper's poll).
 *
 * The thread pool, the "is a runner on a CPU" probe and the clock are
 * passed in, so the rule can be tested with a fake clock.
 */
#ifndef FA_RUNQ_H
#define FA_RUNQ_H

#include <sys/types.h>

#include <apr_pools.h>
#include <apr_time.h>

typedef struct fa_runq fa_runq_t;

/** Embedded in what is queued; the queue links it, the owner frees it. */
typedef struct fa_runq_item {
    struct fa_runq_item *next;
} fa_runq_item_t;

/** The requests read in one poll round: they join the queue together, in
 * one hold of its lock.  The leader only. */
typedef struct fa_runq_batch {
    fa_runq_item_t *head, *tail;
    int n;
} fa_runq_batch_t;

typedef struct fa_runq_hooks {
    void *baton;
    /** Starts one runner: a task that calls fa_runq_run (the worker
     * pushes one to its thread pool).  Called with the queue's lock. */
    void (*start_runner)(void *baton);
    /** Runs one request, without the queue's lock. */
    void (*run)(void *baton, fa_runq_item_t *item);
    /** Whether one of @a tids is on a CPU or waiting for one: then the
     * queue is slow, not blocked, and more runners would only fight for
     * the GIL and the CPUs. */
    int (*any_running)(void *baton, const pid_t *tids, int n);
    /** Idle threads of the pool now. */
    int (*idle_threads)(void *baton);
    /** Makes the pool create @a n threads for runners it left waiting. */
    void (*nudge)(void *baton, int n);
    apr_time_t (*now)(void *baton);
    /** Leader/follower only (fa_runq_follow): one poll round by a runner
     * that leads, the queue's lock not held; the sync requests read go
     * into @a batch.  Returns nonzero when the keeper must lead instead
     * (draining, a poll failure): then the runner leads no more rounds. */
    int (*lead)(void *baton, fa_runq_batch_t *batch);
    /** Interrupts the leader's poll (the worker's pollset wake-up), so
     * that the keeper hands the lead over or a runner hands it back. */
    void (*wake_leader)(void *baton);
} fa_runq_hooks_t;

/**
 * A queue whose runners never outnumber @a max_runners (the pool's
 * threads); while it moves, @a few runners serve it; after @a stall_after
 * without moving and no runner on a CPU, every queued request gets one.
 */
apr_status_t fa_runq_create(fa_runq_t **q, apr_pool_t *p, int max_runners,
                            int few, apr_interval_time_t stall_after,
                            const fa_runq_hooks_t *hooks);

/** Adds @a item to @a batch.  The leader only. */
void fa_runq_batch_add(fa_runq_batch_t *batch, fa_runq_item_t *item);

/**
 * Queues @a batch (possibly empty: then it only looks), starts runners
 * while fewer than `few` run, and more when the queue has stalled.
 * The keeper only, after each poll round.  Returns how long the next poll
 * may wait before it looks again (-1: nothing waits).
 */
apr_interval_time_t fa_runq_push(fa_runq_t *q, fa_runq_batch_t *batch);

/**
 * The body of a runner: takes and runs queued requests until none is
 * left, then returns (or, with leader/follower, waits to lead or run, and
 * returns once idle past the idle wait, or closed).  @a self identifies the calling thread to the
 * any_running probe (the worker passes gettid()).
 */
void fa_runq_run(fa_runq_t *q, pid_t self);

/**
 * Turns on leader/follower (the lead and wake_leader hooks must be set):
 * from now on runners wait to lead or run when their queue is empty; the
 * `few` first stay, the others end after @a idle_wait without work.  The
 * keeper (the thread calling fa_runq_push) leads first.  Before any
 * runner starts.
 */
void fa_runq_follow(fa_runq_t *q, apr_interval_time_t idle_wait);
/**
 * The keeper: waits until it leads, or @a timeout passes (to look at the
 * drain), and says whether it leads.  While a runner runs what it read,
 * the wait is at most the stall time, and the keeper takes the lead from
 * a runner whose request has run that long.  While it leads it polls,
 * pushes what it read (fa_runq_push) and then calls fa_runq_keeper_yield.
 */
int fa_runq_keeper_wait(fa_runq_t *q, apr_interval_time_t timeout);
/** The keeper after a round: hands the lead to a runner that asked for
 * it, if the queue is empty and the keeper does not keep it.  1 if it did
 * (the keeper then calls fa_runq_keeper_wait). */
int fa_runq_keeper_yield(fa_runq_t *q);
/** The keeper keeps the lead from now on (draining): a runner that leads
 * hands it back after its round, which this wakes.  Any thread. */
void fa_runq_keep(fa_runq_t *q);
/** Ends the waiting runners, and the others once their queue is empty
 * (tests; a worker simply exits). */
void fa_runq_close(fa_runq_t *q);
/** Requests queued, not yet taken (a snapshot, for tests and status). */
int fa_runq_queued(fa_runq_t *q);

/** Runners waiting for work or their turn to lead (a snapshot, tests). */
int fa_runq_waiting(fa_runq_t *q);
/** Runners started and not yet finished (a snapshot). */
int fa_runq_runners(fa_runq_t *q);

#endif
