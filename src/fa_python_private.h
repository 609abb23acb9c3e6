/* SPDX-License-Identifier: Apache-2.0 */
/**
 * fa_python_private: what the units of the Python bridge share.
 *
 * Runs in a worker process.  Set once by fa_python_start, read-only after:
 * the app (for its logger), the interpreter (for the pool threads' thread
 * states) and the done callback.
 */
#ifndef FA_PYTHON_PRIVATE_H
#define FA_PYTHON_PRIVATE_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include "fa_python.h"
#include "fa_watch.h"

typedef struct fa_pybridge {
    fa_app_t *app;
    PyInterpreterState *interp;
    fa_python_done_fn *done;
    fa_python_stream_fn *stream;
    PyObject *invoke_fn; /* the loader's invoke() */
    const char **names;  /* the functions', by index */
    int nnames;
    fa_watch_t *watch; /* def functions running; NULL: no timeout */
} fa_pybridge_t;

extern fa_pybridge_t fa_pybridge;

/** Logs the pending Python exception as one FA040 line and clears it. */
void fa_python_log_error(const char *what);

/* fa_pyimport.c: the embedded importer. */

/** Imports embedded module @a name (its bytecode, or its source compiled
 * now) without the import system: for the loader's own importer, before
 * the finder that serves the rest is installed. */
PyObject *fa_pyimport_exec(const char *name);
/** _funcapp.embedded(name): (is_package, bytecode or None), or None. */
PyObject *fa_pyimport_embedded(PyObject *self, PyObject *name);
/** _funcapp.source(name): an embedded module's source text, or None. */
PyObject *fa_pyimport_source(PyObject *self, PyObject *name);
/** _funcapp.compile(): compile() for importlib, without the ast
 * module's classes. */
PyObject *fa_pyimport_compile(PyObject *self, PyObject *args, PyObject *kw);
/** Drops this process's mappings of the embedded bytecode and sources
 * (some 450 kB of a worker's RSS once its app is imported: the imports
 * touched most pages, and the kernel maps a fault's neighbours too).  The
 * pages stay in the page cache, shared; a later import maps back what it
 * reads. */
void fa_pyimport_release(void);

/* fa_pyinvoke.c: marshalling. */

/** An APR table (route values, app settings) as a dict of str. */
PyObject *fa_pyinvoke_table_dict(const apr_table_t *t);
/** The arguments of the loader's invoke() for @a inv's request; a
 * streamed body is (first part, _funcapp.BodyReader). */
PyObject *fa_pyinvoke_args(fa_invocation_t *inv);
/** Turns the loader's (status, headers, body) @a result (or NULL: none)
 * into a response and reports @a inv done with the GIL released; the body
 * is borrowed from @a result, which the caller keeps alive meanwhile.
 * A result with a fourth item, an iterator of bytes, is a stream: it is
 * sent here, on this thread (fa_pystream_sync); never from the loop. */
void fa_pyinvoke_answer(fa_invocation_t *inv, PyObject *result);
/** A stream @a result's head, sent (the GIL released meanwhile): the
 * socket for its chunks, or -1 with @a inv reported done (a 500 went out
 * if the head was refused). */
int fa_pyinvoke_stream_head(fa_invocation_t *inv, PyObject *result);

/* fa_pystream.c: streamed responses. */

/** With the GIL, on the thread that ran the function: sends the stream
 * @a result, pulling @a chunks (an iterator of bytes) with the GIL and
 * writing each with it released, then reports @a inv done. */
void fa_pystream_sync(fa_invocation_t *inv, PyObject *result, PyObject *chunks);
/** _funcapp.stream_begin(token, result), chunk_head(n, abort) and
 * stream_end(token, ok): the loop's side of a stream. */
PyObject *fa_pystream_begin(PyObject *self, PyObject *args);
PyObject *fa_pystream_chunk_head(PyObject *self, PyObject *args);
PyObject *fa_pystream_end(PyObject *self, PyObject *args);

/* fa_pybody.c: streamed request bodies. */

/** Adds the BodyReader type to the _funcapp module. */
int fa_pybody_add_type(PyObject *module);
/** A new BodyReader taking over inv->body; the invocation keeps a
 * reference until fa_pybody_detach. */
PyObject *fa_pybody_reader(fa_invocation_t *inv);
/** With the GIL, before the answer goes out: the reader reads no more. */
void fa_pybody_detach(fa_invocation_t *inv);

/* fa_pywatch.c: the timeout of def functions. */

/** With the GIL, as @a inv's function starts in this thread: watches it.
 * Returns what fa_pywatch_leave takes. */
int fa_pywatch_enter(const fa_invocation_t *inv);
/** With the GIL, as the function has returned: drops a FunctionTimeoutError
 * still pending in this thread, so it never hits the next invocation. */
void fa_pywatch_leave(int entry);

/* fa_pyloop.c: the event loop bridge. */

/** Starts the loop thread (the loader's start_event_loop), with the GIL. */
apr_status_t fa_pyloop_start(apr_pool_t *p, PyObject *loader);
/** _funcapp.take() and _funcapp.respond(). */
PyObject *fa_pyloop_take(PyObject *self, PyObject *unused);
PyObject *fa_pyloop_respond(PyObject *self, PyObject *args);

#endif
