/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mod_funcapp_admin: Azure's host API under /admin/ (master key only,
 * never routed to the app): running a function by hand, the host's
 * status, reloading the app; and its health check, /admin/host/ping,
 * which takes no key.
 *
 * Runs in the httpd children, in the thread that serves the request;
 * what it makes lives in the request pool.
 */
#include <stdlib.h>
#include <string.h>

#include "httpd.h"
#include "http_config.h"
#include "http_protocol.h"
#include "scoreboard.h"

#include <apr_strings.h>
#include <jansson.h>

#include "fa_python.h"
#include "fa_reload.h"
#include "mod_funcapp.h"

/* The "input" of an admin run's body, {"input": ...}, as the function
 * gets it: a string as it is, other JSON as JSON text, none as "".  NULL
 * when the body is not a JSON object. */
static const char *admin_input(request_rec *r, const char *body, apr_size_t len)
{
    json_t *root = json_loadb(body, len, 0, NULL);
    json_t *input = json_object_get(root, "input");
    const char *text = NULL;
    char *dumped;

    if (json_is_object(root)) {
        if (json_is_string(input)) {
            text = apr_pstrmemdup(r->pool, json_string_value(input),
                                  json_string_length(input));
        }
        else if (!input || json_is_null(input)) {
            text = "";
        }
        else if ((dumped = json_dumps(input, JSON_COMPACT | JSON_ENCODE_ANY))) {
            text = apr_pstrdup(r->pool, dumped);
            free(dumped);
        }
    }
    json_decref(root);
    return text;
}

/* POST /admin/functions/{name}: runs a function by hand, as Azure's admin
 * API does (a timer gets a TimerRequest that is not past due, others the
 * input); 202 once it has run. */
static int admin_run(request_rec *r, const server_conf_t *conf,
                     const char *name)
{
    const fa_function_t *function;
    fa_request_t req;
    const char *body;
    apr_size_t len;
    int status;

    if (fa_dispatch_find(conf->dispatch, name, &function) != APR_SUCCESS) {
        apr_table_setn(r->err_headers_out, "Retry-After", "5");
        return HTTP_SERVICE_UNAVAILABLE;
    }
    if (!function) {
        return fa_glue_empty_answer(r, HTTP_NOT_FOUND);
    }
    if (r->method_number != M_POST) {
        apr_table_setn(r->headers_out, "Allow", "POST");
        return fa_glue_empty_answer(r, HTTP_METHOD_NOT_ALLOWED);
    }
    if ((status =
             fa_glue_read_body(r, conf->app->config->max_body, &body, &len))
        != OK) {
        return status;
    }
    memset(&req, 0, sizeof(req));
    if (!(req.body = admin_input(r, body, len))) {
        return HTTP_BAD_REQUEST;
    }
    req.body_len = strlen(req.body);
    req.method = "POST";
    /* never the key it came with: keys are not given to Python */
    req.headers = apr_table_make(r->pool, 1);
    req.route_params = apr_table_make(r->pool, 1);
    return fa_glue_call(r, conf, &req, NULL, function, 1);
}

/* GET (or HEAD, or POST as Azure takes) /admin/host/ping: 200 when a
 * worker of the app is ready, else 503, from the shared slots alone, so
 * a balancer's health check costs no worker and no key; never cached, a
 * proxy's copy would hide a node going down. */
static int host_ping(request_rec *r, const server_conf_t *conf)
{
    int counts[FA_SLOT_NCENSUS];

    apr_table_setn(r->headers_out, "Cache-Control", "no-store");
    if (r->method_number != M_GET && r->method_number != M_POST) {
        apr_table_setn(r->headers_out, "Allow", "GET, HEAD, POST");
        return fa_glue_empty_answer(r, HTTP_METHOD_NOT_ALLOWED);
    }
    fa_slot_census(conf->app->slots, conf->app->nslots, counts);
    return fa_glue_empty_answer(
        r, counts[FA_SLOT_READY] > 0 ? HTTP_OK : HTTP_SERVICE_UNAVAILABLE);
}

/* Azure's host states (ScriptHostState): Running once a worker takes
 * requests, Starting while one imports the app, Error when none runs. */
