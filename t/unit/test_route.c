/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for fa_route: constraints, optional parts, precedence, 405s
 * and malformed templates. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <apr_general.h>
#include <apr_pools.h>
#include <apr_strings.h>
#include <apr_tables.h>

#include "fa_route.h"
#include "unit.h"

#define NOT_FOUND (-1)
#define NOT_ALLOWED (-2)

static apr_pool_t *pool;
static apr_table_t *params; /* route values of the last match() */
static const char *allow;   /* Allow of the last match() */

/* ---- helpers ------------------------------------------------------------ */

static void add(fa_router_t *r, const char *tpl, const char *methods, int idx)
{
    const char *err = NULL;
    apr_status_t rv = fa_router_add(r, tpl, methods, idx, &err);

    if (rv != APR_SUCCESS) {
        fail_msg("'%s' rejected: %s", tpl, err ? err : "(no message)");
    }
}

/* The function index, NOT_FOUND or NOT_ALLOWED. */
static int match(const fa_router_t *r, const char *path, const char *method)
{
    int idx = -100;

    params = apr_table_make(pool, 4);
    allow = NULL;
    switch (fa_router_match(r, pool, path, method, &idx, params, &allow)) {
    case FA_ROUTE_MATCHED:
        assert_true(idx >= 0);
        return idx;
    case FA_ROUTE_METHOD_NOT_ALLOWED:
        assert_non_null(allow);
        return NOT_ALLOWED;
    case FA_ROUTE_NOT_FOUND:
        break;
    }
    return NOT_FOUND;
}

static fa_router_t *one_route(const char *tpl)
{
    fa_router_t *r = fa_router_make(pool);

    add(r, tpl, NULL, 7);
    return r;
}

/* Does a router holding only tpl match path? */
static int fits(const char *tpl, const char *path)
{
    return match(one_route(tpl), path, "GET") == 7;
}

#define YES(tpl, path)                                                         \
    do {                                                                       \
        if (!fits(tpl, path))                                                  \
            fail_msg("'%s' should match '%s'", tpl, path);                     \
    } while (0)
#define NO(tpl, path)                                                          \
    do {                                                                       \
        if (fits(tpl, path))                                                   \
            fail_msg("'%s' should not match '%s'", tpl, path);                 \
    } while (0)
#define VALUE(name, want) assert_string_equal(apr_table_get(params, name), want)
#define ABSENT(name) assert_null(apr_table_get(params, name))

static void bad(const char *tpl, const char *methods)
{
    fa_router_t *r = fa_router_make(pool);
    const char *err = NULL;

    if (fa_router_add(r, tpl, methods, 1, &err) != APR_EINVAL) {
        fail_msg("'%s' should be rejected", tpl ? tpl : "(null)");
    }
    assert_non_null(err);
    assert_true(strlen(err) > 0);
    assert_null(strchr(err, '\n'));
    assert_true(match(r, "", "GET") == NOT_FOUND);
}

/* ---- literals and plain parameters -------------------------------------- */

static void test_literals(void **state)
{
    (void)state;
    YES("hello", "hello");
    YES("hello", "HeLLo");
    YES("hello", "hello/");
    YES("/hello", "hello");
    YES("hello/", "hello");
    YES("api/Items", "API/items");
    NO("hello", "hello//");
    NO("hello", "hell");
    NO("hello", "hello2");
    NO("hello", "hello/x");
    NO("hello", "");
    NO("a/b", "a//b");
    YES("", "");
    YES("", "/");
    NO("", "x");
    YES("a{{b}}", "a{b}");
}

static void test_params(void **state)
{
    (void)state;
    YES("users/{id}", "users/42");
    VALUE("id", "42");
    YES("users/{id}", "users/42/");
    VALUE("id", "42");
    NO("users/{id}", "users");
    NO("users/{id}", "users/");
    NO("users/{id}", "users//");
    NO("{a}/{b}", "x//");
    YES("{Name}", "bob");
    VALUE("name", "bob"); /* APR tables fold case */
}

