/* SPDX-License-Identifier: Apache-2.0 */
/**
 * fa_wire: encoding and decoding of the frames exchanged between httpd
 * children and worker processes.  The decoder runs on bytes from another
 * process, so every length is checked against what is left of the payload
 * (by subtraction, never by adding to an offset) before it is used.
 */
#include <stdlib.h>
#include <string.h>

#include <apr_strings.h>

#include "fa_wire.h"

#define MAGIC0 'F'
#define MAGIC1 'A'
#define U32_MAX_VAL ((apr_uint64_t)0xFFFFFFFFu)
/* Smallest encoding of a name/value pair: two empty strings. */
#define MIN_PAIR_LEN (2 * (4 + 1))

/* ---- header ------------------------------------------------------------ */

apr_status_t fa_wire_parse_header(const unsigned char *hdr,
                                  apr_size_t max_payload, fa_frame_type_e *type,
                                  apr_size_t *payload_len)
{
    apr_uint32_t len;

    if (hdr[0] != MAGIC0 || hdr[1] != MAGIC1 || hdr[2] != FA_WIRE_VERSION) {
        return APR_EGENERAL;
    }
    if (hdr[3] >= 32 || !(FA_WIRE_KNOWN_TYPES & (1u << hdr[3]))) {
        return APR_EGENERAL;
    }
    len = ((apr_uint32_t)hdr[4] << 24) | ((apr_uint32_t)hdr[5] << 16)
        | ((apr_uint32_t)hdr[6] << 8) | (apr_uint32_t)hdr[7];
    if (len > max_payload) {
        return APR_ENOSPC;
    }
    *type = (fa_frame_type_e)hdr[3];
    *payload_len = len;
    return APR_SUCCESS;
}

static unsigned char *put_u32(unsigned char *w, apr_uint32_t v)
{
    w[0] = (unsigned char)(v >> 24);
    w[1] = (unsigned char)(v >> 16);
    w[2] = (unsigned char)(v >> 8);
    w[3] = (unsigned char)v;
    return w + 4;
}

/* The caller guarantees payload_len <= UINT32_MAX (the encoders check it);
 * only the low 32 bits are written. */
void fa_wire_make_header(unsigned char *hdr, fa_frame_type_e type,
                         apr_size_t payload_len)
{
    hdr[0] = MAGIC0;
    hdr[1] = MAGIC1;
    hdr[2] = FA_WIRE_VERSION;
    hdr[3] = (unsigned char)type;
    put_u32(hdr + 4, (apr_uint32_t)payload_len);
}

/* ---- encoding ---------------------------------------------------------- */

/* Refuse here whatever the peer's decoder would reject, so a bad frame is
 * an error at the sender rather than a dropped connection at the receiver. */
static apr_status_t measure_str(const char *s, int nonempty, apr_size_t *total)
{
    apr_size_t n;

    if (!s) {
        return APR_EINVAL;
    }
    n = strlen(s);
    if (n > FA_WIRE_MAX_STRING || (nonempty && n == 0)) {
        return APR_EINVAL;
    }
    *total += 4 + n + 1;
    return APR_SUCCESS;
}

static apr_status_t measure_table(const apr_table_t *t, int nonempty_keys,
                                  apr_size_t *total)
{
    const apr_array_header_t *arr;
    const apr_table_entry_t *e;
    apr_status_t rv;
    int i;

    *total += 4;
    if (!t) {
        return APR_SUCCESS;
    }
    arr = apr_table_elts(t);
    if (arr->nelts > FA_WIRE_MAX_FIELDS) {
        return APR_EINVAL;
    }
    e = (const apr_table_entry_t *)arr->elts;
    for (i = 0; i < arr->nelts; i++) {
        if ((rv = measure_str(e[i].key, nonempty_keys, total)) != APR_SUCCESS
            || (rv = measure_str(e[i].val, 0, total)) != APR_SUCCESS) {
            return rv;
        }
    }
    return APR_SUCCESS;
}

static unsigned char *put_str(unsigned char *w, const char *s)
{
    apr_size_t n = strlen(s);

    w = put_u32(w, (apr_uint32_t)n);
    memcpy(w, s, n + 1);
    return w + n + 1;
}

