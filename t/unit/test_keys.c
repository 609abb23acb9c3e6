/* SPDX-License-Identifier: Apache-2.0 */
/* Function keys: Azure's key files, FunctionAppKey values, the check,
 * the generated host.json, and the `code` query parameter.  Real files in
 * a temporary directory. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "unit.h"

#include <apr_file_io.h>
#include <apr_strings.h>

#include "fa_keys.h"

#define MASTER "mAsTeR-kEy_0123456789abcdefghijklmnopqrstuv"
#define HOST "host-key_0123456789"
#define FA_KEY "fa-own-key_0123456789"
#define SYSTEM "system-key_0123456789"

static char dir[64];
static char logged[4096];

static void keep_log(void *baton, const char *file, int line, int level,
                     apr_status_t rv, const char *msg)
{
    (void)baton;
    (void)file;
    (void)line;
    (void)level;
    (void)rv;
    apr_cpystrn(logged + strlen(logged), msg, sizeof(logged) - strlen(logged));
    apr_cpystrn(logged + strlen(logged), "\n", sizeof(logged) - strlen(logged));
}

static const fa_logger_t test_log = {keep_log, NULL, FA_LOG_DEBUG};

static void write_file(const char *name, const char *text, mode_t mode)
{
    char *path = apr_pstrcat(pool, dir, "/", name, NULL);
    FILE *f = fopen(path, "w");

    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    assert_int_equal(chmod(path, mode), 0);
}

static int setup(void **state)
{
    logged[0] = '\0';
    strcpy(dir, "/tmp/fa-keys-XXXXXX");
    assert_non_null(mkdtemp(dir));
    return unit_setup(state);
}

static int teardown(void **state)
{
    char cmd[128];

    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
    return unit_teardown(state);
}

/* host.json and fa.json as Azure's file secret storage writes them. */
static void azure_layout(void)
{
    write_file("host.json",
               "{\"masterKey\": {\"name\": \"master\", \"value\": \"" MASTER
               "\", \"encrypted\": false},\n"
               " \"functionKeys\": [{\"name\": \"default\", \"value\": \"" HOST
               "\", \"encrypted\": false}],\n"
               " \"systemKeys\": [{\"name\": \"durabletask_extension\", "
               "\"value\": \"" SYSTEM "\", \"encrypted\": false}],\n"
               " \"hostName\": \"myapp.azurewebsites.net\", \"instanceId\": "
               "\"0000000000000000000000002A1B3C4D\", \"source\": "
               "\"runtime\", \"decryptionKeyId\": \"\"}\n",
               0600);
    write_file("fa.json",
               "{\"keys\": [{\"name\": \"default\", \"value\": \"" FA_KEY
               "\", \"encrypted\": false}], \"hostName\": "
               "\"myapp.azurewebsites.net\", \"source\": \"runtime\", "
               "\"decryptionKeyId\": \"\"}\n",
               0600);
}

/* The set read from azure_layout()'s files. */
static fa_keys_t *azure_keys(void)
{
    fa_keys_t *keys = fa_keys_make(pool);
    const char *error = NULL;

    azure_layout();
    assert_int_equal(fa_keys_load_dir(keys, dir, 0, &test_log, &error),
                     APR_SUCCESS);
    return keys;
}

static void test_azure_layout_levels(void **state)
{
    fa_keys_t *keys = azure_keys();

    (void)state;
    assert_int_equal(fa_keys_count(keys), 4);
    /* anonymous: no key */
    assert_true(fa_keys_allow(keys, "fa", "anonymous", NULL));
    /* function: its own key, a host key, the master key */
    assert_false(fa_keys_allow(keys, "fa", "function", NULL));
    assert_true(fa_keys_allow(keys, "fa", "function", FA_KEY));
    assert_true(fa_keys_allow(keys, "FA", "function", FA_KEY));
    assert_true(fa_keys_allow(keys, "fa", "function", HOST));
    assert_true(fa_keys_allow(keys, "fb", "function", HOST));
    assert_true(fa_keys_allow(keys, "fa", "function", MASTER));
    /* another function's key, a system key, near misses */
    assert_false(fa_keys_allow(keys, "fb", "function", FA_KEY));
    assert_false(fa_keys_allow(keys, "fa", "function", SYSTEM));
    assert_false(fa_keys_allow(keys, "fa", "function", HOST "x"));
    assert_false(fa_keys_allow(keys, "fa", "function", "host-key"));
    assert_false(fa_keys_allow(keys, "fa", "function", ""));
    /* admin: the master key only */
    assert_true(fa_keys_allow(keys, "fa", "admin", MASTER));
    assert_false(fa_keys_allow(keys, "fa", "admin", HOST));
    assert_false(fa_keys_allow(keys, "fa", "admin", FA_KEY));
    assert_false(fa_keys_allow(keys, NULL, "admin", NULL));
    /* an unknown level is closed, not open */
    assert_false(fa_keys_allow(keys, "fa", "owner", HOST));
    assert_true(fa_keys_allow(keys, "fa", "owner", MASTER));
    assert_null(strstr(logged, "FA005"));
}

