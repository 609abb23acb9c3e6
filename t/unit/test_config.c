/* SPDX-License-Identifier: Apache-2.0 */
/* Directive validation: what `apachectl configtest` reports. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <apr_file_io.h>
#include <apr_general.h>
#include <apr_strings.h>

#include "fa_config.h"
#include "unit.h"

static void test_counts_in_range(void **state)
{
    const char *err = NULL;
    int n;

    (void)state;
    assert_int_equal(fa_config_parse_count(pool, "FunctionsWorkerProcessCount",
                                           "1", 1, 10, &n, &err),
                     APR_SUCCESS);
    assert_int_equal(n, 1);
    assert_int_equal(fa_config_parse_count(pool, "FunctionsWorkerProcessCount",
                                           "10", 1, 10, &n, &err),
                     APR_SUCCESS);
    assert_int_equal(n, 10);
    assert_int_equal(fa_config_parse_count(pool, "PythonThreadpoolThreadCount",
                                           "32", 1, 32, &n, &err),
                     APR_SUCCESS);
    assert_int_equal(n, 32);
}

static void test_counts_refused(void **state)
{
    static const char *bad[] = {"0", "11", "-1", "abc", "3x",
                                "",  " 3", "+3", "3 ",  "99999999999999999999",
                                NULL};
    const char **v;
    const char *err;
    int n = 7;

    (void)state;
    for (v = bad; *v; ++v) {
        err = NULL;
        assert_int_equal(fa_config_parse_count(pool,
                                               "FunctionsWorkerProcessCount",
                                               *v, 1, 10, &n, &err),
                         APR_EINVAL);
        assert_non_null(err);
        /* one line naming the directive and the accepted range */
        assert_non_null(strstr(err, "FunctionsWorkerProcessCount"));
        assert_non_null(strstr(err, "from 1 to 10"));
        assert_null(strchr(err, '\n'));
        assert_int_equal(n, 7);
    }
    assert_int_equal(fa_config_parse_count(pool, "PythonThreadpoolThreadCount",
                                           "33", 1, 32, &n, &err),
                     APR_EINVAL);
    assert_non_null(strstr(err,
                           "PythonThreadpoolThreadCount must be an "
                           "integer from 1 to 32, not '33'"));
}

static const char *make_app(const char *host_json, const char *settings_json)
{
    char *dir = apr_pstrdup(pool, "/tmp/fa-test-config-XXXXXX");
    apr_file_t *f;

    assert_non_null(mkdtemp(dir));
    if (host_json) {
        assert_int_equal(
            apr_file_open(&f, apr_pstrcat(pool, dir, "/host.json", NULL),
                          APR_FOPEN_WRITE | APR_FOPEN_CREATE,
                          APR_FPROT_OS_DEFAULT, pool),
            APR_SUCCESS);
        apr_file_puts(host_json, f);
        apr_file_close(f);
    }
    if (settings_json) {
        assert_int_equal(
            apr_file_open(
                &f, apr_pstrcat(pool, dir, "/local.settings.json", NULL),
                APR_FOPEN_WRITE | APR_FOPEN_CREATE, APR_FPROT_OS_DEFAULT, pool),
            APR_SUCCESS);
        apr_file_puts(settings_json, f);
        apr_file_close(f);
    }
    return dir;
}

static void remove_app(const char *dir)
{
    apr_file_remove(apr_pstrcat(pool, dir, "/host.json", NULL), pool);
    apr_file_remove(apr_pstrcat(pool, dir, "/local.settings.json", NULL), pool);
    apr_dir_remove(dir, pool);
}

static void test_defaults(void **state)
{
    fa_app_config_t *cfg = fa_config_make(pool);
    const char *err = NULL;

    (void)state;
    cfg->app_dir = make_app("{\"version\": \"2.0\"}", NULL);
    assert_int_equal(fa_config_resolve(pool, cfg, &err), APR_SUCCESS);
    assert_string_equal(cfg->route_prefix, "api");
    assert_int_equal(cfg->process_count, 1);
    assert_int_equal(cfg->thread_count, 1);
    remove_app(cfg->app_dir);
}

