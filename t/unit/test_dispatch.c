/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for fa_dispatch: the function table parse and the retry
 * rule, alone, then with the slot pick against real sockets. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>
#include <cmocka.h>

#include <apr_atomic.h>
#include <apr_general.h>
#include <apr_pools.h>
#include <apr_strings.h>
#include <apr_thread_proc.h>

#include "fa_app.h"
#include "fa_dispatch.h"
#include "fa_slot.h"
#include "unit.h"

/* ---- a logger that keeps what it is given ------------------------------- */

static char logged[8192];

static void keep_log(void *baton, const char *file, int line, int level,
                     apr_status_t rv, const char *msg)
{
    (void)file;
    (void)line;
    (void)baton;
    (void)level;
    (void)rv;
    apr_cpystrn(logged + strlen(logged), msg, sizeof(logged) - strlen(logged));
    apr_cpystrn(logged + strlen(logged), "\n", sizeof(logged) - strlen(logged));
}

static const fa_logger_t test_log = {keep_log, NULL, 7};

/* unit_setup with an empty log. */
static int setup(void **state)
{
    logged[0] = '\0';
    return unit_setup(state);
}

/* @a n requests outstanding on @a slot, as if children had sent them. */
static void load(fa_slot_t *slots, int slot, int n)
{
    apr_atomic_add32(&slots[slot].outstanding, (apr_uint32_t)n);
}

/* ---- the function table ------------------------------------------------- */

static fa_route_result_e route(fa_function_table_t *t, const char *path,
                               const char *method, int *index)
{
    *index = -1;
    return fa_router_match(t->router, pool, path, method, index,
                           apr_table_make(pool, 2), NULL);
}

static apr_status_t parse(fa_function_table_t *t, const char *json)
{
    return fa_dispatch_parse_table(t, json, strlen(json), pool, &test_log);
}

static void test_table_parse(void **state)
{
    fa_function_table_t t;
    int index;

    (void)state;
    assert_int_equal(parse(&t,
                           "[{\"name\": \"hello\", \"route\": \"hello\","
                           " \"methods\": \"GET,POST\", \"auth_level\":"
                           " \"function\", \"is_async\": false},"
                           " {\"name\": \"item\","
                           " \"route\": \"items/{id:int}\","
                           " \"methods\": \"\", \"auth_level\": \"anonymous\","
                           " \"is_async\": true, \"error\": \"ImportError\"}]"),
                     APR_SUCCESS);
    assert_int_equal(t.nfunctions, 2);
    assert_string_equal(t.functions[0].name, "hello");
    assert_string_equal(t.functions[0].auth_level, "function");
    assert_false(t.functions[0].is_async);
    assert_null(t.functions[0].error);
    assert_int_equal(t.functions[1].index, 1);
    assert_true(t.functions[1].is_async);
    assert_string_equal(t.functions[1].error, "ImportError");
    assert_int_equal(route(&t, "hello", "POST", &index), FA_ROUTE_MATCHED);
    assert_int_equal(index, 0);
    assert_int_equal(route(&t, "hello", "PUT", &index),
                     FA_ROUTE_METHOD_NOT_ALLOWED);
    assert_int_equal(route(&t, "items/42", "DELETE", &index), FA_ROUTE_MATCHED);
    assert_int_equal(index, 1);
    assert_int_equal(route(&t, "items/x", "GET", &index), FA_ROUTE_NOT_FOUND);
    assert_string_equal(logged, "");
}

static void test_table_malformed(void **state)
{
    fa_function_table_t t;

    (void)state;
    assert_int_equal(parse(&t, "[{\"name\": \"hello\""), APR_EGENERAL);
    assert_non_null(strstr(logged, "FA050: malformed function table"));
    logged[0] = '\0';
    assert_int_equal(parse(&t, ""), APR_EGENERAL);
    assert_non_null(strstr(logged, "FA050"));
    logged[0] = '\0';
    assert_int_equal(parse(&t, "{\"name\": \"hello\", \"route\": \"x\"}"),
                     APR_EGENERAL);
    assert_non_null(strstr(logged,
                           "FA050: malformed function table from a "
                           "worker: not an array"));
}

