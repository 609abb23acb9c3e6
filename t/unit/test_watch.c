/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for fa_watch: the running def invocations' deadlines, with a
 * clock the tests give: raise once past the timeout, stuck once a grace
 * later, nothing for what left in time, the waits in between. */
#include <string.h>

#include "fa_watch.h"
#include "unit.h"

#define S(n) apr_time_from_sec(n)
#define MS(n) apr_time_from_msec(n)
#define T0 S(1000)

static fa_watch_t *make(int entries)
{
    fa_watch_t *w;

    assert_int_equal(fa_watch_create(&w, pool, entries, S(10), S(2)),
                     APR_SUCCESS);
    return w;
}

static void test_idle_waits_a_timeout(void **state)
{
    fa_watch_t *w = make(2);
    fa_watch_due_t due;

    (void)state;
    assert_int_equal(fa_watch_due(w, T0, &due), S(10));
    assert_int_equal(due.action, FA_WATCH_NONE);
}

static void test_raise_once_then_stuck_once(void **state)
{
    fa_watch_t *w = make(2);
    fa_watch_due_t due;
    int e = fa_watch_enter(w, 77, T0, "inv-1", "spin");

    (void)state;
    assert_int_equal(e, 0);
    /* the wait is until its deadline */
    assert_int_equal(fa_watch_due(w, T0 + S(4), &due), S(6));
    assert_int_equal(fa_watch_due(w, T0 + S(10), &due), 0);
    assert_int_equal(due.action, FA_WATCH_RAISE);
    assert_int_equal(due.entry, e);
    assert_int_equal(due.ident, 77);
    assert_int_equal(due.started, T0);
    assert_string_equal(due.id, "inv-1");
    assert_string_equal(due.function, "spin");
    assert_true(fa_watch_running(w, e, due.serial));
    /* not twice: next comes the grace, counted from the raise */
    assert_int_equal(fa_watch_due(w, T0 + S(11), &due), S(1));
    assert_int_equal(due.action, FA_WATCH_NONE);
    assert_int_equal(fa_watch_due(w, T0 + S(12), &due), 0);
    assert_int_equal(due.action, FA_WATCH_STUCK);
    assert_string_equal(due.id, "inv-1");
    /* and then nothing more for it */
    assert_int_equal(fa_watch_due(w, T0 + S(60), &due), S(10));
    assert_int_equal(due.action, FA_WATCH_NONE);
    assert_int_equal(fa_watch_leave(w, e), 1);
}

static void test_left_in_time_is_never_due(void **state)
{
    fa_watch_t *w = make(1);
    fa_watch_due_t due;
    int e = fa_watch_enter(w, 1, T0, "inv-1", "quick");

    (void)state;
    assert_int_equal(fa_watch_leave(w, e), 0);
    assert_int_equal(fa_watch_due(w, T0 + S(30), &due), S(10));
    assert_int_equal(due.action, FA_WATCH_NONE);
}

/* Left after the raise: no stuck, and the runner is told to drop what may
 * be pending; its place serves the next invocation, which is another. */
static void test_left_after_raise(void **state)
{
    fa_watch_t *w = make(1);
    fa_watch_due_t due;
    apr_uint64_t first;
    int e = fa_watch_enter(w, 1, T0, "inv-1", "spin");

    (void)state;
    assert_int_equal(fa_watch_due(w, T0 + S(10), &due), 0);
    first = due.serial;
    assert_int_equal(fa_watch_leave(w, e), 1);
    assert_false(fa_watch_running(w, e, first));
    assert_int_equal(fa_watch_due(w, T0 + S(20), &due), S(10));
    /* the same place, another invocation: the old raise is not its */
    assert_int_equal(fa_watch_enter(w, 1, T0 + S(20), "inv-2", "f"), e);
    assert_false(fa_watch_running(w, e, first));
    assert_int_equal(fa_watch_due(w, T0 + S(21), &due), S(9));
    assert_int_equal(fa_watch_leave(w, e), 0);
}

/* The earliest deadline decides the wait; each entry is due on its own. */
static void test_several_entries(void **state)
{
    fa_watch_t *w = make(3);
    fa_watch_due_t due;
    int a = fa_watch_enter(w, 1, T0, "a", "fa");
    int b = fa_watch_enter(w, 2, T0 + S(3), "b", "fb");

    (void)state;
    assert_int_equal(a, 0);
    assert_int_equal(b, 1);
    assert_int_equal(fa_watch_due(w, T0 + S(1), &due), S(9));
    assert_int_equal(fa_watch_due(w, T0 + S(10), &due), 0);
    assert_string_equal(due.id, "a");
    /* a's grace (2 s) ends before b's deadline (3 s) */
    assert_int_equal(fa_watch_due(w, T0 + S(10), &due), S(2));
    assert_int_equal(fa_watch_leave(w, a), 1);
    assert_int_equal(fa_watch_due(w, T0 + S(13) + MS(1), &due), 0);
    assert_int_equal(due.action, FA_WATCH_RAISE);
    assert_string_equal(due.id, "b");
    assert_int_equal(due.ident, 2);
}

static void test_full_table_and_bad_sizes(void **state)
{
    fa_watch_t *w = make(1);
    char long_id[200];

    (void)state;
    assert_int_equal(fa_watch_enter(w, 1, T0, "a", "f"), 0);
    assert_int_equal(fa_watch_enter(w, 2, T0, "b", "f"), -1);
    assert_int_equal(fa_watch_leave(w, -1), 0);
    assert_int_equal(fa_watch_leave(w, 5), 0);
    assert_false(fa_watch_running(w, 7, 1));
    assert_int_equal(fa_watch_create(&w, pool, 0, S(1), S(1)), APR_EINVAL);
    assert_int_equal(fa_watch_create(&w, pool, 1, 0, S(1)), APR_EINVAL);
    assert_int_equal(fa_watch_create(&w, pool, 1, S(1), 0), APR_EINVAL);
    /* names longer than the copy are cut, not overrun */
    memset(long_id, 'x', sizeof(long_id) - 1);
    long_id[sizeof(long_id) - 1] = '\0';
    w = make(1);
    fa_watch_enter(w, 1, T0, long_id, long_id);
    {
        fa_watch_due_t due;
        assert_int_equal(fa_watch_due(w, T0 + S(10), &due), 0);
        assert_int_equal(strlen(due.id), sizeof(due.id) - 1);
        assert_int_equal(strlen(due.function), sizeof(due.function) - 1);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        UNIT_TEST(test_idle_waits_a_timeout),
        UNIT_TEST(test_raise_once_then_stuck_once),
        UNIT_TEST(test_left_in_time_is_never_due),
        UNIT_TEST(test_left_after_raise),
        UNIT_TEST(test_several_entries),
        UNIT_TEST(test_full_table_and_bad_sizes),
    };

    return UNIT_RUN(tests);
}