static void test_route_prefix(void **state)
{
    fa_app_config_t *cfg = fa_config_make(pool);
    const char *err = NULL;

    (void)state;
    cfg->app_dir = make_app("{\"extensions\": {\"http\": {\"routePrefix\": "
                            "\"/v1/fn/\"}}}",
                            NULL);
    assert_int_equal(fa_config_resolve(pool, cfg, &err), APR_SUCCESS);
    assert_string_equal(cfg->route_prefix, "v1/fn");
    remove_app(cfg->app_dir);

    cfg = fa_config_make(pool);
    cfg->app_dir = make_app("{\"extensions\": {\"http\": {\"routePrefix\": "
                            "\"\"}}}",
                            NULL);
    assert_int_equal(fa_config_resolve(pool, cfg, &err), APR_SUCCESS);
    assert_string_equal(cfg->route_prefix, "");
    remove_app(cfg->app_dir);
}

static void test_broken_host_json(void **state)
{
    static const char *broken[] = {
        "{\"version\": ", "[1, 2]",
        "{\"extensions\": {\"http\": {\"routePrefix\": 5}}}", NULL};
    const char **b;

    (void)state;
    for (b = broken; *b; ++b) {
        fa_app_config_t *cfg = fa_config_make(pool);
        const char *err = NULL;
        cfg->app_dir = make_app(*b, NULL);
        assert_int_not_equal(fa_config_resolve(pool, cfg, &err), APR_SUCCESS);
        assert_non_null(err);
        assert_non_null(strstr(err, "host.json"));
        remove_app(cfg->app_dir);
    }
}

static void test_timeouts(void **state)
{
    static const char *bad[] = {"0",        "abc",     "1:2", "00:60:00",
                                "00:00:60", "1:2:3:4", "::",  "-2",
                                "00:00:00", " 5",      "5s",  "99999999999",
                                NULL};
    apr_interval_time_t t = 0;
    const char **b;
    const char *err = NULL;

    (void)state;
    assert_int_equal(
        fa_config_parse_timeout(pool, "FunctionTimeout", "5", &t, &err),
        APR_SUCCESS);
    assert_int_equal(t, apr_time_from_sec(5));
    assert_int_equal(
        fa_config_parse_timeout(pool, "FunctionTimeout", "01:02:03", &t, &err),
        APR_SUCCESS);
    assert_int_equal(t, apr_time_from_sec(3723));
    assert_int_equal(
        fa_config_parse_timeout(pool, "FunctionTimeout", "off", &t, &err),
        APR_SUCCESS);
    assert_int_equal(t, -1);
    assert_int_equal(fa_config_parse_timeout(pool, "x", "-1", &t, &err),
                     APR_SUCCESS);
    assert_int_equal(t, -1);
    for (b = bad; *b; ++b) {
        assert_int_not_equal(
            fa_config_parse_timeout(pool, "FunctionTimeout", *b, &t, &err),
            APR_SUCCESS);
        assert_string_equal(err,
                            apr_psprintf(pool,
                                         "FunctionTimeout must be "
                                         "SECONDS, hh:mm:ss or off, "
                                         "not '%s'",
                                         *b));
    }
}

/* host.json's functionTimeout, the 230 s default, and the directive
 * winning over host.json. */
