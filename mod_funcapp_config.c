/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mod_funcapp_config: the directives, and each server's configuration.
 *
 * Runs in the httpd parent while it reads httpd.conf; what it builds
 * lives in pconf and is inherited by the children and the workers.  Each
 * value is checked here, so `apachectl configtest` names the directive
 * and the range of a bad one.
 */
#include <strings.h>

#include "httpd.h"
#include "http_config.h"
#include "http_main.h"

#include <apr_strings.h>

#include "fa_cors.h"
#include "fa_recycle.h"
#include "fa_reload.h"
#include "mod_funcapp.h"

void *fa_glue_create_server_conf(apr_pool_t *p, server_rec *s)
{
    (void)s;
    return apr_pcalloc(p, sizeof(server_conf_t));
}

void *fa_glue_merge_server_conf(apr_pool_t *p, void *basev, void *addv)
{
    server_conf_t *base = basev, *add = addv;
    server_conf_t *conf = apr_pcalloc(p, sizeof(*conf));

    /* A virtual host with no app directives serves the main server's app
     * with the same workers; one with some gets an app of its own that
     * inherits the rest. */
    if (!add->config || !base->config) {
        conf->config = add->config ? add->config : base->config;
    }
    else {
        conf->config = fa_config_merge(p, base->config, add->config);
    }
    return conf;
}

static fa_app_config_t *app_config(cmd_parms *cmd)
{
    server_conf_t *conf =
        ap_get_module_config(cmd->server->module_config, &funcapp_module);
    if (!conf->config) {
        conf->config = fa_config_make(cmd->pool);
    }
    return conf->config;
}

static const char *cmd_function_app(cmd_parms *cmd, void *dc, const char *arg)
{
    fa_app_config_t *cfg = app_config(cmd);
    const char *dir = ap_server_root_relative(cmd->pool, arg), *error;

    (void)dc;
    if (!dir
        || fa_config_check_app_dir(cmd->pool, dir, &error) != APR_SUCCESS) {
        return dir ? error
                   : apr_psprintf(cmd->pool,
                                  "FunctionApp: bad path "
                                  "'%s'",
                                  arg);
    }
    if (cfg->app_dir) {
        return "FunctionApp: only one app a server (virtual host)";
    }
    cfg->app_dir = dir;
    return NULL;
}

static const char *cmd_count(cmd_parms *cmd, void *dc, const char *arg)
{
    fa_app_config_t *cfg = app_config(cmd);
    int is_processes = cmd->info != NULL;
    const char *error;
    int n;

    (void)dc;
    if (fa_config_parse_count(
            cmd->pool, cmd->directive->directive, arg,
            is_processes ? FA_PROCESS_COUNT_MIN : FA_THREAD_COUNT_MIN,
            is_processes ? FA_PROCESS_COUNT_MAX : FA_THREAD_COUNT_MAX, &n,
            &error)
        != APR_SUCCESS) {
        return error;
    }
    *(is_processes ? &cfg->process_count : &cfg->thread_count) = n;
    return NULL;
}

/* What a directive handler returns: NULL, or the core's one-line error
 * (read through a pointer: it is set by the call that makes @a rv). */
static const char *said(apr_status_t rv, const char **error)
{
    return rv == APR_SUCCESS ? NULL : *error;
}

static const char *cmd_keys(cmd_parms *cmd, void *dc, const char *arg)
{
    const char *dir = strcasecmp(arg, "off")
        ? ap_server_root_relative(cmd->pool, arg)
        : "off";
    const char *error;

    (void)dc;
    if (!dir) {
        return apr_psprintf(cmd->pool, "FunctionAppKeys: bad path '%s'", arg);
    }
    return said(fa_config_set_keys(cmd->pool, app_config(cmd), dir, &error),
                &error);
}

static const char *cmd_key(cmd_parms *cmd, void *dc, const char *scope,
                           const char *name, const char *value)
{
    const char *error;

    (void)dc;
    return said(fa_config_add_key(cmd->pool, app_config(cmd), scope, name,
                                  value, &error),
                &error);
}

/* FunctionTimeout, FunctionWorkerGracefulTimeout: which field is in
 * cmd->info. */
static const char *cmd_timeout(cmd_parms *cmd, void *dc, const char *arg)
{
    fa_app_config_t *cfg = app_config(cmd);
    apr_interval_time_t *field =
        cmd->info ? &cfg->graceful_timeout : &cfg->function_timeout;
    const char *error;

    (void)dc;
    return said(fa_config_parse_timeout(cmd->pool, cmd->directive->directive,
                                        arg, field, &error),
                &error);
}

