/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for fa_wire: round trips, limits and hostile payloads. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <apr_general.h>
#include <apr_pools.h>
#include <apr_strings.h>
#include <apr_tables.h>

#include "fa_wire.h"
#include "unit.h"

/* ---- helpers ------------------------------------------------------------ */

/* A growable byte buffer for hand-built payloads. */
typedef struct {
    unsigned char *d;
    size_t len, cap;
} buf_t;

static void b_raw(buf_t *b, const void *p, size_t n)
{
    if (b->len + n > b->cap) {
        b->cap = (b->len + n) * 2 + 64;
        b->d = realloc(b->d, b->cap);
        assert_non_null(b->d);
    }
    if (n) {
        memcpy(b->d + b->len, p, n);
    }
    b->len += n;
}

static void b_u32(buf_t *b, uint32_t v)
{
    unsigned char x[4] = {v >> 24, v >> 16, v >> 8, v};
    b_raw(b, x, 4);
}

/* A string of n bytes (may hold NULs) with its terminating NUL. */
static void b_strn(buf_t *b, const char *s, uint32_t n)
{
    b_u32(b, n);
    b_raw(b, s, n);
    b_raw(b, "", 1);
}

static void b_str(buf_t *b, const char *s)
{
    b_strn(b, s, (uint32_t)strlen(s));
}

/* An exact-size heap copy, so ASan flags any read past the end. */
static char *exact(const void *p, size_t n)
{
    char *c = malloc(n ? n : 1);
    assert_non_null(c);
    if (n) {
        memcpy(c, p, n);
    }
    return c;
}

static apr_status_t dec_req(const void *p, size_t n, fa_request_t *req)
{
    char *c = exact(p, n);
    apr_status_t rv = fa_wire_decode_request(pool, c, n, req);
    free(c); /* only status is used afterwards */
    return rv;
}

static apr_status_t dec_resp(const void *p, size_t n, fa_response_t *resp)
{
    char *c = exact(p, n);
    apr_status_t rv = fa_wire_decode_response(pool, c, n, resp);
    free(c);
    return rv;
}

/* Builds the frame the way a sender writes it: head, body, NUL. */
static char *frame(const char *head, apr_size_t head_len, const char *body,
                   apr_size_t body_len, apr_size_t *frame_len)
{
    char *f = apr_palloc(pool, head_len + body_len + 1);

    memcpy(f, head, head_len);
    if (body_len) {
        memcpy(f + head_len, body, body_len);
    }
    f[head_len + body_len] = '\0';
    *frame_len = head_len + body_len + 1;
    return f;
}

/* Checks the frame header and returns a pointer to the payload. */
static const char *check_frame(const char *f, apr_size_t flen,
                               fa_frame_type_e want, apr_size_t *plen)
{
    fa_frame_type_e type;

    assert_int_equal(
        fa_wire_parse_header((const unsigned char *)f, flen, &type, plen),
        APR_SUCCESS);
    assert_int_equal(type, want);
    assert_int_equal(*plen, flen - FA_WIRE_HEADER_LEN);
    return f + FA_WIRE_HEADER_LEN;
}

static void assert_table_equal(const apr_table_t *a, const apr_table_t *b)
{
    const apr_array_header_t *x = apr_table_elts(a), *y = apr_table_elts(b);
    const apr_table_entry_t *ex = (const void *)x->elts;
    const apr_table_entry_t *ey = (const void *)y->elts;
    int i;

    assert_int_equal(x->nelts, y->nelts);
    for (i = 0; i < x->nelts; i++) {
        assert_string_equal(ex[i].key, ey[i].key);
        assert_string_equal(ex[i].val, ey[i].val);
    }
}

static fa_request_t sample_request(const char *body, apr_size_t body_len)
{
    fa_request_t r;

    memset(&r, 0, sizeof(r));
    r.function_index = 0xA1B2C3D4u;
    r.function_name = "orders";
    r.invocation_id = "5c4d1f2e-0000-4000-8000-000000000001";
    r.method = "POST";
    r.url = "https://example.net/api/items/42?x=1&y=%20";
    r.headers = apr_table_make(pool, 4);
    apr_table_add(r.headers, "Host", "example.net");
    apr_table_add(r.headers, "X-Dup", "one");
    apr_table_add(r.headers, "Accept", "*/*");
    apr_table_add(r.headers, "X-Dup", "two");
    apr_table_add(r.headers, "X-Empty", "");
    r.route_params = apr_table_make(pool, 2);
    apr_table_add(r.route_params, "id", "42");
    apr_table_add(r.route_params, "category", "items");
    r.body = body;
    r.body_len = body_len;
    return r;
}

static fa_request_t round_trip_request(const fa_request_t *in)
{
    char *head, *f;
    apr_size_t head_len, flen, plen;
    const char *payload;
    fa_request_t out;

    assert_int_equal(fa_wire_encode_request(pool, in, &head, &head_len),
                     APR_SUCCESS);
    f = frame(head, head_len, in->body, in->body_len, &flen);
    payload = check_frame(f, flen, FA_FRAME_REQUEST, &plen);
    assert_int_equal(fa_wire_decode_request(pool, payload, plen, &out),
                     APR_SUCCESS);
    assert_int_equal(out.function_index, in->function_index);
    /* none given travels as "" */
    assert_string_equal(out.function_name,
                        in->function_name ? in->function_name : "");
    assert_string_equal(out.invocation_id, in->invocation_id);
    assert_string_equal(out.method, in->method);
    assert_string_equal(out.url, in->url);
    assert_table_equal(out.headers, in->headers);
    assert_table_equal(out.route_params, in->route_params);
    assert_int_equal(out.body_len, in->body_len);
    if (in->body_len) {
        assert_memory_equal(out.body, in->body, in->body_len);
    }
    /* Pointers must be into the payload, not copies. */
    assert_true(out.body >= payload
                && out.body + out.body_len < payload + plen);
    assert_true(out.url > payload && out.url < payload + plen);
    return out;
}

/* Encoded payload (no frame header) of the sample request, in the pool. */
static const char *sample_payload(const char *body, apr_size_t body_len,
                                  apr_size_t *plen)
{
    fa_request_t r = sample_request(body, body_len);
    char *head, *f;
    apr_size_t head_len, flen;

    assert_int_equal(fa_wire_encode_request(pool, &r, &head, &head_len),
                     APR_SUCCESS);
    f = frame(head, head_len, body, body_len, &flen);
    return check_frame(f, flen, FA_FRAME_REQUEST, plen);
}

