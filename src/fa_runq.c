/* SPDX-License-Identifier: Apache-2.0 */
/* fa_runq: the sync requests' queue, its stall rule and the lead among
 * runners (see fa_runq.h). */
#include <apr_thread_cond.h>
#include <apr_thread_mutex.h>

#include "fa_runq.h"

struct fa_runq {
    fa_runq_hooks_t hooks;
    int max_runners;
    int few;
    apr_interval_time_t stall_after;

    /* Under lock: shared by the I/O thread and the runners. */
    apr_thread_mutex_t *lock;
    fa_runq_item_t *head, *tail;
    int queued;
    int runners;        /* started; some may not run yet */
    pid_t *runner_tids; /* of the runners that run; 0: a free place */
    apr_uint32_t taken; /* requests runners took, ever */

    /* I/O thread only: the stall watch. */
    pid_t *stalled_tids; /* a copy of runner_tids, probed unlocked */
    int watching;        /* requests were waiting at the last look */
    apr_uint32_t taken_seen;
    apr_time_t moved_at; /* when the queue was last seen moving; 0: not
                            * watched */

    /* Leader/follower (fa_runq_follow), under lock.  waiting + told is
     * the number of runners inside wait_for_work. */
    int follow;
    apr_interval_time_t idle_wait;
    apr_thread_cond_t *ready;     /* runners wait here for work */
    apr_thread_cond_t *keeper_cv; /* the keeper waits here for the lead */
    int leader;                   /* LEAD_* */
    int waiting;                  /* runners waiting, not yet woken */
    int told;                     /* runners woken, not yet awake */
    int asked;                    /* a waiting runner asked for the lead */
    int keep;                     /* the keeper keeps the lead */
    int closed;
    /* The leader keeps the lead while it runs what it read (lead()): the
     * lead stays open for it, with nobody polling meanwhile, so the
     * keeper watches it and takes the lead when one request runs past
     * stall_after. */
    pid_t holder;         /* the runner that runs and will poll again */
    apr_time_t run_began; /* when the holder began its current request */
    int keeper_watches;   /* the keeper waits in steps of stall_after */
    int quiet_looks;      /* its looks in a row that found no holder */
};

#define LEAD_KEEPER 0 /* the keeper polls (and at first) */
#define LEAD_RUNNER 1 /* a runner polls */
#define LEAD_OPEN 2   /* a woken runner, or the holder, is to take it */

/* The keeper watches in steps of stall_after until this many steps in a
 * row found no holder (some 100 ms by default), so that a holder wakes it
 * once a busy spell, not once a request. */
#define QUIET_LOOKS 50

apr_status_t fa_runq_create(fa_runq_t **q, apr_pool_t *p, int max_runners,
                            int few, apr_interval_time_t stall_after,
                            const fa_runq_hooks_t *hooks)
{
    fa_runq_t *rq;
    apr_status_t rv;

    if (max_runners < 1 || few < 1) {
        return APR_EINVAL;
    }
    rq = apr_pcalloc(p, sizeof(*rq));
    rq->hooks = *hooks;
    rq->max_runners = max_runners;
    rq->few = few < max_runners ? few : max_runners;
    rq->stall_after = stall_after;
    rq->runner_tids = apr_pcalloc(p, sizeof(pid_t) * (apr_size_t)max_runners);
    rq->stalled_tids = apr_pcalloc(p, sizeof(pid_t) * (apr_size_t)max_runners);
    rv = apr_thread_mutex_create(&rq->lock, APR_THREAD_MUTEX_DEFAULT, p);
    if (rv == APR_SUCCESS) {
        rv = apr_thread_cond_create(&rq->ready, p);
    }
    if (rv == APR_SUCCESS) {
        rv = apr_thread_cond_create(&rq->keeper_cv, p);
    }
    if (rv != APR_SUCCESS) {
        return rv;
    }
    *q = rq;
    return APR_SUCCESS;
}

