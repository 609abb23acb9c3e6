/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for fa_body: a streamed body pumped through a real socketpair
 * by one thread and read by another, its aborts and hostile frames. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include <apr_general.h>
#include <apr_pools.h>

#include "fa_body.h"
#include "fa_wire.h"
#include "unit.h"

/* A source of @a pieces pieces of @a size bytes, byte i of the body being
 * (i * 7) & 0xFF; fails with @a fail_at's status at that piece (-1: never). */
typedef struct {
    int pieces, size, given, fail_at;
    apr_status_t fail_with;
    char *buf;
    apr_uint64_t offset;
} gen_t;

static apr_status_t gen_next(void *baton, int wait, const char **data,
                             apr_size_t *len)
{
    gen_t *g = baton;
    int i;

    (void)wait; /* always has a piece at once */

    if (g->given == g->fail_at) {
        return g->fail_with;
    }
    if (g->given == g->pieces) {
        *len = 0;
        return APR_EOF;
    }
    for (i = 0; i < g->size; ++i) {
        g->buf[i] = (char)(((g->offset + (apr_uint64_t)i) * 7) & 0xFF);
    }
    g->offset += (apr_uint64_t)g->size;
    g->given++;
    *data = g->buf;
    *len = (apr_size_t)g->size;
    return APR_SUCCESS;
}

typedef struct {
    int fd;
    apr_size_t read_size;
    apr_uint64_t total;
    int bad_bytes;
    apr_status_t end;
} sink_t;

static void *sink_run(void *arg)
{
    sink_t *s = arg;
    fa_body_reader_t r;
    char buf[100000];
    apr_size_t got, i;

    fa_body_reader_init(&r, s->fd, 1ull << 40);
    for (;;) {
        s->end = fa_body_read(&r, buf, s->read_size, -1, &got);
        if (s->end != APR_SUCCESS) {
            break;
        }
        for (i = 0; i < got; ++i) {
            if (buf[i] != (char)(((s->total + i) * 7) & 0xFF)) {
                s->bad_bytes++;
            }
        }
        s->total += got;
    }
    fa_body_reader_clear(&r);
    return NULL;
}

/* fa_body_pump from the start of @a src. */
static apr_status_t pump(int fd, fa_body_source_t *src, apr_time_t deadline,
                         int *answered)
{
    fa_body_pump_t p;

    fa_body_pump_init(&p, src);
    return fa_body_pump(&p, fd, deadline, answered);
}

static void pair(int sv[2])
{
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    fcntl(sv[1], F_SETFL, O_NONBLOCK);
}

/* Pumps @a g into a socketpair whose other end @a s reads in a thread;
 * closes the child's end when the pump returns, as the dispatch does. */
static apr_status_t pump_to_sink(gen_t *g, sink_t *s)
{
    int sv[2], answered = 0;
    pthread_t t;
    apr_status_t rv;

    pair(sv);
    g->buf = malloc((size_t)g->size);
    s->fd = sv[1];
    pthread_create(&t, NULL, sink_run, s);
    rv = pump(sv[0], &(fa_body_source_t){gen_next, g, -1, 0},
              apr_time_now() + apr_time_from_sec(30), &answered);
    close(sv[0]);
    pthread_join(t, NULL);
    assert_int_equal(answered, 0);
    free(g->buf);
    close(sv[1]);
    return rv;
}

static void test_pump_and_read(void **state)
{
    gen_t g = {40, 300000, 0, -1, 0, NULL, 0};
    sink_t s = {0, 4096 * 3 + 5, 0, 0, 0};
    (void)state;

    assert_int_equal(pump_to_sink(&g, &s), APR_SUCCESS);
    assert_int_equal(s.end, APR_EOF);
    assert_int_equal(s.total, 40ull * 300000);
    assert_int_equal(s.bad_bytes, 0);
}

/* The source fails (the client sent too much): the child closes the
 * connection and the worker's reader sees the stream aborted. */
static void test_abort(void **state)
{
    gen_t g = {40, 1000, 0, 3, FA_BODY_TOO_LARGE, NULL, 0};
    sink_t s = {0, 777, 0, 0, 0};
    (void)state;

    assert_int_equal(pump_to_sink(&g, &s), FA_BODY_TOO_LARGE);
    assert_int_equal(s.end, APR_ECONNABORTED);
    assert_int_equal(s.total, 3000);
}

/* The worker answers without reading the rest: the pump stops instead of
 * waiting for room that never comes. */
