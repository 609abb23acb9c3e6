/* SPDX-License-Identifier: Apache-2.0 */
/**
 * fa_python: the embedded CPython of a worker process (the only place
 * Python runs: never in the httpd parent or its children).
 *
 * Runs in a worker process.  The Python side (the compatible
 * azure.functions package and the loader) is compiled into the module and
 * imported from memory.  A def function runs in the thread that calls
 * fa_python_invoke (a runner of the worker's thread pool); an async def
 * function runs as a task on the worker's one event loop thread, which
 * this unit starts and owns.  Requests come as fa_invocation_t, which
 * stays the caller's: this unit only reports each one done, exactly once.
 *
 * Split by concern: fa_python.c (interpreter start, the `_funcapp`
 * module, the function table), fa_pyimport.c (the embedded importer),
 * fa_pyinvoke.c (marshalling and the sync invoke), fa_pyloop.c (the
 * bridge to the event loop), fa_pystream.c (streamed responses), fa_pystop.c (Python's shutdown), fa_pywatch.c
 * (the timeout of def functions).
 */
#ifndef FA_PYTHON_H
#define FA_PYTHON_H

#include <apr_pools.h>

#include "fa_app.h"
#include "fa_invocation.h"
#include "fa_wire.h"

/** Called once an invocation is done, from the thread that ran it (a pool
 * thread or the loop), without the GIL.  @a resp (in @a inv's pool, its
 * body possibly borrowed until the call returns) is NULL when the task was
 * cancelled or failed before it had a response. */
typedef void fa_python_done_fn(fa_invocation_t *inv, fa_response_t *resp);

/** Called when a function answers with a stream, from the thread that
 * runs it, without the GIL: sends the head (@a resp, its body the first
 * part; the callee sets FA_RESPONSE_STREAMED) and returns the socket the
 * RESPONSE_CHUNK frames go to, from this thread only, the last one empty
 * or FA_CHUNK_ABORT; then the done callback reports the end, with a
 * response flagged FA_RESPONSE_STREAMED (nothing more to send) or NULL
 * (the socket failed: the child hung up).  -1: the invocation is reported
 * done already (its child hung up, or a 500 replaced the head). */
typedef int fa_python_stream_fn(fa_invocation_t *inv, fa_response_t *resp);

/** The app's function table, as indexed by the loader. */
typedef struct fa_python_table {
    const char *json; /* [{name, trigger, route, methods, auth_level,
                       *   is_async, error[, schedule, run_on_startup,
                       *   use_monitor]}, ...]: route null off HTTP */
    apr_size_t json_len;
    int nfunctions;
    const unsigned char *is_async; /* one flag a function */
    const char *const *names;      /* one name a function */
    /* "a, b": functions whose level needs a key, or NULL */
    const char *keyed;
} fa_python_table_t;

/**
 * Initialises Python, imports the app, indexes its functions and, if the
 * app has an async function, starts the worker's event loop thread.
 * Returns with the GIL released, ready for fa_python_invoke from any
 * thread and fa_python_submit from the leader (the thread polling the
 * worker's connections).
 */
apr_status_t fa_python_start(apr_pool_t *p, fa_app_t *app,
                             fa_python_done_fn *done,
                             fa_python_stream_fn *stream,
                             fa_python_table_t *out);

/**
 * Runs @a inv's function in the calling thread and reports it done.  A
 * function that fails is a 500 response with its traceback logged.  Drops
 * the invocation's payload as soon as the request is in Python objects.
 */
void fa_python_invoke(fa_invocation_t *inv);

/** Queues @a inv for an async function on the event loop, without the
 * GIL.  The leader, or the loop's reader (fa_python_loop_watch). */
void fa_python_submit(fa_invocation_t *inv);

/** Cancels @a inv's task (its client went away); it is still reported
 * done, with a NULL response. */
void fa_python_cancel(fa_invocation_t *inv);

/** Called on the loop thread, without the GIL, when a descriptor given to
 * fa_python_loop_watch is readable (or hung up); what it reads it hands
 * over with fa_python_submit / fa_python_cancel as usual. */
typedef void fa_python_ready_fn(void *data);

/** The function the loop calls for its descriptors; once, before any is
 * watched. */
void fa_python_loop_reader(fa_python_ready_fn *ready);

/** The event loop watches @a fd (level-triggered, readable) and calls the
 * reader with @a data: a connection the loop reads itself, with no
 * thread between it and the tasks.  Only once the loop runs (the app has
 * an async function).  Any thread. */
apr_status_t fa_python_loop_watch(int fd, void *data);

/** Stops watching @a fd; no call for it follows once this returns, when
 * made on the loop thread (elsewhere one may be under way). */
void fa_python_loop_unwatch(int fd);

/**
 * Python's shutdown, for a worker about to _exit after serving: the ASGI
 * lifespan shutdown of every app whose lifespan started (on the loop it
 * started on), then the atexit handlers; a hook's exception is logged and
 * the others still run.  Once, and only after fa_python_start succeeded.
 * Takes @a bound at most: past it a watchdog thread logs FA070 and exits
 * the process with @a code (Python may be stuck holding the GIL).  Main
 * thread.
 */
void fa_python_stop(int slot, apr_interval_time_t bound, int code);

/** Called from the watchdog's thread when a def function's thread has not
 * left its invocation a grace period after its FunctionTimeoutError: the
 * worker must be retired (the thread is blocked in C). */
typedef void fa_python_stuck_fn(void *baton, const char *why);

/**
 * Starts the function timeout's watchdog for def functions (fa_pywatch.c;
 * nothing when the app's function_timeout is off): past the timeout it
 * logs the function's stack and raises FunctionTimeoutError in its thread,
 * once; a grace period later, if the thread still runs it, calls
 * @a stuck.  @a slot names the worker in the log.  Before any request.
 */
apr_status_t fa_python_watch(apr_pool_t *p, int slot, fa_python_stuck_fn *stuck,
                             void *baton);

/** The embedded Python's "X.Y", from the headers the module was built
 * with: what a venv must be made for.  Any process, no interpreter. */
const char *fa_python_version(void);

#endif