static unsigned char *put_table(unsigned char *w, const apr_table_t *t)
{
    const apr_array_header_t *arr;
    const apr_table_entry_t *e;
    int i;

    if (!t) {
        return put_u32(w, 0);
    }
    arr = apr_table_elts(t);
    e = (const apr_table_entry_t *)arr->elts;
    w = put_u32(w, (apr_uint32_t)arr->nelts);
    for (i = 0; i < arr->nelts; i++) {
        w = put_str(w, e[i].key);
        w = put_str(w, e[i].val);
    }
    return w;
}

/* @a fields is the payload size up to and including the body's length
 * prefix.  Allocates the head, writes the frame header into it and returns
 * where the fields go. */
static apr_status_t start_head(apr_pool_t *p, fa_frame_type_e type,
                               apr_size_t fields, const char *body,
                               apr_size_t body_len, char **head,
                               apr_size_t *head_len, unsigned char **w)
{
    if (!body && body_len) {
        return APR_EINVAL;
    }
    /* Subtract rather than add: body_len may be anything up to SIZE_MAX. */
    if (fields >= U32_MAX_VAL || body_len > U32_MAX_VAL - 1 - fields) {
        return APR_ENOSPC;
    }
    *head_len = FA_WIRE_HEADER_LEN + fields;
    *head = apr_palloc(p, *head_len);
    fa_wire_make_header((unsigned char *)*head, type, fields + body_len + 1);
    *w = (unsigned char *)*head + FA_WIRE_HEADER_LEN;
    return APR_SUCCESS;
}

/* On success the caller sends head[0..head_len), then the body_len body
 * bytes, then one NUL byte; the frame header already counts all three. */
apr_status_t fa_wire_encode_request(apr_pool_t *p, const fa_request_t *req,
                                    char **head, apr_size_t *head_len)
{
    apr_size_t fields = 4 + 4 + 4; /* index, flags, body length; tables
                                    * add counts */
    const char *name = req->function_name ? req->function_name : "";
    unsigned char *w;
    apr_status_t rv;

    if (req->flags & ~FA_REQUEST_BODY_FOLLOWS) {
        return APR_EINVAL;
    }
    if ((rv = measure_str(name, 0, &fields)) != APR_SUCCESS
        || (rv = measure_str(req->invocation_id, 0, &fields)) != APR_SUCCESS
        || (rv = measure_str(req->method, 1, &fields)) != APR_SUCCESS
        || (rv = measure_str(req->url, 0, &fields)) != APR_SUCCESS
        || (rv = measure_table(req->headers, 1, &fields)) != APR_SUCCESS
        || (rv = measure_table(req->route_params, 0, &fields)) != APR_SUCCESS) {
        return rv;
    }
    rv = start_head(p, FA_FRAME_REQUEST, fields, req->body, req->body_len, head,
                    head_len, &w);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    w = put_u32(w, req->function_index);
    w = put_str(w, name);
    w = put_u32(w, req->flags);
    w = put_str(w, req->invocation_id);
    w = put_str(w, req->method);
    w = put_str(w, req->url);
    w = put_table(w, req->headers);
    w = put_table(w, req->route_params);
    put_u32(w, (apr_uint32_t)req->body_len);
    return APR_SUCCESS;
}

/* Same contract as fa_wire_encode_request: send head, body bytes, one NUL. */
apr_status_t fa_wire_encode_response(apr_pool_t *p, const fa_response_t *resp,
                                     char **head, apr_size_t *head_len)
{
    apr_size_t fields = 4 + 4 + 4 + 4; /* status, pid, flags, body length;
                                        * the table adds its count */
    unsigned char *w;
    apr_status_t rv;

    if (resp->status < 100 || resp->status > 999) {
        return APR_EINVAL;
    }
    if ((rv = measure_table(resp->headers, 1, &fields)) != APR_SUCCESS) {
        return rv;
    }
    rv = start_head(p, FA_FRAME_RESPONSE, fields, resp->body, resp->body_len,
                    head, head_len, &w);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    w = put_u32(w, (apr_uint32_t)resp->status);
    w = put_u32(w, resp->worker_pid);
    w = put_u32(w, resp->flags);
    w = put_table(w, resp->headers);
    put_u32(w, (apr_uint32_t)resp->body_len);
    return APR_SUCCESS;
}

/* ---- decoding ---------------------------------------------------------- */

typedef struct {
    const unsigned char *p;
    apr_size_t left;
} reader;

