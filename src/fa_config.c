/* SPDX-License-Identifier: Apache-2.0 */
/* fa_config: directive values, host.json and local.settings.json. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <apr_file_info.h>
#include <apr_file_io.h>
#include <apr_lib.h>
#include <apr_strings.h>
#include <jansson.h>

#include "fa_config.h"
#include "fa_cors.h"

/* host.json and local.settings.json are small; anything bigger is a mistake
 * we would rather report than load. */
#define MAX_JSON_FILE (1024 * 1024)

fa_app_config_t *fa_config_make(apr_pool_t *p)
{
    fa_app_config_t *cfg = apr_pcalloc(p, sizeof(*cfg));
    cfg->settings = apr_table_make(p, 4);
    cfg->handlers = apr_array_make(p, 2, sizeof(fa_handler_spec_t));
    cfg->key_specs = apr_array_make(p, 2, sizeof(fa_key_spec_t));
    return cfg;
}

fa_app_config_t *fa_config_merge(apr_pool_t *p, const fa_app_config_t *base,
                                 const fa_app_config_t *add)
{
    fa_app_config_t *cfg = fa_config_make(p);

    cfg->app_dir = add->app_dir ? add->app_dir : base->app_dir;
    cfg->process_count =
        add->process_count ? add->process_count : base->process_count;
    cfg->thread_count =
        add->thread_count ? add->thread_count : base->thread_count;
    cfg->function_timeout =
        add->function_timeout ? add->function_timeout : base->function_timeout;
    cfg->graceful_timeout =
        add->graceful_timeout ? add->graceful_timeout : base->graceful_timeout;
    /* N and its jitter go together */
    cfg->max_requests =
        add->max_requests ? add->max_requests : base->max_requests;
    cfg->max_requests_jitter = add->max_requests ? add->max_requests_jitter
                                                 : base->max_requests_jitter;
    cfg->max_memory = add->max_memory ? add->max_memory : base->max_memory;
    cfg->timers = add->timers ? add->timers : base->timers;
    cfg->settings = apr_table_overlay(p, base->settings, add->settings);
    apr_table_compress(cfg->settings, APR_OVERLAP_TABLES_SET);
    /* handlers belong to the app they were declared with: a vhost naming
     * its own replaces the main server's */
    cfg->handlers = apr_array_copy(
        p, add->handlers->nelts ? add->handlers : base->handlers);
    cfg->python_home = add->python_home ? add->python_home : base->python_home;
    cfg->python_path = add->python_path ? add->python_path : base->python_path;
    /* keys too: a vhost that gives any has its own, else the main
     * server's apply */
    if (add->keys_mode != FA_KEYS_DEFAULT) {
        base = add;
    }
    cfg->keys_mode = base->keys_mode;
    cfg->keys_dir = base->keys_dir;
    cfg->key_specs = apr_array_copy(p, base->key_specs);
    cfg->cors_directive =
        add->cors_directive ? add->cors_directive : base->cors_directive;
    return cfg;
}