/* ---- constraints -------------------------------------------------------- */

static void test_int_long(void **state)
{
    static const char *ok[] = {"0",   "-5",         "+7",
                               "007", "2147483647", "-2147483648"};
    static const char *no[] = {
        "2147483648", "-2147483649",          "abc", "1.5", "-", "+", "1e3",
        " 1",         "99999999999999999999", "0x10"};
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(ok) / sizeof(*ok); i++) {
        YES("{n:int}", ok[i]);
    }
    for (i = 0; i < sizeof(no) / sizeof(*no); i++) {
        NO("{n:int}", no[i]);
    }
    YES("{n:INT}", "1");
    YES("{n:long}", "9223372036854775807");
    YES("{n:long}", "-9223372036854775808");
    YES("{n:long}", "2147483648");
    NO("{n:long}", "9223372036854775808");
    NO("{n:long}", "-9223372036854775809");
    NO("{n:long}", "18446744073709551616");
    NO("{n:long}", "x");
}

static void test_bool_guid_alpha(void **state)
{
    (void)state;
    YES("{b:bool}", "true");
    YES("{b:bool}", "FALSE");
    YES("{b:bool}", "True");
    NO("{b:bool}", "yes");
    NO("{b:bool}", "1");
    NO("{b:bool}", "truee");

    YES("{g:guid}", "0f8fad5b-d9cb-469f-a165-70867728950e");
    YES("{g:guid}", "0F8FAD5B-D9CB-469F-A165-70867728950E");
    YES("{g:guid}", "0f8fad5bd9cb469fa16570867728950e");
    YES("{g:guid}", "{0f8fad5b-d9cb-469f-a165-70867728950e}");
    NO("{g:guid}", "0f8fad5b-d9cb-469f-a165-70867728950");
    NO("{g:guid}", "0f8fad5bd-9cb-469f-a165-70867728950e");
    NO("{g:guid}", "0f8fad5g-d9cb-469f-a165-70867728950e");
    NO("{g:guid}", "{0f8fad5b-d9cb-469f-a165-70867728950e)");

    YES("{a:alpha}", "abc");
    YES("{a:alpha}", "ABCxyz");
    NO("{a:alpha}", "abc1");
    NO("{a:alpha}", "a-b");
    NO("{a:alpha}", "\xc3\xa9");
}

static void test_numbers_dates(void **state)
{
    static const char *ok[] = {"1",  "1.5",  "-0.5",   ".5",
                               "5.", "1e10", "1.5E-3", "+2"};
    static const char *no[] = {"abc",   "1e", "0x10", "inf", "nan",
                               "1.2.3", ".",  "-",    "e5"};
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(ok) / sizeof(*ok); i++) {
        YES("{d:double}", ok[i]);
    }
    for (i = 0; i < sizeof(no) / sizeof(*no); i++) {
        NO("{d:double}", no[i]);
    }
    YES("{d:float}", "2.5");
    YES("{d:decimal}", "-12.50");
    NO("{d:decimal}", "1e3");

    YES("{t:datetime}", "2024-02-29");
    YES("{t:datetime}", "2000-02-29");
    YES("{t:datetime}", "2024-01-02T03:04");
    YES("{t:datetime}", "2024-01-02T03:04:05");
    YES("{t:datetime}", "2024-01-02t03:04:05.123Z");
    YES("{t:datetime}", "2024-01-02 03:04:05+02:00");
    NO("{t:datetime}", "2024-00-10");
    NO("{t:datetime}", "2024-01-32");
    NO("{t:datetime}", "2024-13-01");
    NO("{t:datetime}", "2024-01-02T24:00");
    NO("{t:datetime}", "2024-01-02T03:04:05X");
    NO("{t:datetime}", "20240102");
    NO("{t:datetime}", "2024-01-02T");
}

