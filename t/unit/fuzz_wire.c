/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer harness for the fa_wire decoders and frame reader.  Each input
 * is tried as a request and as a response payload; whatever decodes must
 * encode again and decode to the same thing, so a decoder that accepts what
 * the encoder would refuse (or the reverse) is a crash too.
 *
 * The input past its first byte is also a stream of frames for the reader,
 * fed in pieces whose sizes the first byte picks (and whether payload bytes
 * go through fa_wire_reader_room); it must yield the same frames as the
 * whole stream fed at once, and each frame goes through the decoders.
 * And it is a streamed body's REQUEST_CHUNK frames, read by a worker's
 * body reader (fa_body.h) from its pre-read bytes.
 *
 *   clang -g -O1 -fsanitize=fuzzer,address -DLINUX -D_REENTRANT -D_GNU_SOURCE \
 *     -I/usr/include/apr-1.0 -Iinclude src/fa_wire.c src/fa_body.c \
 *     src/fa_io.c t/unit/fuzz_wire.c \
 *     -lapr-1 -o /tmp/fuzz_wire && /tmp/fuzz_wire -max_total_time=30
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <apr_general.h>
#include <apr_pools.h>
#include <apr_tables.h>

#include "fa_body.h"
#include "fa_wire.h"

static apr_pool_t *pool;

#define CHECK(c)                                                               \
    do {                                                                       \
        if (!(c))                                                              \
            abort();                                                           \
    } while (0)

/* Re-frames head + body + NUL and returns the payload part. */
static const char *reframe(const char *head, apr_size_t head_len,
                           const char *body, apr_size_t body_len,
                           fa_frame_type_e want, apr_size_t *plen)
{
    char *f = apr_palloc(pool, head_len + body_len + 1);
    fa_frame_type_e type;

    memcpy(f, head, head_len);
    if (body_len) {
        memcpy(f + head_len, body, body_len);
    }
    f[head_len + body_len] = '\0';
    CHECK(fa_wire_parse_header((const unsigned char *)f, head_len + body_len,
                               &type, plen)
          == APR_SUCCESS);
    CHECK(type == want
          && *plen == head_len + body_len + 1 - FA_WIRE_HEADER_LEN);
    return f + FA_WIRE_HEADER_LEN;
}

static void same_table(const apr_table_t *a, const apr_table_t *b)
{
    const apr_array_header_t *x = apr_table_elts(a), *y = apr_table_elts(b);
    const apr_table_entry_t *ex = (const void *)x->elts;
    const apr_table_entry_t *ey = (const void *)y->elts;
    int i;

    CHECK(x->nelts == y->nelts);
    for (i = 0; i < x->nelts; i++) {
        CHECK(!strcmp(ex[i].key, ey[i].key) && !strcmp(ex[i].val, ey[i].val));
    }
}

static void fuzz_request(const char *data, size_t size)
{
    fa_request_t a, b;
    char *head;
    apr_size_t head_len, plen;
    const char *payload;

    if (fa_wire_decode_request(pool, data, size, &a) != APR_SUCCESS) {
        return;
    }
    CHECK(a.body >= data && a.body + a.body_len + 1 == data + size);
    CHECK(fa_wire_encode_request(pool, &a, &head, &head_len) == APR_SUCCESS);
    payload =
        reframe(head, head_len, a.body, a.body_len, FA_FRAME_REQUEST, &plen);
    CHECK(plen == size && !memcmp(payload, data, size));
    CHECK(fa_wire_decode_request(pool, payload, plen, &b) == APR_SUCCESS);
    CHECK(a.function_index == b.function_index);
    CHECK(!strcmp(a.function_name, b.function_name));
    CHECK(a.flags == b.flags);
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

    if (fa_wire_decode_response(pool, data, size, &a) != APR_SUCCESS) {
        return;
    }
    CHECK(a.body >= data && a.body + a.body_len + 1 == data + size);
    CHECK(fa_wire_encode_response(pool, &a, &head, &head_len) == APR_SUCCESS);
    payload =
        reframe(head, head_len, a.body, a.body_len, FA_FRAME_RESPONSE, &plen);
    CHECK(plen == size && !memcmp(payload, data, size));
    CHECK(fa_wire_decode_response(pool, payload, plen, &b) == APR_SUCCESS);
    CHECK(a.status == b.status && a.worker_pid == b.worker_pid
          && a.flags == b.flags);
    same_table(a.headers, b.headers);
}

/* A chunk that decodes re-encodes to the same bytes, its data inside. */
static void fuzz_chunk(const char *data, size_t size)
{
    unsigned char head[FA_WIRE_CHUNK_HEAD_LEN];
    apr_uint32_t flags;
    const char *bytes;
    apr_size_t n;

    if (fa_wire_decode_chunk(data, size, &flags, &bytes, &n) != APR_SUCCESS) {
        return;
    }
    CHECK(n <= FA_WIRE_MAX_CHUNK && bytes == data + 4 && n == size - 4);
    CHECK(!(flags & ~FA_CHUNK_ABORT) && !(flags && n));
    fa_wire_chunk_head(head, n, flags);
    CHECK(!memcmp(head + FA_WIRE_HEADER_LEN, data, 4));
}

/* What a reader made of a stream: frames, bytes used, how it ended. */
typedef struct {
    int frames;
    size_t used;
    apr_status_t end;
} stream_result_t;

