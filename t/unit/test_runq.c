/* SPDX-License-Identifier: Apache-2.0 */
/* The worker's run queue, its stall rule and the lead among runners, with
 * a fake clock, a fake poll and real runner threads that block when told
 * to. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <apr_general.h>
#include <apr_portable.h>
#include <apr_thread_cond.h>
#include <apr_thread_mutex.h>
#include <apr_thread_proc.h>

#include "fa_runq.h"

#define MS(n) apr_time_from_msec(n)
#define MAX_ITEMS 64

typedef struct {
    fa_runq_item_t link;
    int id;
} item_t;

typedef struct fixture {
    apr_pool_t *pool;
    fa_runq_t *q;
    apr_time_t clock;
    int cpu_busy; /* what the any_running probe answers */
    int idle;     /* what idle_threads answers */
    int nudged;
    int real_runners; /* start_runner makes threads that run */
    int started;      /* start_runner calls */
    pid_t next_tid;
    apr_thread_t *threads[MAX_ITEMS];
    int nthreads;
    /* runs, guarded by lock */
    apr_thread_mutex_t *lock;
    apr_thread_cond_t *changed;
    int block;  /* run() waits while set */
    int in_run; /* runners inside run() now */
    int order[MAX_ITEMS];
    int nrun;
    item_t items[MAX_ITEMS];
    /* the fake poll (lead hook), under lock */
    int nfed, ntaken; /* items 0..nfed-1 arrived; ntaken were read */
    int leading;      /* a runner is in the lead hook */
    int woken;        /* wake_leader was called, not yet seen */
    int wakes;
    int give_back;
    apr_os_thread_t read_by[MAX_ITEMS], ran_by[MAX_ITEMS];
} fixture_t;

static void *APR_THREAD_FUNC runner_thread(apr_thread_t *t, void *data)
{
    fixture_t *f = data;
    pid_t tid;

    apr_thread_mutex_lock(f->lock);
    tid = ++f->next_tid;
    apr_thread_mutex_unlock(f->lock);
    fa_runq_run(f->q, tid);
    apr_thread_exit(t, APR_SUCCESS);
    return NULL;
}

static void start_runner(void *baton)
{
    fixture_t *f = baton;

    ++f->started;
    if (f->real_runners) {
        assert_true(f->nthreads < MAX_ITEMS);
        assert_int_equal(apr_thread_create(&f->threads[f->nthreads++], NULL,
                                           runner_thread, f, f->pool),
                         APR_SUCCESS);
    }
}

static void run(void *baton, fa_runq_item_t *link)
{
    fixture_t *f = baton;
    item_t *item = (item_t *)link;

    apr_thread_mutex_lock(f->lock);
    f->ran_by[item->id] = apr_os_thread_current();
    f->order[f->nrun++] = item->id;
    ++f->in_run;
    apr_thread_cond_broadcast(f->changed);
    while (f->block) {
        apr_thread_cond_wait(f->changed, f->lock);
    }
    --f->in_run;
    apr_thread_cond_broadcast(f->changed);
    apr_thread_mutex_unlock(f->lock);
}

static int any_running(void *baton, const pid_t *tids, int n)
{
    fixture_t *f = baton;
    int i;

    for (i = 0; i < n; ++i) {
        assert_true(tids[i] > 0);
    }
    return f->cpu_busy;
}

static int idle_threads(void *baton)
{
    return ((fixture_t *)baton)->idle;
}

static void nudge(void *baton, int n)
{
    ((fixture_t *)baton)->nudged += n;
}

static apr_time_t now(void *baton)
{
    return ((fixture_t *)baton)->clock;
}

/* A poll round: waits for fed items (or a wake-up) and reads them all. */
static int lead(void *baton, fa_runq_batch_t *batch)
{
    fixture_t *f = baton;
    int give_back;

    apr_thread_mutex_lock(f->lock);
    ++f->leading;
    apr_thread_cond_broadcast(f->changed);
    while (f->ntaken == f->nfed && !f->woken && !f->give_back) {
        apr_thread_cond_wait(f->changed, f->lock);
    }
    f->woken = 0;
    for (; f->ntaken < f->nfed; ++f->ntaken) {
        f->read_by[f->ntaken] = apr_os_thread_current();
        fa_runq_batch_add(batch, &f->items[f->ntaken].link);
    }
    --f->leading;
    give_back = f->give_back;
    apr_thread_cond_broadcast(f->changed);
    apr_thread_mutex_unlock(f->lock);
    return give_back;
}