static void test_bounds(void **state)
{
    (void)state;
    YES("{n:min(10)}", "10");
    YES("{n:min(10)}", "11");
    NO("{n:min(10)}", "9");
    NO("{n:min(10)}", "abc");
    YES("{n:max(5)}", "-100");
    YES("{n:max(5)}", "5");
    NO("{n:max(5)}", "6");
    YES("{n:range(1, 3)}", "1");
    YES("{n:range(1,3)}", "3");
    NO("{n:range(1,3)}", "0");
    NO("{n:range(1,3)}", "4");
    YES("{n:range(-3,-1)}", "-2");
    YES("{n:int:min(1)}", "1");
    NO("{n:int:min(1)}", "0");
    NO("{n:int:min(1)}", "99999999999");
    YES("{n:long:min(1)}", "99999999999");

    YES("{s:length(3)}", "abc");
    NO("{s:length(3)}", "ab");
    NO("{s:length(3)}", "abcd");
    YES("{s:length(2,4)}", "ab");
    YES("{s:length(2,4)}", "abcd");
    NO("{s:length(2,4)}", "a");
    NO("{s:length(2,4)}", "abcde");
    YES("{s:minlength(2)}", "ab");
    NO("{s:minlength(2)}", "a");
    YES("{s:maxlength(3)}", "abc");
    NO("{s:maxlength(3)}", "abcd");
    YES("{s:length(2)}",
        "\xc3\xa9"
        "a"); /* characters, not bytes */
    YES("{s:required}", "x");
}

static void test_regex(void **state)
{
    (void)state;
    YES("{c:regex(^[a-z]{{2}}[0-9]+$)}", "ab12");
    YES("{c:regex(^[a-z]{{2}}[0-9]+$)}", "AB12"); /* case-insensitive */
    NO("{c:regex(^[a-z]{{2}}[0-9]+$)}", "abc12");
    YES("{c:regex(\\d{{3}})}", "123");
    NO("{c:regex(\\d{{3}})}", "1234"); /* anchored */
    NO("{c:regex(\\d{{3}})}", "12a");
    YES("{c:regex([\\d-]+)}", "1-2");
    NO("{c:regex(\\D+)}", "a1");
    YES("{c:regex(a|b)}", "b");
    NO("{c:regex(a|b)}", "ab");
    YES("{c:regex(a:b)}", "a:b");
    YES("{c:regex(^(x|y)$):alpha}", "x");
    NO("{c:regex(^(x|y)$):alpha}", "z");
    YES("{c:regex([[:digit:]]+)}", "42");
    YES("{c:regex([]a]+)}", "]a");
    YES("{c:regex(\\.)}", ".");
    NO("{c:regex(\\.)}", "x");
}

/* ---- optional, default, catch-all, complex segments ---------------------- */

static void test_optional_default(void **state)
{
    (void)state;
    YES("users/{id?}", "users");
    ABSENT("id");
    YES("users/{id?}", "users/");
    ABSENT("id");
    YES("users/{id?}", "users/5");
    VALUE("id", "5");
    NO("users/{id?}", "users/5/6");
    NO("users/{id?}", "users//");
    YES("{id:int?}", "");
    YES("{id:int?}", "5");
    NO("{id:int?}", "x");
    YES("{a?}/{b?}", "x");
    VALUE("a", "x");
    ABSENT("b");

    YES("items/{page=1}", "items");
    VALUE("page", "1");
    YES("items/{page=1}", "items/3");
    VALUE("page", "3");
    YES("{a=x}/{b:int=2}", "");
    VALUE("a", "x");
    VALUE("b", "2");
    NO("{a=x}/{b:int=2}", "y/z");
    YES("{c=Home}/{a=Index}/{id?}", "shop");
    VALUE("c", "shop");
    VALUE("a", "Index");
    ABSENT("id");
}