/* Byte by byte: the payload has no alignment guarantee. */
static int get_u32(reader *r, apr_uint32_t *v)
{
    if (r->left < 4) {
        return 0;
    }
    *v = ((apr_uint32_t)r->p[0] << 24) | ((apr_uint32_t)r->p[1] << 16)
        | ((apr_uint32_t)r->p[2] << 8) | (apr_uint32_t)r->p[3];
    r->p += 4;
    r->left -= 4;
    return 1;
}

/* A body (binary) may hold NULs and is bounded only by the payload; other
 * strings become C strings, so an embedded NUL would silently truncate. */
static int get_str(reader *r, int nonempty, int binary, const char **s,
                   apr_size_t *len)
{
    apr_uint32_t n;

    if (!get_u32(r, &n)) {
        return 0;
    }
    if ((!binary && n > FA_WIRE_MAX_STRING) || n >= r->left) { /* + NUL */
        return 0;
    }
    if (r->p[n] != '\0' || (nonempty && n == 0)
        || (!binary && memchr(r->p, '\0', n))) {
        return 0;
    }
    *s = (const char *)r->p;
    if (len) {
        *len = n;
    }
    r->p += (apr_size_t)n + 1;
    r->left -= (apr_size_t)n + 1;
    return 1;
}

static int get_table(apr_pool_t *p, reader *r, int nonempty_keys,
                     apr_table_t **t)
{
    apr_uint32_t count, i;
    const char *k, *v;

    if (!get_u32(r, &count)) {
        return 0;
    }
    /* A count the remaining bytes cannot hold never reaches the allocator. */
    if (count > FA_WIRE_MAX_FIELDS || count > r->left / MIN_PAIR_LEN) {
        return 0;
    }
    *t = apr_table_make(p, (int)count);
    for (i = 0; i < count; i++) {
        if (!get_str(r, nonempty_keys, 0, &k, NULL)
            || !get_str(r, 0, 0, &v, NULL)) {
            return 0;
        }
        apr_table_add(*t, k, v); /* add, not set: duplicates stay separate */
    }
    return 1;
}

static int get_body(reader *r, const char **body, apr_size_t *body_len)
{
    return get_str(r, 0, 1, body, body_len) && r->left == 0;
}

apr_status_t fa_wire_decode_request(apr_pool_t *p, const char *payload,
                                    apr_size_t len, fa_request_t *req)
{
    reader r = {(const unsigned char *)payload, len};
    fa_request_t out;

    memset(&out, 0, sizeof(out));
    if (!get_u32(&r, &out.function_index)
        || !get_str(&r, 0, 0, &out.function_name, NULL)
        || !get_u32(&r, &out.flags) || (out.flags & ~FA_REQUEST_BODY_FOLLOWS)
        || !get_str(&r, 0, 0, &out.invocation_id, NULL)
        || !get_str(&r, 1, 0, &out.method, NULL)
        || !get_str(&r, 0, 0, &out.url, NULL)
        || !get_table(p, &r, 1, &out.headers)
        || !get_table(p, &r, 0, &out.route_params)
        || !get_body(&r, &out.body, &out.body_len)) {
        return APR_EGENERAL;
    }
    *req = out;
    return APR_SUCCESS;
}

apr_status_t fa_wire_decode_response(apr_pool_t *p, const char *payload,
                                     apr_size_t len, fa_response_t *resp)
{
    reader r = {(const unsigned char *)payload, len};
    fa_response_t out;
    apr_uint32_t status;

    memset(&out, 0, sizeof(out));
    if (!get_u32(&r, &status) || status < 100 || status > 999
        || !get_u32(&r, &out.worker_pid) || !get_u32(&r, &out.flags)
        || (out.flags & ~FA_RESPONSE_STREAMED)
        || !get_table(p, &r, 1, &out.headers)
        || !get_body(&r, &out.body, &out.body_len)) {
        return APR_EGENERAL;
    }
    out.status = (int)status;
    *resp = out;
    return APR_SUCCESS;
}

void fa_wire_chunk_head(unsigned char *head, apr_size_t len, apr_uint32_t flags)
{
    fa_wire_make_header(head, FA_FRAME_RESPONSE_CHUNK, 4 + len);
    put_u32(head + FA_WIRE_HEADER_LEN, flags);
}

