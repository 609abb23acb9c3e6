/* SPDX-License-Identifier: Apache-2.0 */
/* fa_config: directive values (host.json and local.settings.json are
 * read in fa_config_resolve.c). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <apr_file_info.h>
#include <apr_file_io.h>
#include <apr_lib.h>
#include <apr_strings.h>

#include "fa_config.h"

fa_app_config_t *fa_config_make(apr_pool_t *p)
{
    fa_app_config_t *cfg = apr_pcalloc(p, sizeof(*cfg));
    cfg->settings = apr_table_make(p, 4);
    cfg->handlers = apr_array_make(p, 2, sizeof(fa_handler_spec_t));
    cfg->key_specs = apr_array_make(p, 2, sizeof(fa_key_spec_t));
    cfg->suspend_after = FA_SUSPEND_AFTER_DEFAULT_MS * 1000;
    cfg->suspend_threads = FA_SUSPEND_THREADS_DEFAULT;
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
    cfg->debug_headers =
        add->debug_headers ? add->debug_headers : base->debug_headers;
    /* on or off and its after=MS and threads=PCT go together */
    cfg->suspend = add->suspend ? add->suspend : base->suspend;
    cfg->suspend_after =
        add->suspend ? add->suspend_after : base->suspend_after;
    cfg->suspend_threads =
        add->suspend ? add->suspend_threads : base->suspend_threads;
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
    /* a mode and its files go together */
    cfg->reload = add->reload ? add->reload : base->reload;
    cfg->reload_files = add->reload ? add->reload_files : base->reload_files;
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

/* Whether @a arg is NAME=N with N from 0 to @a max, into *@a n. */
static int suspend_option(apr_pool_t *p, const char *arg, const char *name,
                          int max, int *n)
{
    apr_size_t len = strlen(name);
    const char *why;

    return !strncasecmp(arg, name, len) && arg[len] == '='
        && fa_config_parse_count(p, name, arg + len + 1, 0, max, n, &why)
        == APR_SUCCESS;
}

apr_status_t fa_config_parse_suspend(apr_pool_t *p, int argc, char *const *argv,
                                     fa_app_config_t *cfg, const char **error)
{
    int ms = -1, pct = -1;
    const char *given = argc ? argv[0] : "";
    int i, ok = argc >= 1 && argc <= 3 && !strcasecmp(argv[0], "on");

    if (argc == 1 && !strcasecmp(argv[0], "off")) {
        cfg->suspend = -1;
        return APR_SUCCESS;
    }
    /* each option once, in either order */
    for (i = 1; ok && i < argc; ++i) {
        ok = (ms < 0
              && suspend_option(p, argv[i], "after", FA_SUSPEND_AFTER_MAX_MS,
                                &ms))
            || (pct < 0 && suspend_option(p, argv[i], "threads", 100, &pct));
    }
    if (ok) {
        cfg->suspend = 1;
        cfg->suspend_after =
            (apr_interval_time_t)(ms < 0 ? FA_SUSPEND_AFTER_DEFAULT_MS : ms)
            * 1000;
        cfg->suspend_threads = pct < 0 ? FA_SUSPEND_THREADS_DEFAULT : pct;
        return APR_SUCCESS;
    }
    for (i = 1; i < argc; ++i) {
        given = apr_pstrcat(p, given, " ", argv[i], NULL);
    }
    *error = apr_psprintf(p,
                          "FunctionAppSuspend must be on [after=MS] "
                          "[threads=PCT] or off, MS a whole number from 0 "
                          "to %d, PCT from 0 to 100, not '%s'",
                          FA_SUSPEND_AFTER_MAX_MS, given);
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
