/*
 * mod_funcapp: serves Azure Functions Python HTTP functions from worker
 * processes supervised by httpd.
 *
 * This file is httpd glue only: the module record, the directives, the
 * hooks, and the translation between request_rec and the core's types.
 * The core (src/, include/) has no httpd headers, so its unit tests link it
 * alone; logging is handed to it as a callback.
 */
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

#include "fa_app.h"
#include "fa_config.h"
#include "fa_dispatch.h"
#include "fa_supervisor.h"
#include "fa_worker.h"

module AP_MODULE_DECLARE_DATA funcapp_module;
APLOG_USE_MODULE(funcapp);

#define FUNCAPP_HANDLER "funcapp"

/** What a server (main or virtual host) serves, if anything. */
typedef struct {
    fa_app_config_t *config;    /* shared by vhosts that inherit it */
    fa_app_t *app;              /* this generation's run-time app */
    fa_dispatch_t *dispatch;    /* in httpd children */
} server_conf_t;

static void *create_server_conf(apr_pool_t *p, server_rec *s)
{
    (void)s;
    return apr_pcalloc(p, sizeof(server_conf_t));
}

static void *merge_server_conf(apr_pool_t *p, void *basev, void *addv)
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
    server_conf_t *conf = ap_get_module_config(cmd->server->module_config,
                                               &funcapp_module);
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
    if (!dir || fa_config_check_app_dir(cmd->pool, dir, &error)
        != APR_SUCCESS) {
        return dir ? error : apr_psprintf(cmd->pool, "FunctionApp: bad path "
                                          "'%s'", arg);
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
    if (fa_config_parse_count(cmd->pool, cmd->directive->directive, arg,
                              is_processes ? FA_PROCESS_COUNT_MIN
                                           : FA_THREAD_COUNT_MIN,
                              is_processes ? FA_PROCESS_COUNT_MAX
                                           : FA_THREAD_COUNT_MAX,
                              &n, &error) != APR_SUCCESS) {
        return error;
    }
    *(is_processes ? &cfg->process_count : &cfg->thread_count) = n;
    return NULL;
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
    apr_array_header_t *opts = apr_array_make(cmd->temp_pool, 2,
                                              sizeof(char *));
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
                                cfg->app_dir ? cfg->app_dir
                                             : ap_server_root,
                                apr_array_push(cfg->handlers), &error)
        != APR_SUCCESS) {
        apr_array_pop(cfg->handlers);
        return error;
    }
    return NULL;
}

static const command_rec funcapp_cmds[] = {
    AP_INIT_TAKE1("FunctionApp", cmd_function_app, NULL, RSRC_CONF,
                  "the function app's root directory"),
    AP_INIT_TAKE1("FunctionsWorkerProcessCount", cmd_count, (void *)1,
                  RSRC_CONF, "worker processes for the app, 1..10"),
    AP_INIT_TAKE1("PythonThreadpoolThreadCount", cmd_count, NULL, RSRC_CONF,
                  "threads per worker for sync functions, 1..32"),
    AP_INIT_TAKE2("FunctionAppSetting", cmd_setting, NULL, RSRC_CONF,
                  "an app setting (NAME VALUE), set in the workers' "
                  "os.environ"),
    AP_INIT_RAW_ARGS("FunctionHandler", cmd_handler, NULL, RSRC_CONF,
                     "ROUTE FILE[:CALLABLE] [methods=..] [authLevel=..]"),
    {NULL}
};

/* ---- logging handed to the core ---------------------------------------- */

static void glue_log(void *baton, int level, apr_status_t rv, const char *msg)
{
    ap_log_error(APLOG_MARK, level, rv, (server_rec *)baton, "%s", msg);
}

static int python_level(int level)
{
    return level >= APLOG_DEBUG ? 10 : level >= APLOG_INFO ? 20
         : level >= APLOG_WARNING ? 30 : level >= APLOG_ERR ? 40 : 50;
}

/* ---- start-up ---------------------------------------------------------- */

static int check_config(apr_pool_t *pconf, apr_pool_t *plog,
                        apr_pool_t *ptemp, server_rec *s)
{
    (void)plog;
    (void)ptemp;
    for (; s; s = s->next) {
        server_conf_t *conf = ap_get_module_config(s->module_config,
                                                   &funcapp_module);
        const char *error;
        if (!conf->config || conf->config->route_prefix) {
            continue;   /* none, or resolved already through another vhost */
        }
        if (fa_config_resolve(pconf, conf->config, &error) != APR_SUCCESS) {
            ap_log_error(APLOG_MARK, APLOG_STARTUP | APLOG_EMERG, 0, NULL,
                         "FA001: %s", error);
            return !OK;
        }
    }
    return OK;
}

