/* SPDX-License-Identifier: Apache-2.0 */
/* fa_pyenv: the app root, its virtual environment and extra paths. */
#include <string.h>
#include <strings.h>

#include <apr_file_info.h>
#include <apr_file_io.h>
#include <apr_lib.h>
#include <apr_strings.h>

#include "fa_pyenv.h"

/* pyvenv.cfg is a few short lines; anything past this is not one. */
#define MAX_CFG_LINES 256

static int is_type(apr_pool_t *p, const char *path, apr_filetype_e type)
{
    apr_finfo_t finfo;

    return apr_stat(&finfo, path, APR_FINFO_TYPE, p) == APR_SUCCESS
        && finfo.filetype == type;
}

const char *fa_pyenv_app_root(apr_pool_t *p, const fa_app_config_t *cfg)
{
    const char *file, *slash;

    if (cfg->app_dir) {
        return cfg->app_dir;
    }
    if (!cfg->handlers || cfg->handlers->nelts == 0) {
        return NULL;
    }
    file = APR_ARRAY_IDX(cfg->handlers, 0, fa_handler_spec_t).file;
    slash = strrchr(file, '/');
    return slash == file ? "/"
                         : apr_pstrndup(p, file, (apr_size_t)(slash - file));
}

/* @a path against @a root; NULL if it cannot be made absolute. */
static const char *absolute(apr_pool_t *p, const char *root, const char *path)
{
    char *out;

    if (path[0] != '/' && !root) {
        return NULL;
    }
    if (apr_filepath_merge(&out, path[0] == '/' ? NULL : root, path,
                           APR_FILEPATH_NOTRELATIVE, p)
        != APR_SUCCESS) {
        return NULL;
    }
    return out;
}

/* "X.Y" from the start of @a s ("3.11.2", "3.11.2.final.0"); NULL if
 * it does not start so. */
static const char *major_minor(apr_pool_t *p, const char *s)
{
    const char *at = s;

    while (apr_isdigit(*at)) {
        ++at;
    }
    if (at == s || *at != '.' || !apr_isdigit(at[1])) {
        return NULL;
    }
    for (++at; apr_isdigit(*at); ++at) {
    }
    return apr_pstrndup(p, s, (apr_size_t)(at - s));
}

/* The version pyvenv.cfg records: `version` (venv) or `version_info`
 * (virtualenv, uv); NULL if it records none. */
static const char *cfg_version(apr_pool_t *p, const char *home)
{
    apr_file_t *f;
    char line[512];
    const char *version = NULL;
    int n;

    if (apr_file_open(&f, apr_pstrcat(p, home, "/pyvenv.cfg", NULL),
                      APR_FOPEN_READ, APR_OS_DEFAULT, p)
        != APR_SUCCESS) {
        return NULL;
    }
    for (n = 0; !version && n < MAX_CFG_LINES
         && apr_file_gets(line, sizeof(line), f) == APR_SUCCESS;
         ++n) {
        char *key = line, *value = strchr(line, '='), *end;
        if (!value) {
            continue;
        }
        for (end = value; end > key && apr_isspace(end[-1]); --end) {
        }
        *end = '\0';
        for (++value; apr_isspace(*value); ++value) {
        }
        while (apr_isspace(*key)) {
            ++key;
        }
        if (!strcasecmp(key, "version") || !strcasecmp(key, "version_info")) {
            version = major_minor(p, value);
        }
    }
    apr_file_close(f);
    return version;
}

/* The version of @a home's lib/pythonX.Y folder: @a want if it has one,
 * else another it has, else NULL. */
static const char *lib_version(apr_pool_t *p, const char *home,
                               const char *want)
{
    const char *lib = apr_pstrcat(p, home, "/lib", NULL), *other = NULL;
    apr_dir_t *d;
    apr_finfo_t e;

    if (is_type(p, apr_pstrcat(p, lib, "/python", want, NULL), APR_DIR)) {
        return want;
    }
    if (apr_dir_open(&d, lib, p) != APR_SUCCESS) {
        return NULL;
    }
    while (!other && apr_dir_read(&e, APR_FINFO_NAME, d) == APR_SUCCESS) {
        if (!strncmp(e.name, "python", 6)) {
            other = major_minor(p, e.name + 6);
        }
    }
    apr_dir_close(d);
    return other;
}