static void test_function_timeout(void **state)
{
    fa_app_config_t *cfg = fa_config_make(pool);
    const char *err = NULL;

    (void)state;
    cfg->app_dir = make_app("{\"version\": \"2.0\"}", NULL);
    assert_int_equal(fa_config_resolve(pool, cfg, &err), APR_SUCCESS);
    assert_int_equal(cfg->function_timeout, apr_time_from_sec(230));
    remove_app(cfg->app_dir);

    cfg = fa_config_make(pool);
    cfg->app_dir = make_app("{\"functionTimeout\": \"00:10:00\"}", NULL);
    assert_int_equal(fa_config_resolve(pool, cfg, &err), APR_SUCCESS);
    assert_int_equal(cfg->function_timeout, apr_time_from_sec(600));
    remove_app(cfg->app_dir);

    cfg = fa_config_make(pool);
    cfg->app_dir = make_app("{\"functionTimeout\": \"-1\"}", NULL);
    assert_int_equal(fa_config_resolve(pool, cfg, &err), APR_SUCCESS);
    assert_int_equal(cfg->function_timeout, -1);
    remove_app(cfg->app_dir);

    cfg = fa_config_make(pool);
    cfg->function_timeout = apr_time_from_sec(7);
    cfg->app_dir = make_app("{\"functionTimeout\": \"00:10:00\"}", NULL);
    assert_int_equal(fa_config_resolve(pool, cfg, &err), APR_SUCCESS);
    assert_int_equal(cfg->function_timeout, apr_time_from_sec(7));
    remove_app(cfg->app_dir);

    cfg = fa_config_make(pool);
    cfg->app_dir = make_app("{\"functionTimeout\": \"ten minutes\"}", NULL);
    assert_int_not_equal(fa_config_resolve(pool, cfg, &err), APR_SUCCESS);
    assert_non_null(strstr(err, "host.json: functionTimeout must be"));
    remove_app(cfg->app_dir);
}

/* host.json's extensions.http.maxOutstandingRequests: -1 or absent is
 * unbounded (0), anything else 1..1000000. */
static void test_max_outstanding(void **state)
{
    static const char *bad[] = {"0", "-2", "\"10\"", "1.5", "1000001", NULL};
    fa_app_config_t *cfg = fa_config_make(pool);
    const char *err = NULL, **b;

    (void)state;
    cfg->app_dir = make_app("{\"extensions\": {\"http\": "
                            "{\"maxOutstandingRequests\": 200}}}",
                            NULL);
    assert_int_equal(fa_config_resolve(pool, cfg, &err), APR_SUCCESS);
    assert_int_equal(cfg->max_outstanding, 200);
    remove_app(cfg->app_dir);

    cfg = fa_config_make(pool);
    cfg->app_dir = make_app("{\"extensions\": {\"http\": "
                            "{\"maxOutstandingRequests\": -1}}}",
                            NULL);
    assert_int_equal(fa_config_resolve(pool, cfg, &err), APR_SUCCESS);
    assert_int_equal(cfg->max_outstanding, 0);
    remove_app(cfg->app_dir);

    for (b = bad; *b; ++b) {
        cfg = fa_config_make(pool);
        cfg->app_dir = make_app(apr_psprintf(pool,
                                             "{\"extensions\": "
                                             "{\"http\": {\"maxOutstanding"
                                             "Requests\": %s}}}",
                                             *b),
                                NULL);
        assert_int_not_equal(fa_config_resolve(pool, cfg, &err), APR_SUCCESS);
        assert_non_null(strstr(err, "maxOutstandingRequests must be -1 or"));
        remove_app(cfg->app_dir);
    }
}

/* host.json's extensions.http.maxConcurrentRequests: the same rule, and
 * apart from maxOutstandingRequests. */
static void test_max_concurrent(void **state)
{
    static const char *bad[] = {"0", "-2", "\"2\"", "2.5", "1000001", NULL};
    fa_app_config_t *cfg = fa_config_make(pool);
    const char *err = NULL, **b;

    (void)state;
    assert_int_equal(fa_config_resolve(pool, cfg, &err), APR_SUCCESS);
    assert_int_equal(cfg->max_concurrent, 0);
    cfg = fa_config_make(pool);
    cfg->app_dir = make_app("{\"extensions\": {\"http\": "
                            "{\"maxConcurrentRequests\": 25, "
                            "\"maxOutstandingRequests\": 200}}}",
                            NULL);
    assert_int_equal(fa_config_resolve(pool, cfg, &err), APR_SUCCESS);
    assert_int_equal(cfg->max_concurrent, 25);
    assert_int_equal(cfg->max_outstanding, 200);
    remove_app(cfg->app_dir);

    cfg = fa_config_make(pool);
    cfg->app_dir = make_app("{\"extensions\": {\"http\": "
                            "{\"maxConcurrentRequests\": -1}}}",
                            NULL);
    assert_int_equal(fa_config_resolve(pool, cfg, &err), APR_SUCCESS);
    assert_int_equal(cfg->max_concurrent, 0);
    remove_app(cfg->app_dir);

    for (b = bad; *b; ++b) {
        cfg = fa_config_make(pool);
        cfg->app_dir = make_app(apr_psprintf(pool,
                                             "{\"extensions\": "
                                             "{\"http\": {\"maxConcurrent"
                                             "Requests\": %s}}}",
                                             *b),
                                NULL);
        assert_int_not_equal(fa_config_resolve(pool, cfg, &err), APR_SUCCESS);
        assert_non_null(strstr(err,
                               "extensions.http.maxConcurrentRequests "
                               "must be -1 or an integer from 1 to "
                               "1000000"));
        remove_app(cfg->app_dir);
    }
}