void fa_runq_batch_add(fa_runq_batch_t *batch, fa_runq_item_t *item)
{
    item->next = NULL;
    if (batch->tail) {
        batch->tail->next = item;
    }
    else {
        batch->head = item;
    }
    batch->tail = item;
    ++batch->n;
}

/* With the lock held.  Never more runners than the pool's threads. */
static void start_runners(fa_runq_t *q, int n)
{
    for (; n > 0 && q->runners < q->max_runners; --n) {
        ++q->runners;
        q->hooks.start_runner(q->hooks.baton);
    }
}

/* With the lock held: wakes up to @a n waiting runners, for queued
 * requests or the open lead. */
static void wake_runners(fa_runq_t *q, int n)
{
    for (; n > 0 && q->waiting > 0; --n) {
        --q->waiting;
        ++q->told;
        apr_thread_cond_signal(q->ready);
    }
}

/* With the lock held: the batch joins the queue. */
static void link_batch(fa_runq_t *q, fa_runq_batch_t *batch)
{
    if (q->tail) {
        q->tail->next = batch->head;
    }
    else {
        q->head = batch->head;
    }
    q->tail = batch->tail;
    q->queued += batch->n;
    batch->head = batch->tail = NULL;
    batch->n = 0;
}

/* With the lock held: the batch joins the queue, waiting runners are
 * woken for it, and runners start while fewer than `few` run, but no more
 * than there are requests left (one woken for nothing costs as much as
 * one that runs). */
static void append(fa_runq_t *q, fa_runq_batch_t *batch)
{
    int want, left;

    wake_runners(q, batch->n);
    link_batch(q, batch);
    left = q->queued - q->told;
    if (q->runners < q->few && left > 0) {
        want = q->few - q->runners;
        start_runners(q, want < left ? want : left);
    }
}

/* The queue has not moved for stall_after.  Called with the lock held;
 * returns with it released.  The runners are probed without the lock: a
 * runner waiting for it would look blocked. */
static void on_stall(fa_runq_t *q, apr_time_t now)
{
    int i, n = 0, pending;

    for (i = 0; i < q->max_runners; ++i) {
        if (q->runner_tids[i]) {
            q->stalled_tids[n++] = q->runner_tids[i];
        }
    }
    pending = q->runners - n; /* started, not running yet */
    apr_thread_mutex_unlock(q->lock);
    if (q->hooks.any_running(q->hooks.baton, q->stalled_tids, n)) {
        return;
    }
    if (pending > 0) {
        /* With a thread idle, a pending runner is only waiting to be
         * scheduled: as good as running.  With none, it waits behind
         * blocked runners for a thread the pool never made (a pool makes
         * one only at a push that finds none idle, and pushes in a burst
         * find the threads that are just waking): a nudge makes one. */
        if (!q->hooks.idle_threads(q->hooks.baton)) {
            q->hooks.nudge(q->hooks.baton, pending);
        }
        return;
    }
    apr_thread_mutex_lock(q->lock);
    if (q->taken == q->taken_seen) {
        start_runners(q, q->queued);
    }
    q->moved_at = now;
    apr_thread_mutex_unlock(q->lock);
}

apr_interval_time_t fa_runq_push(fa_runq_t *q, fa_runq_batch_t *batch)
{
    apr_time_t now;

    if (!batch->n && !q->watching) {
        return -1;
    }
    apr_thread_mutex_lock(q->lock);
    if (batch->n) {
        append(q, batch);
    }
    q->watching = q->queued > 0;
    if (!q->watching) {
        q->moved_at = 0;
        apr_thread_mutex_unlock(q->lock);
        return -1;
    }
    now = q->hooks.now(q->hooks.baton);
    if (q->taken != q->taken_seen || !q->moved_at) {
        q->taken_seen = q->taken;
        q->moved_at = now;
    }
    else if (now - q->moved_at >= q->stall_after) {
        on_stall(q, now);
        return q->stall_after;
    }
    apr_thread_mutex_unlock(q->lock);
    return q->stall_after;
}