static const char *sample_response_payload(apr_size_t *plen)
{
    fa_response_t r;
    char *head, *f;
    apr_size_t head_len, flen;

    memset(&r, 0, sizeof(r));
    r.status = 201;
    r.headers = apr_table_make(pool, 2);
    apr_table_add(r.headers, "Content-Type", "text/plain");
    apr_table_add(r.headers, "Set-Cookie", "a=1");
    r.body = "created";
    r.body_len = 7;
    assert_int_equal(fa_wire_encode_response(pool, &r, &head, &head_len),
                     APR_SUCCESS);
    f = frame(head, head_len, r.body, r.body_len, &flen);
    return check_frame(f, flen, FA_FRAME_RESPONSE, plen);
}

/* Request payload prefix up to (not including) the header count. */
static void b_req_start(buf_t *b)
{
    b_u32(b, 7);
    b_str(b, "fn");
    b_u32(b, 0); /* flags */
    b_str(b, "inv");
    b_str(b, "GET");
    b_str(b, "http://h/");
}

/* ---- round trips -------------------------------------------------------- */

static void test_request_round_trip(void **state)
{
    fa_request_t r = sample_request("{\"a\":1}", 7);
    fa_request_t out;
    (void)state;

    out = round_trip_request(&r);
    assert_string_equal(apr_table_get(out.route_params, "id"), "42");
}

static void test_request_empty_body_and_tables(void **state)
{
    fa_request_t r;
    (void)state;

    memset(&r, 0, sizeof(r));
    r.invocation_id = "";
    r.method = "GET";
    r.url = "";
    r.headers = apr_table_make(pool, 1);
    r.route_params = apr_table_make(pool, 1);
    round_trip_request(&r);

    /* NULL tables encode as empty ones. */
    {
        char *head, *f;
        apr_size_t hl, flen, plen;
        const char *payload;
        fa_request_t out;

        r.headers = r.route_params = NULL;
        assert_int_equal(fa_wire_encode_request(pool, &r, &head, &hl),
                         APR_SUCCESS);
        f = frame(head, hl, NULL, 0, &flen);
        payload = check_frame(f, flen, FA_FRAME_REQUEST, &plen);
        assert_int_equal(fa_wire_decode_request(pool, payload, plen, &out),
                         APR_SUCCESS);
        assert_int_equal(apr_table_elts(out.headers)->nelts, 0);
        assert_int_equal(out.body_len, 0);
    }
}

static void test_request_binary_body(void **state)
{
    static const char body[] = {0, 1, 0, (char)0xFF, 'x', 0, 0};
    fa_request_t r = sample_request(body, sizeof(body));
    (void)state;

    round_trip_request(&r);
}

static void test_request_big_body(void **state)
{
    apr_size_t n = 1024 * 1024, i;
    char *body = apr_palloc(pool, n);
    fa_request_t r;
    (void)state;

    for (i = 0; i < n; i++) {
        body[i] = (char)(i * 31 + (i >> 8));
    }
    r = sample_request(body, n);
    round_trip_request(&r);
}

static void test_request_max_fields_and_string(void **state)
{
    fa_request_t r = sample_request("", 0);
    char *big = apr_palloc(pool, FA_WIRE_MAX_STRING + 1);
    int i;
    (void)state;

    memset(big, 'u', FA_WIRE_MAX_STRING);
    big[FA_WIRE_MAX_STRING] = '\0';
    r.url = big; /* exactly at the limit: fine */
    r.headers = apr_table_make(pool, FA_WIRE_MAX_FIELDS);
    for (i = 0; i < FA_WIRE_MAX_FIELDS; i++) {
        apr_table_add(r.headers, apr_psprintf(pool, "h%d", i), "v");
    }
    round_trip_request(&r);
}

static void test_response_round_trip(void **state)
{
    static const char body[] = "bin\0ary";
    fa_response_t r, out;
    char *head, *f;
    apr_size_t head_len, flen, plen;
    const char *payload;
    const apr_array_header_t *arr;
    const apr_table_entry_t *e;
    (void)state;

    memset(&r, 0, sizeof(r));
    r.status = 200;
    r.worker_pid = 4194304; /* pid_max: any pid fits */
    r.headers = apr_table_make(pool, 4);
    apr_table_add(r.headers, "Content-Type", "application/json");
    apr_table_add(r.headers, "Set-Cookie", "a=1; Path=/");
    apr_table_add(r.headers, "Set-Cookie", "b=2; HttpOnly");
    apr_table_add(r.headers, "X-Last", "z");
    r.body = body;
    r.body_len = sizeof(body) - 1;
    assert_int_equal(fa_wire_encode_response(pool, &r, &head, &head_len),
                     APR_SUCCESS);
    f = frame(head, head_len, r.body, r.body_len, &flen);
    payload = check_frame(f, flen, FA_FRAME_RESPONSE, &plen);
    assert_int_equal(fa_wire_decode_response(pool, payload, plen, &out),
                     APR_SUCCESS);
    assert_int_equal(out.status, 200);
    assert_int_equal(out.worker_pid, 4194304);
    assert_table_equal(out.headers, r.headers);
    arr = apr_table_elts(out.headers);
    e = (const void *)arr->elts;
    assert_string_equal(e[1].val, "a=1; Path=/");
    assert_string_equal(e[2].val, "b=2; HttpOnly");
    assert_int_equal(out.body_len, 7);
    assert_memory_equal(out.body, body, 7);

    /* Empty body, no headers, edge statuses. */
    r.headers = NULL;
    r.body = NULL;
    r.body_len = 0;
    for (r.status = 100; r.status <= 999; r.status += 899) {
        assert_int_equal(fa_wire_encode_response(pool, &r, &head, &head_len),
                         APR_SUCCESS);
        f = frame(head, head_len, NULL, 0, &flen);
        payload = check_frame(f, flen, FA_FRAME_RESPONSE, &plen);
        assert_int_equal(fa_wire_decode_response(pool, payload, plen, &out),
                         APR_SUCCESS);
        assert_int_equal(out.status, r.status);
        assert_int_equal(out.body_len, 0);
    }
}