/* FUNCTIONS_REQUEST_BODY_SIZE_LIMIT raises (or lowers) the 100 MB cap. */
static void test_body_limit_setting(void **state)
{
    fa_app_config_t *cfg = fa_config_make(pool);
    const char *err = NULL;

    (void)state;
    assert_int_equal(fa_config_resolve(pool, cfg, &err), APR_SUCCESS);
    assert_int_equal(cfg->max_body, FA_MAX_BODY);

    cfg = fa_config_make(pool);
    apr_table_set(cfg->settings, "FUNCTIONS_REQUEST_BODY_SIZE_LIMIT",
                  "209715200");
    assert_int_equal(fa_config_resolve(pool, cfg, &err), APR_SUCCESS);
    assert_int_equal(cfg->max_body, 209715200);

    cfg = fa_config_make(pool);
    apr_table_set(cfg->settings, "FUNCTIONS_REQUEST_BODY_SIZE_LIMIT", "0");
    assert_int_not_equal(fa_config_resolve(pool, cfg, &err), APR_SUCCESS);
    assert_string_equal(err,
                        "FUNCTIONS_REQUEST_BODY_SIZE_LIMIT must be an "
                        "integer from 1 to 2147483647, not '0' (app "
                        "setting, in bytes)");
}

static void test_counts_from_settings(void **state)
{
    fa_app_config_t *cfg = fa_config_make(pool);
    const char *err = NULL;

    (void)state;
    /* local.settings.json gives both; FunctionAppSetting overrides one,
     * and a directive beats both. */
    cfg->app_dir = make_app(NULL,
                            "{\"IsEncrypted\": false, \"Values\": {"
                            "\"FUNCTIONS_WORKER_PROCESS_COUNT\": \"3\","
                            "\"PYTHON_THREADPOOL_THREAD_COUNT\": 4,"
                            "\"GREETING\": \"hi\"}}");
    apr_table_set(cfg->settings, "PYTHON_THREADPOOL_THREAD_COUNT", "6");
    assert_int_equal(fa_config_resolve(pool, cfg, &err), APR_SUCCESS);
    assert_int_equal(cfg->process_count, 3);
    assert_int_equal(cfg->thread_count, 6);
    assert_string_equal(apr_table_get(cfg->environment, "GREETING"), "hi");

    cfg->route_prefix = NULL;
    cfg->process_count = 2;
    cfg->thread_count = 0;
    assert_int_equal(fa_config_resolve(pool, cfg, &err), APR_SUCCESS);
    assert_int_equal(cfg->process_count, 2);
    remove_app(cfg->app_dir);
}

static void test_bad_count_setting(void **state)
{
    fa_app_config_t *cfg = fa_config_make(pool);
    const char *err = NULL;

    (void)state;
    cfg->app_dir = make_app(NULL,
                            "{\"Values\": {"
                            "\"FUNCTIONS_WORKER_PROCESS_COUNT\": \"11\"}}");
    assert_int_equal(fa_config_resolve(pool, cfg, &err), APR_EINVAL);
    assert_non_null(strstr(err, "FUNCTIONS_WORKER_PROCESS_COUNT"));
    assert_non_null(strstr(err, "FunctionsWorkerProcessCount"));
    assert_non_null(strstr(err, "from 1 to 10"));
    remove_app(cfg->app_dir);
}

