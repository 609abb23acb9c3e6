/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mod_funcapp_body: a request's body from httpd's input filters (chunked
 * uploads included, as HTTP_IN decodes them): whole when it is small, as
 * one frame costs a hello request nothing more; else its first part, and
 * the rest as a source (fa_body.h) that the dispatch pumps to the worker
 * a piece at a time, so the child never holds more than a piece.
 *
 * Runs in the httpd children, in the thread that serves the request;
 * the buffers are malloc'd and freed with the request pool.
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

#include "mod_funcapp.h"

APLOG_USE_MODULE(funcapp);

/* A body up to this size with a known length goes whole in the request
 * frame (the first part of a longer one is as long); a piece of the rest
 * is at most FA_GLUE_PIECE. */
#define FA_GLUE_INLINE (64 * 1024)
#define FA_GLUE_PIECE (128 * 1024)

/* A request body being read: malloc'd so that it grows in place (realloc
 * moves large blocks by remapping pages, not by copying them), freed with
 * the request. */
typedef struct body_buf {
    char *data;
    apr_size_t len, cap;
} body_buf_t;

static apr_status_t free_body(void *data)
{
    free(((body_buf_t *)data)->data);
    return APR_SUCCESS;
}

/* Room for @a more bytes, growing by doubling but never past @a limit + 1
 * bytes: a 100 MB chunked upload allocates 100 MB, not the sum of every
 * size it went through. */
