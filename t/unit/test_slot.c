/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for fa_slot: the least-busy pick, alone and under
 * concurrent reservers (real threads), and release. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <apr_atomic.h>
#include <apr_general.h>
#include <apr_pools.h>
#include <apr_thread_proc.h>

#include "fa_app.h"
#include "fa_slot.h"
#include <string.h>

#include "unit.h"

static fa_slot_t *make_slots(int n, int ready)
{
    fa_slot_t *slots;
    int i;

    assert_int_equal(fa_slot_create(&slots, n, pool), APR_SUCCESS);
    for (i = 0; i < n && ready; ++i) {
        fa_slot_set_ready(slots, i);
    }
    return slots;
}

/* @a n requests outstanding on @a slot, as if children had sent them. */
static void load(fa_slot_t *slots, int slot, int n)
{
    apr_atomic_add32(&slots[slot].outstanding, (apr_uint32_t)n);
}

static void test_reserve_least_busy(void **state)
{
    fa_slot_t *slots = make_slots(3, 1);
    apr_uint32_t spread = 7;

    (void)state;
    load(slots, 0, 2);
    load(slots, 1, 1);
    load(slots, 2, 3);
    assert_int_equal(fa_slot_reserve(slots, 3, -1, 0, &spread), 1);
    assert_int_equal(slots[1].outstanding, 2);
    /* now 2, 2, 3: a tie between 0 and 1, never 2 */
    assert_int_not_equal(fa_slot_reserve(slots, 3, -1, 0, &spread), 2);
}

static void test_reserve_excludes(void **state)
{
    fa_slot_t *slots = make_slots(3, 1);
    apr_uint32_t spread = 0;
    int i;

    (void)state;
    load(slots, 1, 5);
    load(slots, 2, 5);
    /* slot 0 is idle, but it is the one that just failed */
    for (i = 0; i < 6; ++i) {
        assert_int_not_equal(fa_slot_reserve(slots, 3, 0, 0, &spread), 0);
    }
    assert_int_equal(slots[0].outstanding, 0);
    assert_int_equal(slots[1].outstanding + slots[2].outstanding, 16);
}

static void test_reserve_only_slot(void **state)
{
    fa_slot_t *slots = make_slots(1, 1);
    apr_uint32_t spread = 0;

    (void)state;
    /* with one worker, the retry goes to it (or its replacement) */
    assert_int_equal(fa_slot_reserve(slots, 1, 0, 0, &spread), 0);
    assert_int_equal(slots[0].outstanding, 1);
}

/* Capacity 0 (an async function, or the table): a ready worker always has
 * a free place, so the ones not ready come last, however busy it is. */
static void test_reserve_not_ready_last(void **state)
{
    fa_slot_t *slots = make_slots(3, 0);
    apr_uint32_t spread = 0;

    (void)state;
    fa_slot_set_ready(slots, 2);
    fa_slot_set_starting(slots, 1);
    load(slots, 2, 50);
    /* 0 is down and 1 starting, both idle: the busy ready worker wins */
    assert_int_equal(fa_slot_reserve(slots, 3, -1, 0, &spread), 2);
    /* when only those are left, the least busy of them */
    apr_atomic_add32(&slots[0].outstanding, 3);
    assert_int_equal(fa_slot_reserve(slots, 3, 2, 0, &spread), 1);
    /* a worker that died goes behind the ready ones again */
    fa_slot_set_ready(slots, 1);
    assert_int_equal(fa_slot_reserve(slots, 3, -1, 0, &spread), 1);
    fa_slot_set_dead(slots, 1);
    assert_int_equal(fa_slot_reserve(slots, 3, -1, 0, &spread), 2);
}

/* One place a worker (a def function, 1 thread): a free place on a
 * ready worker, then on a starting one (about to take it), then a queue
 * behind a ready one, then the rest. */
static void test_reserve_tiers(void **state)
{
    fa_slot_t *slots = make_slots(4, 0);
    apr_uint32_t spread = 0;
    int s;

    (void)state;
    fa_slot_set_ready(slots, 0);
    load(slots, 0, 1);
    fa_slot_set_starting(slots, 1);
    fa_slot_set_ready(slots, 3);
    /* 0 ready and full, 1 starting, 2 down, 3 ready and idle */
    assert_int_equal(fa_slot_reserve(slots, 4, -1, 1, &spread), 3);
    /* both ready ones full: the starting one, not a queue behind them */
    assert_int_equal(fa_slot_reserve(slots, 4, -1, 1, &spread), 1);
    /* the starting one full too: a ready one, though the down one is idle */
    s = fa_slot_reserve(slots, 4, -1, 1, &spread);
    assert_true(s == 0 || s == 3);
    load(slots, 0, 5);
    load(slots, 3, 5);
    assert_int_not_equal(fa_slot_reserve(slots, 4, -1, 1, &spread), 2);
    /* 3 gone and 0 the one that failed: the rest, least busy first (1
     * starting but full, 2 down and idle, 3 down and busy) */
    fa_slot_set_dead(slots, 3);
    assert_int_equal(fa_slot_reserve(slots, 4, 0, 1, &spread), 2);
}