/* A chunk frame as a child reads it: the header, then the payload. */
static void check_chunk(const unsigned char *head, const char *bytes,
                        apr_size_t n, apr_uint32_t flags)
{
    char *payload = apr_palloc(pool, 4 + n);
    fa_frame_type_e type;
    apr_size_t plen, got;
    apr_uint32_t got_flags;
    const char *data;

    assert_int_equal(
        fa_wire_parse_header(head, FA_WIRE_MAX_CHUNK + 4, &type, &plen),
        APR_SUCCESS);
    assert_int_equal(type, FA_FRAME_RESPONSE_CHUNK);
    assert_int_equal(plen, 4 + n);
    memcpy(payload, head + FA_WIRE_HEADER_LEN, 4);
    memcpy(payload + 4, bytes, n);
    assert_int_equal(
        fa_wire_decode_chunk(payload, plen, &got_flags, &data, &got),
        APR_SUCCESS);
    assert_int_equal(got_flags, flags);
    assert_int_equal(got, n);
    assert_ptr_equal(data, payload + 4);
}

static void test_streamed_response_and_chunks(void **state)
{
    static char big[FA_WIRE_MAX_CHUNK + 1];
    unsigned char head[FA_WIRE_CHUNK_HEAD_LEN];
    fa_response_t r, out;
    char *h, *f;
    apr_size_t hl, flen, plen, n;
    const char *payload, *data;
    apr_uint32_t flags;
    char bad[8] = {0, 0, 0, 2, 'x', 'y', 'z', 'w'};
    (void)state;

    memset(&r, 0, sizeof(r));
    r.status = 200;
    r.flags = FA_RESPONSE_STREAMED;
    assert_int_equal(fa_wire_encode_response(pool, &r, &h, &hl), APR_SUCCESS);
    f = frame(h, hl, NULL, 0, &flen);
    payload = check_frame(f, flen, FA_FRAME_RESPONSE, &plen);
    assert_int_equal(fa_wire_decode_response(pool, payload, plen, &out),
                     APR_SUCCESS);
    assert_int_equal(out.flags, FA_RESPONSE_STREAMED);
    /* an unknown response flag is refused */
    ((char *)payload)[11] = 2;
    assert_int_equal(fa_wire_decode_response(pool, payload, plen, &out),
                     APR_EGENERAL);

    fa_wire_chunk_head(head, 5, 0);
    check_chunk(head, "hello", 5, 0);
    fa_wire_chunk_head(head, 0, 0); /* the end */
    check_chunk(head, "", 0, 0);
    fa_wire_chunk_head(head, 0, FA_CHUNK_ABORT);
    check_chunk(head, "", 0, FA_CHUNK_ABORT);
    memset(big, 'b', sizeof(big));
    fa_wire_chunk_head(head, FA_WIRE_MAX_CHUNK, 0);
    check_chunk(head, big, FA_WIRE_MAX_CHUNK, 0);

    /* shorter than its flags, bytes with ABORT, unknown flags, too long */
    for (n = 0; n < 4; ++n) {
        assert_int_equal(fa_wire_decode_chunk(bad, n, &flags, &data, &plen),
                         APR_EGENERAL);
    }
    assert_int_equal(fa_wire_decode_chunk(bad, 8, &flags, &data, &plen),
                     APR_EGENERAL);
    bad[3] = 1;
    assert_int_equal(fa_wire_decode_chunk(bad, 4, &flags, &data, &plen),
                     APR_SUCCESS);
    assert_int_equal(fa_wire_decode_chunk(bad, 5, &flags, &data, &plen),
                     APR_EGENERAL);
    bad[3] = 0;
    bad[0] = (char)0x80;
    assert_int_equal(fa_wire_decode_chunk(bad, 4, &flags, &data, &plen),
                     APR_EGENERAL);
    f = apr_palloc(pool, 4 + sizeof(big));
    memset(f, 0, 4);
    memcpy(f + 4, big, sizeof(big));
    assert_int_equal(
        fa_wire_decode_chunk(f, 4 + FA_WIRE_MAX_CHUNK, &flags, &data, &plen),
        APR_SUCCESS);
    assert_int_equal(
        fa_wire_decode_chunk(f, 4 + sizeof(big), &flags, &data, &plen),
        APR_EGENERAL);
}

/* ---- frame header ------------------------------------------------------- */

static void test_header(void **state)
{
    unsigned char h[FA_WIRE_HEADER_LEN], bad[FA_WIRE_HEADER_LEN];
    fa_frame_type_e type;
    apr_size_t len;
    (void)state;

    fa_wire_make_header(h, FA_FRAME_TABLE, 0x01020304);
    assert_memory_equal(h, "FA\x04\x04\x01\x02\x03\x04", 8);
    assert_int_equal(fa_wire_parse_header(h, 0x01020304, &type, &len),
                     APR_SUCCESS);
    assert_int_equal(type, FA_FRAME_TABLE);
    assert_int_equal(len, 0x01020304);
    assert_int_equal(fa_wire_parse_header(h, 0x01020303, &type, &len),
                     APR_ENOSPC);

    fa_wire_make_header(h, FA_FRAME_TABLE_GET, 0);
    assert_int_equal(fa_wire_parse_header(h, 0, &type, &len), APR_SUCCESS);
    assert_int_equal(type, FA_FRAME_TABLE_GET);
    assert_int_equal(len, 0);

    fa_wire_make_header(h, FA_FRAME_REQUEST, 0xFFFFFFFFu);
    assert_int_equal(fa_wire_parse_header(h, 1 << 20, &type, &len), APR_ENOSPC);

    memcpy(bad, h, 8);
    bad[0] = 'f';
    assert_int_equal(fa_wire_parse_header(bad, 0xFFFFFFFFu, &type, &len),
                     APR_EGENERAL);
    memcpy(bad, h, 8);
    bad[1] = 'B';
    assert_int_equal(fa_wire_parse_header(bad, 0xFFFFFFFFu, &type, &len),
                     APR_EGENERAL);
    memcpy(bad, h, 8);
    bad[2] = FA_WIRE_VERSION + 1;
    assert_int_equal(fa_wire_parse_header(bad, 0xFFFFFFFFu, &type, &len),
                     APR_EGENERAL);
    memcpy(bad, h, 8);
    bad[3] = 0;
    assert_int_equal(fa_wire_parse_header(bad, 0xFFFFFFFFu, &type, &len),
                     APR_EGENERAL);
    memcpy(bad, h, 8);
    bad[3] = FA_FRAME_RESPONSE_CHUNK + 1;
    assert_int_equal(fa_wire_parse_header(bad, 0xFFFFFFFFu, &type, &len),
                     APR_EGENERAL);
    /* A bad magic is reported as such even when the length is also bad. */
    memcpy(bad, h, 8);
    bad[0] = 0;
    assert_int_equal(fa_wire_parse_header(bad, 0, &type, &len), APR_EGENERAL);
}

/* ---- hostile payloads --------------------------------------------------- */

