/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mod_funcapp_stream: a streamed response's way to the client: the head at
 * once, each chunk as the worker sends it, flushed through the output
 * filters (Transfer-Encoding: chunked where no length is known), and a
 * response cut short when the function fails, times out or its worker is
 * lost mid-stream.
 *
 * Runs in the httpd children, in the thread that serves the request; the
 * chunks are read into one buffer at a time (fa_dispatch_stream_next), so
 * a stream of any length holds at most FA_WIRE_MAX_CHUNK bytes here: a
 * slow client slows the worker, through the socket between them.  The
 * rest of a streamed request body goes on to the worker meanwhile (in
 * fa_dispatch_stream_next, a piece at a time): a function may read it as
 * it answers.
 */
#include "httpd.h"
#include "http_config.h"
#include "http_log.h"
#include "http_protocol.h"
#include "http_request.h"

#include <apr_strings.h>

#include "mod_funcapp.h"

APLOG_USE_MODULE(funcapp);

/* The client went away while its function ran or streamed: said once,
 * whichever way it was noticed. */
void fa_glue_client_gone(request_rec *r, const char *id, const char *function)
{
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                  "FA063: %s: the client "
                  "went away; function %s was told",
                  id, function);
    r->connection->aborted = 1;
}

/* Passes @a len bytes (maybe none: the head alone) to the output filters
 * and flushes them to the client; whether the client is still there. */
static int pass_piece(request_rec *r, apr_bucket_brigade *bb, const char *data,
                      apr_size_t len)
{
    apr_bucket_alloc_t *ba = r->connection->bucket_alloc;
    apr_status_t rv;

    if (len) {
        /* transient: the flush writes it before the call returns, and a
         * filter that keeps it (mod_deflate) copies it */
        APR_BRIGADE_INSERT_TAIL(bb, apr_bucket_transient_create(data, len, ba));
    }
    APR_BRIGADE_INSERT_TAIL(bb, apr_bucket_flush_create(ba));
    rv = ap_pass_brigade(r->output_filters, bb);
    apr_brigade_cleanup(bb);
    return rv == APR_SUCCESS && !r->connection->aborted;
}

#define CUT_FILTER "FUNCAPP_STREAM_CUT"

/* Once a streamed response's head is out, an error means a body cut
 * short, whoever reports it: httpd's HTTP_IN passes a 413 error and the
 * end down the output filters when a streamed request body passes
 * LimitRequestBody (an echo), which would end the body with a last chunk
 * as if it were whole.  As a 502, the chunk filter leaves it out (as for
 * mod_proxy's broken backend). */
static apr_status_t cut_filter(ap_filter_t *f, apr_bucket_brigade *bb)
{
    apr_bucket *e;

    for (e = APR_BRIGADE_FIRST(bb); e != APR_BRIGADE_SENTINEL(bb);
         e = APR_BUCKET_NEXT(e)) {
        if (AP_BUCKET_IS_ERROR(e)) {
            ((ap_bucket_error *)e->data)->status = HTTP_BAD_GATEWAY;
            f->r->no_cache = 1;
            f->r->connection->keepalive = AP_CONN_CLOSE;
        }
    }
    return ap_pass_brigade(f->next, bb);
}

void fa_glue_stream_register(void)
{
    ap_register_output_filter(CUT_FILTER, cut_filter, NULL,
                              AP_FTYPE_CONTENT_SET);
}

/* A response cut short: no last chunk, the connection closed, nothing
 * cached (as mod_proxy does when its backend breaks). */
static void cut_short(request_rec *r, apr_bucket_brigade *bb)
{
    apr_bucket_alloc_t *ba = r->connection->bucket_alloc;

    r->no_cache = 1;
    r->connection->keepalive = AP_CONN_CLOSE;
    APR_BRIGADE_INSERT_TAIL(
        bb, ap_bucket_error_create(HTTP_BAD_GATEWAY, NULL, r->pool, ba));
    APR_BRIGADE_INSERT_TAIL(bb, apr_bucket_eos_create(ba));
    ap_pass_brigade(r->output_filters, bb);
    apr_brigade_cleanup(bb);
}

/* Why a stream stopped before its end, in the log; the response is cut
 * short unless its client is gone. */
static void stream_stopped(request_rec *r, const server_conf_t *conf,
                           apr_bucket_brigade *bb, apr_status_t rv,
                           const char *id, const char *function)
{
    if (rv == FA_CLIENT_GONE || rv == FA_BODY_CLIENT_FAILED
        || r->connection->aborted) {
        fa_glue_client_gone(r, id, function);
        return;
    }
    if (rv == FA_TIMED_OUT) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      "FA100: %s: function %s still streaming its response "
                      "after %" APR_TIME_T_FMT " s (FunctionTimeout, "
                      "host.json functionTimeout); response cut short",
                      id, function,
                      apr_time_sec(conf->app->config->function_timeout));
    }
    else if (rv == FA_BODY_TOO_LARGE) {
        /* the 413 FA110 meant cannot follow a head already sent */
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      "FA112: %s: request body over the limit while "
                      "function %s streamed its response; response cut "
                      "short (its head was sent: no 413)",
                      id, function);
    }
    else if (rv == FA_STREAM_ABORTED) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      "FA101: %s: function %s failed mid-stream (see its "
                      "traceback); response cut short",
                      id, function);
    }
    else {
        ap_log_rerror(
            APLOG_MARK, APLOG_ERR, rv == FA_WORKER_STALLED ? 0 : rv, r,
            "FA102: %s: the worker streaming function %s's "
            "response %s; response cut short",
            id, function,
            rv == FA_WORKER_STALLED ? "stalled (no heartbeat)" : "was lost");
    }
    cut_short(r, bb);
}

/* The head of a streamed response at once (an EventSource sees it open),
 * then each chunk as it comes, flushed: no Content-Length unless the
 * function gave one, so HTTP/1.1 clients get it chunked. */
int fa_glue_send_stream(request_rec *r, const server_conf_t *conf,
                        const fa_response_t *resp, fa_dispatch_stream_t *stream,
                        const char *id, const char *function)
{
    const char *length = apr_table_get(resp->headers, "Content-Length");
    int status = fa_glue_set_head(r, resp);
    apr_bucket_brigade *bb;
    apr_status_t rv;
    const char *data;
    apr_size_t len;
    apr_off_t n;
    int cfd = fa_glue_client_fd(r);

    if (status != OK || !fa_glue_has_body(resp) || r->header_only) {
        return status; /* the stream is closed unread */
    }
    if (length && apr_strtoff(&n, length, NULL, 10) == APR_SUCCESS && n >= 0) {
        ap_set_content_length(r, n);
    }
    if (ap_request_has_body(r)) { /* it may flow on meanwhile */
        ap_add_output_filter(CUT_FILTER, NULL, r, r->connection);
    }
    bb = apr_brigade_create(r->pool, r->connection->bucket_alloc);
    rv = pass_piece(r, bb, resp->body, resp->body_len) ? APR_SUCCESS
                                                       : FA_CLIENT_GONE;
    while (rv == APR_SUCCESS
           && (rv = fa_dispatch_stream_next(stream, cfd, &data, &len))
               == APR_SUCCESS) {
        if (!pass_piece(r, bb, data, len)) {
            rv = FA_CLIENT_GONE; /* a write failed */
        }
    }
    if (rv != APR_EOF) {
        stream_stopped(r, conf, bb, rv, id, function);
    }
    return OK;
}
