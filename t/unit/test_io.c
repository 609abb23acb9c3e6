/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for fa_io, over real sockets: socketpairs and a Unix listener
 * in a temporary directory. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include <apr_general.h>
#include <apr_pools.h>
#include <apr_strings.h>
#include <apr_tables.h>

#include "fa_io.h"
#include "fa_wire.h"
#include "unit.h"

static char tmpdir[] = "/tmp/fa_io_test.XXXXXX";

#define REQUEST_BIT FA_WIRE_TYPE_BIT(FA_FRAME_REQUEST)

/* ---- helpers ------------------------------------------------------------ */

static fa_request_t sample_request(const char *body, apr_size_t body_len)
{
    fa_request_t r;

    memset(&r, 0, sizeof(r));
    r.function_index = 3;
    r.invocation_id = "5c4d1f2e-0000-4000-8000-000000000001";
    r.method = "PUT";
    r.url = "http://localhost/api/items/42";
    r.headers = apr_table_make(pool, 2);
    apr_table_add(r.headers, "Content-Type", "application/octet-stream");
    r.route_params = apr_table_make(pool, 1);
    apr_table_add(r.route_params, "id", "42");
    r.body = body;
    r.body_len = body_len;
    return r;
}

/* Sends @a req as one frame, the way dispatch does: head, body, NUL. */
static apr_status_t send_request(int fd, const fa_request_t *req)
{
    struct iovec vec[3];
    char *head;
    apr_size_t head_len;

    assert_int_equal(fa_wire_encode_request(pool, req, &head, &head_len),
                     APR_SUCCESS);
    fa_wire_frame_iov(vec, head, head_len, req->body, req->body_len);
    return fa_io_send(fd, vec, 3);
}

/* Reads one request frame and checks it is @a want. */
static void recv_request(int fd, const fa_request_t *want, apr_size_t max)
{
    fa_wire_reader_t r;
    fa_frame_type_e type;
    fa_request_t got;
    char *payload;
    apr_size_t len;

    fa_wire_reader_init(&r, max, REQUEST_BIT);
    assert_int_equal(fa_io_recv_frame(fd, &r, 5000, &type, &payload, &len),
                     APR_SUCCESS);
    assert_int_equal(type, FA_FRAME_REQUEST);
    assert_true(fa_wire_reader_idle(&r));
    assert_int_equal(fa_wire_decode_request(pool, payload, len, &got),
                     APR_SUCCESS);
    assert_string_equal(got.method, want->method);
    assert_string_equal(got.url, want->url);
    assert_string_equal(apr_table_get(got.route_params, "id"), "42");
    assert_int_equal(got.body_len, want->body_len);
    assert_memory_equal(got.body, want->body, want->body_len);
    free(payload);
}

static void pair(int sv[2])
{
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
}

/* fa_io_recv_frame's status, for tests that expect no frame. */
static apr_status_t recv_status(int fd, fa_wire_reader_t *r, int timeout_ms)
{
    fa_frame_type_e type;
    char *payload;
    apr_size_t len;
    apr_status_t rv =
        fa_io_recv_frame(fd, r, timeout_ms, &type, &payload, &len);

    if (rv == APR_SUCCESS) {
        free(payload);
    }
    return rv;
}

