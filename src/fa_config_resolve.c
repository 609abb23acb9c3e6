/* SPDX-License-Identifier: Apache-2.0 */
/* fa_config_resolve: an app's configuration completed from host.json,
 * local.settings.json and the defaults, in that order after the
 * directives (fa_config_resolve in fa_config.h). */
#include <stdlib.h>
#include <string.h>

#include <apr_file_info.h>
#include <apr_file_io.h>
#include <apr_strings.h>
#include <jansson.h>

#include "fa_config.h"
#include "fa_cors.h"

/* host.json and local.settings.json are small; anything bigger is a mistake
 * we would rather report than load. */
#define MAX_JSON_FILE (1024 * 1024)

/* Loads a JSON object from dir/name.  A missing file is *root = NULL and
 * success: both files are optional on Azure's local tooling too. */
static apr_status_t load_json(apr_pool_t *p, const char *dir, const char *name,
                              json_t **root, const char **error)
{
    const char *path = apr_pstrcat(p, dir, "/", name, NULL);
    apr_finfo_t finfo;
    apr_file_t *f;
    apr_size_t len;
    char *buf;
    json_error_t jerr;
    apr_status_t rv;

    *root = NULL;
    rv = apr_stat(&finfo, path, APR_FINFO_SIZE | APR_FINFO_TYPE, p);
    if (APR_STATUS_IS_ENOENT(rv)) {
        return APR_SUCCESS;
    }
    if (rv != APR_SUCCESS || finfo.filetype != APR_REG) {
        *error = apr_psprintf(p, "FunctionApp: cannot read %s", path);
        return APR_EGENERAL;
    }
    if (finfo.size > MAX_JSON_FILE) {
        *error = apr_psprintf(p, "FunctionApp: %s is larger than %d bytes",
                              path, MAX_JSON_FILE);
        return APR_EGENERAL;
    }
    len = (apr_size_t)finfo.size;
    buf = apr_palloc(p, len + 1);
    if (apr_file_open(&f, path, APR_FOPEN_READ, 0, p) != APR_SUCCESS
        || apr_file_read_full(f, buf, len, &len) != APR_SUCCESS) {
        *error = apr_psprintf(p, "FunctionApp: cannot read %s", path);
        return APR_EGENERAL;
    }
    apr_file_close(f);
    *root = json_loadb(buf, len, 0, &jerr);
    if (!*root) {
        *error = apr_psprintf(p,
                              "FunctionApp: %s is not a JSON object "
                              "(line %d: %s)",
                              path, jerr.line, jerr.text);
        return APR_EGENERAL;
    }
    if (!json_is_object(*root)) {
        *error = apr_psprintf(p, "FunctionApp: %s is not a JSON object", path);
        json_decref(*root);
        *root = NULL;
        return APR_EGENERAL;
    }
    return APR_SUCCESS;
}

/* One of host.json's extensions.http limits, maxOutstandingRequests or
 * maxConcurrentRequests (-1: unbounded, as Azure's default; *out 0). */
static apr_status_t read_limit(apr_pool_t *p, fa_app_config_t *cfg,
                               json_t *http, const char *name, int *out,
                               const char **error)
{
    json_t *max = json_object_get(http, name);

    if (!max) {
        return APR_SUCCESS;
    }
    if (!json_is_integer(max) || json_integer_value(max) == 0
        || json_integer_value(max) < -1 || json_integer_value(max) > 1000000) {
        *error = apr_psprintf(p,
                              "FunctionApp: %s/host.json: extensions.http."
                              "%s must be -1 or an integer from 1 to 1000000",
                              cfg->app_dir, name);
        return APR_EGENERAL;
    }
    *out = json_integer_value(max) < 0 ? 0 : (int)json_integer_value(max);
    return APR_SUCCESS;
}

static apr_status_t read_throttle(apr_pool_t *p, fa_app_config_t *cfg,
                                  json_t *http, const char **error)
{
    apr_status_t rv = read_limit(p, cfg, http, "maxOutstandingRequests",
                                 &cfg->max_outstanding, error);

    return rv != APR_SUCCESS ? rv
                             : read_limit(p, cfg, http, "maxConcurrentRequests",
                                          &cfg->max_concurrent, error);
}

/* host.json's functionTimeout, unless FunctionTimeout was given. */
static apr_status_t read_timeout(apr_pool_t *p, fa_app_config_t *cfg,
                                 json_t *root, const char **error)
{
    json_t *timeout = json_object_get(root, "functionTimeout");
    const char *name;

    if (!timeout || cfg->function_timeout) {
        return APR_SUCCESS;
    }
    name = apr_psprintf(p, "FunctionApp: %s/host.json: functionTimeout",
                        cfg->app_dir);
    if (!json_is_string(timeout)) {
        *error = apr_psprintf(p, "%s must be a string (hh:mm:ss or -1)", name);
        return APR_EGENERAL;
    }
    return fa_config_parse_timeout(p, name, json_string_value(timeout),
                                   &cfg->function_timeout, error);
}