static int body_reserve(body_buf_t *b, apr_size_t more, apr_size_t limit)
{
    apr_size_t cap = b->cap;
    char *bigger;

    if (b->len + more < cap) {
        return OK;
    }
    while (b->len + more >= cap) {
        cap = cap > limit / 2 ? limit + 1 : cap * 2;
    }
    bigger = realloc(b->data, cap);
    if (!bigger) {
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    b->data = bigger;
    b->cap = cap;
    return OK;
}

/* The first size of the buffer: the Content-Length when there is one. */
static int body_size_hint(request_rec *r, apr_off_t limit, apr_size_t *cap)
{
    const char *cl = apr_table_get(r->headers_in, "Content-Length");
    apr_off_t n;

    *cap = 8192;
    if (!cl) {
        return OK;
    }
    if (apr_strtoff(&n, cl, NULL, 10) != APR_SUCCESS || n < 0) {
        return HTTP_BAD_REQUEST;
    }
    if (n > limit) {
        return HTTP_REQUEST_ENTITY_TOO_LARGE;
    }
    *cap = (apr_size_t)n + 1;
    return OK;
}

/* Appends the data buckets of @a bb to @a b; sets *eos at the end. */
static int body_append(body_buf_t *b, apr_bucket_brigade *bb, apr_size_t limit,
                       int *eos)
{
    apr_bucket *e;

    for (e = APR_BRIGADE_FIRST(bb); e != APR_BRIGADE_SENTINEL(bb);
         e = APR_BUCKET_NEXT(e)) {
        const char *data;
        apr_size_t n;
        int status;
        if (APR_BUCKET_IS_EOS(e)) {
            *eos = 1;
            return OK;
        }
        if (apr_bucket_read(e, &data, &n, APR_BLOCK_READ) != APR_SUCCESS) {
            return HTTP_BAD_REQUEST;
        }
        if (n > limit - b->len) {
            return HTTP_REQUEST_ENTITY_TOO_LARGE;
        }
        if ((status = body_reserve(b, n, limit)) != OK) {
            return status;
        }
        memcpy(b->data + b->len, data, n);
        b->len += n;
    }
    return OK;
}

/* Reads the whole body, refusing more than LimitRequestBody or @a cap
 * (Azure's 100 MB, or FUNCTIONS_REQUEST_BODY_SIZE_LIMIT), whichever is
 * lower. */
int fa_glue_read_body(request_rec *r, apr_size_t cap, const char **body,
                      apr_size_t *len)
{
    apr_off_t limit = ap_get_limit_req_body(r);
    body_buf_t *b;
    apr_bucket_brigade *bb;
    int status, eos = 0;

    if (!ap_request_has_body(r)) {
        /* most GETs: no input filters to run at all */
        *body = "";
        *len = 0;
        return OK;
    }
    if (limit <= 0 || limit > (apr_off_t)cap) {
        limit = (apr_off_t)cap;
    }
    b = apr_pcalloc(r->pool, sizeof(*b));
    if ((status = body_size_hint(r, limit, &b->cap)) != OK) {
        return status;
    }
    if (!(b->data = malloc(b->cap))) {
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    apr_pool_cleanup_register(r->pool, b, free_body, apr_pool_cleanup_null);
    bb = apr_brigade_create(r->pool, r->connection->bucket_alloc);
    while (!eos) {
        apr_status_t rv = ap_get_brigade(
            r->input_filters, bb, AP_MODE_READBYTES, APR_BLOCK_READ, 65536);
        if (rv != APR_SUCCESS) {
            return ap_map_http_request_error(rv, HTTP_BAD_REQUEST);
        }
        status = body_append(b, bb, (apr_size_t)limit, &eos);
        apr_brigade_cleanup(bb);
        if (status != OK) {
            return status;
        }
    }
    *body = b->data;
    *len = b->len;
    return OK;
}

/* ---- a streamed body --------------------------------------------------- */

/* The rest of a body being streamed, and why it stopped if it failed. */
typedef struct stream {
    fa_body_source_t source; /* first: the dispatch is handed &source */
    request_rec *r;
    apr_bucket_brigade *bb;
    body_buf_t *buf; /* the first part, then each piece in turn */
    apr_size_t limit, seen;
    int eos;
    int status; /* what to answer once the source failed */
} stream_t;

/* Appends what @a s->bb holds to the buffer, within the limit. */
static apr_status_t take_brigade(stream_t *s)
{
    int status = body_append(s->buf, s->bb, s->limit - s->seen, &s->eos);

    apr_brigade_cleanup(s->bb);
    if (status != OK) {
        s->status = status;
        return status == HTTP_REQUEST_ENTITY_TOO_LARGE ? FA_BODY_TOO_LARGE
                                                       : FA_BODY_CLIENT_FAILED;
    }
    return APR_SUCCESS;
}

/* How fill waits for the client's bytes. */
typedef enum {
    FILL_ALL,   /* until the buffer holds what it wants, or the end */
    FILL_FIRST, /* for some, then takes only what is there at once */
    FILL_NONE   /* only what is there at once */
} fill_wait_e;

/* Reads into the buffer until it holds @a want bytes or the body ends,
 * waiting as @a wait says: a slow client's bytes reach the function as
 * they come. */
static apr_status_t fill(stream_t *s, apr_size_t want, fill_wait_e wait)
{
    apr_read_type_e block =
        wait == FILL_NONE ? APR_NONBLOCK_READ : APR_BLOCK_READ;
    apr_status_t rv;

    while (!s->eos && s->buf->len < want) {
        rv = ap_get_brigade(s->r->input_filters, s->bb, AP_MODE_READBYTES,
                            block, (apr_off_t)(want - s->buf->len));
        if (block == APR_NONBLOCK_READ
            && (APR_STATUS_IS_EAGAIN(rv)
                || (rv == APR_SUCCESS && APR_BRIGADE_EMPTY(s->bb)))) {
            return APR_SUCCESS;
        }
        if (rv != APR_SUCCESS) {
            apr_brigade_cleanup(s->bb);
            s->status = ap_map_http_request_error(rv, HTTP_BAD_REQUEST);
            return s->status == HTTP_REQUEST_ENTITY_TOO_LARGE
                ? FA_BODY_TOO_LARGE
                : FA_BODY_CLIENT_FAILED;
        }
        if ((rv = take_brigade(s)) != APR_SUCCESS) {
            return rv;
        }
        if (wait != FILL_ALL) {
            block = APR_NONBLOCK_READ;
        }
    }
    return APR_SUCCESS;
}

/* fa_body_source_t's next: the next piece, in the buffer the first part
 * was in (once the pump asks, the request is on its way and is never
 * sent again); APR_EAGAIN when it may not @a wait and nothing came. */
static apr_status_t next_piece(void *baton, int wait, const char **data,
                               apr_size_t *len)
{
    stream_t *s = baton;
    apr_status_t rv;

    s->seen += s->buf->len;
    s->buf->len = 0;
    *len = 0;
    if (s->eos) {
        return APR_EOF;
    }
    if ((rv = fill(s, FA_GLUE_PIECE, wait ? FILL_FIRST : FILL_NONE))
        != APR_SUCCESS) {
        if (rv == FA_BODY_TOO_LARGE) {
            ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, s->r,
                          "FA110: request body over the %" APR_SIZE_T_FMT
                          "-byte limit after %" APR_SIZE_T_FMT
                          " bytes streamed to the function; aborted, "
                          "answering 413",
                          s->limit, s->seen);
        }
        return rv;
    }
    *data = s->buf->data;
    *len = s->buf->len;
    if (*len) {
        return APR_SUCCESS;
    }
    return s->eos ? APR_EOF : APR_EAGAIN;
}

int fa_glue_read_body_streamed(request_rec *r, apr_size_t cap,
                               fa_request_t *req, fa_body_source_t **more)
{
    apr_off_t limit = ap_get_limit_req_body(r);
    const char *cl = apr_table_get(r->headers_in, "Content-Length");
    apr_off_t n = 0;
    stream_t *s;
    int status;

    *more = NULL;
    if (!ap_request_has_body(r)
        || (cl && apr_strtoff(&n, cl, NULL, 10) == APR_SUCCESS && n >= 0
            && n <= FA_GLUE_INLINE)) {
        return fa_glue_read_body(r, cap, &req->body, &req->body_len);
    }
    if (limit <= 0 || limit > (apr_off_t)cap) {
        limit = (apr_off_t)cap;
    }
    s = apr_pcalloc(r->pool, sizeof(*s));
    s->buf = apr_pcalloc(r->pool, sizeof(*s->buf));
    /* a bad or too large Content-Length is answered before any read */
    if ((status = body_size_hint(r, limit, &s->buf->cap)) != OK) {
        return status;
    }
    s->buf->cap = FA_GLUE_PIECE + 1;
    if (!(s->buf->data = malloc(s->buf->cap))) {
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    apr_pool_cleanup_register(r->pool, s->buf, free_body,
                              apr_pool_cleanup_null);
    s->r = r;
    s->limit = (apr_size_t)limit;
    s->bb = apr_brigade_create(r->pool, r->connection->bucket_alloc);
    if (fill(s, FA_GLUE_INLINE, FILL_ALL) != APR_SUCCESS) {
        return s->status;
    }
    req->body = s->buf->data;
    req->body_len = s->buf->len;
    if (!s->eos) { /* a chunked body that is not over yet */
        req->flags |= FA_REQUEST_BODY_FOLLOWS;
        s->source.next = next_piece;
        s->source.baton = s;
        /* an HTTP/2 stream's bytes do not come from the socket it
         * shares with the others: read it waiting */
        s->source.fd = r->connection->master ? -1 : fa_glue_client_fd(r);
        *more = &s->source;
    }
    return OK;
}

int fa_glue_body_status(const fa_body_source_t *more)
{
    return ((const stream_t *)more)->status;
}
