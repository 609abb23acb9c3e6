/* SPDX-License-Identifier: Apache-2.0 */
/* The HTTP rules the glue and the workers share. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <apr_general.h>

#include "fa_http.h"

static void test_tokens(void **state)
{
    (void)state;
    assert_true(fa_http_is_token("X-Custom_Header.1"));
    assert_true(fa_http_is_token("!#$%&'*+-.^_`|~"));
    assert_false(fa_http_is_token(""));
    assert_false(fa_http_is_token("Bad Header"));
    assert_false(fa_http_is_token("Bad:Header"));
    assert_false(fa_http_is_token("caf\xc3\xa9"));
    assert_false(fa_http_is_token("a\x7f"));
    assert_false(fa_http_is_token("(comment)"));
}

static void test_header_values(void **state)
{
    (void)state;
    assert_true(fa_http_header_is_valid("X-A", "plain value"));
    assert_true(fa_http_header_is_valid("X-A", "tab\there"));
    assert_true(fa_http_header_is_valid("X-A", ""));
    assert_true(fa_http_header_is_valid("X-A", "caf\xc3\xa9"));
    assert_false(fa_http_header_is_valid("X-A", "split\r\nSet-Cookie: x"));
    assert_false(fa_http_header_is_valid("X-A", "lf\nonly"));
    assert_false(fa_http_header_is_valid("X-A", "del\x7f"));
    assert_false(fa_http_header_is_valid("X-A", "bell\x07"));
    assert_false(fa_http_header_is_valid("X A", "v"));
    assert_false(fa_http_header_is_valid("", "v"));
}

static void test_hop_headers(void **state)
{
    (void)state;
    assert_true(fa_http_is_hop_header("Content-Length"));
    assert_true(fa_http_is_hop_header("transfer-encoding"));
    assert_true(fa_http_is_hop_header("CONNECTION"));
    assert_true(fa_http_is_hop_header("Keep-Alive"));
    assert_true(fa_http_is_hop_header("upgrade"));
    assert_false(fa_http_is_hop_header("Content-Type"));
    assert_false(fa_http_is_hop_header("Set-Cookie"));
    assert_false(fa_http_is_hop_header("Content-Length2"));
}

static void test_response_500(void **state)
{
    apr_pool_t *p;
    fa_response_t resp;

    (void)state;
    apr_pool_create(&p, NULL);
    fa_http_response_500(&resp, p);
    assert_int_equal(resp.status, 500);
    assert_int_equal(resp.body_len, 0);
    assert_non_null(resp.headers);
    assert_int_equal(apr_table_elts(resp.headers)->nelts, 0);
    apr_pool_destroy(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tokens),
        cmocka_unit_test(test_header_values),
        cmocka_unit_test(test_hop_headers),
        cmocka_unit_test(test_response_500),
    };

    apr_initialize();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