static void test_table_bad_route(void **state)
{
    fa_function_table_t t;
    int index;

    (void)state;
    assert_int_equal(parse(&t,
                           "[{\"name\": \"a\", \"route\": \"a\"},"
                           " {\"name\": \"broken\", \"route\": \"b/{id\"},"
                           " {\"name\": \"c\", \"route\": \"c/{x:nosuch}\"},"
                           " {\"name\": \"d\", \"route\": \"d\"}]"),
                     APR_SUCCESS);
    assert_int_equal(t.nfunctions, 4);
    assert_non_null(strstr(logged, "FA051: function broken is not served"));
    assert_non_null(strstr(logged, "FA051: function c is not served"));
    assert_int_equal(route(&t, "a", "GET", &index), FA_ROUTE_MATCHED);
    assert_int_equal(index, 0);
    assert_int_equal(route(&t, "d", "GET", &index), FA_ROUTE_MATCHED);
    assert_int_equal(index, 3);
    assert_int_equal(route(&t, "c/1", "GET", &index), FA_ROUTE_NOT_FOUND);
}

static void test_table_missing_fields(void **state)
{
    fa_function_table_t t;
    int index;

    (void)state;
    assert_int_equal(parse(&t,
                           "[{\"route\": \"anon\"}, {\"name\": \"x\"},"
                           " 42, {\"name\": \"ok\", \"route\": \"ok\"}]"),
                     APR_SUCCESS);
    assert_int_equal(t.nfunctions, 4);
    assert_null(t.functions[0].name);
    assert_null(t.functions[1].route);
    assert_null(t.functions[2].name);
    /* the entries keep the worker's indices; only complete ones route */
    assert_int_equal(route(&t, "anon", "GET", &index), FA_ROUTE_NOT_FOUND);
    assert_int_equal(route(&t, "x", "GET", &index), FA_ROUTE_NOT_FOUND);
    assert_int_equal(route(&t, "ok", "GET", &index), FA_ROUTE_MATCHED);
    assert_int_equal(index, 3);
    assert_string_equal(logged, "");

    assert_int_equal(parse(&t, "[]"), APR_SUCCESS);
    assert_int_equal(t.nfunctions, 0);
    assert_int_equal(route(&t, "ok", "GET", &index), FA_ROUTE_NOT_FOUND);
}

/* ---- the retry rule ----------------------------------------------------- */

static void test_retry_rule(void **state)
{
    (void)state;
    /* never reached the worker: safe to send again, whatever the method */
    assert_true(fa_dispatch_retry(0, 0, 0));
    assert_true(fa_dispatch_retry(0, 0, 1));
    /* reached it: only an idempotent request is sent again */
    assert_true(fa_dispatch_retry(0, 1, 1));
    assert_false(fa_dispatch_retry(0, 1, 0));
    /* never a third attempt */
    assert_false(fa_dispatch_retry(1, 0, 0));
    assert_false(fa_dispatch_retry(1, 0, 1));
    assert_false(fa_dispatch_retry(1, 1, 1));
}

/* ---- fa_dispatch against real sockets ----------------------------------- */

enum { ANSWER, HANG_UP, NOT_THERE };

/* A stand-in for a worker process: a thread on the slot's socket that
 * answers every frame, or reads a request and hangs up as a worker that
 * dies with it would. */
typedef struct fake_worker {
    int listen_fd;
    int stop[2];
    int mode;
    int slot;
    apr_uint32_t requests; /* request frames read whole */
    apr_thread_t *thread;
} fake_worker_t;

typedef struct live {
    fa_app_config_t config;
    fa_app_t app;
    fake_worker_t fw[2];
    fa_dispatch_t *d;
    char dir[32];
} live_t;

static const char table_json[] = "[{\"name\": \"hello\", \"route\": "
                                 "\"hello\", \"methods\": \"GET\"}]";

static int read_full(int fd, void *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = read(fd, buf, len);
        if (n <= 0) {
            return 0;
        }
        buf = (char *)buf + n;
        len -= (size_t)n;
    }
    return 1;
}

static int answer(fake_worker_t *fw, int fd, apr_pool_t *p)
{
    fa_response_t resp = {200, apr_table_make(p, 1), NULL, 0, 0, 0};
    struct iovec vec[3];
    char *head;
    apr_size_t head_len;

    resp.body = apr_psprintf(p, "slot %d", fw->slot);
    resp.body_len = strlen(resp.body);
    apr_table_add(resp.headers, "Content-Type", "text/plain");
    assert_int_equal(fa_wire_encode_response(p, &resp, &head, &head_len),
                     APR_SUCCESS);
    fa_wire_frame_iov(vec, head, head_len, resp.body, resp.body_len);
    return writev(fd, vec, 3) > 0;
}

