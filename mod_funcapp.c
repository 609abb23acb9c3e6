/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mod_funcapp: serves Azure Functions Python HTTP functions from worker
 * processes supervised by httpd.
 *
 * The glue is httpd-only code: this file (the module record, start-up in
 * the parent, child_init), mod_funcapp_config.c (the directives),
 * mod_funcapp_handler.c (requests), mod_funcapp_admin.c (the /admin/ API)
 * and mod_funcapp_cors.c (CORS).  The core (src/, include/) has no
 * httpd headers, so its unit tests link it alone; logging is handed to it
 * as a callback.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "httpd.h"
#include "http_config.h"
#include "http_core.h"
#include "http_log.h"
#include "http_main.h"
#include "http_protocol.h"
#include "http_request.h"
#include "ap_listen.h"
#include "ap_mpm.h"
#include "mpm_common.h"
#include "unixd.h"

#include <apr_strings.h>
#include <apr_uri.h>

#include "fa_app.h"
#include "fa_config.h"
#include "fa_dispatch.h"
#include "fa_pyenv.h"
#include "fa_python.h"
#include "fa_supervisor.h"
#include "fa_worker.h"
#include "mod_funcapp.h"

APLOG_USE_MODULE(funcapp);

/* ---- logging handed to the core ---------------------------------------- */

/* The core's own file and line, as mod_md logs: httpd's %F shows where
 * in the core a line comes from, not this callback. */
static void glue_log(void *baton, const char *file, int line, int level,
                     apr_status_t rv, const char *msg)
{
    ap_log_error(file, line, APLOG_MODULE_INDEX, level, rv, (server_rec *)baton,
                 "%s", msg);
}
/* ---- start-up ---------------------------------------------------------- */

static int check_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp,
                        server_rec *s)
{
    (void)plog;
    for (; s; s = s->next) {
        server_conf_t *conf =
            ap_get_module_config(s->module_config, &funcapp_module);
        const char *error;
        fa_keys_t *keys;
        if (!conf->config || conf->config->route_prefix) {
            continue; /* none, or resolved already through another vhost */
        }
        if (fa_config_resolve(pconf, conf->config, &error) != APR_SUCCESS) {
            ap_log_error(APLOG_MARK, APLOG_STARTUP | APLOG_EMERG, 0, NULL,
                         "FA001: %s", error);
            return !OK;
        }
        if (fa_pyenv_resolve(pconf, conf->config, fa_python_version(), &error)
            != APR_SUCCESS) {
            ap_log_error(APLOG_MARK, APLOG_STARTUP | APLOG_EMERG, 0, NULL,
                         "FA091: %s", error);
            return !OK;
        }
        /* keys are read for real in post_config; here only checked, so
         * configtest names a bad key file or FunctionAppKey */
        if (fa_keys_load_config(ptemp, conf->config, 0, NULL, &keys, &error)
            != APR_SUCCESS) {
            ap_log_error(APLOG_MARK, APLOG_STARTUP | APLOG_EMERG, 0, NULL,
                         "FA003: %s", error);
            return !OK;
        }
        if (keys) {
            fa_keys_wipe(keys); /* ptemp is freed, not cleared */
        }
    }
    return OK;
}

/* Blanks FunctionAppKey's arguments in httpd's configuration tree. */
static void forget_key_directives(ap_directive_t *d)
{
    for (; d; d = d->next) {
        if (!strcasecmp(d->directive, "FunctionAppKey") && d->args) {
            memset((char *)d->args, 0, strlen(d->args));
        }
        forget_key_directives(d->first_child);
    }
}

/* A worker process holds no key: not the sets read for the httpd
 * children, nor the configuration they came from. */
static void forget_keys(void)
{
    server_rec *s;

    for (s = ap_server_conf; s; s = s->next) {
        server_conf_t *conf =
            ap_get_module_config(s->module_config, &funcapp_module);
        if (conf->app && conf->app->keys) {
            fa_keys_wipe(conf->app->keys);
        }
        if (conf->config) {
            fa_keys_forget_config(conf->config);
        }
    }
    forget_key_directives(ap_conftree);
}

static apr_status_t worker_init(fa_app_t *app, apr_pool_t *p)
{
    forget_keys();
    /* The worker must not hold httpd's ports, nor root. */
    ap_close_listeners();
    if (ap_run_drop_privileges(p, app->glue) != OK) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, 0, app->glue,
                     "FA017: worker cannot drop privileges");
        return APR_EGENERAL;
    }
    return APR_SUCCESS;
}

