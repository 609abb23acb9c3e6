/* SPDX-License-Identifier: Apache-2.0 */
/**
 * fa_route: ASP.NET route templates, compiled once and matched per request.
 *
 * Runs in the httpd children.  fa_dispatch makes a child's router once,
 * from one thread, when it first fetches the function table; fa_router_add
 * parses each template (fa_route_parse.c) into the router's pool.  After
 * that the router is read-only and any number of request threads match
 * against it at once, allocating only from their request's pool.
 *
 * Routes are kept sorted by precedence when added, so matching is a walk
 * over the list that stops at the first route whose path and method both
 * fit.  Nothing is allocated from the request pool for a route that loses,
 * except the copy a regex constraint needs.
 */
#include <string.h>

#include <apr_strings.h>

#include "fa_route.h"
#include "fa_route_private.h"

struct fa_router {
    apr_pool_t *pool;
    apr_array_header_t *routes; /* of route_t *, in precedence order */
    int max_params;
};

/** A route value found while matching, copied out only if the route wins. */
typedef struct {
    const part_t *part;
    const char *s;
    apr_size_t len;
} value_t;

/* ---- precedence --------------------------------------------------------- */

/* ASP.NET's digit per segment: lower goes first. */
static int seg_rank(const apr_array_header_t *seg)
{
    const part_t *pt = PARTS(seg);

    if (seg->nelts > 1) {
        return 2;
    }
    if (!pt->name) {
        return 1;
    }
    if (pt->catch_all) {
        return 5;
    }
    if (pt->optional || pt->def) {
        return 4;
    }
    return pt->cons->nelts ? 2 : 3;
}

/* A missing segment ranks 0, as in ASP.NET's decimal precedence. */
static int compare(const route_t *a, const route_t *b)
{
    int na = a->segs->nelts, nb = b->segs->nelts, i, n = na > nb ? na : nb;

    for (i = 0; i < n; i++) {
        int ra = i < na ? seg_rank(SEG(a, i)) : 0;
        int rb = i < nb ? seg_rank(SEG(b, i)) : 0;
        if (ra != rb) {
            return ra - rb;
        }
    }
    return 0;
}

/* ---- public API --------------------------------------------------------- */

fa_router_t *fa_router_make(apr_pool_t *p)
{
    fa_router_t *r = apr_pcalloc(p, sizeof(*r));

    r->pool = p;
    r->routes = apr_array_make(p, 8, sizeof(route_t *));
    return r;
}

apr_status_t fa_router_add(fa_router_t *router, const char *template,
                           const char *methods, int function_index,
                           const char **error)
{
    apr_pool_t *p = router->pool;
    route_t *r = apr_pcalloc(p, sizeof(*r)), **slot;
    const char *err;
    int i, n;

    r->index = function_index;
    r->methods = apr_array_make(p, 2, sizeof(const char *));
    err = template ? fa_route_parse_template(p, template, r) : "no template";
    if (!err) {
        err = fa_route_parse_methods(p, methods, r->methods);
    }
    if (err) {
        char *msg = apr_psprintf(p, "route template '%s': %s",
                                 template ? template : "", err);
        /* One line, whatever bytes the template holds. */
        for (i = 0; msg[i]; i++) {
            if ((unsigned char)msg[i] < 0x20 || msg[i] == 0x7f) {
                msg[i] = '?';
            }
        }
        if (error) {
            *error = msg;
        }
        return APR_EINVAL;
    }
    if (r->nparams > router->max_params) {
        router->max_params = r->nparams;
    }

    /* Insert after every route that ranks no lower, so ties keep add order. */
    n = router->routes->nelts;
    for (i = 0; i < n; i++) {
        if (compare(APR_ARRAY_IDX(router->routes, i, route_t *), r) > 0) {
            break;
        }
    }
    apr_array_push(router->routes);
    slot = &APR_ARRAY_IDX(router->routes, i, route_t *);
    memmove(slot + 1, slot, (n - i) * sizeof(route_t *));
    *slot = r;
    return APR_SUCCESS;
}

static int take(apr_pool_t *p, const part_t *pt, const char *s, apr_size_t len,
                value_t *vals, int *nvals)
{
    if (!part_accepts(p, pt, s, len)) {
        return 0;
    }
    vals[*nvals].part = pt;
    vals[*nvals].s = s;
    vals[*nvals].len = len;
    (*nvals)++;
    return 1;
}

/* Matches parts[0..last] against one path segment the way ASP.NET does:
 * right to left, each literal at its last occurrence that leaves at least
 * one character for the parameter to its right.  No backtracking. */
static int match_parts(apr_pool_t *p, const part_t *parts, int last,
                       const char *s, apr_size_t len, value_t *vals, int *nv)
{
    const part_t *pending = NULL;
    apr_size_t end = len, pend_end = 0, pos;
    int i;

    for (i = last; i >= 0; i--) {
        const part_t *pt = &parts[i];
        if (pt->name) {
            pending = pt;
            pend_end = end;
            continue;
        }
        if (pending) {
            if (end < pt->len + 1) {
                return 0;
            }
            for (pos = end - 1 - pt->len; !same_n(s + pos, pt->text, pt->len);
                 pos--) {
                if (!pos) {
                    return 0;
                }
            }
            if (!take(p, pending, s + pos + pt->len, pend_end - pos - pt->len,
                      vals, nv)) {
                return 0;
            }
            pending = NULL;
        }
        else {
            if (end < pt->len
                || !same_n(s + end - pt->len, pt->text, pt->len)) {
                return 0;
            }
            pos = end - pt->len;
        }
        end = pos;
    }
    if (pending) {
        return end > 0 && take(p, pending, s, end, vals, nv);
    }
    return end == 0;
}

