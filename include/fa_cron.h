/* SPDX-License-Identifier: Apache-2.0 */
/**
 * fa_cron: a timer trigger's schedule, parsed as Azure parses it, and its
 * next occurrence.
 *
 * Runs in a worker process (its timer thread) and in the unit tests; pure
 * computation, no state.  A schedule is either an NCRONTAB expression
 * (Azure's NCrontab: six fields, seconds first; five fields have no
 * seconds), or, when it is not one, a .NET TimeSpan ("hh:mm:ss",
 * "d.hh:mm:ss", "d"), a constant interval.
 *
 * NCrontab's rules, which differ from Vixie cron's: `*`, `n`, `a-b`, a
 * step after any of them (`* /n`, `a-b/n`, `a/n` = a to the field's end),
 * lists with commas; names of months and days (English, any prefix, any
 * case: Jan, January, mon); day of week 0-6 (Sunday 0, no 7); and a day
 * must match both the day-of-month and the day-of-week fields.
 */
#ifndef FA_CRON_H
#define FA_CRON_H

#include <apr_pools.h>
#include <apr_time.h>

typedef struct fa_cron {
    apr_uint64_t seconds; /* bit n: second n (0..59) */
    apr_uint64_t minutes;
    apr_uint32_t hours;
    apr_uint32_t days;    /* bit n: day n of the month (1..31) */
    apr_uint32_t months;  /* bit n: month n (1..12) */
    apr_uint32_t dows;    /* bit n: day n of the week (0 Sunday..6) */
    apr_int64_t interval; /* a TimeSpan schedule, seconds; 0 for NCRONTAB */
} fa_cron_t;

/**
 * Parses @a text.  APR_EINVAL when it is neither, with *@a error one line
 * saying what is wrong (in @a p).
 */
apr_status_t fa_cron_parse(fa_cron_t *cron, const char *text, apr_pool_t *p,
                           const char **error);

/**
 * The first occurrence strictly after @a after (seconds since the epoch),
 * in local time (the process's TZ) when @a local, else in UTC.  For an
 * interval, the first of @a anchor + k * interval after @a after.  0 when
 * there is none within 30 years (Feb 30).
 */
apr_int64_t fa_cron_next(const fa_cron_t *cron, apr_int64_t after, int local,
                         apr_int64_t anchor);

#endif
