/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mod_funcapp_handler: a request's way through the httpd child: the route
 * prefix, the function table's route match, the body, the dispatch to a
 * worker and the response.
 *
 * Runs in the httpd children, in the thread that serves the request;
 * everything it makes lives in the request pool (the body's buffer,
 * mod_funcapp_body.c, is freed with it).
 */
#include <stdlib.h>
#include <string.h>

#include "httpd.h"
#include "http_config.h"
#include "http_core.h"
#include "http_log.h"
#include "http_protocol.h"
#include "http_request.h"

#include <apr_strings.h>
#include <jansson.h>

#include "fa_http.h"
#include "fa_stats.h"
#include "mod_funcapp.h"

APLOG_USE_MODULE(funcapp);

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

/* Whether @a uri is under /admin/, Azure's host API. */
static int is_admin_uri(const char *uri)
{
    return !strncasecmp(uri, "/admin", 6) && (uri[6] == '/' || !uri[6]);
}

int fa_glue_translate_name(request_rec *r)
{
    server_conf_t *conf =
        ap_get_module_config(r->server->module_config, &funcapp_module);
    if (!conf->app || !r->uri
        || (match_prefix(r->uri, conf->app->config->route_prefix) < 0
            && !is_admin_uri(r->uri))) {
        return DECLINED;
    }
    r->handler = FUNCAPP_HANDLER;
    r->filename = apr_pstrcat(r->pool, FUNCAPP_HANDLER ":", r->uri, NULL);
    return OK;
}

int fa_glue_map_to_storage(request_rec *r)
{
    /* No file system behind a function: skip the directory walk. */
    return (r->handler && !strcmp(r->handler, FUNCAPP_HANDLER)) ? OK : DECLINED;
}

/* The status and headers of @a resp on @a r; HTTP_INTERNAL_SERVER_ERROR
 * for a header that may not go out.  The body's length is the caller's. */