static const char *host_state(const int counts[FA_SLOT_NCENSUS])
{
    return counts[FA_SLOT_READY]   ? "Running"
        : counts[FA_SLOT_STARTING] ? "Starting"
                                   : "Error";
}

/* GET /admin/host/status: Azure's host status, and the workers behind
 * it. */
static int host_status(request_rec *r, const server_conf_t *conf)
{
    const fa_app_t *app = conf->app;
    int counts[FA_SLOT_NCENSUS];
    json_t *root;
    char *text;

    if (r->method_number != M_GET) {
        apr_table_setn(r->headers_out, "Allow", "GET, HEAD");
        return fa_glue_empty_answer(r, HTTP_METHOD_NOT_ALLOWED);
    }
    fa_slot_census(app->slots, app->nslots, counts);
    root = json_pack(
        "{s:s, s:s, s:s, s:s, s:I, s:{s:i, s:i, s:i, s:i, s:i}, s:i}", "id",
        r->server->server_hostname ? r->server->server_hostname : "localhost",
        "state", host_state(counts), "version", FUNCAPP_VERSION,
        "versionDetails",
        apr_psprintf(r->pool, "mod_funcapp/%s %s Python/%s", FUNCAPP_VERSION,
                     ap_get_server_description(), fa_python_version()),
        "processUptime",
        (json_int_t)apr_time_as_msec(
            apr_time_now() - ap_scoreboard_image->global->restart_time),
        "workers", "configured", app->nslots, "ready", counts[FA_SLOT_READY],
        "starting", counts[FA_SLOT_STARTING], "down", counts[FA_SLOT_DOWN],
        "stalled", counts[FA_SLOT_STALLED], "threadsPerWorker",
        app->config->thread_count);
    text = root ? json_dumps(root, JSON_COMPACT) : NULL;
    json_decref(root);
    if (!text) {
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    apr_table_setn(r->headers_out, "Cache-Control", "no-store");
    ap_set_content_type(r, "application/json; charset=utf-8");
    ap_rputs(text, r);
    free(text);
    return OK;
}

/* POST /admin/host/restart: a new generation of this app's workers (a
 * reload, fa_reload.h), answered at once as Azure's host does: 200 with
 * the host's options, of which ours has the script path. */
static int admin_restart(request_rec *r, const server_conf_t *conf)
{
    json_t *options;
    char *text;

    if (r->method_number != M_POST) {
        apr_table_setn(r->headers_out, "Allow", "POST");
        return fa_glue_empty_answer(r, HTTP_METHOD_NOT_ALLOWED);
    }
    fa_reload_request(conf->app, "admin restart");
    options = json_pack("{s:b,s:s?}", "isSelfHost", 1, "scriptPath",
                        conf->app->config->app_dir);
    text = options ? json_dumps(options, JSON_COMPACT) : NULL;
    json_decref(options);
    ap_set_content_type(r, "application/json; charset=utf-8");
    if (text) {
        ap_rputs(text, r);
        free(text);
    }
    return OK;
}

/* URLs under /admin/ are the host's own (Azure's admin API): master key
 * only (ping aside), never routed to the app.  POST /admin/functions/{name}
 * runs a function, /admin/host/status tells the host's state,
 * /admin/host/restart reloads the app; the rest is 404 past the key.  With
 * FunctionAppKeys off (local development), ping, runs and restart answer
 * without a key, but not the status: one anyone may read is not Azure's. */
int fa_glue_admin(request_rec *r, const server_conf_t *conf)
{
    const char *name = r->uri + 6;

    if (!strcasecmp(name, "/host/ping")) {
        return host_ping(r, conf);
    }
    if (!fa_glue_key_opens(r, conf, NULL)) {
        return fa_glue_empty_answer(r, HTTP_UNAUTHORIZED);
    }
    if (!strncasecmp(name, "/functions/", 11) && name[11]
        && !strchr(name + 11, '/')) {
        return admin_run(r, conf, name + 11);
    }
    if (!strcasecmp(name, "/host/status")
        && conf->app->config->keys_mode != FA_KEYS_OFF) {
        return host_status(r, conf);
    }
    if (!strcasecmp(name, "/host/restart")) {
        return admin_restart(r, conf);
    }
    return HTTP_NOT_FOUND;
}
