/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for fa_stats: the histogram's quantile estimate, the name
 * table's claims and overflow, counters under concurrent threads (and a
 * forked process, as children and workers share them), worker slots. */
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <apr_thread_proc.h>

#include "fa_stats.h"
#include "unit.h"

static fa_stats_t *make(int nworkers)
{
    fa_stats_t *st;

    assert_int_equal(fa_stats_create(&st, nworkers, pool), APR_SUCCESS);
    return st;
}

static void test_quantile(void **state)
{
    apr_uint64_t b[FA_STATS_BUCKETS + 1] = {0};

    (void)state;
    assert_true(fa_stats_quantile(b, 0.5) < 0); /* empty */
    /* 100 requests in (5 ms, 10 ms]: the median halfway, p99 near 10 */
    b[3] = 100;
    assert_float_equal(fa_stats_quantile(b, 0.5), 0.0075, 1e-9);
    assert_float_equal(fa_stats_quantile(b, 0.99), 0.00995, 1e-9);
    /* 90 fast (<= 1 ms), 10 in (1 s, 2.5 s]: p50 fast, p99 slow */
    memset(b, 0, sizeof(b));
    b[0] = 90;
    b[10] = 10;
    assert_float_equal(fa_stats_quantile(b, 0.5), 0.001 * 50 / 90, 1e-9);
    assert_float_equal(fa_stats_quantile(b, 0.99), 1 + 1.5 * 0.9, 1e-9);
    /* past the last bound: the last bound */
    memset(b, 0, sizeof(b));
    b[FA_STATS_BUCKETS] = 3;
    assert_float_equal(fa_stats_quantile(b, 0.5), 60, 1e-9);
}

static void test_histogram_buckets(void **state)
{
    fa_stats_t *st = make(1);
    fa_stats_function_view_t v;
    int fn = fa_stats_function_index(st, "f");

    (void)state;
    fa_stats_request_begin(st, fn);
    fa_stats_request_end(st, fn, 200, 1000); /* on a bound: le is <= */
    fa_stats_request_begin(st, fn);
    fa_stats_request_end(st, fn, 200, 1001);
    fa_stats_request_begin(st, fn);
    fa_stats_request_end(st, fn, 200, apr_time_from_sec(61));
    assert_int_equal(fa_stats_function_read(st, fn, &v), 1);
    assert_int_equal(v.buckets[0], 1);
    assert_int_equal(v.buckets[1], 1);
    assert_int_equal(v.buckets[FA_STATS_BUCKETS], 1);
    assert_int_equal(v.requests, 3);
    assert_int_equal(v.in_flight, 0);
    assert_int_equal(v.sum_usec, 2001 + 61000000);
}

static void test_error_classes(void **state)
{
    fa_stats_t *st = make(1);
    fa_stats_function_view_t v;
    int fn = fa_stats_function_index(st, "f");
    int codes[] = {200, 204, 301, 401, 404, 429, 429, 500, 502, 504};
    unsigned i;

    (void)state;
    for (i = 0; i < sizeof(codes) / sizeof(codes[0]); ++i) {
        fa_stats_request_begin(st, fn);
        fa_stats_request_end(st, fn, codes[i], 10);
    }
    fa_stats_request_begin(st, fn); /* one still in flight */
    assert_int_equal(fa_stats_function_read(st, fn, &v), 1);
    assert_int_equal(v.requests, 10);
    assert_int_equal(v.err4xx, 2);
    assert_int_equal(v.err429, 2);
    assert_int_equal(v.err5xx, 2);
    assert_int_equal(v.err504, 1);
    assert_int_equal(v.in_flight, 1);
}

static void test_names_claim_and_overflow(void **state)
{
    fa_stats_t *st = make(1);
    fa_stats_function_view_t v;
    char name[32], longname[FA_STATS_NAME_MAX + 1];
    int i;

    (void)state;
    assert_int_equal(fa_stats_function_index(st, "a"), 0);
    assert_int_equal(fa_stats_function_index(st, "b"), 1);
    assert_int_equal(fa_stats_function_index(st, "a"), 0); /* once */
    for (i = 2; i < FA_STATS_FUNCTIONS; ++i) {
        snprintf(name, sizeof(name), "f%d", i);
        assert_int_equal(fa_stats_function_index(st, name), i);
    }
    /* full: new names share "(other)", known ones keep theirs */
    assert_int_equal(fa_stats_function_index(st, "late"), FA_STATS_FUNCTIONS);
    assert_int_equal(fa_stats_function_index(st, "b"), 1);
    memset(longname, 'x', sizeof(longname) - 1);
    longname[sizeof(longname) - 1] = '\0';
    assert_int_equal(fa_stats_function_index(make(1), longname),
                     FA_STATS_FUNCTIONS);
    /* "(other)" shows only once it has requests */
    assert_int_equal(fa_stats_function_read(st, FA_STATS_FUNCTIONS, &v), 0);
    fa_stats_request_begin(st, FA_STATS_FUNCTIONS);
    fa_stats_request_end(st, FA_STATS_FUNCTIONS, 200, 5);
    assert_int_equal(fa_stats_function_read(st, FA_STATS_FUNCTIONS, &v), 1);
    assert_string_equal(v.name, FA_STATS_OTHER_NAME);
    assert_int_equal(fa_stats_function_read(st, 1, &v), 1);
    assert_string_equal(v.name, "b");
}

#define THREADS 8
#define PER_THREAD 20000

typedef struct {
    fa_stats_t *st;
    int index; /* what fa_stats_function_index gave this thread */
} racer_t;