static int cloexec(int fd)
{
    return (fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0;
}

static const char *sock_path(const char *name)
{
    return apr_pstrcat(pool, tmpdir, "/", name, NULL);
}

/* ---- send and receive over a socketpair -------------------------------- */

static void test_small_frame(void **state)
{
    fa_request_t req = sample_request("{\"a\": 1}", 8);
    int sv[2];
    (void)state;

    pair(sv);
    assert_int_equal(send_request(sv[0], &req), APR_SUCCESS);
    recv_request(sv[1], &req, 1024);
    close(sv[0]);
    close(sv[1]);
}

typedef struct {
    int fd;
    const fa_request_t *req;
    apr_status_t rv;
} sender_t;

static void *send_thread(void *arg)
{
    sender_t *s = arg;

    s->rv = send_request(s->fd, s->req);
    return NULL;
}

/* Sends from a thread while this one reads: for frames larger than the
 * socket buffers, where a sender blocks until the reader drains them. */
static void send_while_receiving(int sv[2], const fa_request_t *req,
                                 apr_size_t max)
{
    sender_t s;
    pthread_t t;

    s.fd = sv[0];
    s.req = req;
    assert_int_equal(pthread_create(&t, NULL, send_thread, &s), 0);
    recv_request(sv[1], req, max);
    assert_int_equal(pthread_join(t, NULL), 0);
    assert_int_equal(s.rv, APR_SUCCESS);
    close(sv[0]);
    close(sv[1]);
}

/* The receiver reads the body straight into the reader's room, over many
 * reads. */
static void test_large_frame(void **state)
{
    apr_size_t big = 5 * 1024 * 1024 + 3, i;
    char *body = malloc(big);
    fa_request_t req;
    int sv[2];
    (void)state;

    assert_non_null(body);
    for (i = 0; i < big; i++) {
        body[i] = (char)(i ^ (i >> 9));
    }
    req = sample_request(body, big);
    pair(sv);
    send_while_receiving(sv, &req, big + 4096);
    free(body);
}

/* A send on a non-blocking socket whose buffer is full waits for room. */
static void test_send_nonblocking(void **state)
{
    apr_size_t big = 2 * 1024 * 1024;
    char *body = calloc(1, big);
    fa_request_t req;
    int sv[2];
    (void)state;

    assert_non_null(body);
    req = sample_request(body, big);
    pair(sv);
    fcntl(sv[0], F_SETFL, fcntl(sv[0], F_GETFL) | O_NONBLOCK);
    send_while_receiving(sv, &req, big + 4096);
    free(body);
}

static void test_timeout_and_resume(void **state)
{
    fa_request_t req = sample_request("resumed", 7);
    struct iovec vec[3];
    char *head, buf[16];
    apr_size_t head_len, got, len;
    fa_wire_reader_t r;
    fa_frame_type_e type;
    char *payload;
    int sv[2];
    (void)state;

    pair(sv);
    assert_int_equal(fa_io_recv(sv[1], buf, sizeof(buf), 20, &got), APR_TIMEUP);
    /* the header and part of the head, then silence */
    assert_int_equal(fa_wire_encode_request(pool, &req, &head, &head_len),
                     APR_SUCCESS);
    assert_int_equal(write(sv[0], head, 11), 11);
    fa_wire_reader_init(&r, 1024, REQUEST_BIT);
    assert_int_equal(recv_status(sv[1], &r, 20), APR_TIMEUP);
    assert_false(fa_wire_reader_idle(&r));
    /* the rest comes: the same reader goes on with the frame */
    fa_wire_frame_iov(vec, head + 11, head_len - 11, req.body, req.body_len);
    assert_int_equal(fa_io_send(sv[0], vec, 3), APR_SUCCESS);
    assert_int_equal(fa_io_recv_frame(sv[1], &r, 20, &type, &payload, &len),
                     APR_SUCCESS);
    assert_int_equal(len, head_len - FA_WIRE_HEADER_LEN + 8);
    assert_memory_equal(payload + len - 8, "resumed", 8);
    free(payload);
    close(sv[0]);
    close(sv[1]);
}

/* Nothing there, then the peer gone: a non-blocking socket without a
 * timeout answers at once, and an end of stream between frames leaves the
 * reader idle (a clean close), in the middle of one it does not. */
static void test_eagain_and_eof(void **state)
{
    fa_wire_reader_t r;
    char buf[4];
    apr_size_t got;
    int sv[2];
    (void)state;

    pair(sv);
    fcntl(sv[1], F_SETFL, fcntl(sv[1], F_GETFL) | O_NONBLOCK);
    assert_true(
        APR_STATUS_IS_EAGAIN(fa_io_recv(sv[1], buf, sizeof(buf), -1, &got)));
    fa_wire_reader_init(&r, 1024, REQUEST_BIT);
    assert_true(APR_STATUS_IS_EAGAIN(recv_status(sv[1], &r, -1)));
    assert_true(fa_wire_reader_idle(&r));
    close(sv[0]);
    assert_int_equal(fa_io_recv(sv[1], buf, sizeof(buf), -1, &got), APR_EOF);
    assert_int_equal(recv_status(sv[1], &r, 100), APR_EOF);
    assert_true(fa_wire_reader_idle(&r));
    close(sv[1]);

    pair(sv);
    assert_int_equal(write(sv[0],
                           "FA\x04\x01\0\0\0\x10"
                           "abc",
                           11),
                     11);
    close(sv[0]);
    assert_int_equal(recv_status(sv[1], &r, 100), APR_EOF);
    assert_false(fa_wire_reader_idle(&r));
    fa_wire_reader_clear(&r);
    close(sv[1]);
}

/* Writes @a bytes and expects the frame read to fail with @a want. */
static void broken(const char *bytes, apr_size_t n, apr_status_t want)
{
    fa_wire_reader_t r;
    int sv[2];

    pair(sv);
    assert_int_equal(write(sv[0], bytes, n), (ssize_t)n);
    fa_wire_reader_init(&r, 1000, REQUEST_BIT);
    assert_int_equal(recv_status(sv[1], &r, 100), want);
    fa_wire_reader_clear(&r);
    close(sv[0]);
    close(sv[1]);
}

/* A refused header, and bytes past the frame (the peer must wait for our
 * answer), both break the stream. */
static void test_broken_streams(void **state)
{
    (void)state;
    broken("FA\x04\x01\0\0\x04\0", 8, APR_ENOSPC); /* 1024 > 1000 */
    broken("FA\x04\x02\0\0\0\x01"
           "x",
           9, APR_EGENERAL); /* a response */
    broken("FA\x04\x01\0\0\0\x01"
           "xFA",
           11, APR_EGENERAL);
}

/* Sends one RESPONSE_CHUNK frame of @a size bytes at @a data. */
static void send_chunk(int fd, const void *data, apr_size_t size)
{
    unsigned char head[FA_WIRE_CHUNK_HEAD_LEN];
    struct iovec vec[2];

    fa_wire_chunk_head(head, size, 0);
    vec[0].iov_base = head;
    vec[0].iov_len = sizeof(head);
    vec[1].iov_base = (void *)data;
    vec[1].iov_len = size;
    assert_int_equal(fa_io_send(fd, vec, 2), APR_SUCCESS);
}

/* A frame poll() saw arrive is read by fa_io_carry_fill and then taken
 * from the carry with no further read (timeout 0); an empty socket or one
 * closed leaves the carry empty. */
static void test_carry_fill(void **state)
{
    fa_wire_reader_t r;
    fa_io_carry_t carry;
    fa_frame_type_e type;
    char *payload;
    apr_size_t len;
    int sv[2];
    (void)state;

    pair(sv);
    fa_io_carry_fill(sv[1], &carry); /* nothing sent yet: no wait */
    assert_int_equal(carry.len, 0);
    send_chunk(sv[0], "ab", 2);
    fa_io_carry_fill(sv[1], &carry);
    assert_int_equal(carry.len, FA_WIRE_CHUNK_HEAD_LEN + 2);
    fa_wire_reader_init(&r, 64, FA_WIRE_TYPE_BIT(FA_FRAME_RESPONSE_CHUNK));
    assert_int_equal(
        fa_io_recv_frame_carry(sv[1], &r, &carry, 0, &type, &payload, &len),
        APR_SUCCESS);
    assert_memory_equal(payload + 4, "ab", 2);
    free(payload);
    close(sv[0]);
    fa_io_carry_fill(sv[1], &carry); /* the peer's close: left to the read */
    assert_int_equal(carry.len, 0);
    close(sv[1]);
}

/* ---- addresses and a real listener ------------------------------------- */

/* A streamed answer's frames back to back: one read brings several, the
 * carry hands out the ones past the first without a system call, and a
 * large one's rest is read straight into its payload. */
static void test_carry_back_to_back(void **state)
{
    /* more than the carry, less than a socket buffer (nobody reads yet) */
    static char big[64 * 1024];
    fa_wire_reader_t r;
    fa_io_carry_t carry;
    fa_frame_type_e type;
    char *payload;
    apr_size_t len;
    int sv[2], i;
    (void)state;

    pair(sv);
    memset(&carry, 0, sizeof(carry));
    fa_wire_reader_init(&r, FA_WIRE_MAX_CHUNK + 4,
                        FA_WIRE_TYPE_BIT(FA_FRAME_RESPONSE_CHUNK));
    /* nothing carried: no read, no frame */
    assert_int_equal(
        fa_io_recv_frame_carry(sv[1], &r, &carry, 0, &type, &payload, &len),
        APR_INCOMPLETE);
    for (i = 0; i < 3; ++i) {
        send_chunk(sv[0], "ab", 2);
    }
    memset(big, 'z', sizeof(big));
    send_chunk(sv[0], big, sizeof(big));
    assert_int_equal(
        fa_io_recv_frame_carry(sv[1], &r, &carry, 100, &type, &payload, &len),
        APR_SUCCESS);
    assert_int_equal(len, 6);
    free(payload);
    for (i = 0; i < 2; ++i) { /* already read: timeout 0 is enough */
        assert_int_equal(
            fa_io_recv_frame_carry(sv[1], &r, &carry, 0, &type, &payload, &len),
            APR_SUCCESS);
        assert_int_equal(type, FA_FRAME_RESPONSE_CHUNK);
        assert_memory_equal(payload + 4, "ab", 2);
        free(payload);
    }
    assert_int_equal(
        fa_io_recv_frame_carry(sv[1], &r, &carry, 100, &type, &payload, &len),
        APR_SUCCESS);
    assert_int_equal(len, 4 + sizeof(big));
    assert_memory_equal(payload + 4, big, sizeof(big));
    free(payload);
    assert_true(carry.at == carry.len && fa_wire_reader_idle(&r));
    close(sv[0]);
    close(sv[1]);
}

static void test_addr_lengths(void **state)
{
    apr_size_t max = fa_io_path_max();
    char *path = apr_palloc(pool, max + 2);
    fa_io_addr_t *addr = NULL;
    (void)state;

    assert_int_equal(max, 107); /* Linux's sun_path, less its NUL */
    memset(path, 'p', max + 1);
    path[0] = '/';
    path[max + 1] = '\0';
    assert_int_equal(fa_io_addr_make(&addr, pool, path), APR_ENAMETOOLONG);
    assert_null(addr);
    path[max] = '\0';
    assert_int_equal(fa_io_addr_make(&addr, pool, path), APR_SUCCESS);
    assert_string_equal(fa_io_addr_path(addr), path);
    assert_int_equal(fa_io_addr_make(&addr, pool, ""), APR_EINVAL);
}

static void test_listen_connect(void **state)
{
    const char *path = sock_path("w.sock");
    fa_request_t req = sample_request("over a listener", 15);
    fa_io_addr_t *addr;
    struct stat st;
    int lfd, cfd, afd, stale;
    (void)state;

    assert_int_equal(fa_io_addr_make(&addr, pool, path), APR_SUCCESS);
    assert_true(APR_STATUS_IS_ENOENT(fa_io_connect(addr, &cfd)));
    /* a socket file left by a killed parent is replaced */
    stale = open(path, O_CREAT | O_WRONLY, 0644);
    assert_true(stale >= 0);
    close(stale);
    assert_int_equal(
        fa_io_listen(addr, 8, (long)getuid(), (long)getgid(), &lfd),
        APR_SUCCESS);
    assert_int_equal(stat(path, &st), 0);
    assert_true(S_ISSOCK(st.st_mode));
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(st.st_uid, getuid());
    assert_true(cloexec(lfd));

    assert_int_equal(fa_io_connect(addr, &cfd), APR_SUCCESS);
    assert_true(cloexec(cfd));
    afd = accept(lfd, NULL, NULL);
    assert_true(afd >= 0);
    assert_int_equal(send_request(cfd, &req), APR_SUCCESS);
    recv_request(afd, &req, 1024);
    close(afd);
    close(cfd);
    close(lfd);
    /* nobody listens any more */
    assert_true(APR_STATUS_IS_ECONNREFUSED(fa_io_connect(addr, &cfd)));
    unlink(path);
}

/* The longest path there is works whole, since nothing is cut. */
static void test_listen_longest_path(void **state)
{
    apr_size_t max = fa_io_path_max(), dir_len = strlen(tmpdir);
    char *path = apr_palloc(pool, max + 1);
    fa_io_addr_t *addr;
    struct stat st;
    int lfd, cfd;
    (void)state;

    memcpy(path, tmpdir, dir_len);
    path[dir_len] = '/';
    memset(path + dir_len + 1, 's', max - dir_len - 1);
    path[max] = '\0';
    assert_int_equal(fa_io_addr_make(&addr, pool, path), APR_SUCCESS);
    assert_int_equal(fa_io_listen(addr, 8, -1, -1, &lfd), APR_SUCCESS);
    assert_int_equal(stat(path, &st), 0);
    assert_true(S_ISSOCK(st.st_mode));
    assert_int_equal(fa_io_connect(addr, &cfd), APR_SUCCESS);
    close(cfd);
    close(lfd);
    unlink(path);
}

static void test_listen_fails(void **state)
{
    fa_io_addr_t *addr;
    int lfd;
    (void)state;

    assert_int_equal(
        fa_io_addr_make(&addr, pool, sock_path("no/such/dir.sock")),
        APR_SUCCESS);
    assert_true(APR_STATUS_IS_ENOENT(fa_io_listen(addr, 8, -1, -1, &lfd)));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        UNIT_TEST(test_small_frame),         UNIT_TEST(test_large_frame),
        UNIT_TEST(test_send_nonblocking),    UNIT_TEST(test_timeout_and_resume),
        UNIT_TEST(test_eagain_and_eof),      UNIT_TEST(test_broken_streams),
        UNIT_TEST(test_carry_back_to_back),  UNIT_TEST(test_carry_fill),
        UNIT_TEST(test_addr_lengths),        UNIT_TEST(test_listen_connect),
        UNIT_TEST(test_listen_longest_path), UNIT_TEST(test_listen_fails),
    };
    int rc;

    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    rc = UNIT_RUN(tests);
    rmdir(tmpdir);
    return rc;
}