static const char *cmd_max_requests(cmd_parms *cmd, void *dc, int argc,
                                    char *const argv[])
{
    fa_app_config_t *cfg = app_config(cmd);
    const char *error;

    (void)dc;
    return said(fa_recycle_parse_requests(cmd->pool, argc, argv,
                                          &cfg->max_requests,
                                          &cfg->max_requests_jitter, &error),
                &error);
}

static const char *cmd_max_memory(cmd_parms *cmd, void *dc, const char *arg)
{
    const char *error;

    (void)dc;
    return said(fa_recycle_parse_size(cmd->pool, arg,
                                      &app_config(cmd)->max_memory, &error),
                &error);
}

/* FunctionAppCors ORIGIN... [credentials]: Host.CORS and
 * Host.CORSCredentials from httpd.conf, where local.settings.json (a
 * development file) may not be deployed. */
static const char *cmd_cors(cmd_parms *cmd, void *dc, int argc,
                            char *const argv[])
{
    fa_app_config_t *cfg = app_config(cmd);
    int credentials = argc > 1 && !strcasecmp(argv[argc - 1], "credentials");
    const char *error, *list;
    int i;

    (void)dc;
    if (cfg->cors_directive) {
        return "FunctionAppCors: given twice";
    }
    if (argc - credentials < 1) {
        return "FunctionAppCors: needs ORIGIN... [credentials]";
    }
    for (list = "", i = 0; i < argc - credentials; ++i) {
        list = apr_pstrcat(cmd->pool, list, " ", argv[i], NULL);
    }
    if (fa_cors_parse(cmd->pool, "FunctionAppCors", list, credentials,
                      &cfg->cors_directive, &error)
        != APR_SUCCESS) {
        return error;
    }
    return cfg->cors_directive ? NULL : "FunctionAppCors: no origin given";
}

static const char *cmd_reload(cmd_parms *cmd, void *dc, int argc,
                              char *const argv[])
{
    fa_app_config_t *cfg = app_config(cmd);
    const char *error;

    (void)dc;
    return said(fa_reload_parse(cmd->pool, argc, argv, &cfg->reload,
                                &cfg->reload_files, &error),
                &error);
}

static const char *cmd_timers(cmd_parms *cmd, void *dc, int on)
{
    (void)dc;
    app_config(cmd)->timers = on ? 1 : -1;
    return NULL;
}

static const char *cmd_debug_headers(cmd_parms *cmd, void *dc, int on)
{
    (void)dc;
    app_config(cmd)->debug_headers = on ? 1 : -1;
    return NULL;
}

static const char *cmd_suspend(cmd_parms *cmd, void *dc, int argc,
                               char *const argv[])
{
    const char *error;

    (void)dc;
    return said(
        fa_config_parse_suspend(cmd->pool, argc, argv, app_config(cmd), &error),
        &error);
}

static const char *cmd_setting(cmd_parms *cmd, void *dc, const char *name,
                               const char *value)
{
    (void)dc;
    apr_table_set(app_config(cmd)->settings, name, value);
    return NULL;
}

static const char *cmd_handler(cmd_parms *cmd, void *dc, const char *args)
{
    fa_app_config_t *cfg = app_config(cmd);
    apr_array_header_t *opts =
        apr_array_make(cmd->temp_pool, 2, sizeof(char *));
    const char *route = ap_getword_conf(cmd->pool, &args);
    const char *file = ap_getword_conf(cmd->pool, &args);
    const char *error;
    char *word;

    (void)dc;
    if (!*route || !*file) {
        return "FunctionHandler needs ROUTE FILE[:CALLABLE] "
               "[methods=GET,POST] [authLevel=anonymous|function|admin]";
    }
    while (*(word = ap_getword_conf(cmd->pool, &args))) {
        APR_ARRAY_PUSH(opts, char *) = word;
    }
    if (fa_config_parse_handler(cmd->pool, route, file, opts->nelts,
                                (char *const *)opts->elts,
                                cfg->app_dir ? cfg->app_dir : ap_server_root,
                                apr_array_push(cfg->handlers), &error)
        != APR_SUCCESS) {
        apr_array_pop(cfg->handlers);
        return error;
    }
    return NULL;
}

static const char *cmd_python_home(cmd_parms *cmd, void *dc, const char *arg)
{
    (void)dc;
    app_config(cmd)->python_home = arg; /* resolved against the app root */
    return NULL;
}