apr_status_t fa_wire_decode_chunk(const char *payload, apr_size_t len,
                                  apr_uint32_t *flags, const char **data,
                                  apr_size_t *data_len)
{
    reader r = {(const unsigned char *)payload, len};

    if (!get_u32(&r, flags) || (*flags & ~FA_CHUNK_ABORT)
        || r.left > FA_WIRE_MAX_CHUNK || (*flags && r.left)) {
        return APR_EGENERAL;
    }
    *data = (const char *)r.p;
    *data_len = r.left;
    return APR_SUCCESS;
}

void fa_wire_frame_iov(struct iovec vec[3], const char *head,
                       apr_size_t head_len, const char *body,
                       apr_size_t body_len)
{
    vec[0].iov_base = (void *)head;
    vec[0].iov_len = head_len;
    vec[1].iov_base = (void *)body;
    vec[1].iov_len = body_len;
    vec[2].iov_base = "";
    vec[2].iov_len = 1;
}

/* ---- incremental reader ------------------------------------------------ */

void fa_wire_reader_init(fa_wire_reader_t *r, apr_size_t max_payload,
                         unsigned int types)
{
    memset(r, 0, sizeof(*r));
    r->max_payload = max_payload;
    r->types = types;
}

/* The header is in: check it, then allocate the payload.  A refused header
 * leaves payload NULL, so a later feed refuses it again. */
static apr_status_t start_payload(fa_wire_reader_t *r)
{
    apr_status_t rv;

    rv =
        fa_wire_parse_header(r->hdr, r->max_payload, &r->type, &r->payload_len);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    if (!(r->types & FA_WIRE_TYPE_BIT(r->type))) {
        return APR_EGENERAL;
    }
    r->payload = malloc(r->payload_len ? r->payload_len : 1);
    if (!r->payload) {
        return APR_ENOMEM;
    }
    r->payload_have = 0;
    return APR_SUCCESS;
}

apr_status_t fa_wire_reader_feed(fa_wire_reader_t *r, const char *data,
                                 apr_size_t len, apr_size_t *used)
{
    apr_size_t n;
    apr_status_t rv;

    *used = 0;
    if (r->hdr_have < FA_WIRE_HEADER_LEN) {
        n = FA_WIRE_HEADER_LEN - r->hdr_have;
        n = n < len ? n : len;
        memcpy(r->hdr + r->hdr_have, data, n);
        r->hdr_have += n;
        *used = n;
        if (r->hdr_have < FA_WIRE_HEADER_LEN) {
            return APR_INCOMPLETE;
        }
    }
    if (!r->payload && (rv = start_payload(r)) != APR_SUCCESS) {
        return rv;
    }
    n = r->payload_len - r->payload_have;
    n = n < len - *used ? n : len - *used;
    if (n) {
        memcpy(r->payload + r->payload_have, data + *used, n);
    }
    r->payload_have += n;
    *used += n;
    return r->payload_have == r->payload_len ? APR_SUCCESS : APR_INCOMPLETE;
}

char *fa_wire_reader_room(fa_wire_reader_t *r, apr_size_t *missing)
{
    if (!r->payload || r->payload_have == r->payload_len) {
        *missing = 0;
        return NULL;
    }
    *missing = r->payload_len - r->payload_have;
    return r->payload + r->payload_have;
}

apr_status_t fa_wire_reader_filled(fa_wire_reader_t *r, apr_size_t n)
{
    if (!r->payload || n > r->payload_len - r->payload_have) {
        return APR_EINVAL;
    }
    r->payload_have += n;
    return r->payload_have == r->payload_len ? APR_SUCCESS : APR_INCOMPLETE;
}

/* Leaves the limits; forgets the frame without freeing it. */
static void reader_reset(fa_wire_reader_t *r)
{
    r->hdr_have = 0;
    r->payload = NULL;
    r->payload_len = 0;
    r->payload_have = 0;
}

void fa_wire_reader_take(fa_wire_reader_t *r, fa_frame_type_e *type,
                         char **payload, apr_size_t *len)
{
    *type = r->type;
    *payload = r->payload;
    *len = r->payload_len;
    reader_reset(r);
}

int fa_wire_reader_idle(const fa_wire_reader_t *r)
{
    return r->hdr_have == 0;
}

void fa_wire_reader_clear(fa_wire_reader_t *r)
{
    free(r->payload);
    reader_reset(r);
}