static void test_handler(void **state)
{
    fa_handler_spec_t h;
    const char *err = NULL;
    char *opts[] = {"methods=get,post", "authLevel=anonymous"};
    char *bad_opts[] = {"authLevel=root"};
    char *unknown[] = {"color=red"};
    const char *dir = make_app("{}", NULL);

    (void)state;
    assert_int_equal(fa_config_parse_handler(pool, "/hi", "host.json:run", 2,
                                             opts, dir, &h, &err),
                     APR_SUCCESS);
    assert_string_equal(h.route, "hi");
    assert_string_equal(h.callable, "run");
    assert_string_equal(h.methods, "GET,POST");
    assert_string_equal(h.auth_level, "anonymous");
    assert_non_null(strstr(h.file, "/host.json"));

    assert_int_equal(fa_config_parse_handler(pool, "hi", "host.json", 0, NULL,
                                             dir, &h, &err),
                     APR_SUCCESS);
    assert_string_equal(h.callable, "main");
    assert_null(h.methods);

    assert_int_equal(fa_config_parse_handler(pool, "hi", "missing.py", 0, NULL,
                                             dir, &h, &err),
                     APR_EINVAL);
    assert_non_null(strstr(err, "FunctionHandler"));
    assert_int_equal(fa_config_parse_handler(pool, "hi", "host.json", 1,
                                             bad_opts, dir, &h, &err),
                     APR_EINVAL);
    assert_non_null(strstr(err, "authLevel"));
    assert_int_equal(fa_config_parse_handler(pool, "hi", "host.json", 1,
                                             unknown, dir, &h, &err),
                     APR_EINVAL);
    assert_int_equal(fa_config_parse_handler(pool, "hi", "host.json:", 0, NULL,
                                             dir, &h, &err),
                     APR_EINVAL);
    remove_app(dir);
}

static void test_app_dir(void **state)
{
    const char *err = NULL;

    (void)state;
    assert_int_equal(fa_config_check_app_dir(pool, "/tmp", &err), APR_SUCCESS);
    assert_int_not_equal(
        fa_config_check_app_dir(pool, "/nonexistent/app", &err), APR_SUCCESS);
    assert_non_null(strstr(err, "FunctionApp"));
}

static void test_merge(void **state)
{
    fa_app_config_t *base = fa_config_make(pool), *add = fa_config_make(pool);
    fa_app_config_t *m;
    fa_handler_spec_t *h;

    (void)state;
    base->app_dir = "/srv/app";
    base->process_count = 4;
    apr_table_set(base->settings, "A", "1");
    apr_table_set(base->settings, "B", "1");
    h = apr_array_push(base->handlers);
    h->route = "main";
    add->thread_count = 8;
    apr_table_set(add->settings, "B", "2");

    m = fa_config_merge(pool, base, add);
    assert_ptr_not_equal(m, base);
    assert_string_equal(m->app_dir, "/srv/app");
    assert_int_equal(m->process_count, 4);
    assert_int_equal(m->thread_count, 8);
    assert_string_equal(apr_table_get(m->settings, "A"), "1");
    assert_string_equal(apr_table_get(m->settings, "B"), "2");
    assert_int_equal(m->handlers->nelts, 1);

    add->app_dir = "/srv/other";
    h = apr_array_push(add->handlers);
    h->route = "own";
    m = fa_config_merge(pool, base, add);
    assert_string_equal(m->app_dir, "/srv/other");
    assert_int_equal(m->handlers->nelts, 1);
    assert_string_equal(APR_ARRAY_IDX(m->handlers, 0, fa_handler_spec_t).route,
                        "own");
}

/* FunctionAppSuspend on [after=MS]|off; a vhost's setting comes with its
 * after=MS. */
