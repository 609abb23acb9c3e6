/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mod_funcapp_cors: the headers Azure's host puts on every response of an
 * app, CORS and host.json's customHeaders, and the CORS preflight it
 * answers itself.
 *
 * Runs in the httpd children, at the start of each request for the app.
 * The headers go to err_headers_out, so httpd's own error answers (401,
 * 404, 500...) carry them too; a header the function sets itself wins
 * (send_response unsets ours), as the host only adds what is missing.
 */
#include <strings.h>

#include "httpd.h"
#include "http_protocol.h"

#include <apr_strings.h>

#include "fa_cors.h"
#include "mod_funcapp.h"

/* As ASP.NET Core's CORS middleware (the host's) with any method and any
 * header allowed: the allowed origin, and Vary: Origin when the answer
 * names the origin rather than `*`. */
static int cors_origin(request_rec *r, const fa_app_config_t *cfg)
{
    const char *origin = apr_table_get(r->headers_in, "Origin");
    const char *allow = fa_cors_allow_origin(cfg->cors, origin);

    if (!allow) {
        return 0;
    }
    apr_table_setn(r->err_headers_out, "Access-Control-Allow-Origin",
                   apr_pstrdup(r->pool, allow));
    if (cfg->cors->credentials) {
        apr_table_setn(r->err_headers_out, "Access-Control-Allow-Credentials",
                       "true");
    }
    if (strcmp(allow, "*")) {
        apr_table_mergen(r->err_headers_out, "Vary", "Origin");
    }
    return 1;
}

void fa_glue_app_headers(request_rec *r, const fa_app_config_t *cfg)
{
    const apr_array_header_t *arr;
    const apr_table_entry_t *e;
    int i;

    cors_origin(r, cfg);
    if (!cfg->custom_headers) {
        return;
    }
    arr = apr_table_elts(cfg->custom_headers);
    e = (const apr_table_entry_t *)arr->elts;
    for (i = 0; i < arr->nelts; ++i) {
        if (!apr_table_get(r->err_headers_out, e[i].key)) {
            apr_table_setn(r->err_headers_out, e[i].key, e[i].val);
        }
    }
}

int fa_glue_cors_preflight(request_rec *r, const fa_app_config_t *cfg)
{
    const char *method =
        apr_table_get(r->headers_in, "Access-Control-Request-Method");
    const char *headers =
        apr_table_get(r->headers_in, "Access-Control-Request-Headers");
    int discarded;

    if (!cfg->cors
        || !fa_cors_is_preflight(
            r->method, apr_table_get(r->headers_in, "Origin"), method)) {
        return DECLINED;
    }
    /* An allowed origin got its Allow-Origin from fa_glue_app_headers;
     * a refused one gets none, and the browser stops there. */
    if (apr_table_get(r->err_headers_out, "Access-Control-Allow-Origin")) {
        apr_table_setn(r->err_headers_out, "Access-Control-Allow-Methods",
                       method);
        if (headers && *headers) {
            apr_table_setn(r->err_headers_out, "Access-Control-Allow-Headers",
                           headers);
        }
    }
    if ((discarded = ap_discard_request_body(r)) != OK) {
        return discarded;
    }
    r->status = HTTP_NO_CONTENT;
    return OK;
}
