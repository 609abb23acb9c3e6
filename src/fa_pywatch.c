/* SPDX-License-Identifier: Apache-2.0 */
/* fa_pywatch: the function timeout of def functions, in the worker (see
 * fa_python.h).  The httpd child has answered 504 at the limit already;
 * this frees the thread the function holds.
 *
 * A watchdog thread, in C and never holding the GIL, sleeps until the
 * next deadline of the running invocations (fa_watch.c): one past the
 * timeout gets a FunctionTimeoutError, raised by a short-lived thread that
 * takes the GIL (so a thread that holds the GIL in C stalls only that
 * one, not the watchdog); one still running STUCK_GRACE later is stuck in
 * C and its worker is retired.  The runner threads only enter and leave
 * the table: a mutex and a clock read a request. */
#include "fa_python_private.h"

#include <pthread.h>
#include <unistd.h>

/* How long a def function's thread has, after its FunctionTimeoutError,
 * to leave the invocation before its worker is retired.  Raised in Python
 * code, the exception unwinds in milliseconds; only a thread blocked in C
 * (time.sleep, a socket read, a lock) misses it, and may never return.
 * Two seconds tell the two apart on a loaded machine and still retire the
 * worker promptly. */
#define STUCK_GRACE apr_time_from_sec(2)

/* The httpd child answers 504 at the limit; the worker raises this much
 * later, so that the client has the 504, not the 500 of the function the
 * exception unwinds, even from a child scheduled late on a busy machine
 * (the child takes an answer that comes with its deadline). */
#define RAISE_LATE apr_time_from_msec(500)

typedef struct watchdog {
    fa_watch_t *watch;
    int slot;
    apr_interval_time_t limit;
    fa_python_stuck_fn *stuck;
    void *baton;
} watchdog_t;

typedef struct raise {
    const watchdog_t *dog;
    fa_watch_due_t due;
} raise_t;

static watchdog_t dog;

/* _funcapp_loader.timeout's @a name, or NULL with the error cleared. */
static PyObject *timeout_attr(const char *name)
{
    PyObject *mod = PyImport_ImportModule("_funcapp_loader.timeout");
    PyObject *attr = mod ? PyObject_GetAttrString(mod, name) : NULL;

    Py_XDECREF(mod);
    if (!attr) {
        PyErr_Clear();
    }
    return attr;
}

/* With the GIL, the invocation still running: logs its stack (before the
 * exception unwinds it) and raises. */
static void interrupt(const raise_t *r)
{
    PyObject *exc = timeout_attr("FunctionTimeoutError");
    PyObject *fn = timeout_attr("thread_stack");
    PyObject *stack = fn ? PyObject_CallFunction(fn, "k", r->due.ident) : NULL;
    const char *text =
        stack && PyUnicode_Check(stack) ? PyUnicode_AsUTF8(stack) : NULL;

    if (!text) {
        PyErr_Clear();
    }
    fa_log(&fa_pybridge.app->log, FA_LOG_ERR, 0,
           "FA072: function %s (invocation %s) on worker %d (pid %ld) "
           "still running past its %" APR_TIME_T_FMT " s timeout "
           "(functionTimeout): raising FunctionTimeoutError in its thread; "
           "its stack, innermost first: %s",
           r->due.function, r->due.id, r->dog->slot, (long)getpid(),
           apr_time_sec(r->dog->limit), text ? text : "(unknown)");
    if (exc) {
        PyThreadState_SetAsyncExc(r->due.ident, exc);
    }
    Py_XDECREF(stack);
    Py_XDECREF(fn);
    Py_XDECREF(exc);
}

static void *raiser(void *data)
{
    raise_t *r = data;
    PyGILState_STATE gil = PyGILState_Ensure();

    /* under the GIL, which the runner holds to leave: it cannot leave
     * between this look and the raise */
    if (fa_watch_running(r->dog->watch, r->due.entry, r->due.serial)) {
        interrupt(r);
    }
    PyGILState_Release(gil);
    free(r);
    return NULL;
}