static apr_status_t worker_init(fa_app_t *app, apr_pool_t *p)
{
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
            ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s, "FA002: "
                         "MaxRequestWorkers (%d) is lower than "
                         "FunctionsWorkerProcessCount x "
                         "PythonThreadpoolThreadCount (%d x %d) for %s: "
                         "raise MaxRequestWorkers or httpd will be the "
                         "bottleneck", capacity,
                         app->config->process_count,
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
    app->socket_addrs = apr_palloc(pconf, sizeof(fa_io_addr_t *)
                                   * app->nslots);
    for (j = 0; j < app->nslots; ++j) {
        const char *path = apr_psprintf(pconf, "%s.%ld.%u.%d.%d.sock", base,
                                        (long)getpid(), app->generation,
                                        app->id, j);
        rv = fa_io_addr_make(&app->socket_addrs[j], pconf, path);
        if (rv != APR_SUCCESS) {
            ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s, "FA013: worker "
                         "socket path %s is %lu bytes, over the limit of "
                         "%lu; use a shorter DefaultRuntimeDir", path,
                         (unsigned long)strlen(path),
                         (unsigned long)fa_io_path_max());
            return rv;
        }
        app->socket_paths[j] = path;
    }
    return APR_SUCCESS;
}

static int httpd_exiting(void)
{
    return ap_state_query(AP_SQ_MAIN_STATE) == AP_SQ_MS_EXITING;
}

static int post_config(apr_pool_t *pconf, apr_pool_t *plog,
                       apr_pool_t *ptemp, server_rec *main_s)
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
        server_conf_t *conf = ap_get_module_config(s->module_config,
                                                   &funcapp_module);
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
            app = apr_pcalloc(pconf, sizeof(*app));
            app->id = apps->nelts;
            app->generation = *generation;
            app->config = conf->config;
            app->nslots = conf->config->process_count;
            if (make_socket_addrs(pconf, s, app) != APR_SUCCESS) {
                return HTTP_INTERNAL_SERVER_ERROR;
            }
            app->worker_uid = geteuid() == 0 ? (long)ap_unixd_config.user_id
                                             : -1;
            app->worker_gid = (long)ap_unixd_config.group_id;
            app->log.fn = glue_log;
            app->log.baton = s;
            app->log.level = ap_get_server_module_loglevel(s,
                                                           APLOG_MODULE_INDEX);
            app->python_log_level = python_level(app->log.level);
            app->worker_init = worker_init;
            app->glue = s;
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
    if (fa_supervisor_start(pconf, plong, apps, &log, httpd_exiting)
        != APR_SUCCESS) {
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    fa_supervisor_parent_signals();
    return OK;
}

static void child_init(apr_pool_t *pchild, server_rec *main_s)
{
    server_rec *s;

    fa_supervisor_child_signals();
    for (s = main_s; s; s = s->next) {
        server_conf_t *conf = ap_get_module_config(s->module_config,
                                                   &funcapp_module);
        server_rec *t;
        if (!conf->app || conf->dispatch) {
            continue;
        }
        fa_dispatch_create(&conf->dispatch, pchild, conf->app);
        /* vhosts sharing the app share the connections too */
        for (t = s->next; t; t = t->next) {
            server_conf_t *other = ap_get_module_config(t->module_config,
                                                        &funcapp_module);
            if (other->app == conf->app) {
                other->dispatch = conf->dispatch;
            }
        }
    }
}

/* ---- requests ---------------------------------------------------------- */

/* Length of the route prefix that @a uri starts with, or -1. */
static int match_prefix(const char *uri, const char *prefix)
{
    apr_size_t n = strlen(prefix);

    if (uri[0] != '/') {
        return -1;
    }
    if (n == 0) {
        return 1;
    }
    /* Azure matches the prefix case-insensitively, like every literal. */
    if (strncasecmp(uri + 1, prefix, n) != 0) {
        return -1;
    }
    if (uri[n + 1] == '\0') {
        return (int)n + 1;
    }
    return uri[n + 1] == '/' ? (int)n + 2 : -1;
}

static int translate_name(request_rec *r)
{
    server_conf_t *conf = ap_get_module_config(r->server->module_config,
                                               &funcapp_module);
    if (!conf->app || !r->uri
        || match_prefix(r->uri, conf->app->config->route_prefix) < 0) {
        return DECLINED;
    }
    r->handler = FUNCAPP_HANDLER;
    r->filename = apr_pstrcat(r->pool, FUNCAPP_HANDLER ":", r->uri, NULL);
    return OK;
}

