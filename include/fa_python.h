/**
 * fa_python: the embedded CPython of a worker process (the only place
 * Python runs: never in the httpd parent or its children).
 *
 * The Python side (the compatible azure.functions package and the loader)
 * is compiled into the module as source text and imported from memory.
 */
#ifndef FA_PYTHON_H
#define FA_PYTHON_H

#include <apr_pools.h>

#include "fa_app.h"
#include "fa_wire.h"

/**
 * Initialises Python, imports the app and indexes its functions.
 * *table_json is the function table as JSON text (an array of
 * {name, route, methods, auth_level, is_async, error}) allocated in @a p.
 * Returns with the GIL released, ready for fa_python_invoke from any thread.
 */
apr_status_t fa_python_start(apr_pool_t *p, fa_app_t *app,
                             const char **table_json, apr_size_t *table_len);

/**
 * Runs function @a req->function_index in the calling thread and fills
 * @a resp (allocated in @a p).  A function that fails is a 500 response
 * with its traceback logged, not an error here; an error return means the
 * bridge itself failed.
 */
apr_status_t fa_python_invoke(apr_pool_t *p, const fa_request_t *req,
                              fa_response_t *resp);

#endif
