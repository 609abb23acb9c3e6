/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What the cmocka unit tests (t/unit/test_*.c) share, so that each file
 * holds its tests and not the same fixture and main again:
 *
 * - pool: a pool that unit_setup makes before a test and unit_teardown
 *   destroys after it;
 * - UNIT_TEST(f): a table entry that runs test f with them;
 *   UNIT_TEST_WITH(f, setup) for a file whose own setup does more (it calls
 *   unit_setup itself);
 * - UNIT_RUN(tests): main's run of the table between apr_initialize and
 *   apr_terminate, as `return UNIT_RUN(tests);`; UNIT_RUN_GROUP(tests,
 *   setup, teardown) with fixtures around the whole group.
 *
 * Each test is a program of one file, so all of this is static.
 */
#ifndef FA_UNIT_H
#define FA_UNIT_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <apr_general.h>
#include <apr_pools.h>

static apr_pool_t *pool;

static inline int unit_setup(void **state)
{
    (void)state;
    return apr_pool_create(&pool, NULL) == APR_SUCCESS ? 0 : -1;
}

static inline int unit_teardown(void **state)
{
    (void)state;
    apr_pool_destroy(pool);
    return 0;
}

#define UNIT_TEST_WITH(f, setup)                                               \
    cmocka_unit_test_setup_teardown(f, setup, unit_teardown)
#define UNIT_TEST(f) UNIT_TEST_WITH(f, unit_setup)

/* The end of UNIT_RUN_GROUP: APR down, the run's result kept. */
static inline int unit_done(int rc)
{
    apr_terminate();
    return rc;
}

#define UNIT_RUN_GROUP(tests, setup, teardown)                                 \
    (apr_initialize(),                                                         \
     unit_done(cmocka_run_group_tests(tests, setup, teardown)))
#define UNIT_RUN(tests) UNIT_RUN_GROUP(tests, NULL, NULL)

#endif /* FA_UNIT_H */