static void test_suspend(void **state)
{
    fa_app_config_t *base = fa_config_make(pool), *add = fa_config_make(pool);
    char *on[] = {"on"}, *off[] = {"Off"}, *after[] = {"on", "after=20"};
    char *zero[] = {"ON", "after=0"}, *big[] = {"on", "after=1001"};
    char *off_after[] = {"off", "after=3"}, *other[] = {"maybe"};
    char *both[] = {"on", "threads=0", "after=7"},
         *all[] = {"on", "threads=100"};
    char *twice[] = {"on", "threads=1", "threads=2"},
         *over[] = {"on", "threads=101"};
    const char *err = NULL;

    (void)state;
    assert_int_equal(base->suspend, 0);
    assert_int_equal(base->suspend_after, FA_SUSPEND_AFTER_DEFAULT_MS * 1000);
    assert_int_equal(fa_config_parse_suspend(pool, 1, on, base, &err),
                     APR_SUCCESS);
    assert_int_equal(base->suspend, 1);
    assert_int_equal(base->suspend_after, FA_SUSPEND_AFTER_DEFAULT_MS * 1000);
    assert_int_equal(fa_config_parse_suspend(pool, 2, after, base, &err),
                     APR_SUCCESS);
    assert_int_equal(base->suspend_after, 20000);
    assert_int_equal(fa_config_parse_suspend(pool, 2, zero, add, &err),
                     APR_SUCCESS);
    assert_int_equal(add->suspend_after, 0);
    assert_int_equal(fa_config_parse_suspend(pool, 1, off, add, &err),
                     APR_SUCCESS);
    assert_int_equal(add->suspend, -1);
    assert_int_equal(fa_config_merge(pool, base, add)->suspend, -1);
    assert_int_equal(
        fa_config_merge(pool, base, fa_config_make(pool))->suspend_after,
        20000);

    assert_int_equal(fa_config_parse_suspend(pool, 2, big, add, &err),
                     APR_EINVAL);
    assert_string_equal(err,
                        "FunctionAppSuspend must be on [after=MS] "
                        "[threads=PCT] or off, MS a whole number from 0 "
                        "to 1000, PCT from 0 to 100, not 'on after=1001'");
    assert_int_equal(fa_config_parse_suspend(pool, 2, off_after, add, &err),
                     APR_EINVAL);
    assert_int_equal(fa_config_parse_suspend(pool, 1, other, add, &err),
                     APR_EINVAL);
    assert_string_equal(err,
                        "FunctionAppSuspend must be on [after=MS] "
                        "[threads=PCT] or off, MS a whole number from 0 "
                        "to 1000, PCT from 0 to 100, not 'maybe'");

    /* threads=PCT, before or after after=MS, each once */
    assert_int_equal(base->suspend_threads, FA_SUSPEND_THREADS_DEFAULT);
    assert_int_equal(fa_config_parse_suspend(pool, 3, both, add, &err),
                     APR_SUCCESS);
    assert_int_equal(add->suspend_threads, 0);
    assert_int_equal(add->suspend_after, 7000);
    assert_int_equal(fa_config_merge(pool, base, add)->suspend_threads, 0);
    assert_int_equal(fa_config_parse_suspend(pool, 2, all, add, &err),
                     APR_SUCCESS);
    assert_int_equal(add->suspend_threads, 100);
    assert_int_equal(add->suspend_after, FA_SUSPEND_AFTER_DEFAULT_MS * 1000);
    assert_int_equal(fa_config_parse_suspend(pool, 3, twice, add, &err),
                     APR_EINVAL);
    assert_int_equal(fa_config_parse_suspend(pool, 2, over, add, &err),
                     APR_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_counts_in_range),
        cmocka_unit_test(test_counts_refused),
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_route_prefix),
        cmocka_unit_test(test_broken_host_json),
        cmocka_unit_test(test_timeouts),
        cmocka_unit_test(test_function_timeout),
        cmocka_unit_test(test_body_limit_setting),
        cmocka_unit_test(test_max_outstanding),
        cmocka_unit_test(test_max_concurrent),
        cmocka_unit_test(test_counts_from_settings),
        cmocka_unit_test(test_bad_count_setting),
        cmocka_unit_test(test_handler),
        cmocka_unit_test(test_app_dir),
        cmocka_unit_test(test_merge),
        cmocka_unit_test(test_suspend),
    };

    /* one pool for the whole group */
    return UNIT_RUN_GROUP(tests, unit_setup, unit_teardown);
}
