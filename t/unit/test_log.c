/* SPDX-License-Identifier: Apache-2.0 */
/* The core's logging: levels, APR's formatter, file and line, and the
 * one map between httpd's levels and Python's. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include <apr_general.h>
#include <apr_strings.h>

#include "fa_log.h"

typedef struct {
    int calls;
    const char *file;
    int line;
    int level;
    apr_status_t rv;
    apr_size_t len;
    char msg[256];
} seen_t;

static void record(void *baton, const char *file, int line, int level,
                   apr_status_t rv, const char *msg)
{
    seen_t *s = baton;

    ++s->calls;
    s->file = file;
    s->line = line;
    s->level = level;
    s->rv = rv;
    s->len = strlen(msg);
    apr_cpystrn(s->msg, msg, sizeof(s->msg));
}

static void test_marks_file_and_line(void **state)
{
    seen_t seen = {0};
    fa_logger_t log = {record, &seen, FA_LOG_INFO};
    int line;

    (void)state;
    line = __LINE__ + 1;
    fa_log(&log, FA_LOG_ERR, APR_EINVAL, "FA999: %s %d %lu", "x", -3, 7ul);
    assert_int_equal(seen.calls, 1);
    assert_string_equal(seen.file, __FILE__);
    assert_int_equal(seen.line, line);
    assert_int_equal(seen.level, FA_LOG_ERR);
    assert_int_equal(seen.rv, APR_EINVAL);
    assert_string_equal(seen.msg, "FA999: x -3 7");
}

static void test_level_filters_before_formatting(void **state)
{
    seen_t seen = {0};
    fa_logger_t log = {record, &seen, FA_LOG_WARNING};

    (void)state;
    fa_log(&log, FA_LOG_INFO, 0, "not written");
    fa_log(&log, FA_LOG_DEBUG, 0, "nor this");
    assert_int_equal(seen.calls, 0);
    fa_log(&log, FA_LOG_WARNING, 0, "written");
    assert_int_equal(seen.calls, 1);
    fa_log(NULL, FA_LOG_CRIT, 0, "no logger: no crash");
}

static void test_apr_formatter(void **state)
{
    seen_t seen = {0};
    fa_logger_t log = {record, &seen, FA_LOG_DEBUG};
    char big[4096];

    (void)state;
    fa_log(&log, FA_LOG_INFO, 0, "%" APR_TIME_T_FMT " ms, %.*s",
           (apr_time_t)1500, 3, "abcdef");
    assert_string_equal(seen.msg, "1500 ms, abc");
    /* a line longer than fa_log's buffer (2 kB) is cut, not overrun */
    memset(big, 'a', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    fa_log(&log, FA_LOG_INFO, 0, "%s", big);
    assert_int_equal(seen.len, 2047);
}

static void test_python_levels(void **state)
{
    (void)state;
    assert_int_equal(fa_log_level_from_python(50), FA_LOG_CRIT);
    assert_int_equal(fa_log_level_from_python(40), FA_LOG_ERR);
    assert_int_equal(fa_log_level_from_python(30), FA_LOG_WARNING);
    assert_int_equal(fa_log_level_from_python(25), FA_LOG_INFO);
    assert_int_equal(fa_log_level_from_python(20), FA_LOG_INFO);
    assert_int_equal(fa_log_level_from_python(10), FA_LOG_DEBUG);
    assert_int_equal(fa_log_level_from_python(0), FA_LOG_DEBUG);
    assert_int_equal(fa_log_level_to_python(FA_LOG_DEBUG), 10);
    assert_int_equal(fa_log_level_to_python(FA_LOG_INFO), 20);
    assert_int_equal(fa_log_level_to_python(FA_LOG_NOTICE), 30);
    assert_int_equal(fa_log_level_to_python(FA_LOG_WARNING), 30);
    assert_int_equal(fa_log_level_to_python(FA_LOG_ERR), 40);
    assert_int_equal(fa_log_level_to_python(FA_LOG_CRIT), 50);
    /* each way back lands on the same level */
    assert_int_equal(
        fa_log_level_from_python(fa_log_level_to_python(FA_LOG_ERR)),
        FA_LOG_ERR);
    assert_int_equal(
        fa_log_level_from_python(fa_log_level_to_python(FA_LOG_INFO)),
        FA_LOG_INFO);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_marks_file_and_line),
        cmocka_unit_test(test_level_filters_before_formatting),
        cmocka_unit_test(test_apr_formatter),
        cmocka_unit_test(test_python_levels),
    };

    apr_initialize();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