/* With 4 threads a worker is full at 4: until then a ready worker beats an
 * idle starting one, which is only about to take requests. */
static void test_reserve_threads(void **state)
{
    fa_slot_t *slots = make_slots(2, 0);
    apr_uint32_t spread = 0;

    (void)state;
    fa_slot_set_ready(slots, 0);
    fa_slot_set_starting(slots, 1);
    assert_int_equal(fa_slot_reserve(slots, 2, -1, 4, &spread), 0);
    load(slots, 0, 2);
    assert_int_equal(fa_slot_reserve(slots, 2, -1, 4, &spread), 0);
    assert_int_equal(slots[0].outstanding, 4);
    assert_int_equal(fa_slot_reserve(slots, 2, -1, 4, &spread), 1);
    /* once ready, the less busy of the two */
    fa_slot_set_ready(slots, 1);
    assert_int_equal(fa_slot_reserve(slots, 2, -1, 4, &spread), 1);
}

static void test_reserve_spreads_ties(void **state)
{
    fa_slot_t *slots = make_slots(4, 1);
    apr_uint32_t spread = 0;
    int seen[4] = {0}, i;

    (void)state;
    for (i = 0; i < 4; ++i) {
        int s = fa_slot_reserve(slots, 4, -1, 0, &spread);
        seen[s]++;
        fa_slot_release(slots, s);
    }
    for (i = 0; i < 4; ++i) {
        assert_int_equal(seen[i], 1);
        assert_int_equal(slots[i].outstanding, 0);
    }
}

static void test_release(void **state)
{
    fa_slot_t *slots = make_slots(2, 1);
    apr_uint32_t spread = 0;
    int a, b;

    (void)state;
    a = fa_slot_reserve(slots, 2, -1, 0, &spread);
    b = fa_slot_reserve(slots, 2, -1, 0, &spread);
    assert_int_not_equal(a, b);
    fa_slot_release(slots, a);
    assert_int_equal(slots[a].outstanding, 0);
    assert_int_equal(slots[b].outstanding, 1);
    /* the freed one is the least busy again */
    assert_int_equal(fa_slot_reserve(slots, 2, -1, 0, &spread), a);
}

/* ---- slots under concurrent reservers ----------------------------------- */

#define RESERVERS 8
#define HELD 500
#define CHURN 20000
#define NSLOTS 5

typedef struct reserver {
    fa_slot_t *slots;
    apr_uint32_t spread; /* each its own, as each child has one */
    int held[HELD];
} reserver_t;

static void *APR_THREAD_FUNC reserve_run(apr_thread_t *t, void *data)
{
    reserver_t *r = data;
    int i;

    for (i = 0; i < CHURN; ++i) {
        fa_slot_release(r->slots,
                        fa_slot_reserve(r->slots, NSLOTS, -1, 0, &r->spread));
    }
    for (i = 0; i < HELD; ++i) {
        r->held[i] = fa_slot_reserve(r->slots, NSLOTS, i % 2 ? -1 : i % NSLOTS,
                                     0, &r->spread);
    }
    apr_thread_exit(t, APR_SUCCESS);
    return NULL;
}

static void test_reserve_concurrent(void **state)
{
    fa_slot_t *slots = make_slots(NSLOTS, 1);
    reserver_t r[RESERVERS];
    apr_thread_t *threads[RESERVERS];
    apr_uint32_t total = 0, per_slot[NSLOTS] = {0};
    apr_status_t rv;
    int i, j;

    (void)state;
    for (i = 0; i < RESERVERS; ++i) {
        r[i].slots = slots;
        r[i].spread = (apr_uint32_t)i * 7;
        assert_int_equal(
            apr_thread_create(&threads[i], NULL, reserve_run, &r[i], pool),
            APR_SUCCESS);
    }
    for (i = 0; i < RESERVERS; ++i) {
        apr_thread_join(&rv, threads[i]);
        for (j = 0; j < HELD; ++j) {
            per_slot[r[i].held[j]]++;
        }
    }
    /* every reservation counted exactly once, on the slot it returned */
    for (i = 0; i < NSLOTS; ++i) {
        assert_int_equal(slots[i].outstanding, per_slot[i]);
        total += slots[i].outstanding;
    }
    assert_int_equal(total, RESERVERS * HELD);
    for (i = 0; i < RESERVERS; ++i) {
        for (j = 0; j < HELD; ++j) {
            fa_slot_release(slots, r[i].held[j]);
        }
    }
    for (i = 0; i < NSLOTS; ++i) {
        assert_int_equal(slots[i].outstanding, 0);
    }
}

/* ---- the app's admission count (maxOutstandingRequests) ------------------ */