static void test_catch_all(void **state)
{
    (void)state;
    YES("files/{*path}", "files");
    ABSENT("path");
    YES("files/{*path}", "files/");
    ABSENT("path");
    YES("files/{*path}", "files/a");
    VALUE("path", "a");
    YES("files/{*path}", "files/a/b/c");
    VALUE("path", "a/b/c");
    YES("files/{*path}", "FILES/a//b/");
    VALUE("path", "a//b/");
    NO("files/{*path}", "file/a");
    YES("{**rest}", "x/y");
    VALUE("rest", "x/y");
    YES("{*all}", "");
    ABSENT("all");
    YES("{*all}", "//");
    YES("files/{*p=index.html}", "files");
    VALUE("p", "index.html");
    YES("files/{*p:minlength(3)}", "files/a/b");
    NO("files/{*p:minlength(4)}", "files/a/b");
    YES("{x?}/{*rest}", "a/b/c");
    VALUE("x", "a");
    VALUE("rest", "b/c");
}

static void test_complex_segments(void **state)
{
    (void)state;
    YES("files/{name}.{ext}", "files/report.pdf");
    VALUE("name", "report");
    VALUE("ext", "pdf");
    YES("files/{name}.{ext}", "files/a.b.c");
    VALUE("name", "a.b");
    VALUE("ext", "c");
    NO("files/{name}.{ext}", "files/.pdf");
    NO("files/{name}.{ext}", "files/abc");
    NO("files/{name}.{ext}", "files/abc.");
    YES("img-{id:int}.png", "IMG-5.PNG");
    VALUE("id", "5");
    NO("img-{id:int}.png", "img-x.png");
    NO("img-{id:int}.png", "img-5.png2");
    NO("img-{id:int}.png", "ximg-5.png");
    NO("img-{id}.png", "img-.png");
    YES("v{version}", "v2");
    VALUE("version", "2");
    YES("{id}.json", "7.json");
    VALUE("id", "7");
    YES("{a}-{b}-{c}", "1-2-3-4");
    VALUE("a", "1-2");
    VALUE("c", "4");

    YES("{name}.{ext?}", "a.b");
    VALUE("name", "a");
    VALUE("ext", "b");
    YES("{name}.{ext?}", "abc");
    VALUE("name", "abc");
    ABSENT("ext");
    NO("{name}.{ext?}", "abc.");
}

/* ---- precedence and methods --------------------------------------------- */

static void test_precedence(void **state)
{
    fa_router_t *r = fa_router_make(pool);

    (void)state;
    add(r, "{*all}", NULL, 1);
    add(r, "{id?}", NULL, 2);
    add(r, "{id}", NULL, 3);
    add(r, "{id:int}", NULL, 4);
    add(r, "new", NULL, 5);
    add(r, "{id}", NULL, 6); /* a tie: the earlier one wins */
    assert_int_equal(match(r, "new", "GET"), 5);
    assert_int_equal(match(r, "NEW", "GET"), 5);
    assert_int_equal(match(r, "5", "GET"), 4);
    assert_int_equal(match(r, "x", "GET"), 3);
    VALUE("id", "x");
    assert_int_equal(match(r, "", "GET"), 2);
    assert_int_equal(match(r, "a/b", "GET"), 1);
    VALUE("all", "a/b");

    r = fa_router_make(pool);
    add(r, "a/{y}/c", NULL, 1);
    add(r, "a/b/{x}", NULL, 2);
    add(r, "{p}/b/c", NULL, 3);
    add(r, "a/b/c", NULL, 4);
    assert_int_equal(match(r, "a/b/c", "GET"), 4);
    assert_int_equal(match(r, "a/b/d", "GET"), 2);
    assert_int_equal(match(r, "a/x/c", "GET"), 1);
    assert_int_equal(match(r, "z/b/c", "GET"), 3);

    r = fa_router_make(pool);
    add(r, "f/{n}.{e}", NULL, 1);
    add(r, "f/{n}", NULL, 2);
    assert_int_equal(match(r, "f/a.b", "GET"), 1);
    assert_int_equal(match(r, "f/ab", "GET"), 2);
}