/* One frame from @a fd; 0 when the connection is to be closed. */
static int serve_one(fake_worker_t *fw, int fd, apr_pool_t *p)
{
    unsigned char hdr[FA_WIRE_HEADER_LEN];
    fa_frame_type_e type;
    apr_size_t len;
    char *payload;
    int ok;

    if (!read_full(fd, hdr, sizeof(hdr))
        || fa_wire_parse_header(hdr, FA_MAX_BODY, &type, &len) != APR_SUCCESS) {
        return 0;
    }
    payload = apr_palloc(p, len + 1);
    if (!read_full(fd, payload, len)) {
        return 0;
    }
    if (type == FA_FRAME_TABLE_GET) {
        fa_wire_make_header(hdr, FA_FRAME_TABLE, sizeof(table_json) - 1);
        ok = write(fd, hdr, sizeof(hdr)) == sizeof(hdr);
        return ok && write(fd, table_json, sizeof(table_json) - 1) > 0;
    }
    apr_atomic_inc32(&fw->requests);
    return fw->mode == ANSWER && answer(fw, fd, p);
}

static void fake_loop(fake_worker_t *fw)
{
    apr_pool_t *p;
    int conn = -1;

    apr_pool_create(&p, NULL);
    for (;;) {
        struct pollfd pfd[2] = {{conn >= 0 ? conn : fw->listen_fd, POLLIN, 0},
                                {fw->stop[0], POLLIN, 0}};
        if (poll(pfd, 2, -1) < 0 || pfd[1].revents) {
            break;
        }
        if (conn < 0) {
            conn = accept(fw->listen_fd, NULL, NULL);
        }
        else if (!serve_one(fw, conn, p)) {
            close(conn);
            conn = -1;
        }
        apr_pool_clear(p);
    }
    if (conn >= 0) {
        close(conn);
    }
    apr_pool_destroy(p);
}

/* Returns rather than apr_thread_exit: pthread_exit's unwinding leaves
 * the stack poisoned, and ASan trips on it as the thread ends. */
static void *APR_THREAD_FUNC fake_run(apr_thread_t *t, void *data)
{
    (void)t;
    fake_loop(data);
    return NULL;
}

static void fake_start(live_t *l, int slot, int mode)
{
    fake_worker_t *fw = &l->fw[slot];
    struct sockaddr_un sa;

    fw->slot = slot;
    fw->mode = mode;
    fw->listen_fd = -1;
    if (mode == NOT_THERE) {
        return;
    }
    memset(&sa, 0, sizeof(sa));
    sa.sun_family = AF_UNIX;
    apr_cpystrn(sa.sun_path, l->app.socket_paths[slot], sizeof(sa.sun_path));
    fw->listen_fd = socket(AF_UNIX, SOCK_STREAM, 0);
    assert_int_equal(bind(fw->listen_fd, (struct sockaddr *)&sa, sizeof(sa)),
                     0);
    assert_int_equal(listen(fw->listen_fd, 16), 0);
    assert_int_equal(pipe(fw->stop), 0);
    assert_int_equal(apr_thread_create(&fw->thread, NULL, fake_run, fw, pool),
                     APR_SUCCESS);
}

/* Two ready workers behaving as @a mode0 and @a mode1; slot 1 carries one
 * request more, so a first attempt goes to slot 0. */
static live_t *live_start(int mode0, int mode1)
{
    live_t *l = apr_pcalloc(pool, sizeof(*l));
    int i;

    strcpy(l->dir, "/tmp/fa-dispatch-XXXXXX");
    assert_non_null(mkdtemp(l->dir));
    l->app.config = &l->config;
    l->app.nslots = 2;
    l->app.log = test_log;
    l->app.socket_paths = apr_pcalloc(pool, 2 * sizeof(char *));
    l->app.socket_addrs = apr_pcalloc(pool, 2 * sizeof(fa_io_addr_t *));
    assert_int_equal(fa_slot_create(&l->app.slots, 2, pool), APR_SUCCESS);
    for (i = 0; i < 2; ++i) {
        l->app.socket_paths[i] = apr_psprintf(pool, "%s/%d.sock", l->dir, i);
        assert_int_equal(fa_io_addr_make(&l->app.socket_addrs[i], pool,
                                         l->app.socket_paths[i]),
                         APR_SUCCESS);
        fa_slot_set_ready(l->app.slots, i);
        fake_start(l, i, i ? mode1 : mode0);
    }
    load(l->app.slots, 1, 1);
    assert_int_equal(fa_dispatch_create(&l->d, pool, &l->app), APR_SUCCESS);
    return l;
}

static void live_stop(live_t *l)
{
    apr_status_t rv;
    int i;

    for (i = 0; i < 2; ++i) {
        fake_worker_t *fw = &l->fw[i];
        if (fw->listen_fd >= 0) {
            assert_int_equal(write(fw->stop[1], "x", 1), 1);
            apr_thread_join(&rv, fw->thread);
            close(fw->listen_fd);
            close(fw->stop[0]);
            close(fw->stop[1]);
            unlink(l->app.socket_paths[i]);
        }
    }
    /* the one request counted by live_start, nothing left over */
    assert_int_equal(l->app.slots[0].outstanding, 0);
    assert_int_equal(l->app.slots[1].outstanding, 1);
    rmdir(l->dir);
}