#define ADMIT_MAX 37

typedef struct admitter {
    fa_slot_t *slots;
    int admitted;
    int refused;
} admitter_t;

static void *APR_THREAD_FUNC admit_run(apr_thread_t *t, void *data)
{
    admitter_t *a = data;
    int i;

    for (i = 0; i < 100; ++i) {
        if (fa_slot_admit(a->slots, 2, ADMIT_MAX)) {
            ++a->admitted;
        }
        else {
            ++a->refused;
        }
    }
    apr_thread_exit(t, APR_SUCCESS);
    return NULL;
}

/* Concurrent admitters never let more than the limit in, the count lives
 * apart from the workers' slots, and leaving gives places back. */
static void test_admit(void **state)
{
    fa_slot_t *slots = make_slots(2, 1);
    admitter_t a[RESERVERS];
    apr_thread_t *threads[RESERVERS];
    apr_status_t rv;
    int i, admitted = 0;

    (void)state;
    memset(a, 0, sizeof(a));
    for (i = 0; i < RESERVERS; ++i) {
        a[i].slots = slots;
        assert_int_equal(
            apr_thread_create(&threads[i], NULL, admit_run, &a[i], pool),
            APR_SUCCESS);
    }
    for (i = 0; i < RESERVERS; ++i) {
        apr_thread_join(&rv, threads[i]);
        admitted += a[i].admitted;
    }
    assert_int_equal(admitted, ADMIT_MAX);
    assert_int_equal(slots[0].outstanding + slots[1].outstanding, 0);
    assert_false(fa_slot_admit(slots, 2, ADMIT_MAX));
    fa_slot_leave(slots, 2);
    assert_true(fa_slot_admit(slots, 2, ADMIT_MAX));
    assert_false(fa_slot_admit(slots, 2, ADMIT_MAX));
}

/* maxConcurrentRequests: a place each, a wait past the limit bounded by
 * its timeout, a place given back; no limit, no wait. */
static void test_run_limit(void **state)
{
    fa_slot_t *slots = make_slots(2, 1);
    apr_time_t start;

    (void)state;
    assert_int_equal(fa_slot_run_begin(slots, 2, 1), APR_SUCCESS);
    fa_slot_run_end(slots, 2);
    assert_int_equal(fa_slot_limit_running(slots, 2, 2), APR_SUCCESS);
    assert_int_equal(fa_slot_run_begin(slots, 2, 0), APR_SUCCESS);
    assert_int_equal(fa_slot_run_begin(slots, 2, 0), APR_SUCCESS);
    start = apr_time_now();
    assert_int_equal(fa_slot_run_begin(slots, 2, apr_time_from_msec(100)),
                     APR_TIMEUP);
    assert_true(apr_time_now() - start >= apr_time_from_msec(90));
    /* the count of admitted requests is apart */
    assert_true(fa_slot_admit(slots, 2, 1));
    fa_slot_leave(slots, 2);
    fa_slot_run_end(slots, 2);
    assert_int_equal(fa_slot_run_begin(slots, 2, apr_time_from_msec(100)),
                     APR_SUCCESS);
}

/* The health census: each slot once, a ready one that stopped beating
 * as stalled; and the once-a-generation claim. */
static void test_census_and_claim(void **state)
{
    fa_slot_t *slots = make_slots(4, 0);
    int counts[FA_SLOT_NCENSUS];
    (void)state;

    fa_slot_census(slots, 4, counts);
    assert_int_equal(counts[FA_SLOT_DOWN], 4);
    fa_slot_set_starting(slots, 1);
    fa_slot_set_ready(slots, 2);
    fa_slot_beat(slots, 2);
    fa_slot_set_ready(slots, 3);
    slots[3].beat = slots[2].beat - (FA_SLOT_STALL_SECONDS + 2);
    fa_slot_census(slots, 4, counts);
    assert_int_equal(counts[FA_SLOT_DOWN], 1);
    assert_int_equal(counts[FA_SLOT_STARTING], 1);
    assert_int_equal(counts[FA_SLOT_READY], 1);
    assert_int_equal(counts[FA_SLOT_STALLED], 1);

    assert_int_equal(fa_slot_claim_once(slots, 4), 1);
    assert_int_equal(fa_slot_claim_once(slots, 4), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        UNIT_TEST(test_reserve_least_busy),
        UNIT_TEST(test_reserve_excludes),
        UNIT_TEST(test_reserve_only_slot),
        UNIT_TEST(test_reserve_not_ready_last),
        UNIT_TEST(test_reserve_tiers),
        UNIT_TEST(test_reserve_threads),
        UNIT_TEST(test_reserve_spreads_ties),
        UNIT_TEST(test_release),
        UNIT_TEST(test_reserve_concurrent),
        UNIT_TEST(test_admit),
        UNIT_TEST(test_run_limit),
        UNIT_TEST(test_census_and_claim),
    };

    return UNIT_RUN(tests);
}
