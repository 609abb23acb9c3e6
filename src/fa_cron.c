/* SPDX-License-Identifier: Apache-2.0 */
/* fa_cron: NCRONTAB and TimeSpan schedules (see fa_cron.h). */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <apr_strings.h>

#include "fa_cron.h"

/* How far fa_cron_next looks: a Feb 29 that must also be a given weekday
 * comes round within 28 years. */
#define MAX_DAYS (366 * 30)

typedef struct field {
    const char *what;
    int min, max;
    const char *const *names; /* NULL: numbers only */
} field_t;

static const char *const month_names[] = {
    "January", "February",  "March",   "April",    "May",      "June", "July",
    "August",  "September", "October", "November", "December", NULL};
static const char *const day_names[] = {"Sunday",    "Monday",   "Tuesday",
                                        "Wednesday", "Thursday", "Friday",
                                        "Saturday",  NULL};

static const field_t fields[6] = {
    {"second", 0, 59, NULL},       {"minute", 0, 59, NULL},
    {"hour", 0, 23, NULL},         {"day", 1, 31, NULL},
    {"month", 1, 12, month_names}, {"day of week", 0, 6, day_names}};

/* One value of a field: digits, or a name's prefix as NCrontab takes it
 * (the first name it starts, any case).  -1 if neither. */
static int parse_value(const field_t *f, const char *s, apr_size_t len)
{
    apr_size_t i;
    int v = 0;

    if (len == 0 || len > 9) {
        return -1;
    }
    if (isdigit((unsigned char)s[0])) {
        for (i = 0; i < len; ++i) {
            if (!isdigit((unsigned char)s[i])) {
                return -1;
            }
            v = v * 10 + (s[i] - '0');
        }
        return v;
    }
    for (i = 0; f->names && f->names[i]; ++i) {
        if (strlen(f->names[i]) >= len && !strncasecmp(f->names[i], s, len)) {
            return f->min + (int)i;
        }
    }
    return -1;
}

/* One item of a list (`*`, `n`, `a-b`, with an optional `/step`) into
 * @a bits. */
static int parse_item(const field_t *f, const char *s, apr_size_t len,
                      apr_uint64_t *bits)
{
    const char *slash = memchr(s, '/', len), *dash;
    int first, last, step = 1, v;

    if (slash) {
        step = parse_value(&fields[0], slash + 1, len - (slash + 1 - s));
        len = (apr_size_t)(slash - s);
        if (step <= 0) {
            return 0;
        }
    }
    dash = memchr(s, '-', len);
    if (len == 1 && s[0] == '*') {
        first = f->min;
        last = f->max;
    }
    else if (dash) {
        first = parse_value(f, s, (apr_size_t)(dash - s));
        last = parse_value(f, dash + 1, len - (apr_size_t)(dash + 1 - s));
    }
    else {
        first = parse_value(f, s, len);
        last = slash ? f->max : first;
    }
    if (first < f->min || last > f->max || first > last) {
        return 0;
    }
    for (v = first; v <= last; v += step) {
        *bits |= (apr_uint64_t)1 << v;
    }
    return 1;
}

static int parse_field(const field_t *f, const char *s, apr_size_t len,
                       apr_uint64_t *bits)
{
    *bits = 0;
    while (len > 0) {
        const char *comma = memchr(s, ',', len);
        apr_size_t n = comma ? (apr_size_t)(comma - s) : len;
        if (!parse_item(f, s, n, bits)) {
            return 0;
        }
        s += n;
        len -= n;
        if (comma) {
            ++s;
            --len;
            if (len == 0) {
                return 0; /* "1," */
            }
        }
    }
    return *bits != 0;
}

/* Digits at *@a s, at most 8 of them, moved past; -1 if none. */
static apr_int64_t number(const char **s)
{
    apr_int64_t v = 0;
    int n = 0;

    while (isdigit((unsigned char)**s) && n < 9) {
        v = v * 10 + (*(*s)++ - '0');
        ++n;
    }
    return n == 0 || n > 8 ? -1 : v;
}

/* A .NET TimeSpan as TimeSpan.TryParse reads one: d alone (days), or
 * [d.]hh:mm[:ss[.fraction]], each part in range (a fraction of a second
 * is dropped).  Seconds, or -1. */
static apr_int64_t parse_timespan(const char *s)
{
    apr_int64_t d = 0, h, m, sec = 0;
    const char *dot = strchr(s, '.'), *colon = strchr(s, ':');

    if (!colon) {
        d = number(&s);
        return *s ? -1 : d * 86400;
    }
    if (dot && dot < colon) {
        if ((d = number(&s)) < 0 || *s++ != '.') {
            return -1;
        }
    }
    if ((h = number(&s)) < 0 || *s++ != ':' || (m = number(&s)) < 0) {
        return -1;
    }
    if (*s == ':') {
        ++s;
        if ((sec = number(&s)) < 0) {
            return -1;
        }
        if (*s == '.') {
            ++s;
            if (number(&s) < 0) {
                return -1;
            }
        }
    }
    if (*s || h > 23 || m > 59 || sec > 59) {
        return -1;
    }
    return d * 86400 + h * 3600 + m * 60 + sec;
}