static void test_truncated(void **state)
{
    static const char body[] = "some\0body";
    apr_size_t plen, i;
    const char *payload = sample_payload(body, sizeof(body), &plen);
    fa_request_t req;
    fa_response_t resp;
    (void)state;

    for (i = 0; i < plen; i++) {
        assert_int_equal(dec_req(payload, i, &req), APR_EGENERAL);
    }
    assert_int_equal(dec_req(payload, plen, &req), APR_SUCCESS);

    payload = sample_response_payload(&plen);
    for (i = 0; i < plen; i++) {
        assert_int_equal(dec_resp(payload, i, &resp), APR_EGENERAL);
    }
    assert_int_equal(dec_resp(payload, plen, &resp), APR_SUCCESS);
}

static void test_trailing_garbage(void **state)
{
    apr_size_t plen;
    const char *payload = sample_payload("b", 1, &plen);
    char *more = apr_palloc(pool, plen + 1);
    fa_request_t req;
    fa_response_t resp;
    (void)state;

    memcpy(more, payload, plen);
    more[plen] = '\0'; /* even a NUL is garbage */
    assert_int_equal(dec_req(more, plen + 1, &req), APR_EGENERAL);

    payload = sample_response_payload(&plen);
    more = apr_palloc(pool, plen + 1);
    memcpy(more, payload, plen);
    more[plen] = 'x';
    assert_int_equal(dec_resp(more, plen + 1, &resp), APR_EGENERAL);
}

static void test_oversized_lengths(void **state)
{
    buf_t b = {0};
    fa_request_t req;
    fa_response_t resp;
    char *big = malloc(FA_WIRE_MAX_STRING + 1);
    (void)state;

    /* invocation_id claims 4 GiB */
    b_u32(&b, 0);
    b_str(&b, "fn");
    b_u32(&b, 0xFFFFFFFFu);
    b_raw(&b, "abc", 4);
    assert_int_equal(dec_req(b.d, b.len, &req), APR_EGENERAL);

    /* header count over the limit, with enough bytes behind it */
    b.len = 0;
    b_req_start(&b);
    b_u32(&b, FA_WIRE_MAX_FIELDS + 1);
    for (int i = 0; i < FA_WIRE_MAX_FIELDS + 1; i++) {
        b_str(&b, "k");
        b_str(&b, "v");
    }
    b_u32(&b, 0);
    b_strn(&b, "", 0);
    assert_int_equal(dec_req(b.d, b.len, &req), APR_EGENERAL);

    /* huge counts */
    b.len = 0;
    b_req_start(&b);
    b_u32(&b, 0xFFFFFFFFu);
    b_u32(&b, 0);
    b_strn(&b, "", 0);
    assert_int_equal(dec_req(b.d, b.len, &req), APR_EGENERAL);
    b.len = 0;
    b_req_start(&b);
    b_u32(&b, 0);
    b_u32(&b, 0x80000000u);
    b_strn(&b, "", 0);
    assert_int_equal(dec_req(b.d, b.len, &req), APR_EGENERAL);

    /* a URL one byte over the string limit, bytes and NUL present */
    memset(big, 'a', FA_WIRE_MAX_STRING + 1);
    b.len = 0;
    b_u32(&b, 0);
    b_str(&b, "f");
    b_u32(&b, 0); /* flags */
    b_str(&b, "i");
    b_str(&b, "GET");
    b_strn(&b, big, FA_WIRE_MAX_STRING + 1);
    b_u32(&b, 0);
    b_u32(&b, 0);
    b_strn(&b, "", 0);
    assert_int_equal(dec_req(b.d, b.len, &req), APR_EGENERAL);
    /* ... and exactly at the limit */
    b.len = 0;
    b_u32(&b, 0);
    b_str(&b, "f");
    b_u32(&b, 0); /* flags */
    b_str(&b, "i");
    b_str(&b, "GET");
    b_strn(&b, big, FA_WIRE_MAX_STRING);
    b_u32(&b, 0);
    b_u32(&b, 0);
    b_strn(&b, "", 0);
    assert_int_equal(dec_req(b.d, b.len, &req), APR_SUCCESS);

    /* a header value over the limit in a response */
    b.len = 0;
    b_u32(&b, 200);
    b_u32(&b, 4242); /* the worker's pid */
    b_u32(&b, 0);    /* flags */
    b_u32(&b, 1);
    b_str(&b, "X");
    b_strn(&b, big, FA_WIRE_MAX_STRING + 1);
    b_strn(&b, "", 0);
    assert_int_equal(dec_resp(b.d, b.len, &resp), APR_EGENERAL);

    /* bodies claiming more than is there, including 0xFFFFFFFF */
    b.len = 0;
    b_u32(&b, 200);
    b_u32(&b, 4242); /* the worker's pid */
    b_u32(&b, 0);    /* flags */
    b_u32(&b, 0);
    b_u32(&b, 0xFFFFFFFFu);
    b_raw(&b, "xyz", 4);
    assert_int_equal(dec_resp(b.d, b.len, &resp), APR_EGENERAL);
    b.len = 0;
    b_u32(&b, 200);
    b_u32(&b, 4242); /* the worker's pid */
    b_u32(&b, 0);    /* flags */
    b_u32(&b, 0);
    b_u32(&b, 4); /* 4 bytes but then no room for the NUL */
    b_raw(&b, "abcd", 4);
    assert_int_equal(dec_resp(b.d, b.len, &resp), APR_EGENERAL);

    /* statuses out of range */
    b.len = 0;
    b_u32(&b, 99);
    b_u32(&b, 4242); /* the worker's pid */
    b_u32(&b, 0);    /* flags */
    b_u32(&b, 0);
    b_strn(&b, "", 0);
    assert_int_equal(dec_resp(b.d, b.len, &resp), APR_EGENERAL);
    b.d[3] = 100;
    assert_int_equal(dec_resp(b.d, b.len, &resp), APR_SUCCESS);
    b.len = 0;
    b_u32(&b, 1000);
    b_u32(&b, 4242); /* the worker's pid */
    b_u32(&b, 0);    /* flags */
    b_u32(&b, 0);
    b_strn(&b, "", 0);
    assert_int_equal(dec_resp(b.d, b.len, &resp), APR_EGENERAL);
    b.len = 0;
    b_u32(&b, 0x80000000u + 200);
    b_u32(&b, 4242); /* the worker's pid */
    b_u32(&b, 0);    /* flags */
    b_u32(&b, 0);
    b_strn(&b, "", 0);
    assert_int_equal(dec_resp(b.d, b.len, &resp), APR_EGENERAL);

    free(big);
    free(b.d);
}