static apr_status_t invoke(live_t *l, int idempotent, fa_response_t *resp)
{
    fa_request_t req;

    memset(&req, 0, sizeof(req));
    req.invocation_id = "00000000-0000-4000-8000-000000000000";
    req.method = idempotent ? "GET" : "POST";
    req.url = "http://localhost/api/hello";
    req.headers = apr_table_make(pool, 1);
    req.route_params = apr_table_make(pool, 1);
    req.body = "x";
    req.body_len = 1;
    int worker;
    fa_dispatch_stream_t *stream;

    return fa_dispatch_invoke(l->d, pool, &req, idempotent, -1, resp, &stream,
                              &worker);
}

static void test_live_answer(void **state)
{
    live_t *l = live_start(ANSWER, ANSWER);
    fa_route_result_e result;
    const fa_function_t *f;
    fa_response_t resp;

    (void)state;
    /* the first route fetches the table from a worker */
    assert_int_equal(fa_dispatch_route(l->d, pool, "hello", "GET", &result, &f,
                                       apr_table_make(pool, 1), NULL),
                     APR_SUCCESS);
    assert_int_equal(result, FA_ROUTE_MATCHED);
    assert_string_equal(f->name, "hello");
    assert_int_equal(invoke(l, 0, &resp), APR_SUCCESS);
    assert_int_equal(resp.status, 200);
    assert_memory_equal(resp.body, "slot 0", 6);
    assert_int_equal(l->fw[0].requests, 1);
    assert_int_equal(l->fw[1].requests, 0);
    live_stop(l);
}

static void test_live_retry_idempotent(void **state)
{
    live_t *l = live_start(HANG_UP, ANSWER);
    fa_response_t resp;

    (void)state;
    assert_int_equal(invoke(l, 1, &resp), APR_SUCCESS);
    assert_memory_equal(resp.body, "slot 1", 6);
    assert_int_equal(l->fw[0].requests, 1);
    assert_int_equal(l->fw[1].requests, 1);
    assert_non_null(strstr(logged,
                           "FA053: 00000000-0000-4000-8000-"
                           "000000000000: worker 0 failed after receiving "
                           "the request; retrying on another worker"));
    live_stop(l);
}

static void test_live_no_retry_after_receiving(void **state)
{
    live_t *l = live_start(HANG_UP, ANSWER);
    fa_response_t resp;

    (void)state;
    assert_int_equal(invoke(l, 0, &resp), APR_ECONNABORTED);
    assert_int_equal(l->fw[0].requests, 1);
    assert_int_equal(l->fw[1].requests, 0);
    assert_non_null(strstr(logged,
                           "worker 0 failed after receiving the "
                           "request\n"));
    live_stop(l);
}

static void test_live_retry_never_reached(void **state)
{
    live_t *l = live_start(NOT_THERE, ANSWER);
    fa_response_t resp;

    (void)state;
    /* not idempotent, but the dead worker never saw it */
    assert_int_equal(invoke(l, 0, &resp), APR_SUCCESS);
    assert_memory_equal(resp.body, "slot 1", 6);
    assert_non_null(strstr(logged,
                           "worker 0 failed before the request; "
                           "retrying on another worker"));
    live_stop(l);
}

static void test_live_no_third_attempt(void **state)
{
    live_t *l = live_start(HANG_UP, HANG_UP);
    fa_response_t resp;

    (void)state;
    assert_int_equal(invoke(l, 1, &resp), APR_ECONNABORTED);
    assert_int_equal(l->fw[0].requests + l->fw[1].requests, 2);
    assert_int_equal(l->fw[1].requests, 1);
    live_stop(l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        UNIT_TEST_WITH(test_table_parse, setup),
        UNIT_TEST_WITH(test_table_malformed, setup),
        UNIT_TEST_WITH(test_table_bad_route, setup),
        UNIT_TEST_WITH(test_table_missing_fields, setup),
        UNIT_TEST_WITH(test_retry_rule, setup),
        UNIT_TEST_WITH(test_live_answer, setup),
        UNIT_TEST_WITH(test_live_retry_idempotent, setup),
        UNIT_TEST_WITH(test_live_no_retry_after_receiving, setup),
        UNIT_TEST_WITH(test_live_retry_never_reached, setup),
        UNIT_TEST_WITH(test_live_no_third_attempt, setup),
    };

    return UNIT_RUN(tests);
}