static int map_to_storage(request_rec *r)
{
    /* No file system behind a function: skip the directory walk. */
    return (r->handler && !strcmp(r->handler, FUNCAPP_HANDLER))
           ? OK : DECLINED;
}

/* Reads the whole body, refusing more than LimitRequestBody or Azure's
 * 100 MB, whichever is lower. */
static int read_body(request_rec *r, const char **body, apr_size_t *len)
{
    apr_off_t limit = ap_get_limit_req_body(r);
    const char *cl = apr_table_get(r->headers_in, "Content-Length");
    apr_bucket_brigade *bb;
    apr_size_t cap, have = 0;
    char *buf;
    int seen_eos = 0;

    if (!ap_request_has_body(r)) {
        /* most GETs: no input filters to run at all */
        *body = "";
        *len = 0;
        return OK;
    }
    if (limit <= 0 || limit > FA_MAX_BODY) {
        limit = FA_MAX_BODY;
    }
    cap = 8192;
    if (cl) {
        apr_off_t n;
        if (apr_strtoff(&n, cl, NULL, 10) != APR_SUCCESS || n < 0) {
            return HTTP_BAD_REQUEST;
        }
        if (n > limit) {
            return HTTP_REQUEST_ENTITY_TOO_LARGE;
        }
        cap = (apr_size_t)n + 1;
    }
    buf = apr_palloc(r->pool, cap);
    bb = apr_brigade_create(r->pool, r->connection->bucket_alloc);
    while (!seen_eos) {
        apr_bucket *b;
        apr_status_t rv = ap_get_brigade(r->input_filters, bb,
                                         AP_MODE_READBYTES, APR_BLOCK_READ,
                                         65536);
        if (rv != APR_SUCCESS) {
            return ap_map_http_request_error(rv, HTTP_BAD_REQUEST);
        }
        for (b = APR_BRIGADE_FIRST(bb); b != APR_BRIGADE_SENTINEL(bb);
             b = APR_BUCKET_NEXT(b)) {
            const char *data;
            apr_size_t n;
            if (APR_BUCKET_IS_EOS(b)) {
                seen_eos = 1;
                break;
            }
            if (apr_bucket_read(b, &data, &n, APR_BLOCK_READ)
                != APR_SUCCESS) {
                return HTTP_BAD_REQUEST;
            }
            if ((apr_off_t)(have + n) > limit) {
                return HTTP_REQUEST_ENTITY_TOO_LARGE;
            }
            if (have + n >= cap) {
                char *bigger;
                while (have + n >= cap) {
                    cap *= 2;
                }
                bigger = apr_palloc(r->pool, cap);
                memcpy(bigger, buf, have);
                buf = bigger;
            }
            memcpy(buf + have, data, n);
            have += n;
        }
        apr_brigade_cleanup(bb);
    }
    *body = buf;
    *len = have;
    return OK;
}

/* Hop-by-hop and framing headers are httpd's business, not the app's. */
static int is_hop_header(const char *name)
{
    return !strcasecmp(name, "Content-Length")
        || !strcasecmp(name, "Transfer-Encoding")
        || !strcasecmp(name, "Connection")
        || !strcasecmp(name, "Keep-Alive")
        || !strcasecmp(name, "Upgrade");
}

static int send_response(request_rec *r, const fa_response_t *resp)
{
    const apr_array_header_t *arr = apr_table_elts(resp->headers);
    const apr_table_entry_t *e = (const apr_table_entry_t *)arr->elts;
    int i;

    for (i = 0; i < arr->nelts; ++i) {
        if (!fa_header_is_valid(e[i].key, e[i].val)) {
            ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "FA060: refused "
                          "response header '%s' with invalid characters",
                          e[i].key);
            return HTTP_INTERNAL_SERVER_ERROR;
        }
    }
    r->status = resp->status;
    /* httpd 2.4 turns a status it has no reason phrase for (418, 299...)
     * into "500 Internal Server Error" on the status line. */
    r->status_line = ap_get_status_line_ex(r->pool, resp->status);
    for (i = 0; i < arr->nelts; ++i) {
        if (!strcasecmp(e[i].key, "Content-Type")) {
            ap_set_content_type(r, apr_pstrdup(r->pool, e[i].val));
        }
        else if (!is_hop_header(e[i].key)) {
            apr_table_add(r->headers_out, e[i].key, e[i].val);
        }
    }
    if (resp->status == HTTP_NO_CONTENT || resp->status == HTTP_NOT_MODIFIED
        || resp->status < 200) {
        return OK;
    }
    ap_set_content_length(r, (apr_off_t)resp->body_len);
    if (resp->body_len && !r->header_only) {
        ap_rwrite(resp->body, (int)resp->body_len, r);
    }
    return OK;
}