/* Digits only, at most @a max; -1 if not. */
static long whole(const char *s, apr_size_t n, long max)
{
    long v = 0;
    apr_size_t i;

    if (!n) {
        return -1;
    }
    for (i = 0; i < n; ++i) {
        if (s[i] < '0' || s[i] > '9' || v > (max - (s[i] - '0')) / 10) {
            return -1;
        }
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

apr_status_t fa_config_parse_timeout(apr_pool_t *p, const char *name,
                                     const char *value,
                                     apr_interval_time_t *out,
                                     const char **error)
{
    const char *c1 = strchr(value, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : 0;
    long h = 0, m = 0, sec;

    if (!strcasecmp(value, "off") || !strcmp(value, "-1")) {
        *out = -1;
        return APR_SUCCESS;
    }
    if (!c1) {
        sec = whole(value, strlen(value), 100000000L);
    }
    else if (c2 && !strchr(c2 + 1, ':')
             && (h = whole(value, (apr_size_t)(c1 - value), 100000L)) >= 0
             && (m = whole(c1 + 1, (apr_size_t)(c2 - c1 - 1), 59)) >= 0) {
        sec = whole(c2 + 1, strlen(c2 + 1), 59);
        sec = sec < 0 ? -1 : h * 3600 + m * 60 + sec;
    }
    else {
        sec = -1;
    }
    if (sec <= 0) {
        *error = apr_psprintf(p,
                              "%s must be SECONDS, hh:mm:ss or off, not "
                              "'%s'",
                              name, value);
        return APR_EINVAL;
    }
    *out = apr_time_from_sec(sec);
    return APR_SUCCESS;
}

apr_status_t fa_config_set_keys(apr_pool_t *p, fa_app_config_t *cfg,
                                const char *dir, const char **error)
{
    int off = !strcasecmp(dir, "off");

    if (cfg->keys_dir || (cfg->keys_mode == FA_KEYS_OFF)
        || (off && cfg->key_specs->nelts)) {
        *error = "FunctionAppKeys: give one (DIR or off) a server, and no "
                 "FunctionAppKey beside off";
        return APR_EINVAL;
    }
    if (off) {
        cfg->keys_mode = FA_KEYS_OFF;
        return APR_SUCCESS;
    }
    if (fa_config_check_app_dir(p, dir, error) != APR_SUCCESS) {
        *error = apr_psprintf(p,
                              "FunctionAppKeys: '%s' is not a readable "
                              "directory",
                              dir);
        return APR_EINVAL;
    }
    cfg->keys_dir = dir;
    cfg->keys_mode = FA_KEYS_ON;
    return APR_SUCCESS;
}

apr_status_t fa_config_add_key(apr_pool_t *p, fa_app_config_t *cfg,
                               const char *scope, const char *name,
                               const char *value, const char **error)
{
    fa_key_spec_t *spec;

    if (cfg->keys_mode == FA_KEYS_OFF) {
        *error = "FunctionAppKey: not beside FunctionAppKeys off";
        return APR_EINVAL;
    }
    if (!*scope || !*name || !*value) {
        *error = "FunctionAppKey needs SCOPE (master, host or a function's "
                 "name), NAME and VALUE (the key, file:PATH or env:NAME)";
        return APR_EINVAL;
    }
    spec = apr_array_push(cfg->key_specs);
    spec->scope = !strcasecmp(scope, "master") ? "master"
        : !strcasecmp(scope, "host")           ? "host"
                                               : apr_pstrdup(p, scope);
    spec->name = apr_pstrdup(p, name);
    spec->value = apr_pstrdup(p, value);
    cfg->keys_mode = FA_KEYS_ON;
    return APR_SUCCESS;
}

apr_status_t fa_config_parse_count(apr_pool_t *p, const char *name,
                                   const char *value, int min, int max,
                                   int *out, const char **error)
{
    const char *c = value;
    long n;
    char *end;

    /* strtol alone would accept " 3", "+3" and "3x" prefixes; Azure's
     * settings are plain integers, so are ours. */
    if (!*c) {
        goto bad;
    }
    for (; *c; ++c) {
        if (!apr_isdigit(*c)) {
            goto bad;
        }
    }
    errno = 0;
    n = strtol(value, &end, 10);
    if (errno || *end || n < min || n > max) {
        goto bad;
    }
    *out = (int)n;
    return APR_SUCCESS;
bad:
    *error = apr_psprintf(p, "%s must be an integer from %d to %d, not '%s'",
                          name, min, max, value);
    return APR_EINVAL;
}

static int is_auth_level(const char *s)
{
    return !strcasecmp(s, "anonymous") || !strcasecmp(s, "function")
        || !strcasecmp(s, "admin");
}

apr_status_t fa_config_parse_handler(apr_pool_t *p, const char *route,
                                     const char *file_spec, int nopts,
                                     char *const *opts, const char *base_dir,
                                     fa_handler_spec_t *out, const char **error)
{
    char *file = apr_pstrdup(p, file_spec);
    char *colon = strrchr(file, ':');
    char *resolved;
    int i;

    memset(out, 0, sizeof(*out));
    out->callable = "main";
    if (colon) {
        *colon = '\0';
        out->callable = colon + 1;
        if (!*out->callable) {
            *error = apr_psprintf(p, "FunctionHandler: empty callable in '%s'",
                                  file_spec);
            return APR_EINVAL;
        }
    }
    if (!*file) {
        *error = "FunctionHandler: FILE is empty";
        return APR_EINVAL;
    }
    if (apr_filepath_merge(&resolved, base_dir, file,
                           APR_FILEPATH_TRUENAME | APR_FILEPATH_NOTRELATIVE, p)
            != APR_SUCCESS
        && apr_filepath_merge(&resolved, base_dir, file,
                              APR_FILEPATH_NOTRELATIVE, p)
            != APR_SUCCESS) {
        *error = apr_psprintf(p, "FunctionHandler: bad path '%s'", file);
        return APR_EINVAL;
    }
    {
        apr_finfo_t finfo;
        if (apr_stat(&finfo, resolved, APR_FINFO_TYPE, p) != APR_SUCCESS
            || finfo.filetype != APR_REG) {
            *error = apr_psprintf(p,
                                  "FunctionHandler: '%s' is not a readable "
                                  "file",
                                  resolved);
            return APR_EINVAL;
        }
    }
    out->file = resolved;
    out->route = (*route == '/') ? route + 1 : route;

    for (i = 0; i < nopts; ++i) {
        const char *opt = opts[i];
        if (!strncasecmp(opt, "methods=", 8)) {
            char *m = apr_pstrdup(p, opt + 8), *c;
            for (c = m; *c; ++c) {
                *c = apr_toupper(*c);
                if (!apr_isalpha(*c) && *c != ',') {
                    *error = apr_psprintf(p,
                                          "FunctionHandler: bad methods "
                                          "list '%s'",
                                          opt + 8);
                    return APR_EINVAL;
                }
            }
            out->methods = *m ? m : NULL;
        }
        else if (!strncasecmp(opt, "authLevel=", 10)) {
            if (!is_auth_level(opt + 10)) {
                *error = apr_psprintf(p,
                                      "FunctionHandler: authLevel must be "
                                      "anonymous, function or admin, not '%s'",
                                      opt + 10);
                return APR_EINVAL;
            }
            out->auth_level = apr_pstrdup(p, opt + 10);
        }
        else {
            *error = apr_psprintf(p,
                                  "FunctionHandler: unknown option '%s' "
                                  "(expected methods=... or authLevel=...)",
                                  opt);
            return APR_EINVAL;
        }
    }
    return APR_SUCCESS;
}

apr_status_t fa_config_check_app_dir(apr_pool_t *p, const char *dir,
                                     const char **error)
{
    apr_finfo_t finfo;
    apr_dir_t *d;

    if (apr_stat(&finfo, dir, APR_FINFO_TYPE, p) != APR_SUCCESS
        || finfo.filetype != APR_DIR) {
        *error = apr_psprintf(p, "FunctionApp: '%s' is not a directory", dir);
        return APR_ENOENT;
    }
    if (apr_dir_open(&d, dir, p) != APR_SUCCESS) {
        *error = apr_psprintf(p, "FunctionApp: '%s' is not readable", dir);
        return APR_EACCES;
    }
    apr_dir_close(d);
    return APR_SUCCESS;
}

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