static void wake_leader(void *baton)
{
    fixture_t *f = baton;

    apr_thread_mutex_lock(f->lock);
    f->woken = 1;
    ++f->wakes;
    apr_thread_cond_broadcast(f->changed);
    apr_thread_mutex_unlock(f->lock);
}

static fixture_t *make(int max_runners, int few, int real_runners)
{
    fixture_t *f = calloc(1, sizeof(*f));
    fa_runq_hooks_t hooks = {NULL,        start_runner, run,
                             any_running, idle_threads, nudge,
                             now,         lead,         wake_leader};
    int i;

    assert_non_null(f);
    apr_pool_create(&f->pool, NULL);
    hooks.baton = f;
    f->clock = apr_time_from_sec(1000);
    f->real_runners = real_runners;
    apr_thread_mutex_create(&f->lock, APR_THREAD_MUTEX_DEFAULT, f->pool);
    apr_thread_cond_create(&f->changed, f->pool);
    for (i = 0; i < MAX_ITEMS; ++i) {
        f->items[i].id = i;
    }
    assert_int_equal(
        fa_runq_create(&f->q, f->pool, max_runners, few, MS(2), &hooks),
        APR_SUCCESS);
    return f;
}

static apr_interval_time_t push(fixture_t *f, int from, int n)
{
    fa_runq_batch_t batch = {NULL, NULL, 0};
    int i;

    for (i = from; i < from + n; ++i) {
        fa_runq_batch_add(&batch, &f->items[i].link);
    }
    return fa_runq_push(f->q, &batch);
}

/* Waits until @a n runners are inside run(). */
static void wait_in_run(fixture_t *f, int n)
{
    apr_thread_mutex_lock(f->lock);
    while (f->in_run != n) {
        apr_thread_cond_wait(f->changed, f->lock);
    }
    apr_thread_mutex_unlock(f->lock);
}

static void unblock_and_join(fixture_t *f)
{
    apr_status_t rv;
    int i;

    apr_thread_mutex_lock(f->lock);
    f->block = 0;
    apr_thread_cond_broadcast(f->changed);
    apr_thread_mutex_unlock(f->lock);
    for (i = 0; i < f->nthreads; ++i) {
        apr_thread_join(&rv, f->threads[i]);
    }
    apr_pool_destroy(f->pool);
    free(f);
}

static void test_few_runners_no_more_than_requests(void **state)
{
    fixture_t *f = make(8, 4, 0);

    (void)state;
    assert_int_equal(push(f, 0, 2), MS(2));
    assert_int_equal(f->started, 2); /* two requests, two runners */
    push(f, 2, 10);
    assert_int_equal(f->started, 4); /* then no more than `few` */
    assert_int_equal(fa_runq_queued(f->q), 12);
    assert_int_equal(fa_runq_runners(f->q), 4);
    unblock_and_join(f);
}

static void test_runs_in_order_and_stops_watching(void **state)
{
    fixture_t *f = make(4, 1, 1);
    int i;

    (void)state;
    push(f, 0, 6);
    /* one runner takes all six, in arrival order, then ends */
    apr_thread_mutex_lock(f->lock);
    while (f->nrun < 6) {
        apr_thread_cond_wait(f->changed, f->lock);
    }
    apr_thread_mutex_unlock(f->lock);
    while (fa_runq_runners(f->q) > 0) {
        apr_sleep(MS(1));
    }
    for (i = 0; i < 6; ++i) {
        assert_int_equal(f->order[i], i);
    }
    assert_int_equal(f->started, 1);
    /* the queue is empty: the next look says nothing waits */
    assert_int_equal(push(f, 0, 0), -1);
    assert_int_equal(push(f, 0, 0), -1);
    unblock_and_join(f);
}

/* Two runners blocked (sleeping in Python, say) and three requests behind
 * them: after the stall time, with no runner on a CPU, each waiting
 * request gets a runner of its own. */
static void test_stall_starts_a_runner_per_request(void **state)
{
    fixture_t *f = make(8, 2, 1);

    (void)state;
    f->block = 1;
    push(f, 0, 5);
    wait_in_run(f, 2);
    f->clock += MS(1);
    assert_int_equal(push(f, 0, 0), MS(2)); /* moved: 2 taken */
    f->clock += MS(1);
    push(f, 0, 0);
    assert_int_equal(f->started, 2); /* not stalled long enough */
    f->clock += MS(1);
    push(f, 0, 0);
    assert_int_equal(f->started, 5);
    wait_in_run(f, 5);
    assert_int_equal(fa_runq_queued(f->q), 0);
    unblock_and_join(f);
}