/* A 405 answered here rather than returned to httpd: httpd's own error
 * response replaces Allow with the methods of r->allowed (plus TRACE), not
 * those of the route's functions. */
static int method_not_allowed(request_rec *r, const char *allow)
{
    int status = ap_discard_request_body(r);

    if (status != OK) {
        return status;
    }
    r->status = HTTP_METHOD_NOT_ALLOWED;
    apr_table_setn(r->headers_out, "Allow", allow);
    ap_set_content_type(r, "text/plain; charset=utf-8");
    ap_set_content_length(r, 0);
    return OK;
}

/* The client's socket, watched for a hang-up while a function runs. */
static int client_fd(request_rec *r)
{
    apr_socket_t *sock = ap_get_conn_socket(r->connection);
    apr_os_sock_t fd;

    return sock && apr_os_sock_get(&fd, sock) == APR_SUCCESS ? fd : -1;
}

static int handler(request_rec *r)
{
    server_conf_t *conf;
    fa_route_result_e result;
    const fa_function_t *function;
    const char *allow = NULL, *path;
    fa_request_t req;
    fa_response_t resp;
    char invocation_id[37];
    apr_status_t rv;
    int status, skip;

    if (!r->handler || strcmp(r->handler, FUNCAPP_HANDLER)) {
        return DECLINED;
    }
    conf = ap_get_module_config(r->server->module_config, &funcapp_module);
    if (!conf->dispatch) {
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    skip = match_prefix(r->uri, conf->app->config->route_prefix);
    if (skip < 0) {
        return HTTP_NOT_FOUND;
    }
    path = r->uri + skip;

    memset(&req, 0, sizeof(req));
    req.route_params = apr_table_make(r->pool, 4);
    rv = fa_dispatch_route(conf->dispatch, r->pool, path, r->method, &result,
                           &function, req.route_params, &allow);
    if (rv != APR_SUCCESS) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, rv, r, "FA061: the function app "
                      "is not answering (still starting, or failing)");
        /* err_headers_out: httpd's error page drops headers_out */
        apr_table_setn(r->err_headers_out, "Retry-After", "5");
        return HTTP_SERVICE_UNAVAILABLE;
    }
    /* No function comes with a 405: test for it before the 404. */
    if (result == FA_ROUTE_METHOD_NOT_ALLOWED && allow) {
        return method_not_allowed(r, allow);
    }
    if (result != FA_ROUTE_MATCHED || !function) {
        return HTTP_NOT_FOUND;
    }

    if ((status = read_body(r, &req.body, &req.body_len)) != OK) {
        return status;
    }
    fa_dispatch_invocation_id(invocation_id);
    req.invocation_id = invocation_id;
    req.function_index = (apr_uint32_t)function->index;
    req.method = r->method;
    req.url = ap_construct_url(r->pool, r->unparsed_uri, r);
    req.headers = r->headers_in;
    rv = fa_dispatch_invoke(conf->dispatch, r->pool, &req,
                            r->method_number == M_GET
                            || r->method_number == M_OPTIONS,
                            /* only a task can be told to stop: a def
                             * function runs to its end anyway, so its
                             * request needs no poll on the client */
                            function->is_async ? client_fd(r) : -1, &resp);
    if (rv == FA_CLIENT_GONE) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, "FA063: %s: the client "
                      "went away; function %s was told", invocation_id,
                      function->name);
        r->connection->aborted = 1;
        return OK;
    }
    if (rv != APR_SUCCESS) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, rv, r, "FA062: %s: no worker "
                      "answered function %s", invocation_id, function->name);
        return HTTP_BAD_GATEWAY;
    }
    return send_response(r, &resp);
}

static void register_hooks(apr_pool_t *p)
{
    (void)p;
    ap_hook_check_config(check_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_post_config(post_config, NULL, NULL, APR_HOOK_LAST);
    ap_hook_child_init(child_init, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_translate_name(translate_name, NULL, NULL, APR_HOOK_FIRST);
    ap_hook_map_to_storage(map_to_storage, NULL, NULL, APR_HOOK_FIRST);
    ap_hook_handler(handler, NULL, NULL, APR_HOOK_MIDDLE);
}

module AP_MODULE_DECLARE_DATA funcapp_module = {
    STANDARD20_MODULE_STUFF,
    NULL,
    NULL,
    create_server_conf,
    merge_server_conf,
    funcapp_cmds,
    register_hooks
};
