/* SPDX-License-Identifier: Apache-2.0 */
/* fa_runq: the sync requests' queue and its stall rule (see fa_runq.h). */
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
};

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

/* With the lock held: the batch joins the queue, and runners start while
 * fewer than `few` run, but no more than there are requests (one woken
 * for nothing costs as much as one that runs). */
static void append(fa_runq_t *q, fa_runq_batch_t *batch)
{
    int want;

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
    if (q->runners < q->few) {
        want = q->few - q->runners;
        start_runners(q, want < q->queued ? want : q->queued);
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

void fa_runq_run(fa_runq_t *q, pid_t self)
{
    pid_t *mine;
    fa_runq_item_t *item;

    apr_thread_mutex_lock(q->lock);
    /* there are never more runners than places */
    for (mine = q->runner_tids; *mine; ++mine) {
    }
    *mine = self;
    while ((item = q->head) != NULL) {
        q->head = item->next;
        if (!q->head) {
            q->tail = NULL;
        }
        --q->queued;
        ++q->taken;
        apr_thread_mutex_unlock(q->lock);
        q->hooks.run(q->hooks.baton, item);
        apr_thread_mutex_lock(q->lock);
    }
    *mine = 0;
    --q->runners;
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

int fa_runq_runners(fa_runq_t *q)
{
    int n;

    apr_thread_mutex_lock(q->lock);
    n = q->runners;
    apr_thread_mutex_unlock(q->lock);
    return n;
}