/* A function named master (master.json) or system is a function like
 * any other: its keys open it alone, not what the host's keys open. */
static void test_reserved_names(void **state)
{
    fa_keys_t *keys = fa_keys_make(pool);
    const char *error = NULL;

    (void)state;
    azure_layout();
    write_file("master.json",
               "{\"keys\": [{\"name\": \"default\", \"value\": "
               "\"fn-master-key_1\"}]}",
               0600);
    assert_int_equal(fa_keys_load_dir(keys, dir, 0, &test_log, &error),
                     APR_SUCCESS);
    assert_true(fa_keys_allow(keys, "master", "function", "fn-master-key_1"));
    assert_false(fa_keys_allow(keys, "master", "admin", "fn-master-key_1"));
    assert_false(fa_keys_allow(keys, "fa", "function", "fn-master-key_1"));
    assert_false(fa_keys_allow(keys, NULL, "admin", "fn-master-key_1"));
    assert_false(fa_keys_allow(keys, "system", "function", SYSTEM));
    assert_false(fa_keys_allow(keys, "host", "function", FA_KEY));
    assert_true(fa_keys_allow(keys, "system", "function", HOST));
}

static void test_encrypted_refused(void **state)
{
    fa_keys_t *keys = fa_keys_make(pool);
    const char *error = NULL;

    (void)state;
    write_file("host.json",
               "{\"masterKey\": {\"name\": \"master\", \"value\": "
               "\"CfDJ8AAAAAA-secret\", \"encrypted\": true}}",
               0600);
    assert_int_not_equal(fa_keys_load_dir(keys, dir, 0, &test_log, &error),
                         APR_SUCCESS);
    assert_non_null(strstr(error, "FunctionAppKeys"));
    assert_non_null(strstr(error, "encrypted"));
    assert_non_null(strstr(error, "only be read on Azure"));
    assert_null(strstr(error, "CfDJ8"));
    assert_null(strchr(error, '\n'));
}

static void test_bad_files_refused(void **state)
{
    const char *error = NULL;

    (void)state;
    write_file("host.json", "{\"masterKey\": ", 0600);
    assert_int_not_equal(
        fa_keys_load_dir(fa_keys_make(pool), dir, 0, &test_log, &error),
        APR_SUCCESS);
    assert_non_null(strstr(error, "not JSON"));
    write_file("host.json", "{\"functionKeys\": {\"a\": 1}}", 0600);
    assert_int_not_equal(
        fa_keys_load_dir(fa_keys_make(pool), dir, 0, &test_log, &error),
        APR_SUCCESS);
    write_file("host.json", "{\"functionKeys\": [{\"name\": \"x\"}]}", 0600);
    assert_int_not_equal(
        fa_keys_load_dir(fa_keys_make(pool), dir, 0, &test_log, &error),
        APR_SUCCESS);
    assert_non_null(strstr(error, "without a \"value\""));
    write_file("host.json",
               "{\"functionKeys\": [{\"name\": \"x\", \"value\": \"a b\"}]}",
               0600);
    assert_int_not_equal(
        fa_keys_load_dir(fa_keys_make(pool), dir, 0, &test_log, &error),
        APR_SUCCESS);
    assert_null(strstr(error, "a b"));
    assert_int_not_equal(fa_keys_load_dir(fa_keys_make(pool), "/nonexistent", 0,
                                          &test_log, &error),
                         APR_SUCCESS);
    assert_non_null(strstr(error, "not a readable directory"));
}

static void test_open_file_warned(void **state)
{
    const char *error = NULL;

    (void)state;
    azure_layout();
    write_file("fa.json", "{\"keys\": []}", 0644);
    assert_int_equal(
        fa_keys_load_dir(fa_keys_make(pool), dir, 0, &test_log, &error),
        APR_SUCCESS);
    assert_non_null(strstr(logged, "FA005"));
    assert_non_null(strstr(logged, "fa.json"));
}

static const char *json_value(const char *text, const char *after)
{
    const char *at = strstr(text, after);
    const char *v = at ? strstr(at, "\"value\": \"") : NULL;

    assert_non_null(v);
    v += strlen("\"value\": \"");
    return apr_pstrndup(pool, v, strcspn(v, "\""));
}

