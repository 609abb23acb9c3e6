/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for recycling: the directives' parsing, the jittered limit,
 * the resident-size probe, a slot's asks and incarnations, and the
 * doorbell (a real pipe and a real forked bell). */
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "unit.h"

#include "fa_app.h"
#include "fa_doorbell.h"
#include "fa_recycle.h"
#include "fa_slot.h"

static apr_status_t parse_requests(const char *a, const char *b,
                                   apr_uint32_t *n, apr_uint32_t *j,
                                   const char **error)
{
    char *argv[2] = {(char *)a, (char *)b};

    return fa_recycle_parse_requests(pool, b ? 2 : 1, argv, n, j, error);
}

static void test_parse_requests(void **state)
{
    apr_uint32_t n = 0, j = 9;
    const char *error = NULL;

    (void)state;
    assert_int_equal(parse_requests("500", NULL, &n, &j, &error), APR_SUCCESS);
    assert_int_equal(n, 500);
    assert_int_equal(j, 0);
    assert_int_equal(parse_requests("50", "jitter=10", &n, &j, &error),
                     APR_SUCCESS);
    assert_int_equal(n, 50);
    assert_int_equal(j, 10);
    assert_int_equal(parse_requests("0", NULL, &n, &j, &error), APR_EINVAL);
    assert_non_null(strstr(error,
                           "FunctionWorkerMaxRequests must be N "
                           "[jitter=J]"));
    assert_non_null(strstr(error, "not '0'"));
    assert_int_equal(parse_requests("5", "jitter=x", &n, &j, &error),
                     APR_EINVAL);
    assert_non_null(strstr(error, "not '5 jitter=x'"));
    assert_int_equal(parse_requests("5", "spread=3", &n, &j, &error),
                     APR_EINVAL);
    assert_int_equal(parse_requests("-5", NULL, &n, &j, &error), APR_EINVAL);
    assert_int_equal(parse_requests("99999999999", NULL, &n, &j, &error),
                     APR_EINVAL);
}

static void test_parse_size(void **state)
{
    apr_uint64_t b = 0;
    const char *error = NULL;

    (void)state;
    assert_int_equal(fa_recycle_parse_size(pool, "512M", &b, &error),
                     APR_SUCCESS);
    assert_true(b == 512ull * 1024 * 1024);
    assert_int_equal(fa_recycle_parse_size(pool, "2g", &b, &error),
                     APR_SUCCESS);
    assert_true(b == 2ull * 1024 * 1024 * 1024);
    assert_int_equal(fa_recycle_parse_size(pool, "65536K", &b, &error),
                     APR_SUCCESS);
    assert_true(b == 64ull * 1024 * 1024);
    assert_int_equal(fa_recycle_parse_size(pool, "16777216", &b, &error),
                     APR_SUCCESS);
    /* below a worker's own size: it would be replaced forever */
    assert_int_equal(fa_recycle_parse_size(pool, "512", &b, &error),
                     APR_EINVAL);
    assert_non_null(strstr(error, "FunctionWorkerMaxMemory must be a size"));
    assert_non_null(strstr(error, "at least 16M, not '512'"));
    assert_int_equal(fa_recycle_parse_size(pool, "M", &b, &error), APR_EINVAL);
    assert_int_equal(fa_recycle_parse_size(pool, "1.5G", &b, &error),
                     APR_EINVAL);
    assert_int_equal(fa_recycle_parse_size(pool, "", &b, &error), APR_EINVAL);
    assert_int_equal(fa_recycle_parse_size(pool, "99999999999999G", &b, &error),
                     APR_EINVAL);
}

static void test_limit_jitter(void **state)
{
    apr_uint32_t r, seen_low = 0, seen_high = 0;

    (void)state;
    assert_int_equal(fa_recycle_limit(50, 0, 12345), 50);
    for (r = 0; r < 1000; ++r) {
        apr_uint32_t limit = fa_recycle_limit(50, 10, r * 2654435761u);
        assert_true(limit >= 50 && limit <= 60);
        seen_low |= limit == 50;
        seen_high |= limit == 60;
    }
    /* both ends are reached: the spread is 0..J, not 0..J-1 */
    assert_true(seen_low && seen_high);
    assert_int_equal(fa_recycle_limit(FA_RECYCLE_MAX_COUNT,
                                      FA_RECYCLE_MAX_COUNT, 0xffffffffu),
                     FA_RECYCLE_MAX_COUNT
                         + 0xffffffffu % (FA_RECYCLE_MAX_COUNT + 1));
}