static apr_status_t resolve_python_path(apr_pool_t *p, fa_app_config_t *cfg,
                                        const char *root, const char **error)
{
    apr_array_header_t *out;
    int i;

    if (!cfg->python_path) {
        return APR_SUCCESS;
    }
    /* a new array: a virtual host may share the given one, with its own
     * app root */
    out = apr_array_make(p, cfg->python_path->nelts, sizeof(const char *));
    for (i = 0; i < cfg->python_path->nelts; ++i) {
        const char *given = APR_ARRAY_IDX(cfg->python_path, i, const char *);
        const char *dir = absolute(p, root, given);
        if (!dir || !is_type(p, dir, APR_DIR)) {
            *error = apr_psprintf(p,
                                  "FunctionAppPythonPath: '%s' is not a "
                                  "directory (relative paths are to the "
                                  "app root)",
                                  dir ? dir : given);
            return APR_EINVAL;
        }
        APR_ARRAY_PUSH(out, const char *) = dir;
    }
    cfg->python_path = out;
    return APR_SUCCESS;
}

/* The venv to use and the directive that chose it; *home NULL if none. */
static apr_status_t find_venv(apr_pool_t *p, const fa_app_config_t *cfg,
                              const char *root, const char **home,
                              const char **who, const char **error)
{
    static const char *const names[] = {".venv", "venv"};
    apr_size_t i;

    *home = NULL;
    if (cfg->python_home) {
        *who = "FunctionAppPythonHome";
        *home = absolute(p, root, cfg->python_home);
        if (!*home || !is_type(p, *home, APR_DIR)) {
            *error = apr_psprintf(p,
                                  "FunctionAppPythonHome: '%s' is not a "
                                  "directory (relative paths are to the "
                                  "app root)",
                                  *home ? *home : cfg->python_home);
            return APR_EINVAL;
        }
        return APR_SUCCESS;
    }
    *who = cfg->app_dir ? "FunctionApp" : "FunctionHandler";
    for (i = 0; root && i < sizeof(names) / sizeof(names[0]); ++i) {
        const char *dir = apr_pstrcat(p, root, "/", names[i], NULL);
        /* a venv says so; a folder that merely has the name is not one */
        if (is_type(p, apr_pstrcat(p, dir, "/pyvenv.cfg", NULL), APR_REG)) {
            *home = dir;
            break;
        }
    }
    return APR_SUCCESS;
}

apr_status_t fa_pyenv_resolve(apr_pool_t *p, fa_app_config_t *cfg,
                              const char *python_version, const char **error)
{
    const char *root = fa_pyenv_app_root(p, cfg), *home, *who, *version;
    const char *site;
    apr_status_t rv;

    cfg->venv_site = NULL;
    if ((rv = resolve_python_path(p, cfg, root, error)) != APR_SUCCESS
        || (rv = find_venv(p, cfg, root, &home, &who, error)) != APR_SUCCESS
        || !home) {
        return rv;
    }
    version = cfg_version(p, home);
    if (!version) {
        version = lib_version(p, home, python_version);
    }
    if (version && strcmp(version, python_version) != 0) {
        *error =
            apr_psprintf(p,
                         "%s: the virtual environment %s is for Python "
                         "%s, but mod_funcapp runs Python %s (recreate "
                         "it with python%s -m venv)",
                         who, home, version, python_version, python_version);
        return APR_EINVAL;
    }
    site = apr_pstrcat(p, home, "/lib/python", python_version, "/site-packages",
                       NULL);
    if (!is_type(p, site, APR_DIR)) {
        *error = apr_psprintf(p, "%s: the virtual environment %s has no %s",
                              who, home, site);
        return APR_EINVAL;
    }
    cfg->venv_site = site;
    return APR_SUCCESS;
}