static void test_generated_host_json(void **state)
{
    char *path = apr_pstrcat(pool, dir, "/host.json", NULL), *text, *again;
    fa_keys_t *keys = fa_keys_make(pool);
    const char *error = NULL, *master, *function;
    struct stat st;

    (void)state;
    /* at configtest nothing is written */
    assert_int_equal(fa_keys_load_dir(keys, dir, 0, &test_log, &error),
                     APR_SUCCESS);
    assert_int_not_equal(stat(path, &st), 0);
    /* at start, a host.json of our own, 0600, said where */
    assert_int_equal(fa_keys_load_dir(keys, dir, 1, &test_log, &error),
                     APR_SUCCESS);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_non_null(strstr(logged, "FA004"));
    assert_non_null(strstr(logged, path));
    {
        apr_file_t *f;
        apr_size_t n = (apr_size_t)st.st_size;
        text = apr_pcalloc(pool, n + 1);
        assert_int_equal(apr_file_open(&f, path, APR_FOPEN_READ, 0, pool),
                         APR_SUCCESS);
        assert_int_equal(apr_file_read_full(f, text, n, NULL), APR_SUCCESS);
        apr_file_close(f);
    }
    master = json_value(text, "masterKey");
    function = json_value(text, "\"default\"");
    assert_int_equal(strlen(master), 43);
    assert_int_equal(strlen(function), 43);
    assert_string_not_equal(master, function);
    assert_int_equal(strspn(master,
                            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklm"
                            "nopqrstuvwxyz0123456789-_"),
                     43);
    assert_null(strstr(logged, master));
    assert_null(strstr(logged, function));
    assert_true(fa_keys_allow(keys, "any", "admin", master));
    assert_true(fa_keys_allow(keys, "any", "function", function));
    /* the next start reads it and leaves it as it is */
    logged[0] = '\0';
    keys = fa_keys_make(pool);
    assert_int_equal(fa_keys_load_dir(keys, dir, 1, &test_log, &error),
                     APR_SUCCESS);
    assert_null(strstr(logged, "FA004"));
    again = apr_pcalloc(pool, (apr_size_t)st.st_size + 1);
    {
        FILE *f = fopen(path, "r");
        assert_int_equal(fread(again, 1, (size_t)st.st_size, f),
                         (size_t)st.st_size);
        fclose(f);
    }
    assert_string_equal(text, again);
    assert_true(fa_keys_allow(keys, "any", "admin", master));
}

static void test_directive_values(void **state)
{
    fa_keys_t *keys = fa_keys_make(pool);
    const char *error = NULL;

    (void)state;
    write_file("secret.txt", "from-a-file_123\n", 0600);
    setenv("FA_TEST_KEY", "from-the-env_123", 1);
    assert_int_equal(fa_keys_add(keys, "host", "h", "literal_123", &error),
                     APR_SUCCESS);
    assert_int_equal(
        fa_keys_add(keys, "fb", "f",
                    apr_pstrcat(pool, "file:", dir, "/secret.txt", NULL),
                    &error),
        APR_SUCCESS);
    assert_int_equal(
        fa_keys_add(keys, "master", "m", "env:FA_TEST_KEY", &error),
        APR_SUCCESS);
    assert_true(fa_keys_allow(keys, "fa", "function", "literal_123"));
    assert_true(fa_keys_allow(keys, "fb", "function", "from-a-file_123"));
    assert_false(fa_keys_allow(keys, "fa", "function", "from-a-file_123"));
    assert_true(fa_keys_allow(keys, "fa", "admin", "from-the-env_123"));
    assert_false(fa_keys_allow(keys, "fa", "admin", "literal_123"));
    /* what cannot be a key, said without the value */
    assert_int_not_equal(
        fa_keys_add(keys, "host", "h", "env:FA_NO_SUCH_VAR", &error),
        APR_SUCCESS);
    assert_non_null(strstr(error, "FA_NO_SUCH_VAR is not set"));
    assert_int_not_equal(
        fa_keys_add(keys, "host", "h", "file:/nonexistent", &error),
        APR_SUCCESS);
    assert_non_null(strstr(error, "cannot read /nonexistent"));
    assert_int_not_equal(fa_keys_add(keys, "host", "h", "two words", &error),
                         APR_SUCCESS);
    assert_null(strstr(error, "two words"));
    unsetenv("FA_TEST_KEY");
}

static void test_wipe(void **state)
{
    fa_keys_t *keys = azure_keys();

    (void)state;
    fa_keys_wipe(keys);
    assert_int_equal(fa_keys_count(keys), 0);
    assert_false(fa_keys_allow(keys, "fa", "admin", MASTER));
    assert_false(fa_keys_allow(keys, "fa", "function", HOST));
    assert_true(fa_keys_allow(keys, "fa", "anonymous", NULL));
}