static void warn_capacity(server_rec *s, apr_array_header_t *apps)
{
    int daemons = 0, threads = 0, capacity, i;

    ap_mpm_query(AP_MPMQ_MAX_DAEMONS, &daemons);
    ap_mpm_query(AP_MPMQ_MAX_THREADS, &threads);
    capacity = daemons * (threads > 0 ? threads : 1);
    for (i = 0; i < apps->nelts; ++i) {
        fa_app_t *app = APR_ARRAY_IDX(apps, i, fa_app_t *);
        int want = app->config->process_count * app->config->thread_count;
        if (capacity > 0 && capacity < want) {
            ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s,
                         "FA002: "
                         "MaxRequestWorkers (%d) is lower than "
                         "FunctionsWorkerProcessCount x "
                         "PythonThreadpoolThreadCount (%d x %d) for %s: "
                         "raise MaxRequestWorkers or httpd will be the "
                         "bottleneck",
                         capacity, app->config->process_count,
                         app->config->thread_count,
                         app->config->app_dir ? app->config->app_dir
                                              : "the FunctionHandler app");
        }
    }
}

/* One socket a slot, named after the parent, the generation and the app,
 * so a graceful restart's new workers never meet the old ones' sockets.
 * Each address is built here once, so a path too long for a Unix socket
 * stops the start-up instead of naming another socket when cut. */
static apr_status_t make_socket_addrs(apr_pool_t *pconf, server_rec *s,
                                      fa_app_t *app)
{
    const char *base = ap_runtime_dir_relative(pconf, "funcapp");
    apr_status_t rv;
    int j;

    app->socket_paths = apr_palloc(pconf, sizeof(char *) * app->nslots);
    app->socket_addrs = apr_palloc(pconf, sizeof(fa_io_addr_t *) * app->nslots);
    for (j = 0; j < app->nslots; ++j) {
        const char *path =
            apr_psprintf(pconf, "%s.%ld.%u.%d.%d.sock", base, (long)getpid(),
                         app->generation, app->id, j);
        rv = fa_io_addr_make(&app->socket_addrs[j], pconf, path);
        if (rv != APR_SUCCESS) {
            ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s,
                         "FA013: worker "
                         "socket path %s is %lu bytes, over the limit of "
                         "%lu; use a shorter DefaultRuntimeDir",
                         path, (unsigned long)strlen(path),
                         (unsigned long)fa_io_path_max());
            return rv;
        }
        app->socket_paths[j] = path;
    }
    return APR_SUCCESS;
}

/* scheme://host[:port] of @a s, for the function list: its ServerName,
 * and the port of its ServerName, of its <VirtualHost>, or else of
 * httpd's first Listen; https when ServerName says so or on 443 (the
 * scheme mod_ssl gives is known per request only). */
static const char *base_url(apr_pool_t *p, server_rec *s)
{
    const char *scheme = s->server_scheme;
    apr_port_t port = s->port;

    if (!port && s->addrs) {
        port = s->addrs->host_port;
    }
    if (!port && ap_listeners && ap_listeners->bind_addr) {
        port = ap_listeners->bind_addr->port;
    }
    if (!scheme) {
        scheme = port == 443 ? "https" : "http";
    }
    if (!port || port == apr_uri_port_of_scheme(scheme)) {
        return apr_pstrcat(p, scheme, "://", s->server_hostname, NULL);
    }
    return apr_psprintf(p, "%s://%s:%u", scheme, s->server_hostname,
                        (unsigned)port);
}

/* This generation's run-time app for @a cfg, served by @a s (and the
 * vhosts sharing its configuration); its keys are read now, so a graceful
 * restart reloads them.  NULL, logged, on failure. */
static fa_app_t *make_app(apr_pool_t *pconf, server_rec *s,
                          fa_app_config_t *cfg, int id, apr_uint32_t generation)
{
    fa_app_t *app = apr_pcalloc(pconf, sizeof(*app));
    const char *error;

    app->id = id;
    app->generation = generation;
    app->config = cfg;
    app->nslots = cfg->process_count;
    if (make_socket_addrs(pconf, s, app) != APR_SUCCESS) {
        return NULL;
    }
    app->worker_uid = geteuid() == 0 ? (long)ap_unixd_config.user_id : -1;
    app->worker_gid = (long)ap_unixd_config.group_id;
    app->log.fn = glue_log;
    app->log.baton = s;
    app->log.level = ap_get_server_module_loglevel(s, APLOG_MODULE_INDEX);
    app->python_log_level = fa_log_level_to_python(app->log.level);
    app->worker_init = worker_init;
    app->timer_dir = ap_runtime_dir_relative(pconf, "funcapp-timers");
    app->glue = s;
    app->base_url = base_url(pconf, s);
    if (fa_keys_load_config(pconf, cfg, 1, &app->log, &app->keys, &error)
        != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_STARTUP | APLOG_EMERG, 0, NULL,
                     "FA006: %s", error);
        return NULL;
    }
    return app;
}