/* With the lock held: a runner waits for work.  0 when it should end:
 * idle past the idle wait while more than `few` run. */
static int wait_for_work(fa_runq_t *q)
{
    apr_status_t rv = APR_SUCCESS;

    ++q->waiting;
    if (q->runners > q->few) {
        rv = apr_thread_cond_timedwait(q->ready, q->lock, q->idle_wait);
    }
    else {
        apr_thread_cond_wait(q->ready, q->lock);
    }
    if (q->told > 0) {
        --q->told; /* this or another waiter was woken: either serves */
        return 1;
    }
    --q->waiting;
    return !APR_STATUS_IS_TIMEUP(rv) || q->runners <= q->few || q->head
        || q->leader == LEAD_OPEN;
}

/* With the lock held: the holder @a self begins a request.  The keeper
 * is woken to watch only when it does not yet. */
static void holder_begins(fa_runq_t *q, pid_t self)
{
    if (q->holder != self || q->leader != LEAD_OPEN) {
        return;
    }
    q->run_began = q->hooks.now(q->hooks.baton);
    if (!q->keeper_watches) {
        q->keeper_watches = 1;
        apr_thread_cond_signal(q->keeper_cv);
    }
}

/* With the lock held: the lead is open and this runner (@a self) takes it.
 * It polls until it reads requests or must give the lead back to the
 * keeper.  Having read some, it keeps the lead and runs them itself, the
 * first at once, the others queued for it (nobody is woken for them), and
 * polls again after: no thread is woken on the requests' path.  The
 * keeper takes the lead, and runners for what waits, if one of them runs
 * past stall_after (fa_runq_keeper_wait).  Told to give the lead back,
 * it hands it to the keeper. */
static void lead(fa_runq_t *q, pid_t self)
{
    fa_runq_batch_t batch = {NULL, NULL, 0};
    fa_runq_item_t *mine = NULL;
    int give_back;

    q->leader = LEAD_RUNNER;
    q->holder = 0;
    while (!(give_back = q->keep || q->closed)) {
        apr_thread_mutex_unlock(q->lock);
        give_back = q->hooks.lead(q->hooks.baton, &batch);
        apr_thread_mutex_lock(q->lock);
        if (batch.n || give_back) {
            break;
        }
    }
    if (batch.n) {
        mine = batch.head;
        batch.head = mine->next;
        if (!--batch.n) {
            batch.tail = NULL;
        }
        else {
            link_batch(q, &batch);
        }
    }
    if (mine && !give_back) {
        q->leader = LEAD_OPEN;
        q->holder = self;
        holder_begins(q, self);
    }
    else {
        q->leader = LEAD_KEEPER;
        apr_thread_cond_signal(q->keeper_cv);
    }
    if (mine) {
        apr_thread_mutex_unlock(q->lock);
        q->hooks.run(q->hooks.baton, mine);
        apr_thread_mutex_lock(q->lock);
    }
}

void fa_runq_run(fa_runq_t *q, pid_t self)
{
    pid_t *mine;
    fa_runq_item_t *item;

    apr_thread_mutex_lock(q->lock);
    /* there are never more runners than places */
    for (mine = q->runner_tids; *mine; ++mine) {
    }
    *mine = self;
    for (;;) {
        if ((item = q->head) != NULL) {
            q->head = item->next;
            if (!q->head) {
                q->tail = NULL;
            }
            --q->queued;
            ++q->taken;
            holder_begins(q, self);
            apr_thread_mutex_unlock(q->lock);
            q->hooks.run(q->hooks.baton, item);
            apr_thread_mutex_lock(q->lock);
            continue;
        }
        if (!q->follow || q->closed) {
            break;
        }
        if (q->leader == LEAD_OPEN && (!q->holder || q->holder == self)) {
            lead(q, self);
            continue;
        }
        if (q->leader == LEAD_KEEPER && !q->keep && !q->asked) {
            /* asked with the lock held: the keeper sees it with this
             * runner already waiting (fa_runq_keeper_yield) */
            q->asked = 1;
            q->hooks.wake_leader(q->hooks.baton);
        }
        if (!wait_for_work(q)) {
            break;
        }
    }
    *mine = 0;
    --q->runners;
    apr_thread_mutex_unlock(q->lock);
}