static void test_config_modes(void **state)
{
    fa_app_config_t *cfg = fa_config_make(pool);
    fa_keys_t *keys = NULL;
    const char *error = NULL;

    (void)state;
    /* no directive: a set with no key, so function levels are refused */
    assert_int_equal(
        fa_keys_load_config(pool, cfg, 0, &test_log, &keys, &error),
        APR_SUCCESS);
    assert_non_null(keys);
    assert_false(fa_keys_allow(keys, "fa", "function", HOST));
    /* off: no set at all */
    assert_int_equal(fa_config_set_keys(pool, cfg, "off", &error), APR_SUCCESS);
    assert_int_equal(
        fa_keys_load_config(pool, cfg, 0, &test_log, &keys, &error),
        APR_SUCCESS);
    assert_null(keys);
    assert_int_not_equal(fa_config_add_key(pool, cfg, "host", "h", "v", &error),
                         APR_SUCCESS);
    /* a directory and a directive together */
    cfg = fa_config_make(pool);
    azure_layout();
    assert_int_equal(fa_config_set_keys(pool, cfg, dir, &error), APR_SUCCESS);
    assert_int_equal(
        fa_config_add_key(pool, cfg, "FB", "k", "fb-key_1", &error),
        APR_SUCCESS);
    assert_int_not_equal(fa_config_set_keys(pool, cfg, dir, &error),
                         APR_SUCCESS);
    assert_int_equal(
        fa_keys_load_config(pool, cfg, 0, &test_log, &keys, &error),
        APR_SUCCESS);
    assert_true(fa_keys_allow(keys, "fa", "function", FA_KEY));
    assert_true(fa_keys_allow(keys, "fb", "function", "fb-key_1"));
    assert_int_not_equal(
        fa_config_set_keys(pool, fa_config_make(pool), "/nonexistent", &error),
        APR_SUCCESS);
    assert_non_null(strstr(error, "FunctionAppKeys"));
}

static void test_merge(void **state)
{
    fa_app_config_t *main_server = fa_config_make(pool);
    fa_app_config_t *vhost = fa_config_make(pool), *merged;
    const char *error = NULL;

    (void)state;
    assert_int_equal(fa_config_set_keys(pool, main_server, "off", &error),
                     APR_SUCCESS);
    /* a vhost that says nothing of keys inherits them */
    merged = fa_config_merge(pool, main_server, vhost);
    assert_int_equal(merged->keys_mode, FA_KEYS_OFF);
    /* one that gives a key has its own */
    assert_int_equal(fa_config_add_key(pool, vhost, "host", "h", "v_1", &error),
                     APR_SUCCESS);
    merged = fa_config_merge(pool, main_server, vhost);
    assert_int_equal(merged->keys_mode, FA_KEYS_ON);
    assert_int_equal(merged->key_specs->nelts, 1);
}

static void test_query_code(void **state)
{
    (void)state;
    assert_null(fa_keys_query_code(pool, NULL));
    assert_null(fa_keys_query_code(pool, ""));
    assert_null(fa_keys_query_code(pool, "name=x&codex=1&xcode=2"));
    assert_string_equal(fa_keys_query_code(pool, "code=abc"), "abc");
    assert_string_equal(fa_keys_query_code(pool, "a=1&code=k%2D1_&b=2"),
                        "k-1_");
    assert_string_equal(fa_keys_query_code(pool, "Code=abc%3d%3D+x"),
                        "abc== x");
    assert_string_equal(fa_keys_query_code(pool, "code=first&code=second"),
                        "first");
    assert_string_equal(fa_keys_query_code(pool, "code="), "");
    /* a broken escape is kept as it is, never read past the end */
    assert_string_equal(fa_keys_query_code(pool, "code=ab%2"), "ab%2");
    assert_string_equal(fa_keys_query_code(pool, "code=%zz"), "%zz");
}

static void test_levels(void **state)
{
    (void)state;
    assert_false(fa_keys_level_needs_key("anonymous"));
    assert_false(fa_keys_level_needs_key("Anonymous"));
    assert_true(fa_keys_level_needs_key("function"));
    assert_true(fa_keys_level_needs_key("admin"));
    assert_true(fa_keys_level_needs_key("system"));
    assert_true(fa_keys_level_needs_key(NULL));
}

/* each test in a key directory of its own, removed after it */
#define KEYS_TEST(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        KEYS_TEST(test_azure_layout_levels),
        KEYS_TEST(test_reserved_names),
        KEYS_TEST(test_encrypted_refused),
        KEYS_TEST(test_bad_files_refused),
        KEYS_TEST(test_open_file_warned),
        KEYS_TEST(test_generated_host_json),
        KEYS_TEST(test_directive_values),
        KEYS_TEST(test_wipe),
        KEYS_TEST(test_config_modes),
        KEYS_TEST(test_merge),
        KEYS_TEST(test_query_code),
        KEYS_TEST(test_levels),
    };

    return UNIT_RUN(tests);
}