/* A frame the reader yields: its payload is an exact malloc, so a decoder
 * reading past it is an ASan report. */
static void yielded(fa_wire_reader_t *r, apr_size_t max)
{
    fa_frame_type_e type;
    char *payload;
    apr_size_t len;

    fa_wire_reader_take(r, &type, &payload, &len);
    CHECK(payload && len <= max && fa_wire_reader_idle(r));
    CHECK(FA_WIRE_KNOWN_TYPES & (1u << type));
    fuzz_request(payload, len);
    fuzz_response(payload, len);
    fuzz_chunk(payload, len);
    free(payload);
}

/* One step of the reader: into its room when @a use_room and it has one,
 * else through feed.  Returns its status; *n is the bytes it took. */
static apr_status_t step(fa_wire_reader_t *r, const char *data, size_t len,
                         int use_room, size_t *n)
{
    apr_size_t missing;
    char *room = use_room ? fa_wire_reader_room(r, &missing) : NULL;
    apr_status_t rv;

    if (room) {
        *n = len < missing ? len : missing;
        memcpy(room, data, *n);
        return fa_wire_reader_filled(r, *n);
    }
    rv = fa_wire_reader_feed(r, data, len, n);
    CHECK(*n <= len);
    CHECK(rv != APR_INCOMPLETE || *n == len);
    return rv;
}

/* Feeds @a data to a new reader in pieces of 1..max_piece bytes (0: all at
 * once), sizes drawn from @a seed. */
static stream_result_t read_stream(const char *data, size_t len, apr_size_t max,
                                   unsigned int seed, size_t max_piece,
                                   int use_room)
{
    stream_result_t res = {0, 0, APR_INCOMPLETE};
    fa_wire_reader_t r;

    fa_wire_reader_init(&r, max, ~0u);
    while (res.used < len) {
        size_t piece = len - res.used, n;
        if (max_piece) {
            seed = seed * 1103515245u + 12345u;
            piece = piece < 1 + (seed >> 16) % max_piece
                ? piece
                : 1 + (seed >> 16) % max_piece;
        }
        res.end = step(&r, data + res.used, piece, use_room, &n);
        res.used += n;
        if (res.end == APR_SUCCESS) {
            yielded(&r, max);
            res.frames++;
        }
        else if (res.end != APR_INCOMPLETE) {
            /* a refused header allocates nothing */
            CHECK(res.end == APR_ENOMEM || !r.payload);
            break;
        }
    }
    CHECK(res.end != APR_INCOMPLETE || !fa_wire_reader_idle(&r)
          || res.used == 0);
    fa_wire_reader_clear(&r);
    return res;
}

static void fuzz_reader(const uint8_t *data, size_t size)
{
    stream_result_t whole, split;
    unsigned int control;
    apr_size_t max;

    if (size < 1) {
        return;
    }
    control = data[0];
    /* a small limit too, so ENOSPC is reached */
    max = (control & 0x80) ? 64 : 1024 * 1024;
    whole = read_stream((const char *)data + 1, size - 1, max, 0, 0, 0);
    split = read_stream((const char *)data + 1, size - 1, max, control,
                        (control & 0x1f) + 1, control & 0x40);
    CHECK(whole.frames == split.frames && whole.used == split.used
          && whole.end == split.end);
}

/* The input past its first byte as a streamed body's chunk frames, which
 * a worker's reader takes from its pre-read bytes (no socket: fd -1, so
 * their end is the child's close): read in sizes the first byte picks, it
 * must yield no more body bytes than the input holds, none past the limit,
 * and fail for good once it failed. */
static void fuzz_body(const uint8_t *data, size_t size)
{
    fa_body_reader_t r;
    char buf[300];
    apr_uint64_t total = 0, limit;
    apr_size_t got, want;
    apr_status_t rv, again;

    if (size < 1) {
        return;
    }
    limit = (data[0] & 0x80) ? 100 : (apr_uint64_t)1 << 40;
    fa_body_reader_init(&r, -1, limit);
    CHECK(fa_body_reader_preread(&r, (const char *)data + 1, size - 1)
          == APR_SUCCESS);
    want = (data[0] & 0x3f) + 1;
    while ((rv = fa_body_read(&r, buf, want, 0, &got)) == APR_SUCCESS) {
        CHECK(got > 0 && got <= want);
        total += got;
        want = want % sizeof(buf) + 1;
    }
    CHECK(total <= size && total <= limit);
    CHECK(rv == APR_EOF || rv == APR_ECONNABORTED || rv == APR_EGENERAL
          || rv == APR_ENOSPC);
    again = fa_body_read(&r, buf, sizeof(buf), 0, &got);
    CHECK(again == rv && got == 0);
    fa_body_reader_clear(&r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!pool) {
        if (apr_initialize() != APR_SUCCESS
            || apr_pool_create(&pool, NULL) != APR_SUCCESS) {
            abort();
        }
    }
    /* Decoded pointers go into the input itself, so it is used as is: any
     * read past its end is an ASan report. */
    fuzz_request((const char *)data, size);
    fuzz_response((const char *)data, size);
    fuzz_chunk((const char *)data, size);
    fuzz_reader(data, size);
    fuzz_body(data, size);
    apr_pool_clear(pool);
    return 0;
}
