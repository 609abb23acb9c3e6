/* SPDX-License-Identifier: Apache-2.0 */
/* fa_dispatch_table: the function table's JSON, as a worker sends it,
 * parsed for the httpd child's router (see fa_dispatch.h). */
#include <apr_strings.h>
#include <jansson.h>

#include "fa_dispatch.h"

/* One function of the table; an entry without a name or a route is kept
 * (indices are the worker's) but never routed to. */
static void parse_function(fa_function_table_t *table, apr_pool_t *p,
                           const fa_logger_t *log, json_t *item, int i)
{
    fa_function_t *f = &table->functions[i];
    const char *methods = json_string_value(json_object_get(item, "methods"));
    const char *err;

    f->index = i;
    f->name = apr_pstrdup(p, json_string_value(json_object_get(item, "name")));
    f->route =
        apr_pstrdup(p, json_string_value(json_object_get(item, "route")));
    f->auth_level =
        apr_pstrdup(p, json_string_value(json_object_get(item, "auth_level")));
    f->is_async = json_is_true(json_object_get(item, "is_async"));
    f->error =
        apr_pstrdup(p, json_string_value(json_object_get(item, "error")));
    if (!f->name || !f->route) {
        return;
    }
    if (fa_router_add(table->router, f->route, methods, i, &err)
        != APR_SUCCESS) {
        fa_log(log, FA_LOG_ERR, 0, "FA051: function %s is not served: %s",
               f->name, err);
    }
}

apr_status_t fa_dispatch_parse_table(fa_function_table_t *table,
                                     const char *text, apr_size_t len,
                                     apr_pool_t *p, const fa_logger_t *log)
{
    json_error_t jerr;
    json_t *top = json_loadb(text, len, 0, &jerr), *root = top, *item;
    size_t i;

    table->reloads = 0;
    if (json_is_object(top)) {
        table->reloads =
            (apr_uint32_t)json_integer_value(json_object_get(top, "reloads"));
        root = json_object_get(top, "functions");
    }
    if (!root || !json_is_array(root)) {
        fa_log(log, FA_LOG_ERR, 0,
               "FA050: malformed function table from a "
               "worker: %s",
               top ? "not an array" : jerr.text);
        json_decref(top);
        return APR_EGENERAL;
    }
    table->router = fa_router_make(p);
    table->nfunctions = (int)json_array_size(root);
    table->functions =
        apr_pcalloc(p, sizeof(fa_function_t) * (json_array_size(root) + 1));
    json_array_foreach(root, i, item)
    {
        parse_function(table, p, log, item, (int)i);
    }
    json_decref(top);
    return APR_SUCCESS;
}