int fa_glue_set_head(request_rec *r, const fa_response_t *resp)
{
    const apr_array_header_t *arr = apr_table_elts(resp->headers);
    const apr_table_entry_t *e = (const apr_table_entry_t *)arr->elts;
    int i;

    for (i = 0; i < arr->nelts; ++i) {
        if (!fa_http_header_is_valid(e[i].key, e[i].val)) {
            ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                          "FA060: refused "
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
        else if (!fa_http_is_hop_header(e[i].key)) {
            /* the function's header wins over customHeaders and CORS */
            apr_table_unset(r->err_headers_out, e[i].key);
            apr_table_add(r->headers_out, e[i].key, e[i].val);
        }
    }
    return OK;
}

int fa_glue_has_body(const fa_response_t *resp)
{
    return !(resp->status == HTTP_NO_CONTENT
             || resp->status == HTTP_NOT_MODIFIED || resp->status < 200);
}

static int send_response(request_rec *r, const fa_response_t *resp)
{
    int status = fa_glue_set_head(r, resp);

    if (status != OK || !fa_glue_has_body(resp)) {
        return status;
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
    apr_table_setn(r->headers_out, "Allow", allow);
    ap_set_content_type(r, "text/plain; charset=utf-8");
    return fa_glue_empty_answer(r, HTTP_METHOD_NOT_ALLOWED);
}

/* The client's socket, watched for a hang-up while a function runs. */
int fa_glue_client_fd(request_rec *r)
{
    apr_socket_t *sock = ap_get_conn_socket(r->connection);
    apr_os_sock_t fd;

    return sock && apr_os_sock_get(&fd, sock) == APR_SUCCESS ? fd : -1;
}

/* An answer with no body, as Azure gives a refused request (httpd's own
 * error page would add an HTML one). */
int fa_glue_empty_answer(request_rec *r, int status)
{
    int discarded = ap_discard_request_body(r);

    if (discarded != OK) {
        return discarded;
    }
    r->status = status;
    ap_set_content_length(r, 0);
    return OK;
}

/* The key the client gives: the x-functions-key header, else the `code`
 * query parameter (as on Azure, the header wins even when wrong). */
static const char *presented_key(request_rec *r)
{
    const char *key = apr_table_get(r->headers_in, "x-functions-key");

    return key ? key : fa_keys_query_code(r->pool, r->args);
}

/* Whether the request may run @a function (NULL: the admin API, whose
 * level is admin); refusals are logged, naming no key. */
int fa_glue_key_opens(request_rec *r, const server_conf_t *conf,
                      const fa_function_t *function)
{
    const char *level = function ? function->auth_level : "admin";
    const char *key;

    if (conf->app->config->keys_mode == FA_KEYS_OFF
        || !fa_keys_level_needs_key(level)) {
        return 1;
    }
    key = presented_key(r);
    if (conf->app->keys
        && fa_keys_allow(conf->app->keys, function ? function->name : NULL,
                         level, key)) {
        return 1;
    }
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                  "FA064: %s%s refused to %s: %s key (authLevel %s)",
                  function ? "function " : "the admin API",
                  function ? function->name : "", r->useragent_ip,
                  key ? "a wrong" : "no", level);
    return 0;
}

/* The function the URL and method name: OK and *function; DONE when
 * the answer is given here (405); else the status to answer (404,
 * 503). */
static int find_function(request_rec *r, const server_conf_t *conf,
                         fa_request_t *req, const fa_function_t **function)
{
    fa_route_result_e result;
    const char *allow = NULL;
    int skip = match_prefix(r->uri, conf->app->config->route_prefix);
    apr_status_t rv;

    if (skip < 0) {
        return HTTP_NOT_FOUND;
    }
    req->route_params = apr_table_make(r->pool, 4);
    rv = fa_dispatch_route(conf->dispatch, r->pool, r->uri + skip, r->method,
                           &result, function, req->route_params, &allow);
    if (rv != APR_SUCCESS) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, rv, r,
                      "FA061: the function app "
                      "is not answering (still starting, or failing)");
        /* err_headers_out: httpd's error page drops headers_out */
        apr_table_setn(r->err_headers_out, "Retry-After", "5");
        return HTTP_SERVICE_UNAVAILABLE;
    }
    /* No function comes with a 405: test for it before the 404.  It is
     * answered here, so DONE, not OK, which would mean a function. */
    if (result == FA_ROUTE_METHOD_NOT_ALLOWED && allow) {
        int status = method_not_allowed(r, allow);
        return status == OK ? DONE : status;
    }
    return result == FA_ROUTE_MATCHED && *function ? OK : HTTP_NOT_FOUND;
}

/* host.json's maxConcurrentRequests, counted across every httpd child:
 * past it a request waits for a running function to end, as long as a
 * function may run; 0 when that ran out (the glue answers 504). */
static int run_begin(request_rec *r, fa_app_t *app, const char *id,
                     const fa_function_t *function)
{
    if (fa_slot_run_begin(app->slots, app->nslots,
                          app->config->function_timeout)
        == APR_SUCCESS) {
        return 1;
    }
    ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                  "FA067: %s: function %s waited %" APR_TIME_T_FMT
                  " s for one of the %d running (maxConcurrentRequests) to "
                  "end; answering 504",
                  id, function->name,
                  apr_time_sec(app->config->function_timeout),
                  app->config->max_concurrent);
    return 0;
}

/* What the access log may show of a call (%{FUNCAPP_FUNCTION}n ...), and
 * with FunctionAppDebugHeaders on, the client too: in err_headers_out, so
 * that a 502 or 504 carries them as well.  @a pid is 0 until a worker
 * answered.  The invocation id is the client's key to the error log's
 * lines of the call; Azure's host names it x-ms-invocation-id. */
static void note_call(request_rec *r, const fa_app_config_t *cfg,
                      const char *function, const char *id, apr_uint32_t pid)
{
    const char *text;

    if (!pid) {
        id = apr_pstrdup(r->pool, id);
        apr_table_setn(r->notes, "FUNCAPP_FUNCTION", function);
        apr_table_setn(r->notes, "FUNCAPP_INVOCATION_ID", id);
        if (cfg->debug_headers > 0) {
            apr_table_setn(r->err_headers_out, "x-ms-invocation-id", id);
        }
        return;
    }
    text = apr_psprintf(r->pool, "%u", pid);
    apr_table_setn(r->notes, "FUNCAPP_WORKER_PID", text);
    if (cfg->debug_headers > 0) {
        apr_table_setn(r->err_headers_out, "X-Funcapp-Worker", text);
    }
}

