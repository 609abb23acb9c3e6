/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mod_funcapp_admin: Azure's host API under /admin/ (master key only,
 * never routed to the app): running a function by hand, reloading the
 * app.
 *
 * Runs in the httpd children, in the thread that serves the request;
 * what it makes lives in the request pool.
 */
#include <stdlib.h>
#include <string.h>

#include "httpd.h"
#include "http_config.h"
#include "http_protocol.h"

#include <apr_strings.h>
#include <jansson.h>

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
    return fa_glue_call(r, conf, &req, function, 1);
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
 * only, never routed to the app.  POST /admin/functions/{name} runs a
 * function; the rest is 404 past the key. */
int fa_glue_admin(request_rec *r, const server_conf_t *conf)
{
    const char *name = r->uri + 6;

    if (!fa_glue_key_opens(r, conf, NULL)) {
        return fa_glue_empty_answer(r, HTTP_UNAUTHORIZED);
    }
    if (!strncasecmp(name, "/functions/", 11) && name[11]
        && !strchr(name + 11, '/')) {
        return admin_run(r, conf, name + 11);
    }
    if (!strcasecmp(name, "/host/restart")) {
        return admin_restart(r, conf);
    }
    return HTTP_NOT_FOUND;
}
