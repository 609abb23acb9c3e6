/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for per-app reload: FunctionAppReload's parsing, which files
 * count under touch and watch, the debounce, and a reload's marks in the
 * shared slots with a ring of a real doorbell pipe; and the function
 * table's reload count as a child reads it. */
#include <string.h>
#include <unistd.h>

#include "unit.h"

#include "fa_app.h"
#include "fa_dispatch.h"
#include "fa_doorbell.h"
#include "fa_reload.h"
#include "fa_slot.h"

static apr_status_t parse(int argc, const char *a, const char *b, int *mode,
                          apr_array_header_t **files, const char **error)
{
    char *argv[2] = {(char *)a, (char *)b};

    return fa_reload_parse(pool, argc, argv, mode, files, error);
}

static void test_parse(void **state)
{
    apr_array_header_t *files;
    const char *error = NULL;
    int mode = -1;

    (void)state;
    assert_int_equal(parse(1, "off", NULL, &mode, &files, &error), APR_SUCCESS);
    assert_int_equal(mode, FA_RELOAD_OFF);
    assert_int_equal(parse(1, "WATCH", NULL, &mode, &files, &error),
                     APR_SUCCESS);
    assert_int_equal(mode, FA_RELOAD_WATCH);
    assert_int_equal(parse(2, "touch", "shared/util.py", &mode, &files, &error),
                     APR_SUCCESS);
    assert_int_equal(mode, FA_RELOAD_TOUCH);
    assert_int_equal(files->nelts, 1);
    assert_string_equal(APR_ARRAY_IDX(files, 0, const char *),
                        "shared/util.py");
    assert_int_equal(parse(1, "sometimes", NULL, &mode, &files, &error),
                     APR_EINVAL);
    assert_non_null(strstr(error, "FunctionAppReload must be off, touch"));
    assert_non_null(strstr(error, "not 'sometimes'"));
    assert_int_equal(parse(2, "watch", "x.py", &mode, &files, &error),
                     APR_EINVAL);
    assert_int_equal(parse(2, "touch", "/etc/passwd", &mode, &files, &error),
                     APR_EINVAL);
    assert_non_null(strstr(error, "FunctionAppReload touch"));
    assert_int_equal(parse(2, "touch", "a/../../b", &mode, &files, &error),
                     APR_EINVAL);
    assert_int_equal(parse(0, NULL, NULL, &mode, &files, &error), APR_EINVAL);
}

static void test_filter(void **state)
{
    apr_array_header_t *files = apr_array_make(pool, 1, sizeof(char *));

    (void)state;
    APR_ARRAY_PUSH(files, const char *) = "lib/x.txt";
    /* touch: the two files and its own */
    assert_true(fa_reload_wanted(FA_RELOAD_TOUCH, "function_app.py", files));
    assert_true(fa_reload_wanted(FA_RELOAD_TOUCH, "host.json", files));
    assert_true(fa_reload_wanted(FA_RELOAD_TOUCH, "lib/x.txt", files));
    assert_false(fa_reload_wanted(FA_RELOAD_TOUCH, "helper.py", files));
    /* watch: any .py and the JSON files the host reads */
    assert_true(fa_reload_wanted(FA_RELOAD_WATCH, "helper.py", NULL));
    assert_true(fa_reload_wanted(FA_RELOAD_WATCH, "pkg/sub/m.py", NULL));
    assert_true(fa_reload_wanted(FA_RELOAD_WATCH, "HttpX/function.json", NULL));
    assert_true(fa_reload_wanted(FA_RELOAD_WATCH, "host.json", NULL));
    assert_true(fa_reload_wanted(FA_RELOAD_WATCH, "local.settings.json", NULL));
    assert_false(fa_reload_wanted(FA_RELOAD_WATCH, "pkg/host.json", NULL));
    assert_false(fa_reload_wanted(FA_RELOAD_WATCH, "data.csv", NULL));
    assert_false(fa_reload_wanted(FA_RELOAD_WATCH, "m.pyc", NULL));
    assert_false(fa_reload_wanted(FA_RELOAD_WATCH, ".#helper.py", NULL));
    assert_false(fa_reload_wanted(FA_RELOAD_OFF, "function_app.py", NULL));
    assert_true(fa_reload_skip_dir(".venv"));
    assert_true(fa_reload_skip_dir(".python_packages"));
    assert_true(fa_reload_skip_dir("__pycache__"));
    assert_true(fa_reload_skip_dir(".git"));
    assert_false(fa_reload_skip_dir("shared"));
}

