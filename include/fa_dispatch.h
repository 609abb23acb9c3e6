/* SPDX-License-Identifier: Apache-2.0 */
/**
 * fa_dispatch: the httpd child's side of the workers.
 *
 * Each child keeps persistent connections to every worker of an app and
 * sends each request to the one with the fewest outstanding requests
 * (counters in the shared slots).  It also holds the app's function table,
 * fetched once from a worker, so routing, 404 and 405 happen here in C.
 *
 * Runs in the httpd children, in the threads that serve requests.  A
 * fa_dispatch_t is the child's (made in child_init, in the child's pool)
 * and shared by its threads: each slot's idle connections are under a lock
 * of their own; each table is built under the table lock and only read
 * afterwards, a new one replacing it whole (one pointer), the old ones
 * kept until the child exits since a request may still use one (a few
 * kB a reload); a connection in use belongs to the one request using it.
 */
#ifndef FA_DISPATCH_H
#define FA_DISPATCH_H

#include <apr_pools.h>
#include <apr_tables.h>

#include "fa_app.h"
#include "fa_body.h"
#include "fa_route.h"
#include "fa_wire.h"

typedef struct fa_dispatch fa_dispatch_t;

/** One entry of the function table, as the workers indexed it. */
typedef struct fa_function {
    int index; /* in the table, as sent to the worker */
    const char *name;
    const char *route;
    const char *auth_level; /* anonymous | function | admin */
    int is_async;
    const char *error; /* why it cannot run (import failed), or NULL */
    int stats;         /* its entry in the app's fa_stats */
} fa_function_t;

/** The function table as a worker sent it: functions[i] is its entry i,
 * and the router matches to those indices. */
typedef struct fa_function_table {
    fa_function_t *functions;
    int nfunctions;
    fa_router_t *router;
    apr_uint32_t reloads; /* the app's reload count its worker started
                           * under (fa_slot_reloads) */
} fa_function_table_t;

/**
 * Parses the worker's JSON function table, {"reloads": N, "functions":
 * [...]} or the bare array (reloads 0), each function an object with
 * name, route, methods, auth_level, is_async, error, into @a table, in
 * @a p.
 * A function whose route does not compile is logged to @a log and not
 * routed, one without a name or route is not routed either; the others
 * are.  APR_EGENERAL, logged, when @a text is not a JSON array.
 */
apr_status_t fa_dispatch_parse_table(fa_function_table_t *table,
                                     const char *text, apr_size_t len,
                                     apr_pool_t *p, const fa_logger_t *log);

/** Writes a new invocation id (a random UUID, 36 characters and a NUL)
 * to @a out. */
void fa_dispatch_invocation_id(char *out);

/** Made in each httpd child (child_init); lives in @a p. */
apr_status_t fa_dispatch_create(fa_dispatch_t **d, apr_pool_t *p,
                                fa_app_t *app);

/**
 * Matches @a path (below the route prefix, no leading '/') and @a method.
 * The first call in a child fetches the function table from a worker and
 * may wait for the workers to start; APR_EAGAIN if none answered in time.
 * After a reload, a call fetches it again (at most every
 * FA_DISPATCH_REFETCH), keeping the old one until a new worker answers.
 */
#define FA_DISPATCH_REFETCH apr_time_from_msec(100)
apr_status_t fa_dispatch_route(fa_dispatch_t *d, apr_pool_t *p,
                               const char *path, const char *method,
                               fa_route_result_e *result,
                               const fa_function_t **function,
                               apr_table_t *params, const char **allow);

/** The function named @a name (case-insensitive, as Azure's admin API
 * finds it), routed or not, in *@a function (NULL: none); fetches the
 * table as fa_dispatch_route does. */
apr_status_t fa_dispatch_find(fa_dispatch_t *d, const char *name,
                              const fa_function_t **function);

/** fa_dispatch_invoke: the client hung up before the response came. */
#define FA_CLIENT_GONE (APR_OS_START_USERERR + 1)
/** fa_dispatch_invoke: no answer within the app's function timeout. */
#define FA_TIMED_OUT (APR_OS_START_USERERR + 2)
/** Internal: the worker stopped beating with the request (retried as a
 * worker that died after receiving it). */
