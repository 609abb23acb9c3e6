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

/** Called when a request is done (from a pool thread or the loop): @a resp is NULL when the
 * task was cancelled or failed before it had a response.  Runs in the
 * loop's thread without the GIL; @a p dies when it returns. */
typedef void fa_python_done_fn(void *token, const char *invocation_id,
                               fa_response_t *resp, apr_pool_t *p);

/** The app's function table, as indexed by the loader. */
typedef struct fa_python_table {
    const char *json;            /* [{name, route, methods, auth_level,
                                  *   is_async, error}, ...] */
    apr_size_t json_len;
    int nfunctions;
    const unsigned char *is_async;  /* one flag a function */
} fa_python_table_t;

/**
 * Initialises Python, imports the app, indexes its functions and starts
 * the worker's event loop thread, which reports finished requests to
 * @a done.  Returns with the GIL released, ready for fa_python_invoke from
 * any thread and fa_python_submit from the I/O thread.
 */
apr_status_t fa_python_start(apr_pool_t *p, fa_app_t *app,
                             fa_python_done_fn *done, fa_python_table_t *out);

/**
 * Runs function @a req->function_index in the calling thread and reports
 * its response to the done callback given to fa_python_start, exactly
 * once, with the GIL released and the body borrowed (valid until the
 * callback returns).  A function that fails is a 500 response with its
 * traceback logged.  Frees *@a payload (the frame @a req points into) as
 * soon as the request is in Python objects, and sets it to NULL.
 */
void fa_python_invoke(apr_pool_t *p, const fa_request_t *req, char **payload,
                      void *token);

/**
 * Queues a request for an async function on the event loop, without the
 * GIL.  *@a payload (a request frame's payload) must stay valid until the
 * loop frees it (and sets it to NULL) or @a token is reported done.
 */
void fa_python_submit(void *token, char **payload, apr_size_t len);

/** Cancels the task of @a token (its client went away); it is still
 * reported done, with a NULL response. */
void fa_python_cancel(void *token);

#endif