static void test_missing_nul_and_embedded_nul(void **state)
{
    buf_t b = {0};
    fa_request_t req;
    fa_response_t resp;
    (void)state;

    /* method with its terminator replaced */
    b_u32(&b, 0);
    b_str(&b, "i");
    b_u32(&b, 3);
    b_raw(&b, "GETX", 4);
    b_str(&b, "/");
    b_u32(&b, 0);
    b_u32(&b, 0);
    b_strn(&b, "", 0);
    assert_int_equal(dec_req(b.d, b.len, &req), APR_EGENERAL);

    /* body without its NUL (last byte) */
    b.len = 0;
    b_u32(&b, 200);
    b_u32(&b, 4242); /* the worker's pid */
    b_u32(&b, 0);    /* flags */
    b_u32(&b, 0);
    b_u32(&b, 2);
    b_raw(&b, "ok!", 3);
    assert_int_equal(dec_resp(b.d, b.len, &resp), APR_EGENERAL);
    b.d[b.len - 1] = '\0';
    assert_int_equal(dec_resp(b.d, b.len, &resp), APR_SUCCESS);

    /* header name / value with an embedded NUL */
    b.len = 0;
    b_u32(&b, 200);
    b_u32(&b, 4242); /* the worker's pid */
    b_u32(&b, 0);    /* flags */
    b_u32(&b, 1);
    b_strn(&b, "X-A\0b", 5);
    b_str(&b, "v");
    b_strn(&b, "", 0);
    assert_int_equal(dec_resp(b.d, b.len, &resp), APR_EGENERAL);
    b.len = 0;
    b_u32(&b, 200);
    b_u32(&b, 4242); /* the worker's pid */
    b_u32(&b, 0);    /* flags */
    b_u32(&b, 1);
    b_str(&b, "X-A");
    b_strn(&b, "v\0w", 3);
    b_strn(&b, "", 0);
    assert_int_equal(dec_resp(b.d, b.len, &resp), APR_EGENERAL);

    /* embedded NUL in the URL and in a route value */
    b.len = 0;
    b_u32(&b, 0);
    b_str(&b, "i");
    b_str(&b, "GET");
    b_strn(&b, "/a\0b", 4);
    b_u32(&b, 0);
    b_u32(&b, 0);
    b_strn(&b, "", 0);
    assert_int_equal(dec_req(b.d, b.len, &req), APR_EGENERAL);
    b.len = 0;
    b_req_start(&b);
    b_u32(&b, 0);
    b_u32(&b, 1);
    b_str(&b, "id");
    b_strn(&b, "4\0002", 3);
    b_strn(&b, "", 0);
    assert_int_equal(dec_req(b.d, b.len, &req), APR_EGENERAL);

    /* empty method, empty header name */
    b.len = 0;
    b_u32(&b, 0);
    b_str(&b, "i");
    b_str(&b, "");
    b_str(&b, "/");
    b_u32(&b, 0);
    b_u32(&b, 0);
    b_strn(&b, "", 0);
    assert_int_equal(dec_req(b.d, b.len, &req), APR_EGENERAL);
    b.len = 0;
    b_u32(&b, 200);
    b_u32(&b, 4242); /* the worker's pid */
    b_u32(&b, 0);    /* flags */
    b_u32(&b, 1);
    b_str(&b, "");
    b_str(&b, "v");
    b_strn(&b, "", 0);
    assert_int_equal(dec_resp(b.d, b.len, &resp), APR_EGENERAL);

    free(b.d);
}

/* xorshift32: deterministic across platforms and runs. */
static uint32_t rng_state = 0x2545F491u;
static uint32_t rnd(void)
{
    uint32_t x = rng_state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return rng_state = x;
}

static int in_buf(const char *s, size_t n, const char *base, size_t len)
{
    return s >= base && s + n < base + len && s[n] == '\0';
}

/* Decodes @a data both ways; on success every pointer must be inside it. */
static int decode_both(const unsigned char *data, size_t len)
{
    char *c = exact(data, len);
    fa_request_t req;
    fa_response_t resp;
    int ok = 0;

    if (fa_wire_decode_request(pool, c, len, &req) == APR_SUCCESS) {
        assert_true(
            in_buf(req.invocation_id, strlen(req.invocation_id), c, len));
        assert_true(in_buf(req.method, strlen(req.method), c, len));
        assert_true(in_buf(req.url, strlen(req.url), c, len));
        assert_true(in_buf(req.body, req.body_len, c, len));
        assert_ptr_equal(req.body + req.body_len + 1, c + len);
        ok |= 1;
    }
    if (fa_wire_decode_response(pool, c, len, &resp) == APR_SUCCESS) {
        assert_true(resp.status >= 100 && resp.status <= 999);
        assert_true(in_buf(resp.body, resp.body_len, c, len));
        assert_ptr_equal(resp.body + resp.body_len + 1, c + len);
        ok |= 2;
    }
    free(c);
    return ok;
}

static void test_random_garbage(void **state)
{
    unsigned char buf[600];
    apr_size_t plen, i;
    const char *valid;
    int n, k, successes = 0;
    (void)state;

    for (n = 0; n < 20000; n++) {
        size_t len = rnd() % sizeof(buf);
        for (i = 0; i < len; i++) {
            uint32_t r = rnd();
            /* Mostly small bytes, so lengths and counts are often plausible. */
            buf[i] = (r & 0x300) ? (unsigned char)(r & 0x07) : (unsigned char)r;
        }
        decode_both(buf, len);
        if (n % 256 == 0) {
            apr_pool_clear(pool);
        }
    }

    /* Byte flips of valid payloads reach far deeper into the decoder. */
    valid = sample_payload("flip\0me", 7, &plen);
    assert_true(plen <= sizeof(buf));
    memcpy(buf, valid, plen);
    for (n = 0; n < 20000; n++) {
        unsigned char work[600];
        memcpy(work, buf, plen);
        for (k = (int)(rnd() % 3) + 1; k > 0; k--) {
            uint32_t r = rnd();
            work[r % plen] = (r & 0x10000) ? (unsigned char)(r >> 24)
                                           : work[r % plen] ^ (1u << (r >> 29));
        }
        /* Sometimes also cut it short or leave it whole. */
        successes +=
            decode_both(work, (rnd() & 3) ? plen : rnd() % (plen + 1)) != 0;
        if (n % 256 == 0) {
            apr_pool_clear(pool);
        }
    }
    /* Flips inside string contents still decode: the loop exercised both
     * branches. */
    assert_true(successes > 0);
}

