/* SPDX-License-Identifier: Apache-2.0 */
/* fa_pyenv: the app root, the venv found or named, its version check and
 * FunctionAppPythonPath, as configtest reports them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <apr_file_io.h>
#include <apr_strings.h>

#include "fa_pyenv.h"
#include "unit.h"

static char *make_root(void)
{
    char *dir = apr_pstrdup(pool, "/tmp/fa-test-pyenv-XXXXXX");

    assert_non_null(mkdtemp(dir));
    return dir;
}

static void mkdirs(const char *root, const char *rel)
{
    assert_int_equal(
        apr_dir_make_recursive(apr_pstrcat(pool, root, "/", rel, NULL),
                               APR_OS_DEFAULT, pool),
        APR_SUCCESS);
}

static void put(const char *root, const char *rel, const char *text)
{
    FILE *f = fopen(apr_pstrcat(pool, root, "/", rel, NULL), "w");

    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void cleanup(const char *root)
{
    assert_int_equal(system(apr_pstrcat(pool, "rm -rf '", root, "'", NULL)), 0);
}

static void test_app_root(void **state)
{
    fa_app_config_t *cfg = fa_config_make(pool);
    fa_handler_spec_t *h;

    (void)state;
    assert_null(fa_pyenv_app_root(pool, cfg));
    h = apr_array_push(cfg->handlers);
    h->file = "/srv/handlers/hello.py";
    assert_string_equal(fa_pyenv_app_root(pool, cfg), "/srv/handlers");
    h->file = "/hello.py";
    assert_string_equal(fa_pyenv_app_root(pool, cfg), "/");
    cfg->app_dir = "/srv/app";
    assert_string_equal(fa_pyenv_app_root(pool, cfg), "/srv/app");
}

static void test_no_venv(void **state)
{
    fa_app_config_t *cfg = fa_config_make(pool);
    const char *err = NULL;

    (void)state;
    cfg->app_dir = make_root();
    /* a folder named venv without pyvenv.cfg is not a venv */
    mkdirs(cfg->app_dir, "venv/lib/python3.9/site-packages");
    assert_int_equal(fa_pyenv_resolve(pool, cfg, "3.11", &err), APR_SUCCESS);
    assert_null(cfg->venv_site);
    cleanup(cfg->app_dir);
}

static void test_dot_venv(void **state)
{
    fa_app_config_t *cfg = fa_config_make(pool);
    const char *err = NULL;

    (void)state;
    cfg->app_dir = make_root();
    mkdirs(cfg->app_dir, ".venv/lib/python3.11/site-packages");
    put(cfg->app_dir, ".venv/pyvenv.cfg",
        "home = /usr/bin\nversion_info = 3.11.2.final.0\n");
    mkdirs(cfg->app_dir, "venv/lib/python3.11/site-packages");
    put(cfg->app_dir, "venv/pyvenv.cfg", "version = 3.11.2\n");
    assert_int_equal(fa_pyenv_resolve(pool, cfg, "3.11", &err), APR_SUCCESS);
    assert_string_equal(cfg->venv_site,
                        apr_pstrcat(pool, cfg->app_dir,
                                    "/.venv/lib/python3.11/site-packages",
                                    NULL));
    cleanup(cfg->app_dir);
}

static void test_wrong_version(void **state)
{
    fa_app_config_t *cfg = fa_config_make(pool);
    const char *err = NULL;

    (void)state;
    cfg->app_dir = make_root();
    mkdirs(cfg->app_dir, "venv/lib/python3.11/site-packages");
    /* pyvenv.cfg is believed over the folders */
    put(cfg->app_dir, "venv/pyvenv.cfg", " Version =  3.9.1 \n");
    assert_int_equal(fa_pyenv_resolve(pool, cfg, "3.11", &err), APR_EINVAL);
    assert_non_null(strstr(err, "FunctionApp: "));
    assert_non_null(strstr(err,
                           "for Python 3.9, but mod_funcapp runs "
                           "Python 3.11"));
    assert_null(strchr(err, '\n'));
    /* without a version in pyvenv.cfg, lib/pythonX.Y tells */
    put(cfg->app_dir, "venv/pyvenv.cfg", "home = /usr/bin\n");
    assert_int_equal(fa_pyenv_resolve(pool, cfg, "3.12", &err), APR_EINVAL);
    assert_non_null(strstr(err,
                           "for Python 3.11, but mod_funcapp runs "
                           "Python 3.12"));
    cleanup(cfg->app_dir);
}

static void test_home_and_path(void **state)
{
    fa_app_config_t *cfg = fa_config_make(pool), *vhost;
    const char *err = NULL;

    (void)state;
    cfg->app_dir = make_root();
    mkdirs(cfg->app_dir, "envs/a/lib/python3.11/site-packages");
    mkdirs(cfg->app_dir, "shared");
    cfg->python_home = "envs/a";
    cfg->python_path = apr_array_make(pool, 1, sizeof(const char *));
    APR_ARRAY_PUSH(cfg->python_path, const char *) = "shared";
    vhost = fa_config_merge(pool, cfg, fa_config_make(pool));
    assert_int_equal(fa_pyenv_resolve(pool, cfg, "3.11", &err), APR_SUCCESS);
    assert_string_equal(cfg->venv_site,
                        apr_pstrcat(pool, cfg->app_dir,
                                    "/envs/a/lib/python3.11/site-packages",
                                    NULL));
    assert_string_equal(APR_ARRAY_IDX(cfg->python_path, 0, const char *),
                        apr_pstrcat(pool, cfg->app_dir, "/shared", NULL));
    /* the inherited directives are resolved against the vhost's own root */
    vhost->app_dir = "/nonexistent";
    assert_int_equal(fa_pyenv_resolve(pool, vhost, "3.11", &err), APR_EINVAL);
    assert_non_null(
        strstr(err, "FunctionAppPythonPath: '/nonexistent/shared'"));
    /* a home for this Python without site-packages */
    mkdirs(cfg->app_dir, "envs/b");
    put(cfg->app_dir, "envs/b/pyvenv.cfg", "version = 3.11.0\n");
    cfg->python_home = "envs/b";
    assert_int_equal(fa_pyenv_resolve(pool, cfg, "3.11", &err), APR_EINVAL);
    assert_non_null(strstr(err, "has no "));
    cfg->python_home = "envs/missing";
    assert_int_equal(fa_pyenv_resolve(pool, cfg, "3.11", &err), APR_EINVAL);
    assert_non_null(strstr(err, "FunctionAppPythonHome: '"));
    cleanup(cfg->app_dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        UNIT_TEST(test_app_root),      UNIT_TEST(test_no_venv),
        UNIT_TEST(test_dot_venv),      UNIT_TEST(test_wrong_version),
        UNIT_TEST(test_home_and_path),
    };
    return UNIT_RUN(tests);
}
