/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for timer schedules: Azure's NCRONTAB examples, NCrontab's
 * syntax (steps, ranges, lists, names, five fields), its refusals, TimeSpan
 * intervals, and next occurrences in UTC and in a zone with daylight
 * saving time. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "unit.h"

#include "fa_cron.h"

/* "YYYY-MM-DDTHH:MM:SS" in UTC, as seconds since the epoch. */
static apr_int64_t utc(const char *iso)
{
    struct tm tm;

    memset(&tm, 0, sizeof(tm));
    assert_int_equal(sscanf(iso, "%d-%d-%dT%d:%d:%d", &tm.tm_year, &tm.tm_mon,
                            &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec),
                     6);
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return (apr_int64_t)timegm(&tm);
}

/* The next occurrence of @a text after @a after, in UTC. */
static apr_int64_t next_utc(const char *text, const char *after)
{
    fa_cron_t c;
    const char *error = NULL;

    if (fa_cron_parse(&c, text, pool, &error) != APR_SUCCESS) {
        fail_msg("'%s' refused: %s", text, error);
    }
    return fa_cron_next(&c, utc(after), 0, 0);
}

#define NEXT(text, after, want)                                                \
    assert_int_equal(next_utc(text, after), utc(want))

static void test_azure_examples(void **state)
{
    (void)state;
    /* every five minutes */
    NEXT("0 */5 * * * *", "2026-01-01T00:02:30", "2026-01-01T00:05:00");
    NEXT("0 */5 * * * *", "2026-01-01T00:05:00", "2026-01-01T00:10:00");
    /* at the top of every hour */
    NEXT("0 0 * * * *", "2026-01-01T10:00:00", "2026-01-01T11:00:00");
    NEXT("0 0 * * * *", "2026-01-01T10:59:59", "2026-01-01T11:00:00");
    /* every two hours */
    NEXT("0 0 */2 * * *", "2026-01-01T01:00:00", "2026-01-01T02:00:00");
    NEXT("0 0 */2 * * *", "2026-01-01T02:00:00", "2026-01-01T04:00:00");
    /* 9:30 every weekday: Friday, then Monday */
    NEXT("0 30 9 * * 1-5", "2026-01-02T00:00:00", "2026-01-02T09:30:00");
    NEXT("0 30 9 * * 1-5", "2026-01-02T09:30:00", "2026-01-05T09:30:00");
    /* every hour from 9 to 17 */
    NEXT("0 0 9-17 * * *", "2026-01-01T16:30:00", "2026-01-01T17:00:00");
    NEXT("0 0 9-17 * * *", "2026-01-01T17:00:00", "2026-01-02T09:00:00");
    /* 9:30 every Monday in January */
    NEXT("0 30 9 * Jan Mon", "2026-01-06T00:00:00", "2026-01-12T09:30:00");
    NEXT("0 30 9 * Jan Mon", "2026-02-01T00:00:00", "2027-01-04T09:30:00");
}

static void test_syntax(void **state)
{
    (void)state;
    /* every second */
    NEXT("* * * * * *", "2026-01-01T00:00:00", "2026-01-01T00:00:01");
    /* a/n: from a to the end of the field */
    NEXT("5/15 * * * * *", "2026-01-01T00:00:05", "2026-01-01T00:00:20");
    NEXT("5/15 * * * * *", "2026-01-01T00:00:50", "2026-01-01T00:01:05");
    /* a range with a step */
    NEXT("10-20/5 * * * * *", "2026-01-01T00:00:15", "2026-01-01T00:00:20");
    NEXT("10-20/5 * * * * *", "2026-01-01T00:00:20", "2026-01-01T00:01:10");
    /* lists, and lists of ranges */
    NEXT("0,30 * * * * *", "2026-01-01T00:00:00", "2026-01-01T00:00:30");
    NEXT("0 0 1-2,22 * * *", "2026-01-01T02:00:00", "2026-01-01T22:00:00");
    /* names: full, abbreviated, any case, a prefix (the first it starts) */
    NEXT("0 0 0 * JANUARY sunday", "2026-01-01T00:00:00",
         "2026-01-04T00:00:00");
    NEXT("0 0 0 1 ju *", "2026-01-01T00:00:00", "2026-06-01T00:00:00");
    NEXT("0 0 0 1 feb-Mar *", "2026-02-01T00:00:00", "2026-03-01T00:00:00");
    /* NCrontab: a day matches both day fields (Friday the 13th) */
    NEXT("0 0 0 13 * Fri", "2026-01-01T00:00:00", "2026-02-13T00:00:00");
    NEXT("0 0 0 13 * 5", "2026-02-13T00:00:00", "2026-03-13T00:00:00");
    /* five fields: no seconds field, second 0 */
    NEXT("*/5 * * * *", "2026-01-01T00:02:30", "2026-01-01T00:05:00");
    /* blanks between fields, any number */
    NEXT("  0   0  *  * * *  ", "2026-01-01T10:00:00", "2026-01-01T11:00:00");
    /* no such day within the look-ahead */
    assert_int_equal(next_utc("0 0 0 30 Feb *", "2026-01-01T00:00:00"), 0);
    /* Feb 29 on a Monday, years away */
    NEXT("0 0 0 29 Feb Mon", "2026-01-01T00:00:00", "2044-02-29T00:00:00");
}