static void test_answered_early(void **state)
{
    int sv[2], answered = 0;
    gen_t g = {1000, 65536, 0, -1, 0, NULL, 0};
    apr_time_t start = apr_time_now();
    (void)state;

    pair(sv);
    g.buf = malloc((size_t)g.size);
    assert_int_equal(write(sv[1], "answer", 6), 6);
    assert_int_equal(pump(sv[0], &(fa_body_source_t){gen_next, &g, -1, 1},
                          apr_time_now() + apr_time_from_sec(30), &answered),
                     APR_SUCCESS);
    assert_int_equal(answered, 1);
    assert_true(g.given < g.pieces);
    assert_true(apr_time_now() - start < apr_time_from_sec(5));
    free(g.buf);
    close(sv[0]);
    close(sv[1]);
}

/* A worker that neither reads nor answers: the deadline ends the wait. */
static void test_pump_deadline(void **state)
{
    int sv[2], answered = 0;
    gen_t g = {1000, 65536, 0, -1, 0, NULL, 0};
    (void)state;

    pair(sv);
    g.buf = malloc((size_t)g.size);
    assert_int_equal(pump(sv[0], &(fa_body_source_t){gen_next, &g, -1, 0},
                          apr_time_now() + apr_time_from_msec(300), &answered),
                     APR_TIMEUP);
    free(g.buf);
    close(sv[0]);
    close(sv[1]);
}

/* A source that has nothing at once every other call (a client between
 * two packets), with a pipe as its fd. */
typedef struct {
    gen_t g;
    int calls;
} slow_t;

static apr_status_t slow_next(void *baton, int wait, const char **data,
                              apr_size_t *len)
{
    slow_t *s = baton;

    assert_false(wait);
    if (s->calls++ % 2 == 0) {
        return APR_EAGAIN;
    }
    return gen_next(&s->g, wait, data, len);
}

/* The worker answers (a streamed head) mid-frame: the pump stops there,
 * and going on later, with a source that is not always ready, delivers
 * every byte once, in order (full duplex: an echo). */
static void test_pump_resumes_after_answer(void **state)
{
    int sv[2], fds[2], answered = 0;
    slow_t src = {{60, 100000, 0, -1, 0, NULL, 0}, 0};
    fa_body_source_t source = {slow_next, &src, -1, 0};
    sink_t s = {0, 5000, 0, 0, 0};
    fa_body_pump_t p;
    pthread_t t;
    apr_status_t rv;
    (void)state;

    pair(sv);
    assert_int_equal(pipe(fds), 0);
    source.fd = fds[0];
    src.g.buf = malloc((size_t)src.g.size);
    assert_int_equal(write(sv[1], "head", 4), 4);
    fa_body_pump_init(&p, &source);
    assert_int_equal(fa_body_pump(&p, sv[0],
                                  apr_time_now() + apr_time_from_sec(30),
                                  &answered),
                     APR_SUCCESS);
    assert_int_equal(answered, 1);
    assert_false(p.done);
    s.fd = sv[1];
    pthread_create(&t, NULL, sink_run, &s);
    while ((rv = fa_body_pump_step(&p, sv[0])) == APR_EAGAIN) {
        if (p.wants == FA_PUMP_WANTS_WORKER) {
            struct pollfd pfd = {sv[0], POLLOUT, 0};
            assert_int_equal(poll(&pfd, 1, 5000), 1);
        }
    }
    assert_int_equal(rv, APR_SUCCESS);
    pthread_join(t, NULL);
    assert_int_equal(s.end, APR_EOF);
    assert_int_equal(s.total, 60ull * 100000);
    assert_int_equal(s.bad_bytes, 0);
    free(src.g.buf);
    close(fds[0]);
    close(fds[1]);
    close(sv[0]);
    close(sv[1]);
}

static void put_frame(int fd, fa_frame_type_e type, apr_size_t len,
                      const char *data)
{
    unsigned char h[FA_WIRE_HEADER_LEN];

    fa_wire_make_header(h, type, len);
    assert_int_equal(write(fd, h, sizeof(h)), (ssize_t)sizeof(h));
    if (data && len) {
        assert_int_equal(write(fd, data, len), (ssize_t)len);
    }
}

/* Pre-read bytes, a header split across them and the socket, waiting
 * and not waiting. */