static void test_methods(void **state)
{
    fa_router_t *r = fa_router_make(pool);
    int idx = 99;

    (void)state;
    add(r, "items", "GET", 0);
    add(r, "items", "post, put,Post", 1);
    add(r, "{x}", "DELETE,GET", 2);
    add(r, "any", NULL, 3);
    add(r, "empty", "", 4);
    add(r, "u/{a}", "POST", 5);
    add(r, "u/{b}", "GET", 6);

    assert_int_equal(match(r, "items", "GET"), 0);
    assert_int_equal(match(r, "items", "post"), 1);
    assert_int_equal(match(r, "items", "PUT"), 1);
    assert_int_equal(match(r, "items", "DELETE"), 2);
    assert_int_equal(match(r, "items", "PATCH"), NOT_ALLOWED);
    assert_string_equal(allow, "GET, POST, PUT, DELETE");
    assert_int_equal(match(r, "items", "HEAD"), 0);
    assert_int_equal(match(r, "other", "POST"), NOT_ALLOWED);
    assert_string_equal(allow, "DELETE, GET");
    assert_int_equal(match(r, "any", "FOO"), 3);
    assert_int_equal(match(r, "empty", "OPTIONS"), 4);
    assert_int_equal(match(r, "a/b/c", "GET"), NOT_FOUND);
    assert_null(allow);

    /* A route that loses on its method leaves no values behind. */
    assert_int_equal(match(r, "u/1", "GET"), 6);
    VALUE("b", "1");
    ABSENT("a");

    r = fa_router_make(pool);
    add(r, "p", "POST", 0);
    assert_int_equal(match(r, "p", "HEAD"), NOT_ALLOWED);
    assert_string_equal(allow, "POST");
    assert_int_equal(match(r, "p", NULL), NOT_ALLOWED);

    /* Output pointers may be NULL. */
    assert_int_equal(fa_router_match(r, pool, "p", "GET", NULL, NULL, NULL),
                     FA_ROUTE_METHOD_NOT_ALLOWED);
    assert_int_equal(fa_router_match(r, pool, "p", "POST", &idx, NULL, NULL),
                     FA_ROUTE_MATCHED);
    assert_int_equal(idx, 0);
}

/* ---- malformed templates and hostile paths ------------------------------ */

static void test_malformed(void **state)
{
    static const char *tpl[] = {
        "{",
        "}",
        "a/{id",
        "a/}",
        "{a}}",
        "{a{b}",
        "{}",
        "{*}",
        "{**}",
        "{:int}",
        "{id:}",
        "{id:foo}",
        "{id:int(3)}",
        "{id:min(x)}",
        "{id:min()}",
        "{id:min}",
        "{id:min(1,2)}",
        "{id:range(5,1)}",
        "{id:range(1)}",
        "{id:length(-1)}",
        "{id:length(1,2,3)}",
        "{id:length(3,2)}",
        "{id:maxlength(-1)}",
        "{id:regex()}",
        "{id:regex([)}",
        "{id:regex(^(a$}",
        "{id:regex(a)b}",
        "{*rest}/x",
        "a{*rest}",
        "{*rest}.x",
        "{a}/{a}",
        "{a}/{A}",
        "{a?}/b",
        "{a=1}/b",
        "{a?}/{b}",
        "{a}{b}",
        "a//b",
        "//a",
        "{a?b}",
        "{*a?}",
        "{a=x?}",
        "{a=}",
        "a?b",
        "{a}-{b?}",
        "{b?}.x",
        "x.{b?}",
        "{a}.{b=1}",
        "{a/b}",
        "{x:int=abc}",
        "{x:int?=1}",
        "a\n{",
        "{a\n",
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(tpl) / sizeof(*tpl); i++) {
        bad(tpl[i], NULL);
    }
    bad(NULL, NULL);
    bad("ok", "GE T");
    bad("ok", "GET;POST");
}

/* The one-line reason fa_router_add gives for a rejected template. */
static const char *reason(const char *tpl, const char *methods)
{
    fa_router_t *r = fa_router_make(pool);
    const char *err = NULL;

    assert_int_equal(fa_router_add(r, tpl, methods, 1, &err), APR_EINVAL);
    assert_non_null(err);
    return err;
}