/* What a call came to: logged, the answer sent (or the status for httpd
 * to answer). */
static int outcome(request_rec *r, const server_conf_t *conf,
                   const fa_function_t *function, const char *id,
                   apr_status_t rv, const fa_response_t *resp,
                   fa_dispatch_stream_t *stream, int worker, int admin)
{
    if (rv == FA_TIMED_OUT) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      "FA065: %s: function %s timed out after %" APR_TIME_T_FMT
                      " s (FunctionTimeout, host.json functionTimeout) on "
                      "worker %d; answering 504",
                      id, function->name,
                      apr_time_sec(conf->app->config->function_timeout),
                      worker);
        return admin ? OK : HTTP_GATEWAY_TIME_OUT;
    }
    if (rv == FA_CLIENT_GONE) {
        fa_glue_client_gone(r, id, function->name);
        return OK;
    }
    if (rv != APR_SUCCESS) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, rv, r,
                      "FA062: %s: no worker "
                      "answered function %s",
                      id, function->name);
        return admin ? OK : HTTP_BAD_GATEWAY;
    }
    note_call(r, conf->app->config, function->name, id, resp->worker_pid);
    if (admin) { /* the admin API's 202 went out before the run */
        return OK;
    }
    return stream
        ? fa_glue_send_stream(r, conf, resp, stream, id, function->name)
        : send_response(r, resp);
}

/* The end of a call, the same whether the request waited in its thread
 * or was suspended (mod_funcapp_suspend.c): its outcome, its stream
 * closed and its run ended (a stream runs until its last chunk: the
 * function counts as running).  @a worker is the slot last tried. */
int fa_glue_call_end(request_rec *r, const server_conf_t *conf,
                     const fa_function_t *function, const char *id,
                     apr_status_t rv, const fa_response_t *resp,
                     fa_dispatch_stream_t *stream, int worker, int admin)
{
    int status =
        outcome(r, conf, function, id, rv, resp, stream, worker, admin);

    if (stream) {
        fa_dispatch_stream_close(stream);
    }
    fa_slot_run_end(conf->app->slots, conf->app->nslots);
    return status;
}

/* Runs @a function in a worker with @a req (its body read) and sends its
 * answer; for the admin API (@a admin) a 202 before it runs.  An async
 * function under the event MPM is suspended instead (SUSPENDED). */
int fa_glue_call(request_rec *r, const server_conf_t *conf, fa_request_t *req,
                 fa_body_source_t *more, const fa_function_t *function,
                 int admin)
{
    fa_response_t resp;
    fa_dispatch_stream_t *stream = NULL;
    char invocation_id[37];
    apr_status_t rv;
    int worker = -1;

    fa_dispatch_invocation_id(invocation_id);
    req->invocation_id = invocation_id;
    req->function_index = (apr_uint32_t)function->index;
    req->function_name = function->name;
    req->url = ap_construct_url(r->pool, r->unparsed_uri, r);
    note_call(r, conf->app->config, function->name, invocation_id, 0);
    if (admin) { /* Azure's 202 goes out first; the outcome is logged */
        r->status = HTTP_ACCEPTED;
        ap_set_content_length(r, 0);
        ap_rflush(r);
    }
    if (!run_begin(r, conf->app, invocation_id, function)) {
        return admin ? OK : HTTP_GATEWAY_TIME_OUT;
    }
    if (!admin && !more && fa_glue_suspend_eligible(r, conf, function)) {
        /* a whole body only (a streamed one is pumped by this thread);
         * run_end when it is finished */
        return fa_glue_suspend(r, conf, req, function);
    }
    rv = fa_dispatch_invoke_streamed(
        conf->dispatch, r->pool, req, more,
        r->method_number == M_GET || r->method_number == M_OPTIONS,
        /* only a task can be told to stop: a def
                             * function runs to its end anyway, so its
                             * request needs no poll on the client */
        function->is_async && !admin ? fa_glue_client_fd(r) : -1, &resp,
        &stream, &worker);
    if (rv == FA_BODY_TOO_LARGE || rv == FA_BODY_CLIENT_FAILED) {
        /* no response began: httpd answers it (413, 400) */
        fa_slot_run_end(conf->app->slots, conf->app->nslots);
        return fa_glue_body_status(more);
    }
    return fa_glue_call_end(r, conf, function, invocation_id, rv, &resp, stream,
                            worker, admin);
}