static void *APR_THREAD_FUNC race(apr_thread_t *t, void *data)
{
    racer_t *r = data;
    int i;

    /* every thread claims the same names in another order */
    r->index = fa_stats_function_index(r->st, "shared");
    fa_stats_function_index(r->st, (r->index & 1) ? "x" : "y");
    for (i = 0; i < PER_THREAD; ++i) {
        fa_stats_request_begin(r->st, r->index);
        fa_stats_request_end(r->st, r->index, i % 2 ? 200 : 500, 2000);
        fa_stats_dispatched(r->st, 0, 0);
        fa_stats_run_begin(r->st, 0);
        fa_stats_run_end(r->st, 0);
        fa_stats_answered(r->st, 0, 0);
    }
    apr_thread_exit(t, APR_SUCCESS);
    return NULL;
}

static void test_concurrent_increments(void **state)
{
    fa_stats_t *st = make(2);
    apr_thread_t *threads[THREADS];
    racer_t r[THREADS];
    fa_stats_function_view_t v;
    fa_stats_worker_view_t w;
    apr_status_t rv;
    pid_t child;
    int i, status;

    (void)state;
    /* a forked process adds to the same memory, as an httpd child does */
    child = fork();
    if (child == 0) {
        int fn = fa_stats_function_index(st, "shared");
        for (i = 0; i < PER_THREAD; ++i) {
            fa_stats_request_begin(st, fn);
            fa_stats_request_end(st, fn, 200, 2000);
        }
        _exit(0);
    }
    /* a worker's first count is its I/O thread's, which claims its lane */
    fa_stats_dispatched(st, 0, 1);
    fa_stats_answered(st, 0, 1);
    for (i = 0; i < THREADS; ++i) {
        r[i].st = st;
        assert_int_equal(
            apr_thread_create(&threads[i], NULL, race, &r[i], pool),
            APR_SUCCESS);
    }
    for (i = 0; i < THREADS; ++i) {
        apr_thread_join(&rv, threads[i]);
        assert_int_equal(r[i].index, r[0].index);
    }
    assert_int_equal(waitpid(child, &status, 0), child);
    assert_int_equal(fa_stats_function_read(st, r[0].index, &v), 1);
    assert_int_equal(v.requests, (THREADS + 1) * PER_THREAD);
    assert_int_equal(v.err5xx, THREADS * PER_THREAD / 2);
    assert_int_equal(v.buckets[1], (THREADS + 1) * PER_THREAD);
    assert_int_equal(v.in_flight, 0);
    fa_stats_worker_read(st, 0, &w);
    assert_int_equal(w.served, THREADS * PER_THREAD + 1);
    assert_int_equal(w.busy + w.queued + w.async, 0);
    /* three names, each once */
    assert_int_equal(fa_stats_function_read(st, 3, &v), 0);
}

static void test_worker_slots(void **state)
{
    fa_stats_t *st = make(2);
    fa_stats_worker_view_t v;
    char buf[32];

    (void)state;
    fa_stats_worker_read(st, 1, &v);
    assert_int_equal(v.pid, 0);
    assert_string_equal(fa_stats_exit_text(&v, buf, sizeof(buf)), "");
    /* this process plays the worker: it counts in its own lane */
    fa_stats_worker_started(st, 1, getpid(), 3, apr_time_from_sec(10));
    fa_stats_dispatched(st, 1, 1);
    fa_stats_dispatched(st, 1, 0);
    fa_stats_dispatched(st, 1, 0);
    fa_stats_run_begin(st, 1); /* then is killed mid-request */
    fa_stats_answered(st, 1, 1);
    fa_stats_worker_read(st, 1, &v);
    assert_int_equal(v.pid, getpid());
    assert_int_equal(v.generation, 3);
    assert_int_equal(v.restarts, 0);
    assert_int_equal(v.async, 0);
    assert_int_equal(v.queued, 1);
    assert_int_equal(v.busy, 1);
    assert_int_equal(v.served, 1);
    /* another process of the slot reaped: ours stays */
    fa_stats_worker_exited(st, 1, 99999, 1, 0);
    fa_stats_worker_read(st, 1, &v);
    assert_int_equal(v.busy, 1);
    assert_string_equal(fa_stats_exit_text(&v, buf, sizeof(buf)), "recycled");
    /* ours reaped: what it left counted goes */
    fa_stats_worker_exited(st, 1, getpid(), 0, 9);
    fa_stats_worker_started(st, 1, 1235, 3, apr_time_from_sec(11));
    fa_stats_worker_read(st, 1, &v);
    assert_int_equal(v.restarts, 1);
    assert_int_equal(v.served + v.busy + v.queued + v.async, 0);
    assert_string_equal(fa_stats_exit_text(&v, buf, sizeof(buf)), "status 9");
    fa_stats_exit_hint(st, 1, FA_STATS_EXIT_STALLED);
    fa_stats_worker_exited(st, 1, 1235, 0, 9);
    fa_stats_worker_read(st, 1, &v);
    assert_string_equal(fa_stats_exit_text(&v, buf, sizeof(buf)), "stalled");
    fa_stats_worker_read(st, 0, &v); /* its neighbour untouched */
    assert_int_equal(v.pid, 0);
}

static void test_rss(void **state)
{
    apr_uint64_t rss = 0;

    (void)state;
    assert_int_equal(fa_stats_rss(getpid(), &rss), APR_SUCCESS);
    assert_true(rss > 1024 * 1024);
    assert_int_not_equal(fa_stats_rss(0x7ffffff0, &rss), APR_SUCCESS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        UNIT_TEST(test_quantile),
        UNIT_TEST(test_histogram_buckets),
        UNIT_TEST(test_error_classes),
        UNIT_TEST(test_names_claim_and_overflow),
        UNIT_TEST(test_concurrent_increments),
        UNIT_TEST(test_worker_slots),
        UNIT_TEST(test_rss),
    };
    return UNIT_RUN(tests);
}