/* ---- encoder refusals --------------------------------------------------- */

static void test_encoder_refuses(void **state)
{
    char *head, *big = apr_palloc(pool, FA_WIRE_MAX_STRING + 2);
    apr_size_t hl;
    fa_request_t r = sample_request("", 0);
    fa_response_t resp;
    int i;
    (void)state;

    memset(big, 'v', FA_WIRE_MAX_STRING + 1);
    big[FA_WIRE_MAX_STRING + 1] = '\0';

    apr_table_add(r.headers, "X-Big", big);
    assert_int_equal(fa_wire_encode_request(pool, &r, &head, &hl), APR_EINVAL);
    r = sample_request("", 0);
    r.url = big;
    assert_int_equal(fa_wire_encode_request(pool, &r, &head, &hl), APR_EINVAL);
    r = sample_request("", 0);
    r.method = "";
    assert_int_equal(fa_wire_encode_request(pool, &r, &head, &hl), APR_EINVAL);
    r = sample_request("", 0);
    r.invocation_id = NULL;
    assert_int_equal(fa_wire_encode_request(pool, &r, &head, &hl), APR_EINVAL);
    r = sample_request("", 0);
    apr_table_add(r.headers, "", "v");
    assert_int_equal(fa_wire_encode_request(pool, &r, &head, &hl), APR_EINVAL);
    r = sample_request("", 0);
    for (i = 0; i < FA_WIRE_MAX_FIELDS + 1; i++) {
        apr_table_add(r.route_params, "k", "v");
    }
    assert_int_equal(fa_wire_encode_request(pool, &r, &head, &hl), APR_EINVAL);
    r = sample_request(NULL, 3);
    assert_int_equal(fa_wire_encode_request(pool, &r, &head, &hl), APR_EINVAL);

    /* A body that would push the payload past 4 GiB; never read. */
    r = sample_request("x", 0xFFFFFFFFu - 10);
    assert_int_equal(fa_wire_encode_request(pool, &r, &head, &hl), APR_ENOSPC);
#if APR_SIZEOF_VOIDP > 4
    r = sample_request("x", (apr_size_t)0x100000000ULL);
    assert_int_equal(fa_wire_encode_request(pool, &r, &head, &hl), APR_ENOSPC);
#endif
    /* ... including lengths that would wrap a 64-bit sum. */
    r = sample_request("x", ~(apr_size_t)0);
    assert_int_equal(fa_wire_encode_request(pool, &r, &head, &hl), APR_ENOSPC);

    memset(&resp, 0, sizeof(resp));
    resp.headers = apr_table_make(pool, 1);
    resp.body = "";
    for (i = 0; i < 4; i++) {
        static const int bad[] = {99, 1000, 0, -200};
        resp.status = bad[i];
        assert_int_equal(fa_wire_encode_response(pool, &resp, &head, &hl),
                         APR_EINVAL);
    }
    resp.status = 204;
    apr_table_add(resp.headers, "Set-Cookie", big);
    assert_int_equal(fa_wire_encode_response(pool, &resp, &head, &hl),
                     APR_EINVAL);
    apr_table_clear(resp.headers);
    resp.body_len = 0xFFFFFFFFu;
    assert_int_equal(fa_wire_encode_response(pool, &resp, &head, &hl),
                     APR_ENOSPC);
    /* The largest body that fits: payload is then exactly UINT32_MAX. */
    resp.body_len = 0xFFFFFFFFu - 21; /* status, pid, flags, count, length,
                                        * NUL */
    assert_int_equal(fa_wire_encode_response(pool, &resp, &head, &hl),
                     APR_SUCCESS);
    assert_int_equal(hl, FA_WIRE_HEADER_LEN + 20);
    assert_memory_equal(head, "FA\x04\x02\xFF\xFF\xFF\xFF", 8);
    resp.body_len++;
    assert_int_equal(fa_wire_encode_response(pool, &resp, &head, &hl),
                     APR_ENOSPC);
}

/* ---- incremental reader ------------------------------------------------- */

#define ALL_TYPES                                                              \
    (FA_WIRE_TYPE_BIT(FA_FRAME_REQUEST) | FA_WIRE_TYPE_BIT(FA_FRAME_RESPONSE)  \
     | FA_WIRE_TYPE_BIT(FA_FRAME_TABLE_GET)                                    \
     | FA_WIRE_TYPE_BIT(FA_FRAME_TABLE))

/* Appends a whole frame (header and payload) to @a b. */
static void b_frame(buf_t *b, fa_frame_type_e type, const char *payload,
                    apr_size_t len)
{
    unsigned char hdr[FA_WIRE_HEADER_LEN];

    fa_wire_make_header(hdr, type, len);
    b_raw(b, hdr, sizeof(hdr));
    b_raw(b, payload, len);
}

/* Takes the complete frame from @a r and checks it is the one expected. */
static void take_and_check(fa_wire_reader_t *r, fa_frame_type_e type,
                           const char *payload, apr_size_t len)
{
    fa_frame_type_e got_type;
    char *got;
    apr_size_t got_len;

    fa_wire_reader_take(r, &got_type, &got, &got_len);
    assert_int_equal(got_type, type);
    assert_int_equal(got_len, len);
    assert_non_null(got);
    if (len) {
        assert_memory_equal(got, payload, len);
    }
    assert_true(fa_wire_reader_idle(r));
    free(got);
}

static void test_reader_byte_by_byte(void **state)
{
    apr_size_t plen, used, i;
    const char *payload = sample_payload("one byte at a time", 18, &plen);
    buf_t b = {0};
    fa_wire_reader_t r;
    fa_request_t req;
    fa_frame_type_e type;
    char *got;
    apr_size_t got_len;
    (void)state;

    b_frame(&b, FA_FRAME_REQUEST, payload, plen);
    fa_wire_reader_init(&r, 1024, ALL_TYPES);
    assert_true(fa_wire_reader_idle(&r));
    for (i = 0; i + 1 < b.len; i++) {
        assert_int_equal(fa_wire_reader_feed(&r, (char *)b.d + i, 1, &used),
                         APR_INCOMPLETE);
        assert_int_equal(used, 1);
        assert_false(fa_wire_reader_idle(&r));
    }
    assert_int_equal(fa_wire_reader_feed(&r, (char *)b.d + i, 1, &used),
                     APR_SUCCESS);
    assert_int_equal(used, 1);
    fa_wire_reader_take(&r, &type, &got, &got_len);
    assert_int_equal(type, FA_FRAME_REQUEST);
    assert_int_equal(got_len, plen);
    assert_int_equal(fa_wire_decode_request(pool, got, got_len, &req),
                     APR_SUCCESS);
    assert_int_equal(req.body_len, 18);
    assert_memory_equal(req.body, "one byte at a time", 18);
    free(got);
    free(b.d);
}