/* Reads the body, runs @a function in a worker and sends its answer. */
static int invoke(request_rec *r, const server_conf_t *conf, fa_request_t *req,
                  const fa_function_t *function)
{
    fa_body_source_t *more;
    int status =
        fa_glue_read_body_streamed(r, conf->app->config->max_body, req, &more);

    if (status != OK) {
        return status;
    }
    req->method = r->method;
    req->headers = r->headers_in;
    return fa_glue_call(r, conf, req, more, function, 0);
}

static apr_status_t leave(void *data)
{
    fa_app_t *app = data;

    fa_slot_leave(app->slots, app->nslots);
    return APR_SUCCESS;
}

/* host.json's maxOutstandingRequests, counted across every httpd child:
 * past it, 429 at once, as Azure's throttle answers; the count is given
 * back when the request's pool goes. */
static int admit(request_rec *r, fa_app_t *app)
{
    if (app->config->max_outstanding <= 0) {
        return 1;
    }
    if (!fa_slot_admit(app->slots, app->nslots,
                       (apr_uint32_t)app->config->max_outstanding)) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                      "FA066: %d requests outstanding "
                      "(maxOutstandingRequests); answering 429",
                      app->config->max_outstanding);
        return 0;
    }
    apr_pool_cleanup_register(r->pool, app, leave, apr_pool_cleanup_null);
    return 1;
}

/* A found function's answer: its key, the app's admission, its run. */
static int answer(request_rec *r, const server_conf_t *conf, fa_request_t *req,
                  const fa_function_t *function)
{
    /* after the route, before the body: a refusal costs no worker */
    if (!fa_glue_key_opens(r, conf, function)) {
        return fa_glue_empty_answer(r, HTTP_UNAUTHORIZED);
    }
    if (!admit(r, conf->app)) {
        apr_table_setn(r->err_headers_out, "Retry-After", "1");
        return fa_glue_empty_answer(r, HTTP_TOO_MANY_REQUESTS);
    }
    return invoke(r, conf, req, function);
}

int fa_glue_handler(request_rec *r)
{
    const server_conf_t *conf;
    const fa_function_t *function = NULL;
    fa_request_t req;
    int status;

    if (!r->handler || strcmp(r->handler, FUNCAPP_HANDLER)) {
        return DECLINED;
    }
    conf = ap_get_module_config(r->server->module_config, &funcapp_module);
    if (!conf->dispatch) {
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    /* before keys and routes: the host's CORS middleware runs first */
    fa_glue_app_headers(r, conf->app->config);
    if ((status = fa_glue_cors_preflight(r, conf->app->config)) != DECLINED) {
        return status;
    }
    if (is_admin_uri(r->uri)) {
        return fa_glue_admin(r, conf);
    }
    memset(&req, 0, sizeof(req));
    if ((status = find_function(r, conf, &req, &function)) != OK) {
        return status == DONE ? OK : status;
    }
    /* the status page's counters: a few atomic adds (fa_stats.h) */
    fa_stats_request_begin(conf->app->stats, function->stats);
    status = answer(r, conf, &req, function);
    if (status == SUSPENDED) { /* counted when it is finished */
        return status;
    }
    fa_stats_request_end(conf->app->stats, function->stats,
                         status == OK ? r->status : status,
                         apr_time_now() - r->request_time);
    return status;
}