static apr_status_t parse_crontab(fa_cron_t *cron, const char *text,
                                  apr_pool_t *p, const char **error)
{
    const char *start[6], *s = text;
    apr_size_t len[6];
    apr_uint64_t bits[6];
    int n = 0, i, skip;

    while (*s) {
        while (isspace((unsigned char)*s)) {
            ++s;
        }
        if (!*s) {
            break;
        }
        if (n == 6) {
            *error = "it has more than six fields";
            return APR_EINVAL;
        }
        start[n] = s;
        while (*s && !isspace((unsigned char)*s)) {
            ++s;
        }
        len[n] = (apr_size_t)(s - start[n]);
        ++n;
    }
    if (n != 5 && n != 6) {
        *error = apr_psprintf(p,
                              "it has %d field(s), not six (second minute "
                              "hour day month day-of-week)",
                              n);
        return APR_EINVAL;
    }
    /* five fields: NCrontab's form without seconds (Azure takes it too) */
    skip = 6 - n;
    bits[0] = 1;
    for (i = skip; i < 6; ++i) {
        const field_t *f = &fields[i];
        if (!parse_field(f, start[i - skip], len[i - skip], &bits[i])) {
            *error = apr_psprintf(p, "'%.*s' is not a valid %s (%d-%d)",
                                  (int)len[i - skip], start[i - skip], f->what,
                                  f->min, f->max);
            return APR_EINVAL;
        }
    }
    cron->seconds = bits[0];
    cron->minutes = bits[1];
    cron->hours = (apr_uint32_t)bits[2];
    cron->days = (apr_uint32_t)bits[3];
    cron->months = (apr_uint32_t)bits[4];
    cron->dows = (apr_uint32_t)bits[5];
    return APR_SUCCESS;
}

apr_status_t fa_cron_parse(fa_cron_t *cron, const char *text, apr_pool_t *p,
                           const char **error)
{
    const char *cron_error = NULL;
    apr_int64_t span;

    memset(cron, 0, sizeof(*cron));
    if (!text || !*text) {
        *error = "the schedule is empty";
        return APR_EINVAL;
    }
    /* as Azure's TimerSchedule: NCRONTAB first, then a TimeSpan */
    if (parse_crontab(cron, text, p, &cron_error) == APR_SUCCESS) {
        return APR_SUCCESS;
    }
    memset(cron, 0, sizeof(*cron));
    if (!strchr(text, ' ') && (span = parse_timespan(text)) >= 0) {
        if (span == 0) {
            *error = apr_psprintf(p, "'%s': the interval is zero", text);
            return APR_EINVAL;
        }
        cron->interval = span;
        return APR_SUCCESS;
    }
    *error = apr_psprintf(p,
                          "'%s' is neither an NCRONTAB expression (%s) nor "
                          "a TimeSpan (hh:mm:ss)",
                          text, cron_error);
    return APR_EINVAL;
}

/* ---- the next occurrence --------------------------------------------- */

/* The time of a local (or UTC) date and time; -1 when that local time
 * does not exist (skipped at a daylight saving change). */
static apr_int64_t make_time(const struct tm *date, int h, int m, int s,
                             int local)
{
    struct tm tm = *date, back;
    time_t t;

    tm.tm_hour = h;
    tm.tm_min = m;
    tm.tm_sec = s;
    tm.tm_isdst = -1;
    if (!local) {
        return (apr_int64_t)timegm(&tm);
    }
    t = mktime(&tm);
    if (t == (time_t)-1 || !localtime_r(&t, &back) || back.tm_hour != h
        || back.tm_min != m || back.tm_mday != date->tm_mday) {
        return -1;
    }
    return (apr_int64_t)t;
}

#define HAS(bits, n) (((bits) >> (n)) & 1)

/* The first time of @a date, from h0:m0:s0 on, that the schedule has and
 * that is after @a after; 0 if none. */
static apr_int64_t in_day(const fa_cron_t *c, const struct tm *date, int h0,
                          int m0, int s0, apr_int64_t after, int local)
{
    int h, m, s;

    for (h = h0; h < 24; ++h) {
        if (!HAS(c->hours, h)) {
            continue;
        }
        for (m = h == h0 ? m0 : 0; m < 60; ++m) {
            if (!HAS(c->minutes, m)) {
                continue;
            }
            for (s = (h == h0 && m == m0) ? s0 : 0; s < 60; ++s) {
                apr_int64_t t;
                if (HAS(c->seconds, s)
                    && (t = make_time(date, h, m, s, local)) > after) {
                    return t;
                }
            }
        }
    }
    return 0;
}

apr_int64_t fa_cron_next(const fa_cron_t *c, apr_int64_t after, int local,
                         apr_int64_t anchor)
{
    time_t t = (time_t)(after + 1);
    struct tm first, date;
    int d;

    if (c->interval > 0) {
        apr_int64_t k = after < anchor ? 0 : (after - anchor) / c->interval + 1;
        return anchor + k * c->interval;
    }
    if (!(local ? localtime_r(&t, &first) : gmtime_r(&t, &first))) {
        return 0;
    }
    for (d = 0; d < MAX_DAYS; ++d) {
        apr_int64_t found;
        date = first;
        date.tm_mday += d;
        date.tm_hour = 12; /* normalised by timegm: calendar arithmetic only */
        date.tm_min = date.tm_sec = 0;
        date.tm_isdst = 0;
        t = timegm(&date);
        gmtime_r(&t, &date);
        if (!HAS(c->months, date.tm_mon + 1) || !HAS(c->days, date.tm_mday)
            || !HAS(c->dows, date.tm_wday)) {
            continue;
        }
        found = d == 0 ? in_day(c, &date, first.tm_hour, first.tm_min,
                                first.tm_sec, after, local)
                       : in_day(c, &date, 0, 0, 0, after, local);
        if (found) {
            return found;
        }
    }
    return 0;
}