static void test_refused(void **state)
{
    static const char *const bad[] = {"",
                                      "* * * *",
                                      "* * * * * * *",
                                      "60 * * * * *",
                                      "* 60 * * * *",
                                      "* * 24 * * *",
                                      "* * * 0 * *",
                                      "* * * 32 * *",
                                      "* * * * 13 *",
                                      "* * * * * 7",
                                      "0 0 0 5-1 * *",
                                      "*/0 * * * * *",
                                      "1, * * * * *",
                                      "0 0 0 * Foo *",
                                      "0 0 0 * * Mox",
                                      "a * * * * *",
                                      "1-* * * * * *",
                                      "24:00:00",
                                      "00:60:00",
                                      "00:00:60",
                                      "abc",
                                      "00:00:00",
                                      "1.2",
                                      "-1",
                                      "1:2:3:4",
                                      "00:01:00x"};
    apr_size_t i;

    (void)state;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); ++i) {
        fa_cron_t c;
        const char *error = NULL;
        if (fa_cron_parse(&c, bad[i], pool, &error) != APR_EINVAL) {
            fail_msg("'%s' was accepted", bad[i]);
        }
        assert_non_null(error);
    }
}

static void test_error_message(void **state)
{
    fa_cron_t c;
    const char *error = NULL;

    (void)state;
    assert_int_equal(fa_cron_parse(&c, "0 61 * * * *", pool, &error),
                     APR_EINVAL);
    assert_non_null(strstr(error, "'61' is not a valid minute (0-59)"));
    assert_int_equal(fa_cron_parse(&c, "* *", pool, &error), APR_EINVAL);
    assert_non_null(strstr(error, "2 field(s), not six"));
}

static apr_int64_t interval(const char *text)
{
    fa_cron_t c;
    const char *error = NULL;

    assert_int_equal(fa_cron_parse(&c, text, pool, &error), APR_SUCCESS);
    return c.interval;
}

static void test_timespan(void **state)
{
    fa_cron_t c;
    const char *error = NULL;

    (void)state;
    assert_int_equal(interval("00:01:00"), 60);
    assert_int_equal(interval("00:00:01"), 1);
    assert_int_equal(interval("01:30"), 5400);
    assert_int_equal(interval("1.02:03:04"), 93784);
    assert_int_equal(interval("00:00:05.5"), 5);
    assert_int_equal(interval("2"), 2 * 86400); /* days, as .NET reads it */
    /* the next tick: the anchor plus a whole number of intervals */
    assert_int_equal(fa_cron_parse(&c, "00:01:00", pool, &error), APR_SUCCESS);
    assert_int_equal(fa_cron_next(&c, 1000, 0, 1000), 1060);
    assert_int_equal(fa_cron_next(&c, 1059, 0, 1000), 1060);
    assert_int_equal(fa_cron_next(&c, 1060, 0, 1000), 1120);
    assert_int_equal(fa_cron_next(&c, 500, 0, 1000), 1000);
    /* a cron expression is never read as a TimeSpan */
    assert_int_equal(fa_cron_parse(&c, "0 0 * * * *", pool, &error),
                     APR_SUCCESS);
    assert_int_equal(c.interval, 0);
}

/* Local time in a zone with daylight saving time. */
static void test_time_zone(void **state)
{
    fa_cron_t c;
    const char *error = NULL;
    const char *old = getenv("TZ");
    char *saved = old ? strdup(old) : NULL;

    (void)state;
    setenv("TZ", "America/New_York", 1);
    tzset();
    assert_int_equal(fa_cron_parse(&c, "0 30 9 * * *", pool, &error),
                     APR_SUCCESS);
    /* 9:30 EST is 14:30 UTC */
    assert_int_equal(fa_cron_next(&c, utc("2026-01-01T00:00:00"), 1, 0),
                     utc("2026-01-01T14:30:00"));
    /* 2:30 does not exist on 2026-03-08 (clocks go 2:00 -> 3:00): the
     * next is on the 9th, 2:30 EDT = 6:30 UTC */
    assert_int_equal(fa_cron_parse(&c, "0 30 2 * * *", pool, &error),
                     APR_SUCCESS);
    assert_int_equal(fa_cron_next(&c, utc("2026-03-08T05:00:00"), 1, 0),
                     utc("2026-03-09T06:30:00"));
    /* the same schedule in UTC ignores TZ */
    assert_int_equal(fa_cron_next(&c, utc("2026-03-08T00:00:00"), 0, 0),
                     utc("2026-03-08T02:30:00"));
    if (saved) {
        setenv("TZ", saved, 1);
        free(saved);
    }
    else {
        unsetenv("TZ");
    }
    tzset();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        UNIT_TEST(test_azure_examples), UNIT_TEST(test_syntax),
        UNIT_TEST(test_refused),        UNIT_TEST(test_error_message),
        UNIT_TEST(test_timespan),       UNIT_TEST(test_time_zone)};

    return UNIT_RUN(tests);
}