static apr_status_t read_host_json(apr_pool_t *p, fa_app_config_t *cfg,
                                   const char **error)
{
    json_t *root, *prefix;
    apr_status_t rv;

    cfg->route_prefix = "api";
    if (!cfg->app_dir) {
        return APR_SUCCESS;
    }
    rv = load_json(p, cfg->app_dir, "host.json", &root, error);
    if (rv != APR_SUCCESS || !root) {
        return rv;
    }
    prefix = json_object_get(
        json_object_get(json_object_get(root, "extensions"), "http"),
        "routePrefix");
    if (prefix && !json_is_string(prefix)) {
        *error = apr_psprintf(p,
                              "FunctionApp: %s/host.json: "
                              "extensions.http.routePrefix must be a string",
                              cfg->app_dir);
        json_decref(root);
        return APR_EGENERAL;
    }
    if ((rv = read_timeout(p, cfg, root, error)) != APR_SUCCESS
        || (rv = fa_cors_custom_headers(
                p, apr_pstrcat(p, cfg->app_dir, "/host.json", NULL),
                json_object_get(json_object_get(root, "extensions"), "http"),
                &cfg->custom_headers, error))
            != APR_SUCCESS
        || (rv = read_throttle(
                p, cfg,
                json_object_get(json_object_get(root, "extensions"), "http"),
                error))
            != APR_SUCCESS) {
        json_decref(root);
        return rv;
    }
    if (prefix) {
        const char *s = json_string_value(prefix);
        apr_size_t n;
        while (*s == '/') {
            ++s;
        }
        n = strlen(s);
        while (n && s[n - 1] == '/') {
            --n;
        }
        cfg->route_prefix = apr_pstrndup(p, s, n);
    }
    json_decref(root);
    return APR_SUCCESS;
}

static apr_status_t read_local_settings(apr_pool_t *p, fa_app_config_t *cfg,
                                        const char **error)
{
    json_t *root, *values, *v;
    const char *key;
    apr_status_t rv;

    cfg->environment = apr_table_make(p, 8);
    cfg->cors = cfg->cors_directive;
    if (cfg->app_dir) {
        rv = load_json(p, cfg->app_dir, "local.settings.json", &root, error);
        if (rv != APR_SUCCESS) {
            return rv;
        }
        values = root ? json_object_get(root, "Values") : NULL;
        json_object_foreach(values, key, v)
        {
            if (json_is_string(v)) {
                apr_table_set(cfg->environment, key, json_string_value(v));
            }
            else if (json_is_integer(v)) {
                apr_table_set(cfg->environment, key,
                              apr_psprintf(p, "%" JSON_INTEGER_FORMAT,
                                           json_integer_value(v)));
            }
        }
        /* FunctionAppCors wins over the file's Host.CORS */
        rv = cfg->cors
            ? APR_SUCCESS
            : fa_cors_from_host_settings(
                p, apr_pstrcat(p, cfg->app_dir, "/local.settings.json", NULL),
                root ? json_object_get(root, "Host") : NULL, &cfg->cors, error);
        if (root) {
            json_decref(root);
        }
        if (rv != APR_SUCCESS) {
            return rv;
        }
    }
    /* httpd.conf wins over the app's own file. */
    apr_table_overlap(cfg->environment, cfg->settings, APR_OVERLAP_TABLES_SET);
    return APR_SUCCESS;
}

static apr_status_t resolve_count(apr_pool_t *p, fa_app_config_t *cfg,
                                  int *count, const char *directive,
                                  const char *setting, int min, int max,
                                  const char **error)
{
    const char *value;

    if (*count) {
        return APR_SUCCESS;
    }
    value = apr_table_get(cfg->environment, setting);
    if (!value) {
        *count = min;
        return APR_SUCCESS;
    }
    if (fa_config_parse_count(p, setting, value, min, max, count, error)
        != APR_SUCCESS) {
        *error =
            apr_psprintf(p, "%s (app setting; or set %s)", *error, directive);
        return APR_EINVAL;
    }
    return APR_SUCCESS;
}

/* Azure's FUNCTIONS_REQUEST_BODY_SIZE_LIMIT app setting, in bytes. */
static apr_status_t resolve_max_body(apr_pool_t *p, fa_app_config_t *cfg,
                                     const char **error)
{
    const char *value =
        apr_table_get(cfg->environment, "FUNCTIONS_REQUEST_BODY_SIZE_LIMIT");
    int n;

    cfg->max_body = FA_MAX_BODY;
    if (!value) {
        return APR_SUCCESS;
    }
    if (fa_config_parse_count(p, "FUNCTIONS_REQUEST_BODY_SIZE_LIMIT", value, 1,
                              FA_MAX_BODY_SETTING, &n, error)
        != APR_SUCCESS) {
        *error = apr_psprintf(p, "%s (app setting, in bytes)", *error);
        return APR_EINVAL;
    }
    cfg->max_body = (apr_size_t)n;
    return APR_SUCCESS;
}

apr_status_t fa_config_resolve(apr_pool_t *p, fa_app_config_t *cfg,
                               const char **error)
{
    apr_status_t rv;

    if ((rv = read_host_json(p, cfg, error)) != APR_SUCCESS
        || (rv = read_local_settings(p, cfg, error)) != APR_SUCCESS) {
        return rv;
    }
    if ((rv = resolve_max_body(p, cfg, error)) != APR_SUCCESS) {
        return rv;
    }
    if (!cfg->function_timeout) {
        cfg->function_timeout = FA_FUNCTION_TIMEOUT_DEFAULT;
    }
    if (!cfg->graceful_timeout) {
        cfg->graceful_timeout = FA_GRACEFUL_TIMEOUT_DEFAULT;
    }
    if ((rv = resolve_count(p, cfg, &cfg->process_count,
                            "FunctionsWorkerProcessCount",
                            "FUNCTIONS_WORKER_PROCESS_COUNT",
                            FA_PROCESS_COUNT_MIN, FA_PROCESS_COUNT_MAX, error))
        != APR_SUCCESS) {
        return rv;
    }
    return resolve_count(p, cfg, &cfg->thread_count,
                         "PythonThreadpoolThreadCount",
                         "PYTHON_THREADPOOL_THREAD_COUNT", FA_THREAD_COUNT_MIN,
                         FA_THREAD_COUNT_MAX, error);
}