static void test_reader_preread_and_nowait(void **state)
{
    int sv[2];
    fa_body_reader_t r;
    unsigned char h[FA_WIRE_HEADER_LEN];
    char pre[FA_WIRE_HEADER_LEN + 3 + 4], buf[64];
    apr_size_t got;
    (void)state;

    pair(sv);
    fa_body_reader_init(&r, sv[1], 100);
    fa_wire_make_header(h, FA_FRAME_REQUEST_CHUNK, 3);
    memcpy(pre, h, sizeof(h));
    memcpy(pre + sizeof(h), "abc", 3);
    fa_wire_make_header(h, FA_FRAME_REQUEST_CHUNK, 2);
    memcpy(pre + sizeof(h) + 3, h, 4); /* half the next header */
    assert_int_equal(fa_body_reader_preread(&r, pre, sizeof(pre)), APR_SUCCESS);
    assert_int_equal(fa_body_read(&r, buf, sizeof(buf), 0, &got), APR_SUCCESS);
    assert_int_equal(got, 3);
    assert_memory_equal(buf, "abc", 3);
    assert_int_equal(fa_body_read(&r, buf, sizeof(buf), 0, &got), APR_EAGAIN);
    assert_int_equal(fa_body_read(&r, buf, sizeof(buf), 50, &got), APR_TIMEUP);
    assert_int_equal(write(sv[0], h + 4, 4), 4);
    assert_int_equal(write(sv[0], "de", 2), 2);
    put_frame(sv[0], FA_FRAME_REQUEST_CHUNK, 0, NULL);
    assert_int_equal(fa_body_read(&r, buf, 1, -1, &got), APR_SUCCESS);
    assert_int_equal(fa_body_read(&r, buf + 1, 9, -1, &got), APR_SUCCESS);
    assert_memory_equal(buf, "de", 2);
    assert_int_equal(fa_body_read(&r, buf, sizeof(buf), 0, &got), APR_EOF);
    assert_int_equal(fa_body_read(&r, buf, sizeof(buf), 0, &got), APR_EOF);
    fa_body_reader_clear(&r);
    close(sv[0]);
    close(sv[1]);
}

/* Frames a child never sends: each fails the stream for good. */
static void test_reader_refuses(void **state)
{
    int sv[2];
    fa_body_reader_t r;
    char buf[64];
    apr_size_t got;
    (void)state;

    pair(sv);
    fa_body_reader_init(&r, sv[1], 100);
    put_frame(sv[0], FA_FRAME_REQUEST, 3, "abc");
    assert_int_equal(fa_body_read(&r, buf, sizeof(buf), -1, &got),
                     APR_EGENERAL);
    assert_int_equal(fa_body_read(&r, buf, sizeof(buf), -1, &got),
                     APR_EGENERAL);
    close(sv[1]);
    close(sv[0]);

    pair(sv);
    fa_body_reader_init(&r, sv[1], 100);
    put_frame(sv[0], FA_FRAME_REQUEST_CHUNK, FA_WIRE_MAX_CHUNK + 1, NULL);
    assert_int_equal(fa_body_read(&r, buf, sizeof(buf), -1, &got),
                     APR_EGENERAL);
    close(sv[1]);
    close(sv[0]);

    /* past the body limit, counted over chunks */
    pair(sv);
    fa_body_reader_init(&r, sv[1], 5);
    put_frame(sv[0], FA_FRAME_REQUEST_CHUNK, 3, "abc");
    put_frame(sv[0], FA_FRAME_REQUEST_CHUNK, 3, "def");
    assert_int_equal(fa_body_read(&r, buf, sizeof(buf), -1, &got), APR_SUCCESS);
    assert_int_equal(fa_body_read(&r, buf, sizeof(buf), -1, &got), APR_ENOSPC);
    close(sv[1]);
    close(sv[0]);

    /* the child closes mid-chunk */
    pair(sv);
    fa_body_reader_init(&r, sv[1], 100);
    put_frame(sv[0], FA_FRAME_REQUEST_CHUNK, 10, NULL);
    assert_int_equal(write(sv[0], "abc", 3), 3);
    close(sv[0]);
    assert_int_equal(fa_body_read(&r, buf, sizeof(buf), -1, &got), APR_SUCCESS);
    assert_int_equal(got, 3);
    assert_int_equal(fa_body_read(&r, buf, sizeof(buf), -1, &got),
                     APR_ECONNABORTED);
    assert_int_equal(fa_body_read(&r, buf, 0, -1, &got), APR_EINVAL);
    close(sv[1]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        UNIT_TEST(test_pump_and_read),
        UNIT_TEST(test_abort),
        UNIT_TEST(test_answered_early),
        UNIT_TEST(test_pump_deadline),
        UNIT_TEST(test_pump_resumes_after_answer),
        UNIT_TEST(test_reader_preread_and_nowait),
        UNIT_TEST(test_reader_refuses),
    };

    return UNIT_RUN(tests);
}