#define FA_WORKER_STALLED (APR_OS_START_USERERR + 3)

/** fa_dispatch_stream_next: the function failed mid-stream (logged by
 * its worker); the response must be cut short. */
#define FA_STREAM_ABORTED (APR_OS_START_USERERR + 4)

/** A streamed answer's body being read: the worker connection and slot
 * stay reserved for it.  Lives in the request's pool; one thread. */
typedef struct fa_dispatch_stream fa_dispatch_stream_t;

/**
 * Sends @a req to the least-busy worker and reads its response into
 * @a resp (valid as long as @a p).  When a worker dies before answering,
 * the request is sent once more to another worker if it had not reached
 * the dead one or if @a idempotent; otherwise, or if the second worker
 * dies too, APR_ECONNABORTED (the glue answers 502).
 * While it waits, it watches @a client_fd (the client's socket, or -1):
 * when the client hangs up it drops the worker connection, so the worker
 * cancels the request, and returns FA_CLIENT_GONE.  With no answer within
 * the app's function timeout it drops the connection too (an async task
 * is cancelled) and returns FA_TIMED_OUT, never retried.  A worker that
 * stops beating while it has the request (fa_slot_stalled: stopped, not
 * slow) counts as one that died after receiving it, and the parent is
 * asked to kill it.  *@a worker is the slot of the last worker tried.
 * A streamed response (resp->flags FA_RESPONSE_STREAMED: its body is the
 * first part) sets *@a stream, read with fa_dispatch_stream_next and
 * ended with fa_dispatch_stream_close; it is never retried.
 */
apr_status_t fa_dispatch_invoke(fa_dispatch_t *d, apr_pool_t *p,
                                const fa_request_t *req, int idempotent,
                                int client_fd, fa_response_t *resp,
                                fa_dispatch_stream_t **stream, int *worker);

/**
 * The next piece of a streamed body, in *@a data (valid until the next
 * call or the close; never empty).  Waits as fa_dispatch_invoke does,
 * watching @a client_fd (or -1), up to the same deadline.  APR_EOF at
 * the body's end; FA_STREAM_ABORTED when the function failed mid-stream;
 * FA_CLIENT_GONE, FA_TIMED_OUT, FA_WORKER_STALLED; another error when the
 * worker connection broke or sent a bad frame.
 */
apr_status_t fa_dispatch_stream_next(fa_dispatch_stream_t *s, int client_fd,
                                     const char **data, apr_size_t *len);

/** Ends a stream, once: after its end (APR_EOF, FA_STREAM_ABORTED) the
 * connection serves again; before, it is closed, and the worker closes
 * the function's generator or cancels its task.  Releases the worker. */
void fa_dispatch_stream_close(fa_dispatch_stream_t *s);

/**
 * fa_dispatch_invoke for a body too large to send whole: @a req has
 * FA_REQUEST_BODY_FOLLOWS and its first part, and @a more gives the rest
 * (fa_body.h), sent once the worker has the request.  Once a piece of
 * @a more was taken the request is never sent again (a dead worker is a
 * 502).  The source's own failure (FA_BODY_TOO_LARGE...) is returned as it
 * is, the worker's connection closed, so the function's read fails.  A
 * connection that carried a streamed body is closed after the response.
 * When the worker begins a streamed answer before it took the whole body
 * (an echo), the rest is pumped by fa_dispatch_stream_next while the
 * answer is read (full duplex); its source's failure is then returned
 * there (FA_BODY_TOO_LARGE, FA_BODY_CLIENT_FAILED) and cuts the answer
 * short.
 */
apr_status_t fa_dispatch_invoke_streamed(fa_dispatch_t *d, apr_pool_t *p,
                                         const fa_request_t *req,
                                         fa_body_source_t *more, int idempotent,
                                         int client_fd, fa_response_t *resp,
                                         fa_dispatch_stream_t **stream,
                                         int *worker);

/** The retry rule of fa_dispatch_invoke, for the tests: after failed
 * attempt @a attempt (0 for the first), whether to try another worker. */
int fa_dispatch_retry(int attempt, int sent, int idempotent);

#endif