/* A runner on a CPU means the queue is slow, not blocked: no more. */
static void test_no_stall_while_a_runner_runs(void **state)
{
    fixture_t *f = make(8, 2, 1);

    (void)state;
    f->block = 1;
    f->cpu_busy = 1;
    push(f, 0, 5);
    wait_in_run(f, 2);
    f->clock += MS(1);
    push(f, 0, 0);
    f->clock += MS(10);
    push(f, 0, 0);
    f->clock += MS(10);
    assert_int_equal(push(f, 0, 0), MS(2));
    assert_int_equal(f->started, 2);
    assert_int_equal(fa_runq_queued(f->q), 3);
    f->cpu_busy = 0;
    f->clock += MS(10);
    push(f, 0, 0);
    assert_int_equal(f->started, 5);
    unblock_and_join(f);
}

/* Never more runners than the pool's threads. */
static void test_runners_capped(void **state)
{
    fixture_t *f = make(3, 2, 1);

    (void)state;
    f->block = 1;
    push(f, 0, 10);
    wait_in_run(f, 2);
    f->clock += MS(1);
    push(f, 0, 0);
    f->clock += MS(5);
    push(f, 0, 0);
    assert_int_equal(f->started, 3);
    wait_in_run(f, 3);
    f->clock += MS(5);
    push(f, 0, 0);
    f->clock += MS(5);
    push(f, 0, 0);
    assert_int_equal(f->started, 3);
    assert_int_equal(fa_runq_queued(f->q), 7);
    unblock_and_join(f);
}

/* Runners started but not running (no thread took them yet): the pool is
 * nudged when it has no idle thread, and no more runners start. */
static void test_pending_runners_nudge_the_pool(void **state)
{
    fixture_t *f = make(8, 2, 0);

    (void)state;
    f->idle = 1;
    push(f, 0, 4);
    f->clock += MS(5);
    push(f, 0, 0);
    assert_int_equal(f->nudged, 0); /* a thread is idle: it comes */
    f->idle = 0;
    f->clock += MS(5);
    push(f, 0, 0);
    assert_int_equal(f->nudged, 2);
    assert_int_equal(f->started, 2);
    unblock_and_join(f);
}

/* Waits (5 s at most) until @a cond holds, under the fixture's lock. */
#define WAIT_UNTIL(f, cond)                                                    \
    do {                                                                       \
        int tries_ = 5000, ok_;                                                \
        do {                                                                   \
            apr_thread_mutex_lock((f)->lock);                                  \
            ok_ = (cond);                                                      \
            apr_thread_mutex_unlock((f)->lock);                                \
        } while (!ok_ && --tries_ && (apr_sleep(MS(1)), 1));                   \
        assert_true(ok_);                                                      \
    } while (0)

static void feed(fixture_t *f, int n)
{
    apr_thread_mutex_lock(f->lock);
    f->nfed += n;
    apr_thread_cond_broadcast(f->changed);
    apr_thread_mutex_unlock(f->lock);
}

static void close_and_join(fixture_t *f)
{
    fa_runq_close(f->q);
    unblock_and_join(f);
}

/* The keeper leads first; a runner done with the queue asks it for the
 * lead.  A runner that reads requests keeps the lead and runs them all
 * itself, waking nobody and starting no runner, then polls again. */
static void test_leader_keeps_the_lead(void **state)
{
    fixture_t *f = make(4, 2, 1);
    int i;

    (void)state;
    fa_runq_follow(f->q, MS(50));
    assert_true(fa_runq_keeper_wait(f->q, 0));
    push(f, 0, 1); /* the keeper read item 0 */
    f->nfed = f->ntaken = 1;
    WAIT_UNTIL(f, f->nrun == 1 && f->wakes == 1);
    assert_int_equal(f->started, 1);
    assert_true(fa_runq_keeper_yield(f->q));
    WAIT_UNTIL(f, f->leading == 1);
    assert_false(fa_runq_keeper_wait(f->q, MS(1)));
    feed(f, 3); /* items 1-3 in one round */
    WAIT_UNTIL(f, f->nrun == 4 && f->leading == 1);
    for (i = 1; i < 4; ++i) {
        assert_int_equal(f->order[i], i);
        assert_true(apr_os_thread_equal(f->ran_by[i], f->read_by[1]));
        assert_true(apr_os_thread_equal(f->read_by[i], f->read_by[1]));
    }
    assert_int_equal(f->started, 1);
    assert_int_equal(f->wakes, 1);
    assert_false(fa_runq_keeper_wait(f->q, MS(1)));
    feed(f, 1); /* item 4: the same runner, still leading */
    WAIT_UNTIL(f, f->nrun == 5 && f->leading == 1);
    assert_true(apr_os_thread_equal(f->ran_by[4], f->read_by[1]));
    assert_int_equal(f->started, 1);
    close_and_join(f);
}