void fa_runq_follow(fa_runq_t *q, apr_interval_time_t idle_wait)
{
    q->follow = 1;
    q->idle_wait = idle_wait;
}

/* With the lock held: the keeper takes the lead from a holder whose
 * request runs past stall_after (or when told to keep it).  What the
 * holder queued waits for runners: the next fa_runq_push looks at the
 * stall at once. */
static void watch_holder(fa_runq_t *q)
{
    apr_time_t now;

    if (q->leader != LEAD_OPEN || !q->holder) {
        if (++q->quiet_looks >= QUIET_LOOKS) {
            q->keeper_watches = 0;
        }
        return;
    }
    q->quiet_looks = 0;
    now = q->hooks.now(q->hooks.baton);
    if (!q->keep && now - q->run_began < q->stall_after) {
        return;
    }
    q->leader = LEAD_KEEPER;
    q->holder = 0;
    q->keeper_watches = 0;
    q->watching = q->queued > 0;
    q->taken_seen = q->taken;
    q->moved_at = now - q->stall_after;
}

int fa_runq_keeper_wait(fa_runq_t *q, apr_interval_time_t timeout)
{
    int leads;

    apr_thread_mutex_lock(q->lock);
    if (q->leader != LEAD_KEEPER) {
        if (q->keeper_watches && timeout > q->stall_after) {
            timeout = q->stall_after;
        }
        apr_thread_cond_timedwait(q->keeper_cv, q->lock, timeout);
        if (q->keeper_watches) {
            watch_holder(q);
        }
    }
    leads = q->leader == LEAD_KEEPER;
    apr_thread_mutex_unlock(q->lock);
    return leads;
}

int fa_runq_keeper_yield(fa_runq_t *q)
{
    int yield;

    apr_thread_mutex_lock(q->lock);
    yield = q->asked && q->waiting > 0 && !q->head && !q->keep && !q->closed;
    /* an asker that took a request meanwhile asks again once idle */
    q->asked = 0;
    if (yield) {
        q->leader = LEAD_OPEN;
        wake_runners(q, 1);
    }
    apr_thread_mutex_unlock(q->lock);
    return yield;
}

void fa_runq_keep(fa_runq_t *q)
{
    apr_thread_mutex_lock(q->lock);
    if (!q->keep) {
        q->keep = 1;
        if (q->leader == LEAD_RUNNER) {
            q->hooks.wake_leader(q->hooks.baton);
        }
    }
    apr_thread_mutex_unlock(q->lock);
}

void fa_runq_close(fa_runq_t *q)
{
    apr_thread_mutex_lock(q->lock);
    q->closed = 1;
    q->told += q->waiting;
    q->waiting = 0;
    apr_thread_cond_broadcast(q->ready);
    if (q->leader == LEAD_RUNNER) {
        q->hooks.wake_leader(q->hooks.baton);
    }
    apr_thread_mutex_unlock(q->lock);
}

int fa_runq_queued(fa_runq_t *q)
{
    int n;

    apr_thread_mutex_lock(q->lock);
    n = q->queued;
    apr_thread_mutex_unlock(q->lock);
    return n;
}

int fa_runq_waiting(fa_runq_t *q)
{
    int n;

    apr_thread_mutex_lock(q->lock);
    n = q->waiting + q->told;
    apr_thread_mutex_unlock(q->lock);
    return n;
}

int fa_runq_runners(fa_runq_t *q)
{
    int n;

    apr_thread_mutex_lock(q->lock);
    n = q->runners;
    apr_thread_mutex_unlock(q->lock);
    return n;
}