static int match_segment(apr_pool_t *p, const apr_array_header_t *seg,
                         const char *s, apr_size_t len, value_t *vals, int *nv)
{
    const part_t *pt = PARTS(seg);
    int n = seg->nelts, saved = *nv;

    if (match_parts(p, pt, n - 1, s, len, vals, nv)) {
        return 1;
    }
    *nv = saved;
    /* "{name}.{ext?}": without a value for ext, the '.' goes too. */
    if (n > 2 && pt[n - 1].optional && !(len && s[len - 1] == '.')) {
        return match_parts(p, pt, n - 3, s, len, vals, nv);
    }
    return 0;
}

/** A path segment: where it starts and how long it is. */
typedef struct {
    const char *s;
    apr_size_t len;
} span_t;

static int match_route(apr_pool_t *p, const route_t *r, const char *path_end,
                       const span_t *segs, int nsegs, value_t *vals, int *nv)
{
    int i;

    for (i = 0; i < r->segs->nelts; i++) {
        const apr_array_header_t *seg = SEG(r, i);
        const part_t *pt = PARTS(seg);

        if (pt->catch_all) {
            /* Raw remainder of the path, slashes (even a trailing one) kept. */
            if (i < nsegs) {
                return take(p, pt, segs[i].s, path_end - segs[i].s, vals, nv);
            }
            return !pt->def || take(p, pt, pt->def, strlen(pt->def), vals, nv);
        }
        if (i >= nsegs) {
            if (seg->nelts > 1 || !(pt->optional || pt->def)) {
                return 0;
            }
            if (pt->def && !take(p, pt, pt->def, strlen(pt->def), vals, nv)) {
                return 0;
            }
            continue;
        }
        if (!match_segment(p, seg, segs[i].s, segs[i].len, vals, nv)) {
            return 0;
        }
    }
    return i >= nsegs;
}

static int method_allowed(const route_t *r, const char *method)
{
    int i;

    if (!r->methods->nelts) {
        return 1;
    }
    for (i = 0; i < r->methods->nelts; i++) {
        const char *m = APR_ARRAY_IDX(r->methods, i, const char *);
        if (same(m, method) || (!strcmp(m, "GET") && same(method, "HEAD"))) {
            return 1;
        }
    }
    return 0;
}

fa_route_result_e fa_router_match(const fa_router_t *router, apr_pool_t *p,
                                  const char *path, const char *method,
                                  int *function_index, apr_table_t *params,
                                  const char **allow)
{
    apr_array_header_t *allowed = NULL;
    apr_size_t full, len, start, k;
    span_t *segs;
    value_t *vals;
    int i, j, nsegs = 0, nv;

    if (!path) {
        path = "";
    }
    if (!method) {
        method = "";
    }
    full = len = strlen(path);
    if (len && path[len - 1] == '/') {
        len--; /* "hello/" is "hello" */
    }
    for (k = 0, nsegs = 1; k < len; k++) {
        nsegs += path[k] == '/';
    }
    segs = apr_palloc(p, nsegs * sizeof(span_t));
    nsegs = 0;
    for (start = 0, k = 0; len && k <= len; k++) {
        if (k == len || path[k] == '/') {
            segs[nsegs].s = path + start;
            segs[nsegs++].len = k - start;
            start = k + 1;
        }
    }
    vals = apr_palloc(p, (router->max_params + 1) * sizeof(value_t));

    for (i = 0; i < router->routes->nelts; i++) {
        const route_t *r = APR_ARRAY_IDX(router->routes, i, const route_t *);

        nv = 0;
        if (!match_route(p, r, path + full, segs, nsegs, vals, &nv)) {
            continue;
        }
        if (!method_allowed(r, method)) {
            if (!allowed) {
                allowed = apr_array_make(p, 4, sizeof(const char *));
            }
            for (j = 0; j < r->methods->nelts; j++) {
                push_unique(allowed,
                            APR_ARRAY_IDX(r->methods, j, const char *));
            }
            continue;
        }
        if (function_index) {
            *function_index = r->index;
        }
        for (j = 0; params && j < nv; j++) {
            apr_table_set(params, vals[j].part->name,
                          apr_pstrmemdup(p, vals[j].s, vals[j].len));
        }
        return FA_ROUTE_MATCHED;
    }
    if (!allowed) {
        return FA_ROUTE_NOT_FOUND;
    }
    if (allow) {
        const char *list = APR_ARRAY_IDX(allowed, 0, const char *);
        for (j = 1; j < allowed->nelts; j++) {
            list = apr_pstrcat(p, list, ", ",
                               APR_ARRAY_IDX(allowed, j, const char *), NULL);
        }
        *allow = list;
    }
    return FA_ROUTE_METHOD_NOT_ALLOWED;
}