/* Four frames back to back, one of them empty, fed in random pieces: each
 * feed stops at its frame's end, so the rest goes to the next one. */
static void test_reader_random_splits(void **state)
{
    const char *payloads[4];
    apr_size_t lens[4];
    static const fa_frame_type_e types[4] = {FA_FRAME_TABLE_GET,
                                             FA_FRAME_REQUEST,
                                             FA_FRAME_RESPONSE, FA_FRAME_TABLE};
    int round;
    (void)state;

    payloads[0] = "";
    lens[0] = 0;
    payloads[1] = sample_payload("body\0with NUL", 13, &lens[1]);
    payloads[2] = sample_response_payload(&lens[2]);
    payloads[3] = "[{\"name\": \"hello\"}]";
    lens[3] = strlen(payloads[3]);
    for (round = 0; round < 500; round++) {
        buf_t b = {0};
        fa_wire_reader_t r;
        apr_size_t off = 0, used;
        int k, next = 0;

        for (k = 0; k < 4; k++) {
            b_frame(&b, types[k], payloads[k], lens[k]);
        }
        fa_wire_reader_init(&r, 4096, ALL_TYPES);
        while (off < b.len) {
            apr_size_t piece = 1 + rnd() % (round % 2 ? 7 : 300);
            apr_status_t rv;
            piece = piece < b.len - off ? piece : b.len - off;
            /* an empty frame completes with no payload byte: feed again */
            do {
                rv = fa_wire_reader_feed(&r, (char *)b.d + off, piece, &used);
                assert_true(used <= piece);
                off += used;
                piece -= used;
                if (rv == APR_SUCCESS) {
                    assert_true(next < 4);
                    take_and_check(&r, types[next], payloads[next], lens[next]);
                    next++;
                }
                else {
                    assert_int_equal(rv, APR_INCOMPLETE);
                    assert_int_equal(piece, 0);
                }
            } while (piece > 0);
        }
        assert_int_equal(next, 4);
        assert_true(fa_wire_reader_idle(&r));
        free(b.d);
    }
}

/* Feeds @a hdr whole and expects @a want, with nothing allocated. */
static void refused(const unsigned char *hdr, unsigned int types,
                    apr_status_t want)
{
    fa_wire_reader_t r;
    apr_size_t used, missing;

    fa_wire_reader_init(&r, 100, types);
    assert_int_equal(
        fa_wire_reader_feed(&r, (const char *)hdr, FA_WIRE_HEADER_LEN, &used),
        want);
    assert_int_equal(used, FA_WIRE_HEADER_LEN);
    assert_null(r.payload);
    assert_null(fa_wire_reader_room(&r, &missing));
    assert_int_equal(missing, 0);
    /* the stream stays refused */
    assert_int_equal(fa_wire_reader_feed(&r, "x", 1, &used), want);
    assert_int_equal(used, 0);
    assert_null(r.payload);
    assert_false(fa_wire_reader_idle(&r));
    fa_wire_reader_clear(&r);
    assert_true(fa_wire_reader_idle(&r));
}

static void test_reader_refuses_headers(void **state)
{
    unsigned char hdr[FA_WIRE_HEADER_LEN];
    (void)state;

    fa_wire_make_header(hdr, FA_FRAME_REQUEST, 10);
    hdr[0] = 'X';
    refused(hdr, ALL_TYPES, APR_EGENERAL);
    fa_wire_make_header(hdr, FA_FRAME_REQUEST, 10);
    hdr[1] = 'a';
    refused(hdr, ALL_TYPES, APR_EGENERAL);
    fa_wire_make_header(hdr, FA_FRAME_REQUEST, 10);
    hdr[2] = FA_WIRE_VERSION + 1;
    refused(hdr, ALL_TYPES, APR_EGENERAL);
    fa_wire_make_header(hdr, (fa_frame_type_e)0, 10);
    refused(hdr, ALL_TYPES | 1u, APR_EGENERAL);
    fa_wire_make_header(hdr, (fa_frame_type_e)7, 10);
    refused(hdr, ALL_TYPES | FA_WIRE_TYPE_BIT(7), APR_EGENERAL);
    fa_wire_make_header(hdr, (fa_frame_type_e)255, 10);
    refused(hdr, ~0u, APR_EGENERAL);
    /* a known type the reader was not told to accept */
    fa_wire_make_header(hdr, FA_FRAME_RESPONSE, 10);
    refused(hdr,
            FA_WIRE_TYPE_BIT(FA_FRAME_REQUEST)
                | FA_WIRE_TYPE_BIT(FA_FRAME_TABLE_GET),
            APR_EGENERAL);
    /* one byte over the limit, and the largest length there is */
    fa_wire_make_header(hdr, FA_FRAME_REQUEST, 101);
    refused(hdr, ALL_TYPES, APR_ENOSPC);
    memset(hdr + 4, 0xFF, 4);
    refused(hdr, ALL_TYPES, APR_ENOSPC);
}

/* A large payload: the header and a few bytes fed, the rest written
 * straight into the room in pieces, as fa_io reads a body. */
static void test_reader_room(void **state)
{
    apr_size_t big = 3 * 1024 * 1024 + 7, missing, used, off, i;
    char *body = malloc(big), *room;
    unsigned char hdr[FA_WIRE_HEADER_LEN];
    fa_wire_reader_t r;
    (void)state;

    assert_non_null(body);
    for (i = 0; i < big; i++) {
        body[i] = (char)(i * 131 + (i >> 12));
    }
    fa_wire_reader_init(&r, big, FA_WIRE_TYPE_BIT(FA_FRAME_REQUEST));
    assert_null(fa_wire_reader_room(&r, &missing));
    assert_int_equal(missing, 0);
    fa_wire_make_header(hdr, FA_FRAME_REQUEST, big);
    assert_int_equal(fa_wire_reader_feed(&r, (char *)hdr, 5, &used),
                     APR_INCOMPLETE);
    assert_null(fa_wire_reader_room(&r, &missing));
    assert_int_equal(fa_wire_reader_feed(&r, (char *)hdr + 5, 3, &used),
                     APR_INCOMPLETE);
    assert_int_equal(fa_wire_reader_feed(&r, body, 100, &used), APR_INCOMPLETE);
    assert_int_equal(used, 100);
    /* more than is missing is refused, and nothing is counted */
    assert_int_equal(fa_wire_reader_filled(&r, big - 100 + 1), APR_EINVAL);
    off = 100;
    while ((room = fa_wire_reader_room(&r, &missing)) != NULL) {
        apr_size_t n = 1 + rnd() % 200000;
        apr_status_t rv;
        assert_int_equal(missing, big - off);
        n = n < missing ? n : missing;
        memcpy(room, body + off, n);
        off += n;
        rv = fa_wire_reader_filled(&r, n);
        assert_int_equal(rv, off == big ? APR_SUCCESS : APR_INCOMPLETE);
    }
    assert_int_equal(off, big);
    assert_int_equal(missing, 0);
    take_and_check(&r, FA_FRAME_REQUEST, body, big);
    free(body);
}