static void test_reasons(void **state)
{
    static const char regex_bad[] = "route template '{id:regex([)}': "
                                    "bad regex '[': ";

    (void)state;
    /* One from each stage of the parser: a part, a parameter, a
     * constraint, its regex, the template as a whole, the methods. */
    assert_string_equal(reason("a/}", NULL),
                        "route template 'a/}': unbalanced '}'");
    assert_string_equal(reason("{id:int?x}", NULL),
                        "route template '{id:int?x}': unexpected '?' in "
                        "parameter 'id'");
    assert_string_equal(reason("{id:range(5,1)}", NULL),
                        "route template '{id:range(5,1)}': bad argument for "
                        "constraint 'range'");
    assert_string_equal(reason("{x:int=abc}", NULL),
                        "route template '{x:int=abc}': default of parameter "
                        "'x' fails its constraints");
    /* Then regerror's words, which are the C library's. */
    assert_true(
        !strncmp(reason("{id:regex([)}", NULL), regex_bad, strlen(regex_bad)));
    assert_string_equal(reason("{a}/{A}", NULL),
                        "route template '{a}/{A}': parameter 'A' appears "
                        "twice");
    assert_string_equal(reason("ok", "GET;POST"),
                        "route template 'ok': bad method 'GET;POST'");
    assert_string_equal(reason(NULL, NULL), "route template '': no template");
    assert_string_equal(reason("a\n{", NULL),
                        "route template 'a?{': unbalanced '{'");
}

static void test_odd_paths(void **state)
{
    static const char *tpl[] = {
        "{x}",        "{x:int}",      "{x:long}",        "{x:guid}",
        "{x:double}", "{x:datetime}", "{x:regex(a.*b)}", "{x:length(1,3)}",
        "{n}.{e?}",   "a/{*rest}",    "{*rest:alpha}",   "{x?}",
        "lit",        "{a}-{b}.{c}",
    };
    static const char *paths[] = {
        "%",
        "%2F",
        "%00",
        "\xff\xfe",
        "a/%/b",
        "\x01\x7f",
        "...",
        ".",
        "/",
        "//",
        "///",
        "a/",
        "-.",
        "a-b.",
        "{",
        "}",
        "{x}",
        "%zz/%%",
        "9999999999999999999999999999",
        "-",
        "+",
    };
    fa_router_t *r = fa_router_make(pool);
    char *longpath;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(tpl) / sizeof(*tpl); i++) {
        add(r, tpl[i], "GET", (int)i);
    }
    for (i = 0; i < sizeof(paths) / sizeof(*paths); i++) {
        match(r, paths[i], "GET");
        match(r, paths[i], "POST");
    }
    assert_int_equal(match(r, "%41", "GET"), 7); /* length(1,3) */
    VALUE("x", "%41");

    longpath = apr_palloc(pool, 20001);
    for (i = 0; i < 20000; i++) {
        longpath[i] = i % 2 ? '/' : 'a';
    }
    longpath[20000] = '\0';
    assert_int_equal(match(r, longpath, "GET"), 9);
    memset(longpath, '/', 20000);
    match(r, longpath, "GET");
    memset(longpath, '.', 20000);
    match(r, longpath, "GET");
    assert_int_equal(match(r, NULL, "GET"), 11);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        UNIT_TEST(test_literals),      UNIT_TEST(test_params),
        UNIT_TEST(test_int_long),      UNIT_TEST(test_bool_guid_alpha),
        UNIT_TEST(test_numbers_dates), UNIT_TEST(test_bounds),
        UNIT_TEST(test_regex),         UNIT_TEST(test_optional_default),
        UNIT_TEST(test_catch_all),     UNIT_TEST(test_complex_segments),
        UNIT_TEST(test_precedence),    UNIT_TEST(test_methods),
        UNIT_TEST(test_malformed),     UNIT_TEST(test_reasons),
        UNIT_TEST(test_odd_paths),
    };

    return UNIT_RUN(tests);
}