static int httpd_exiting(void)
{
    return ap_state_query(AP_SQ_MAIN_STATE) == AP_SQ_MS_EXITING;
}

static int post_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp,
                       server_rec *main_s)
{
    apr_array_header_t *apps = apr_array_make(pconf, 2, sizeof(fa_app_t *));
    apr_pool_t *plong = main_s->process->pool;
    apr_uint32_t *generation;
    fa_logger_t log;
    server_rec *s;
    int i;

    (void)plog;
    (void)ptemp;
    /* httpd reads its configuration twice at start-up; workers are only
     * started for the configuration that will serve. */
    if (ap_state_query(AP_SQ_MAIN_STATE) == AP_SQ_MS_CREATE_PRE_CONFIG) {
        return OK;
    }
    apr_pool_userdata_get((void **)&generation, "funcapp_generation", plong);
    if (!generation) {
        generation = apr_pcalloc(plong, sizeof(*generation));
        apr_pool_userdata_set(generation, "funcapp_generation",
                              apr_pool_cleanup_null, plong);
    }
    ++*generation;

    for (s = main_s; s; s = s->next) {
        server_conf_t *conf =
            ap_get_module_config(s->module_config, &funcapp_module);
        fa_app_t *app = NULL;
        if (!conf->config) {
            continue;
        }
        for (i = 0; i < apps->nelts; ++i) {
            fa_app_t *known = APR_ARRAY_IDX(apps, i, fa_app_t *);
            if (known->config == conf->config) {
                app = known;
            }
        }
        if (!app) {
            app = make_app(pconf, s, conf->config, apps->nelts, *generation);
            if (!app) {
                return HTTP_INTERNAL_SERVER_ERROR;
            }
            APR_ARRAY_PUSH(apps, fa_app_t *) = app;
        }
        conf->app = app;
    }
    if (apps->nelts == 0) {
        return OK;
    }
    warn_capacity(main_s, apps);
    log.fn = glue_log;
    log.baton = main_s;
    log.level = ap_get_server_module_loglevel(main_s, APLOG_MODULE_INDEX);
    if (fa_supervisor_start(pconf, plong, apps, &log, httpd_exiting,
                            fa_worker_main)
        != APR_SUCCESS) {
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    fa_supervisor_parent_signals();
    return OK;
}

static void child_init(apr_pool_t *pchild, server_rec *main_s)
{
    server_rec *s;
    int suspend_started = 0;

    fa_supervisor_child_signals();
    for (s = main_s; s; s = s->next) {
        server_conf_t *conf =
            ap_get_module_config(s->module_config, &funcapp_module);
        server_rec *t;
        if (!conf->app || conf->dispatch) {
            continue;
        }
        fa_dispatch_create(&conf->dispatch, pchild, conf->app);
        /* one watcher for all the apps, if any serves a function */
        if (!suspend_started) {
            fa_glue_suspend_child_init(pchild, main_s);
            suspend_started = 1;
        }
        /* vhosts sharing the app share the connections too */
        for (t = s->next; t; t = t->next) {
            server_conf_t *other =
                ap_get_module_config(t->module_config, &funcapp_module);
            if (other->app == conf->app) {
                other->dispatch = conf->dispatch;
            }
        }
    }
}

static void register_hooks(apr_pool_t *p)
{
    (void)p;
    ap_hook_check_config(check_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_post_config(post_config, NULL, NULL, APR_HOOK_LAST);
    ap_hook_child_init(child_init, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_translate_name(fa_glue_translate_name, NULL, NULL, APR_HOOK_FIRST);
    ap_hook_map_to_storage(fa_glue_map_to_storage, NULL, NULL, APR_HOOK_FIRST);
    ap_hook_handler(fa_glue_handler, NULL, NULL, APR_HOOK_MIDDLE);
    fa_glue_status_register();
    fa_glue_suspend_register();
    fa_glue_stream_register();
}

module AP_MODULE_DECLARE_DATA funcapp_module = {STANDARD20_MODULE_STUFF,
                                                NULL,
                                                NULL,
                                                fa_glue_create_server_conf,
                                                fa_glue_merge_server_conf,
                                                fa_glue_cmds,
                                                register_hooks};
