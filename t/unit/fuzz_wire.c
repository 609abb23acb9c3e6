/*
 * libFuzzer harness for the fa_wire decoders.  Each input is tried as a
 * request and as a response payload; whatever decodes must encode again and
 * decode to the same thing, so a decoder that accepts what the encoder
 * would refuse (or the reverse) is a crash too.
 *
 *   clang -g -O1 -fsanitize=fuzzer,address -DLINUX -D_REENTRANT -D_GNU_SOURCE \
 *     -I/usr/include/apr-1.0 -Iinclude src/fa_wire.c t/unit/fuzz_wire.c \
 *     -lapr-1 -o /tmp/fuzz_wire && /tmp/fuzz_wire -max_total_time=30
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <apr_general.h>
#include <apr_pools.h>
#include <apr_tables.h>

#include "fa_wire.h"

static apr_pool_t *pool;

#define CHECK(c) do { if (!(c)) abort(); } while (0)

/* Re-frames head + body + NUL and returns the payload part. */
static const char *reframe(const char *head, apr_size_t head_len,
                           const char *body, apr_size_t body_len,
                           fa_frame_type_e want, apr_size_t *plen)
{
    char *f = apr_palloc(pool, head_len + body_len + 1);
    fa_frame_type_e type;

    memcpy(f, head, head_len);
    if (body_len)
        memcpy(f + head_len, body, body_len);
    f[head_len + body_len] = '\0';
    CHECK(fa_wire_parse_header((const unsigned char *)f, head_len + body_len,
                               &type, plen) == APR_SUCCESS);
    CHECK(type == want && *plen == head_len + body_len + 1 - FA_WIRE_HEADER_LEN);
    return f + FA_WIRE_HEADER_LEN;
}

static void same_table(const apr_table_t *a, const apr_table_t *b)
{
    const apr_array_header_t *x = apr_table_elts(a), *y = apr_table_elts(b);
    const apr_table_entry_t *ex = (const void *)x->elts;
    const apr_table_entry_t *ey = (const void *)y->elts;
    int i;

    CHECK(x->nelts == y->nelts);
    for (i = 0; i < x->nelts; i++)
        CHECK(!strcmp(ex[i].key, ey[i].key) && !strcmp(ex[i].val, ey[i].val));
}

static void fuzz_request(const char *data, size_t size)
{
    fa_request_t a, b;
    char *head;
    apr_size_t head_len, plen;
    const char *payload;

    if (fa_wire_decode_request(pool, data, size, &a) != APR_SUCCESS)
        return;
    CHECK(a.body >= data && a.body + a.body_len + 1 == data + size);
    CHECK(fa_wire_encode_request(pool, &a, &head, &head_len) == APR_SUCCESS);
    payload = reframe(head, head_len, a.body, a.body_len, FA_FRAME_REQUEST,
                      &plen);
    CHECK(plen == size && !memcmp(payload, data, size));
    CHECK(fa_wire_decode_request(pool, payload, plen, &b) == APR_SUCCESS);
    CHECK(a.function_index == b.function_index);
    CHECK(!strcmp(a.invocation_id, b.invocation_id));
    CHECK(!strcmp(a.method, b.method) && !strcmp(a.url, b.url));
    same_table(a.headers, b.headers);
    same_table(a.route_params, b.route_params);
}

static void fuzz_response(const char *data, size_t size)
{
    fa_response_t a, b;
    char *head;
    apr_size_t head_len, plen;
    const char *payload;

    if (fa_wire_decode_response(pool, data, size, &a) != APR_SUCCESS)
        return;
    CHECK(a.body >= data && a.body + a.body_len + 1 == data + size);
    CHECK(fa_wire_encode_response(pool, &a, &head, &head_len) == APR_SUCCESS);
    payload = reframe(head, head_len, a.body, a.body_len, FA_FRAME_RESPONSE,
                      &plen);
    CHECK(plen == size && !memcmp(payload, data, size));
    CHECK(fa_wire_decode_response(pool, payload, plen, &b) == APR_SUCCESS);
    CHECK(a.status == b.status);
    same_table(a.headers, b.headers);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!pool) {
        if (apr_initialize() != APR_SUCCESS
            || apr_pool_create(&pool, NULL) != APR_SUCCESS)
            abort();
    }
    /* Decoded pointers go into the input itself, so it is used as is: any
     * read past its end is an ASan report. */
    fuzz_request((const char *)data, size);
    fuzz_response((const char *)data, size);
    apr_pool_clear(pool);
    return 0;
}