static void test_debounce(void **state)
{
    fa_reload_debounce_t d;
    apr_time_t t0 = apr_time_from_sec(1000), ms = apr_time_from_msec(1);

    (void)state;
    memset(&d, 0, sizeof(d));
    assert_true(fa_reload_due(&d, t0) < 0);
    /* a save of many files: one reload, 300 ms after the last */
    fa_reload_note(&d, t0, "a.py");
    fa_reload_note(&d, t0 + 100 * ms, "b.py");
    fa_reload_note(&d, t0 + 200 * ms, "c.py");
    assert_int_equal(fa_reload_due(&d, t0 + 250 * ms), 250 * ms);
    assert_int_equal(fa_reload_due(&d, t0 + 500 * ms), 0);
    assert_string_equal(d.what, "a.py");
    assert_true(fa_reload_due(&d, t0 + 600 * ms) < 0);
    /* a file written without pause still reloads, at the longest wait */
    memset(&d, 0, sizeof(d));
    for (apr_time_t t = t0; t < t0 + FA_RELOAD_MAX_WAIT; t += 100 * ms) {
        fa_reload_note(&d, t, "log.py");
        assert_true(fa_reload_due(&d, t) > 0);
    }
    assert_int_equal(fa_reload_due(&d, t0 + FA_RELOAD_MAX_WAIT), 0);
}

static void test_request(void **state)
{
    fa_app_config_t cfg;
    fa_app_t app;
    int fds[2];
    char byte;

    (void)state;
    memset(&cfg, 0, sizeof(cfg));
    memset(&app, 0, sizeof(app));
    app.config = &cfg;
    app.nslots = 3;
    assert_int_equal(fa_slot_create(&app.slots, app.nslots, pool), APR_SUCCESS);
    assert_int_equal(fa_doorbell_create(fds), APR_SUCCESS);
    app.doorbell = fds[1];
    assert_int_equal(fa_slot_reloads(app.slots, app.nslots), 0);
    fa_reload_request(&app, "a test");
    assert_int_equal(fa_slot_reloads(app.slots, app.nslots), 1);
    for (int i = 0; i < app.nslots; ++i) {
        assert_int_equal(fa_slot_take_asks(app.slots, i), FA_SLOT_ASK_RELOAD);
    }
    assert_int_equal(read(fds[0], &byte, 1), 1);
    close(fds[0]);
    close(fds[1]);
}

static void test_table_reloads(void **state)
{
    const char *wrapped = "{\"reloads\":7,\"functions\":[{\"name\":\"f\","
                          "\"route\":\"f\",\"methods\":null}]}";
    const char *bare = "[{\"name\":\"f\",\"route\":\"f\",\"methods\":null}]";
    fa_function_table_t t;

    (void)state;
    assert_int_equal(
        fa_dispatch_parse_table(&t, wrapped, strlen(wrapped), pool, NULL),
        APR_SUCCESS);
    assert_int_equal(t.reloads, 7);
    assert_int_equal(t.nfunctions, 1);
    assert_int_equal(
        fa_dispatch_parse_table(&t, bare, strlen(bare), pool, NULL),
        APR_SUCCESS);
    assert_int_equal(t.reloads, 0);
    assert_int_equal(t.nfunctions, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        UNIT_TEST(test_parse),         UNIT_TEST(test_filter),
        UNIT_TEST(test_debounce),      UNIT_TEST(test_request),
        UNIT_TEST(test_table_reloads),
    };

    return UNIT_RUN(tests);
}