/* A request the leader runs past the stall time: the keeper takes the
 * lead, and what the leader had queued gets runners of its own once the
 * leader is seen off the CPU. */
static void test_keeper_takes_a_stuck_leaders_lead(void **state)
{
    fixture_t *f = make(4, 2, 1);

    (void)state;
    fa_runq_follow(f->q, MS(50));
    push(f, 0, 1);
    f->nfed = f->ntaken = 1;
    WAIT_UNTIL(f, f->nrun == 1 && f->wakes == 1);
    assert_true(fa_runq_keeper_yield(f->q));
    WAIT_UNTIL(f, f->leading == 1);
    f->block = 1;
    feed(f, 3); /* item 1 runs and blocks; 2 and 3 wait behind it */
    wait_in_run(f, 1);
    assert_int_equal(fa_runq_queued(f->q), 2);
    assert_false(fa_runq_keeper_wait(f->q, MS(1))); /* not yet stuck */
    f->clock += MS(3);
    assert_true(fa_runq_keeper_wait(f->q, MS(1000)));
    f->cpu_busy = 1; /* on a CPU: slow, not blocked; no more runners */
    push(f, 0, 0);
    assert_int_equal(f->started, 1);
    f->cpu_busy = 0;
    f->clock += MS(3);
    push(f, 0, 0);
    assert_int_equal(f->started, 3);
    wait_in_run(f, 3);
    apr_thread_mutex_lock(f->lock);
    f->block = 0;
    apr_thread_cond_broadcast(f->changed);
    apr_thread_mutex_unlock(f->lock);
    WAIT_UNTIL(f, f->nrun == 4);
    assert_int_equal(fa_runq_queued(f->q), 0);
    close_and_join(f);
}

/* Requests read beyond the one the leader runs wait in the queue for the
 * waiting runners; draining, the keeper takes the lead back for good. */
static void test_keep_takes_the_lead_back(void **state)
{
    fixture_t *f = make(4, 2, 1);
    int i;

    (void)state;
    fa_runq_follow(f->q, MS(50));
    push(f, 0, 1);
    f->nfed = f->ntaken = 1;
    WAIT_UNTIL(f, f->wakes == 1);
    assert_true(fa_runq_keeper_yield(f->q));
    WAIT_UNTIL(f, f->leading == 1);
    feed(f, 3); /* items 1-3 in one round */
    WAIT_UNTIL(f, f->nrun == 4);
    for (i = 0; i < 4; ++i) {
        assert_int_equal(f->order[i] < 4, 1);
    }
    assert_int_equal(fa_runq_queued(f->q), 0);
    fa_runq_keep(f->q);
    assert_true(fa_runq_keeper_wait(f->q, MS(5000)));
    /* a runner no longer asks; the keeper's requests go to the queue */
    assert_false(fa_runq_keeper_yield(f->q));
    f->nfed = f->ntaken = 5;
    push(f, 4, 1);
    WAIT_UNTIL(f, f->nrun == 5);
    apr_sleep(MS(20));
    assert_false(fa_runq_keeper_yield(f->q));
    assert_int_equal(f->leading, 0);
    close_and_join(f);
}

static void test_bad_sizes_refused(void **state)
{
    fa_runq_hooks_t hooks = {NULL,        start_runner, run,
                             any_running, idle_threads, nudge,
                             now,         lead,         wake_leader};
    apr_pool_t *p;
    fa_runq_t *q;

    (void)state;
    apr_pool_create(&p, NULL);
    assert_int_equal(fa_runq_create(&q, p, 0, 1, MS(2), &hooks), APR_EINVAL);
    assert_int_equal(fa_runq_create(&q, p, 4, 0, MS(2), &hooks), APR_EINVAL);
    apr_pool_destroy(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_few_runners_no_more_than_requests),
        cmocka_unit_test(test_runs_in_order_and_stops_watching),
        cmocka_unit_test(test_stall_starts_a_runner_per_request),
        cmocka_unit_test(test_no_stall_while_a_runner_runs),
        cmocka_unit_test(test_runners_capped),
        cmocka_unit_test(test_pending_runners_nudge_the_pool),
        cmocka_unit_test(test_leader_keeps_the_lead),
        cmocka_unit_test(test_keeper_takes_a_stuck_leaders_lead),
        cmocka_unit_test(test_keep_takes_the_lead_back),
        cmocka_unit_test(test_bad_sizes_refused),
    };

    apr_initialize();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