static void test_reader_take_clear_idle(void **state)
{
    unsigned char hdr[FA_WIRE_HEADER_LEN];
    fa_wire_reader_t r;
    apr_size_t used, missing;
    (void)state;

    /* an empty payload is complete with its header, and still malloc'd */
    fa_wire_reader_init(&r, 0, ALL_TYPES);
    fa_wire_make_header(hdr, FA_FRAME_TABLE_GET, 0);
    assert_int_equal(fa_wire_reader_feed(&r, (char *)hdr, sizeof(hdr), &used),
                     APR_SUCCESS);
    assert_null(fa_wire_reader_room(&r, &missing));
    assert_int_equal(fa_wire_reader_filled(&r, 1), APR_EINVAL);
    take_and_check(&r, FA_FRAME_TABLE_GET, "", 0);

    /* clear drops a partial header, or a partial payload (LeakSanitizer
     * would see it kept), and the reader reads on */
    fa_wire_reader_init(&r, 64, ALL_TYPES);
    assert_int_equal(fa_wire_reader_feed(&r, "FA", 2, &used), APR_INCOMPLETE);
    assert_false(fa_wire_reader_idle(&r));
    fa_wire_reader_clear(&r);
    assert_true(fa_wire_reader_idle(&r));
    fa_wire_make_header(hdr, FA_FRAME_TABLE, 10);
    assert_int_equal(fa_wire_reader_feed(&r, (char *)hdr, sizeof(hdr), &used),
                     APR_INCOMPLETE);
    assert_int_equal(fa_wire_reader_feed(&r, "abc", 3, &used), APR_INCOMPLETE);
    assert_non_null(fa_wire_reader_room(&r, &missing));
    assert_int_equal(missing, 7);
    fa_wire_reader_clear(&r);
    assert_true(fa_wire_reader_idle(&r));
    assert_null(fa_wire_reader_room(&r, &missing));
    assert_int_equal(fa_wire_reader_feed(&r, (char *)hdr, sizeof(hdr), &used),
                     APR_INCOMPLETE);
    assert_int_equal(fa_wire_reader_feed(&r, "0123456789xyz", 13, &used),
                     APR_SUCCESS);
    assert_int_equal(used, 10);
    take_and_check(&r, FA_FRAME_TABLE, "0123456789", 10);
    fa_wire_reader_clear(&r); /* on an idle reader: nothing to do */
    assert_true(fa_wire_reader_idle(&r));
}

/* ---- streamed bodies ----------------------------------------------------- */

static void test_request_flags(void **state)
{
    fa_request_t r = sample_request("first", 5), out;
    char *head;
    apr_size_t head_len;
    buf_t b = {0};
    (void)state;

    r.flags = FA_REQUEST_BODY_FOLLOWS;
    out = round_trip_request(&r);
    assert_int_equal(out.flags, FA_REQUEST_BODY_FOLLOWS);
    r.flags = 0;
    out = round_trip_request(&r);
    assert_int_equal(out.flags, 0);
    /* a flag this version does not know is refused both ways */
    r.flags = 0x2u;
    assert_int_equal(fa_wire_encode_request(pool, &r, &head, &head_len),
                     APR_EINVAL);
    b_u32(&b, 7);
    b_str(&b, "fn");
    b_u32(&b, 0x80000001u);
    b_str(&b, "inv");
    b_str(&b, "GET");
    b_str(&b, "http://h/");
    b_u32(&b, 0);
    b_u32(&b, 0);
    b_strn(&b, "", 0);
    assert_int_equal(dec_req(b.d, b.len, &r), APR_EGENERAL);
    free(b.d);
}

static void test_chunk_header(void **state)
{
    unsigned char h[FA_WIRE_HEADER_LEN];
    fa_frame_type_e type;
    apr_size_t len;
    (void)state;

    fa_wire_make_header(h, FA_FRAME_REQUEST_CHUNK, FA_WIRE_MAX_CHUNK);
    assert_int_equal(fa_wire_parse_header(h, FA_WIRE_MAX_CHUNK, &type, &len),
                     APR_SUCCESS);
    assert_int_equal(type, FA_FRAME_REQUEST_CHUNK);
    assert_int_equal(len, FA_WIRE_MAX_CHUNK);
    fa_wire_make_header(h, FA_FRAME_REQUEST_CHUNK, FA_WIRE_MAX_CHUNK + 1);
    assert_int_equal(fa_wire_parse_header(h, FA_WIRE_MAX_CHUNK, &type, &len),
                     APR_ENOSPC);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        UNIT_TEST(test_request_round_trip),
        UNIT_TEST(test_request_empty_body_and_tables),
        UNIT_TEST(test_request_binary_body),
        UNIT_TEST(test_request_big_body),
        UNIT_TEST(test_request_max_fields_and_string),
        UNIT_TEST(test_response_round_trip),
        UNIT_TEST(test_streamed_response_and_chunks),
        UNIT_TEST(test_header),
        UNIT_TEST(test_truncated),
        UNIT_TEST(test_trailing_garbage),
        UNIT_TEST(test_oversized_lengths),
        UNIT_TEST(test_missing_nul_and_embedded_nul),
        UNIT_TEST(test_random_garbage),
        UNIT_TEST(test_encoder_refuses),
        UNIT_TEST(test_reader_byte_by_byte),
        UNIT_TEST(test_reader_random_splits),
        UNIT_TEST(test_reader_refuses_headers),
        UNIT_TEST(test_reader_room),
        UNIT_TEST(test_reader_take_clear_idle),
        UNIT_TEST(test_request_flags),
        UNIT_TEST(test_chunk_header),
    };

    return UNIT_RUN(tests);
}