static void test_rss_grows(void **state)
{
    apr_uint64_t before, after;
    apr_size_t size = 64 * 1024 * 1024;
    char *block;

    (void)state;
    assert_int_equal(fa_recycle_rss(&before), APR_SUCCESS);
    assert_true(before > 0);
    block = apr_palloc(pool, size);
    memset(block, 1, size);
    assert_int_equal(fa_recycle_rss(&after), APR_SUCCESS);
    assert_true(after >= before + size / 2);
}

static void test_asks_and_incarnation(void **state)
{
    fa_slot_t *slots;

    (void)state;
    assert_int_equal(fa_slot_create(&slots, 2, pool), APR_SUCCESS);
    assert_int_equal(fa_slot_take_asks(slots, 0), 0);
    fa_slot_ask(slots, 0, FA_SLOT_ASK_REPLACE);
    fa_slot_ask(slots, 0, FA_SLOT_ASK_HANDOVER);
    fa_slot_ask(slots, 0, FA_SLOT_ASK_REPLACE);
    assert_int_equal(fa_slot_take_asks(slots, 1), 0);
    assert_int_equal(fa_slot_take_asks(slots, 0),
                     FA_SLOT_ASK_REPLACE | FA_SLOT_ASK_HANDOVER);
    assert_int_equal(fa_slot_take_asks(slots, 0), 0);

    assert_int_equal(fa_slot_incarnation(slots, 1), 0);
    fa_slot_new_incarnation(slots, 1);
    assert_int_equal(fa_slot_incarnation(slots, 1), 1);
    assert_int_equal(fa_slot_incarnation(slots, 0), 0);

    assert_false(fa_slot_retiring(slots, 0));
    fa_slot_set_retiring(slots, 0, 1);
    assert_true(fa_slot_retiring(slots, 0));
    fa_slot_set_retiring(slots, 0, 0);
    assert_false(fa_slot_retiring(slots, 0));
}

/* A bell forked on a new doorbell, as the parent forks one. */
static pid_t fork_bell(int fds[2])
{
    pid_t bell;

    assert_int_equal(fa_doorbell_create(fds), APR_SUCCESS);
    bell = fork();
    if (bell == 0) {
        fa_doorbell_wait(fds[0]);
        _exit(0);
    }
    usleep(100 * 1000);
    return bell;
}

/* A forked bell: still waiting before a ring, gone (status 0) after one;
 * many rings before it reads are one wake-up, and a ring never blocks,
 * even with the pipe full and nobody reading. */
static void test_doorbell(void **state)
{
    int fds[2], status = -1, i;
    pid_t bell;

    (void)state;
    bell = fork_bell(fds);
    assert_int_equal(waitpid(bell, &status, WNOHANG), 0);
    fa_doorbell_ring(fds[1]);
    fa_doorbell_ring(fds[1]);
    assert_int_equal(waitpid(bell, &status, 0), bell);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    for (i = 0; i < 100000; ++i) { /* far past a pipe's 64 kB */
        fa_doorbell_ring(fds[1]);
    }
    close(fds[0]);
    close(fds[1]);
}

/* SIGTERM ends a bell at once, status 0 (as after a ring: the parent's
 * maintenance tells them apart by its own state). */
static void test_doorbell_term(void **state)
{
    int fds[2], status = -1;
    pid_t bell;

    (void)state;
    bell = fork_bell(fds);
    kill(bell, SIGTERM);
    assert_int_equal(waitpid(bell, &status, 0), bell);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    close(fds[0]);
    close(fds[1]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        UNIT_TEST(test_parse_requests),       UNIT_TEST(test_parse_size),
        UNIT_TEST(test_limit_jitter),         UNIT_TEST(test_rss_grows),
        UNIT_TEST(test_asks_and_incarnation), UNIT_TEST(test_doorbell),
        UNIT_TEST(test_doorbell_term),
    };

    return UNIT_RUN(tests);
}