/* A detached thread a timeout: they are rare, and the watchdog must not
 * wait for the GIL. */
static void start_raiser(const watchdog_t *d, const fa_watch_due_t *due)
{
    raise_t *r = malloc(sizeof(*r));
    pthread_attr_t attr;
    pthread_t thread;

    if (!r) {
        return;
    }
    r->dog = d;
    r->due = *due;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    if (pthread_create(&thread, &attr, raiser, r) != 0) {
        free(r); /* a worker out of threads: the grace still retires it */
    }
    pthread_attr_destroy(&attr);
}

static void on_stuck(const watchdog_t *d, const fa_watch_due_t *due)
{
    fa_log(&fa_pybridge.app->log, FA_LOG_ERR, 0,
           "FA073: function %s (invocation %s) on worker %d (pid %ld) "
           "has not returned %" APR_TIME_T_FMT " s after its "
           "FunctionTimeoutError (blocked in C code?): retiring the worker",
           due->function, due->id, d->slot, (long)getpid(),
           apr_time_sec(STUCK_GRACE));
    d->stuck(d->baton, "a def function stuck past functionTimeout");
}

static void *watchdog(void *data)
{
    const watchdog_t *d = data;
    fa_watch_due_t due;
    apr_interval_time_t wait;

    for (;;) {
        while ((wait = fa_watch_due(d->watch, apr_time_now(), &due)) == 0) {
            if (due.action == FA_WATCH_RAISE) {
                start_raiser(d, &due);
            }
            else {
                on_stuck(d, &due);
            }
        }
        apr_sleep(wait);
    }
    return NULL;
}

apr_status_t fa_python_watch(apr_pool_t *p, int slot, fa_python_stuck_fn *stuck,
                             void *baton)
{
    const fa_app_config_t *cfg = fa_pybridge.app->config;
    pthread_attr_t attr;
    pthread_t thread;
    apr_status_t rv;
    int err;

    if (cfg->function_timeout <= 0) {
        return APR_SUCCESS;
    }
    rv = fa_watch_create(&dog.watch, p, cfg->thread_count,
                         cfg->function_timeout + RAISE_LATE, STUCK_GRACE);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    dog.slot = slot;
    dog.limit = cfg->function_timeout;
    dog.stuck = stuck;
    dog.baton = baton;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    err = pthread_create(&thread, &attr, watchdog, &dog);
    pthread_attr_destroy(&attr);
    if (err != 0) {
        return err;
    }
    fa_pybridge.watch = dog.watch;
    return APR_SUCCESS;
}

int fa_pywatch_enter(const fa_invocation_t *inv)
{
    apr_uint32_t i = inv->function_index;

    if (!fa_pybridge.watch) {
        return -1;
    }
    return fa_watch_enter(
        fa_pybridge.watch, PyThread_get_thread_ident(), apr_time_now(), inv->id,
        i < (apr_uint32_t)fa_pybridge.nnames ? fa_pybridge.names[i] : "-");
}

void fa_pywatch_leave(int entry)
{
    PyObject *type, *value, *tb, *discharge, *none;

    if (entry < 0 || !fa_watch_leave(fa_pybridge.watch, entry)) {
        return;
    }
    /* Timed out: its exception may still be pending (the function returned
     * from C with no Python code after).  Python raises a pending one when
     * a Python function starts; clearing it otherwise would leave the
     * interpreter's flag for it set (3.11).  The loader's own error, if
     * any, is kept for the caller. */
    PyErr_Fetch(&type, &value, &tb);
    if ((discharge = timeout_attr("discharge")) != NULL) {
        none = PyObject_CallNoArgs(discharge);
        Py_XDECREF(none);
        Py_DECREF(discharge);
    }
    PyErr_Clear();
    PyErr_Restore(type, value, tb);
}