static const char *cmd_python_path(cmd_parms *cmd, void *dc, const char *arg)
{
    fa_app_config_t *cfg = app_config(cmd);

    (void)dc;
    if (!cfg->python_path) {
        cfg->python_path = apr_array_make(cmd->pool, 2, sizeof(const char *));
    }
    APR_ARRAY_PUSH(cfg->python_path, const char *) = arg;
    return NULL;
}

const command_rec fa_glue_cmds[] = {
    AP_INIT_TAKE1("FunctionApp", cmd_function_app, NULL, RSRC_CONF,
                  "the function app's root directory"),
    AP_INIT_TAKE1("FunctionsWorkerProcessCount", cmd_count, (void *)1,
                  RSRC_CONF, "worker processes for the app, 1..10"),
    AP_INIT_TAKE1("PythonThreadpoolThreadCount", cmd_count, NULL, RSRC_CONF,
                  "threads per worker for sync functions, 1..32"),
    AP_INIT_TAKE2("FunctionAppSetting", cmd_setting, NULL, RSRC_CONF,
                  "an app setting (NAME VALUE), set in the workers' "
                  "os.environ"),
    AP_INIT_TAKE1("FunctionTimeout", cmd_timeout, NULL, RSRC_CONF,
                  "SECONDS, hh:mm:ss or off: how long a function may run "
                  "(default host.json's functionTimeout, else 230 s)"),
    AP_INIT_TAKE1("FunctionWorkerGracefulTimeout", cmd_timeout, (void *)1,
                  RSRC_CONF,
                  "SECONDS, hh:mm:ss or off: how long a retired worker may "
                  "finish its requests (default 30 s)"),
    AP_INIT_TAKE_ARGV("FunctionWorkerMaxRequests", cmd_max_requests, NULL,
                      RSRC_CONF,
                      "N [jitter=J]: a worker is replaced after about N "
                      "requests (default off)"),
    AP_INIT_TAKE1("FunctionWorkerMaxMemory", cmd_max_memory, NULL, RSRC_CONF,
                  "SIZE (bytes, or K, M, G): a worker is replaced once its "
                  "resident memory passes it (default off)"),
    AP_INIT_TAKE_ARGV("FunctionAppReload", cmd_reload, NULL, RSRC_CONF,
                      "off, touch [FILE...] or watch: a new generation of "
                      "the app's workers when its code changes (default "
                      "off)"),
    AP_INIT_FLAG("FunctionAppTimers", cmd_timers, NULL, RSRC_CONF,
                 "on or off: whether this machine runs the app's timer "
                 "triggers (default on)"),
    AP_INIT_FLAG("FunctionAppDebugHeaders", cmd_debug_headers, NULL, RSRC_CONF,
                 "on or off: send the invocation id and the worker's pid "
                 "in response headers (default off)"),
    AP_INIT_TAKE_ARGV("FunctionAppSuspend", cmd_suspend, NULL, RSRC_CONF,
                      "on [after=MS] or off: under the event MPM, an async "
                      "function's request not answered within MS (default "
                      "5) holds no httpd thread while it awaits (default "
                      "on)"),
    AP_INIT_TAKE1("FunctionAppKeys", cmd_keys, NULL, RSRC_CONF,
                  "DIR (Azure's key files; generated when absent) or off"),
    AP_INIT_TAKE3("FunctionAppKey", cmd_key, NULL, RSRC_CONF,
                  "SCOPE (master, host or a function) NAME VALUE (the key, "
                  "file:PATH or env:NAME)"),
    AP_INIT_TAKE_ARGV("FunctionAppCors", cmd_cors, NULL, RSRC_CONF,
                      "ORIGIN... [credentials]: origins allowed by CORS "
                      "(* for any); credentials allows cookies"),
    AP_INIT_RAW_ARGS("FunctionHandler", cmd_handler, NULL, RSRC_CONF,
                     "ROUTE FILE[:CALLABLE] [methods=..] [authLevel=..]"),
    AP_INIT_TAKE1("FunctionAppPythonHome", cmd_python_home, NULL, RSRC_CONF,
                  "DIR: the app's virtual environment (default .venv or "
                  "venv in the app root)"),
    AP_INIT_ITERATE("FunctionAppPythonPath", cmd_python_path, NULL, RSRC_CONF,
                    "DIR...: import paths after .python_packages, before "
                    "the venv (relative to the app root)"),
    {NULL}};
