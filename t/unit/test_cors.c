/* SPDX-License-Identifier: Apache-2.0 */
/* CORS policy and customHeaders: which origin gets which answer. */
#include <string.h>

#include <apr_strings.h>
#include <jansson.h>

#include "fa_cors.h"
#include "unit.h"

static fa_cors_t *parse(const char *list, int credentials)
{
    fa_cors_t *cors = NULL;
    const char *err = NULL;

    assert_int_equal(fa_cors_parse(pool, "T", list, credentials, &cors, &err),
                     APR_SUCCESS);
    return cors;
}

static void test_listed_origins(void **state)
{
    fa_cors_t *cors = parse("https://a.example, http://b.example:8080/", 0);

    (void)state;
    assert_non_null(cors);
    assert_string_equal(fa_cors_allow_origin(cors, "https://a.example"),
                        "https://a.example");
    /* case-insensitive, as the host compares; the trailing slash of the
     * setting is no part of the origin */
    assert_string_equal(fa_cors_allow_origin(cors, "HTTPS://A.example"),
                        "HTTPS://A.example");
    assert_string_equal(fa_cors_allow_origin(cors, "http://b.example:8080"),
                        "http://b.example:8080");
    assert_null(fa_cors_allow_origin(cors, "http://b.example"));
    assert_null(fa_cors_allow_origin(cors, "https://a.example.evil"));
    assert_null(fa_cors_allow_origin(cors, ""));
    assert_null(fa_cors_allow_origin(cors, NULL));
    assert_null(fa_cors_allow_origin(NULL, "https://a.example"));
    assert_int_equal(cors->credentials, 0);
}

static void test_any_origin(void **state)
{
    fa_cors_t *cors = parse("*", 0);

    (void)state;
    assert_string_equal(fa_cors_allow_origin(cors, "https://x.example"), "*");
    /* a browser refuses `*` with credentials: the origin is echoed */
    cors = parse(" * ", 1);
    assert_string_equal(fa_cors_allow_origin(cors, "https://x.example"),
                        "https://x.example");
    assert_null(parse("", 0));
    assert_null(parse(" , ", 1));
}

static void test_bad_origins(void **state)
{
    static const char *bad[] = {"a.example", "https://",    "https://a/b",
                                "://a",      "https://a?q", "ht tp://a",
                                NULL};
    const char **b;

    (void)state;
    for (b = bad; *b; ++b) {
        fa_cors_t *cors = NULL;
        const char *err = NULL;
        assert_int_equal(
            fa_cors_parse(pool, "FunctionAppCors", *b, 0, &cors, &err),
            APR_EINVAL);
        assert_non_null(strstr(err, "FunctionAppCors: '"));
    }
}

static void test_host_settings(void **state)
{
    json_t *host = json_loads("{\"CORS\": \"https://a.example,*\","
                              " \"CORSCredentials\": true}",
                              0, NULL);
    fa_cors_t *cors = NULL;
    const char *err = NULL;

    (void)state;
    assert_int_equal(fa_cors_from_host_settings(pool, "L", host, &cors, &err),
                     APR_SUCCESS);
    assert_non_null(cors);
    assert_int_equal(cors->any, 1);
    assert_int_equal(cors->credentials, 1);
    json_decref(host);

    host = json_loads("{\"CORSCredentials\": \"false\"}", 0, NULL);
    assert_int_equal(fa_cors_from_host_settings(pool, "L", host, &cors, &err),
                     APR_SUCCESS);
    assert_null(cors);
    json_decref(host);
    assert_int_equal(fa_cors_from_host_settings(pool, "L", NULL, &cors, &err),
                     APR_SUCCESS);
    assert_null(cors);

    host = json_loads("{\"CORS\": [\"https://a.example\"]}", 0, NULL);
    assert_int_equal(fa_cors_from_host_settings(pool, "L", host, &cors, &err),
                     APR_EINVAL);
    assert_non_null(strstr(err, "Host.CORS must be a string"));
    json_decref(host);
    host = json_loads("{\"CORS\": \"*\", \"CORSCredentials\": 1}", 0, NULL);
    assert_int_equal(fa_cors_from_host_settings(pool, "L", host, &cors, &err),
                     APR_EINVAL);
    assert_non_null(strstr(err, "CORSCredentials"));
    json_decref(host);
}

static void test_preflight(void **state)
{
    (void)state;
    assert_true(fa_cors_is_preflight("OPTIONS", "https://a", "PUT"));
    assert_false(fa_cors_is_preflight("OPTIONS", "https://a", NULL));
    assert_false(fa_cors_is_preflight("OPTIONS", NULL, "PUT"));
    assert_false(fa_cors_is_preflight("OPTIONS", "", "PUT"));
    assert_false(fa_cors_is_preflight("GET", "https://a", "PUT"));
}

static void test_custom_headers(void **state)
{
    json_t *http = json_loads("{\"customHeaders\": {\"X-Content-Type-Options\":"
                              " \"nosniff\", \"X-Frame-Options\": \"DENY\"}}",
                              0, NULL);
    apr_table_t *headers = NULL;
    const char *err = NULL;
    static const char *bad[] = {
        "{\"customHeaders\": [1]}",
        "{\"customHeaders\": {\"X-A\": 1}}",
        "{\"customHeaders\": {\"X A\": \"v\"}}",
        "{\"customHeaders\": {\"X-A\": \"a\\r\\nX-B: c\"}}",
        "{\"customHeaders\": {\"Content-Length\": \"3\"}}",
        NULL};
    const char **b;

    (void)state;
    assert_int_equal(fa_cors_custom_headers(pool, "H", http, &headers, &err),
                     APR_SUCCESS);
    assert_string_equal(apr_table_get(headers, "x-frame-options"), "DENY");
    assert_string_equal(apr_table_get(headers, "X-Content-Type-Options"),
                        "nosniff");
    json_decref(http);
    assert_int_equal(fa_cors_custom_headers(pool, "H", NULL, &headers, &err),
                     APR_SUCCESS);
    assert_null(headers);
    for (b = bad; *b; ++b) {
        http = json_loads(*b, 0, NULL);
        assert_non_null(http);
        assert_int_equal(
            fa_cors_custom_headers(pool, "H", http, &headers, &err),
            APR_EINVAL);
        assert_non_null(strstr(err, "H: extensions.http.customHeaders"));
        json_decref(http);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        UNIT_TEST(test_listed_origins), UNIT_TEST(test_any_origin),
        UNIT_TEST(test_bad_origins),    UNIT_TEST(test_host_settings),
        UNIT_TEST(test_preflight),      UNIT_TEST(test_custom_headers),
    };
    return UNIT_RUN(tests);
}
