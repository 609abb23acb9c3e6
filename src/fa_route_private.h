/* SPDX-License-Identifier: Apache-2.0 */
/**
 * fa_route_private: what the template parser (fa_route_parse.c) and the
 * matcher (fa_route.c) share: a compiled route, and the checks both make.
 *
 * Runs in the httpd children.  A route is built by fa_router_add, from one
 * thread, with everything (constraints, compiled regexes, method names) in
 * the router's pool; once added it is read-only, so any number of request
 * threads match against it at once.
 *
 * A template is split into segments at '/'; a segment is a list of parts,
 * each a literal or a parameter.  The helpers below are static inline
 * because the matcher calls them per request: in a -fPIC module an extern
 * function is called through the PLT and never inlined.
 */
#ifndef FA_ROUTE_PRIVATE_H
#define FA_ROUTE_PRIVATE_H

#include <regex.h>
#include <string.h>

#include <apr_pools.h>
#include <apr_strings.h>
#include <apr_tables.h>

typedef enum { K_RANGE, K_LENGTH, K_REGEX } kind_e;

/** One constraint: lo..hi bound the integer value (K_RANGE: int, long, min,
 * max, range) or the length (K_LENGTH); every other check is a regex. */
typedef struct {
    kind_e kind;
    apr_int64_t lo, hi;
    regex_t *re;
} constraint_t;

/** A piece of a segment: a literal when name is NULL, else a parameter. */
typedef struct {
    const char *text; /* literal text, unescaped */
    apr_size_t len;
    const char *name;
    const char *def; /* default value, or NULL */
    int optional, catch_all;
    apr_array_header_t *cons; /* of constraint_t */
} part_t;

typedef struct {
    apr_array_header_t *segs;    /* of apr_array_header_t * (of part_t) */
    apr_array_header_t *methods; /* of const char *, upper case; none = any */
    int index;
    int nparams;
} route_t;

#define SEG(r, i) (APR_ARRAY_IDX((r)->segs, (i), apr_array_header_t *))
#define PARTS(a) ((part_t *)(a)->elts)

/* fa_route_parse.c: the template and the methods, parsed into @a r (whose
 * methods array the caller makes).  Each returns NULL, or why the input is
 * wrong: a static string or one from @a p. */
const char *fa_route_parse_template(apr_pool_t *p, const char *t, route_t *r);
const char *fa_route_parse_methods(apr_pool_t *p, const char *m,
                                   apr_array_header_t *out);

/* ---- strings ------------------------------------------------------------ */

/* ASCII only: route matching must not depend on the process locale. */
static inline int fold(int c)
{
    return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

static inline int same_n(const char *a, const char *b, apr_size_t n)
{
    for (; n; n--, a++, b++)
        if (fold((unsigned char)*a) != fold((unsigned char)*b))
            return 0;
    return 1;
}

static inline int same(const char *a, const char *b)
{
    apr_size_t n = strlen(a);
    return n == strlen(b) && same_n(a, b, n);
}

/* Keeps the first appearance: Allow lists methods in precedence order. */
static inline void push_unique(apr_array_header_t *a, const char *s)
{
    int i;

    for (i = 0; i < a->nelts; i++)
        if (!strcmp(APR_ARRAY_IDX(a, i, const char *), s))
            return;
    APR_ARRAY_PUSH(a, const char *) = s;
}

/* ---- value checks ------------------------------------------------------- */

/* Like .NET's long.TryParse minus the whitespace: optional sign, digits. */
static inline int parse_i64(const char *s, apr_size_t len, apr_int64_t *out)
{
    apr_uint64_t u = 0, limit = (apr_uint64_t)APR_INT64_MAX;
    apr_size_t i = 0;
    int neg = len && s[0] == '-';

    if (len && (s[0] == '+' || neg))
        i++;
    if (i == len)
        return 0;
    limit += neg;
    for (; i < len; i++) {
        unsigned d = (unsigned char)s[i] - '0';
        if (d > 9 || u > (limit - d) / 10)
            return 0;
        u = u * 10 + d;
    }
    /* -2^63 has no positive counterpart, so negate in unsigned space. */
    *out = neg ? (apr_int64_t)(~u + 1) : (apr_int64_t)u;
    return 1;
}

/* Characters, not bytes: .NET counts UTF-16 units, code points are closer
 * to that than UTF-8 bytes. */
static inline apr_int64_t char_count(const char *s, apr_size_t len)
{
    apr_int64_t n = 0;

    for (; len; len--, s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

static inline int satisfies(apr_pool_t *p, const constraint_t *c, const char *s,
                            apr_size_t len)
{
    apr_int64_t v;

    switch (c->kind) {
    case K_RANGE:
        return parse_i64(s, len, &v) && v >= c->lo && v <= c->hi;
    case K_LENGTH:
        v = char_count(s, len);
        return v >= c->lo && v <= c->hi;
    case K_REGEX:
        return regexec(c->re, apr_pstrmemdup(p, s, len), 0, NULL, 0) == 0;
    }
    return 0;
}

/* The matcher's test of a value, and the parser's of a default. */
static inline int part_accepts(apr_pool_t *p, const part_t *pt, const char *s,
                               apr_size_t len)
{
    int i;

    for (i = 0; i < pt->cons->nelts; i++)
        if (!satisfies(p, &APR_ARRAY_IDX(pt->cons, i, constraint_t), s, len))
            return 0;
    return 1;
}

#endif
