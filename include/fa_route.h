/* SPDX-License-Identifier: Apache-2.0 */
/**
 * fa_route: ASP.NET-style route templates, matched in the httpd child.
 *
 * The worker publishes each function's template and methods; the child
 * compiles them once into a router and matches every request URL in C, so
 * 404 and 405 never cost a trip to Python.
 *
 * Runs in the httpd children.  A router is built once (by fa_dispatch,
 * under its table lock) in the child's pool and only read afterwards, by
 * every request thread at once; what a match returns lives in the
 * request's pool.
 */
#ifndef FA_ROUTE_H
#define FA_ROUTE_H

#include <apr_pools.h>
#include <apr_tables.h>

typedef struct fa_router fa_router_t;

typedef enum {
    FA_ROUTE_NOT_FOUND = 0, /* no template matches the path */
    FA_ROUTE_METHOD_NOT_ALLOWED =
        1, /* a template matches, the method doesn't */
    FA_ROUTE_MATCHED = 2
} fa_route_result_e;

/** An empty router; everything it holds lives in @a p. */
fa_router_t *fa_router_make(apr_pool_t *p);

/**
 * Adds one function's route.
 * @param template  e.g. "products/{category:alpha}/{id:int?}", no leading '/'
 * @param methods   comma-separated upper-case methods ("GET,POST"), or NULL
 *                  or "" for every method
 * @param function_index  returned by fa_router_match on a match
 * @param error     on APR_EINVAL, a one-line reason naming the template
 */
apr_status_t fa_router_add(fa_router_t *router, const char *template,
                           const char *methods, int function_index,
                           const char **error);

/**
 * Matches @a path (the decoded URL path below the route prefix, without the
 * leading '/' and without the query string) and @a method.
 * Routes are tried in ASP.NET precedence order (literal segments before
 * parameters, constrained before unconstrained, optional and catch-all last),
 * whatever the order they were added in.
 * On FA_ROUTE_MATCHED, *function_index is set and the route values (including
 * defaults) are added to @a params.  On FA_ROUTE_METHOD_NOT_ALLOWED, *allow is
 * the "Allow" header value (methods of the routes matching the path).
 */
fa_route_result_e fa_router_match(const fa_router_t *router, apr_pool_t *p,
                                  const char *path, const char *method,
                                  int *function_index, apr_table_t *params,
                                  const char **allow);

#endif
