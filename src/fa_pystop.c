/* SPDX-License-Identifier: Apache-2.0 */
/* fa_pystop: Python's shutdown in a worker that served (see fa_python.h).
 *
 * The worker leaves with _exit, never finalizing the interpreter: pool
 * threads may still be in Python (a drain that timed out) and
 * finalization has no bound.  So what an app counts on at exit is run
 * here, by the loader (_funcapp_loader.shutdown): the ASGI lifespan
 * shutdowns, then the atexit handlers.  A watchdog thread, which needs
 * neither the GIL nor anything the main thread may hold, ends the
 * process at the bound. */
#include "fa_python_private.h"

#include <errno.h>
#include <pthread.h>
#include <time.h>
#include <unistd.h>

typedef struct watchdog {
    int slot;
    int code; /* the worker's exit code, kept on an overrun */
    apr_interval_time_t bound;
    struct timespec deadline; /* CLOCK_MONOTONIC: immune to clock steps */
} watchdog_t;

static watchdog_t dog;
static int stopped;

static void *watch(void *data)
{
    const watchdog_t *d = data;

    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &d->deadline, NULL)
           == EINTR) {
    }
    /* No fflush: the stuck thread may hold a stdio lock. */
    fa_log(&fa_pybridge.app->log, FA_LOG_WARNING, 0,
           "FA070: worker %d (pid %ld): Python's shutdown (ASGI lifespan "
           "shutdown, atexit handlers) did not finish within %" APR_TIME_T_FMT
           " ms (what the drain left of FunctionWorkerGracefulTimeout); "
           "exiting without it",
           d->slot, (long)getpid(), apr_time_as_msec(d->bound));
    _exit(d->code);
}

static int start_watchdog(int slot, apr_interval_time_t bound, int code)
{
    pthread_t thread;
    struct timespec *t = &dog.deadline;

    dog.slot = slot;
    dog.code = code;
    dog.bound = bound;
    clock_gettime(CLOCK_MONOTONIC, t);
    t->tv_sec += (time_t)apr_time_sec(bound);
    t->tv_nsec += (long)apr_time_usec(bound) * 1000;
    if (t->tv_nsec >= 1000000000L) {
        t->tv_sec++;
        t->tv_nsec -= 1000000000L;
    }
    if (pthread_create(&thread, NULL, watch, &dog) != 0) {
        return 0;
    }
    pthread_detach(thread);
    return 1;
}

void fa_python_stop(int slot, apr_interval_time_t bound, int code)
{
    apr_time_t began = apr_time_now();
    PyGILState_STATE gil;
    PyObject *shutdown, *r = NULL;

    if (stopped || !fa_pybridge.interp) {
        return; /* once, and only after fa_python_start succeeded */
    }
    stopped = 1;
    if (!start_watchdog(slot, bound, code)) {
        /* without a bound, not at all: a hook could hold the exit forever */
        fa_log(&fa_pybridge.app->log, FA_LOG_ERR, 0,
               "FA071: worker %d (pid %ld): no thread to bound Python's "
               "shutdown; exiting without it",
               slot, (long)getpid());
        return;
    }
    gil = PyGILState_Ensure();
    shutdown = PyImport_ImportModule("_funcapp_loader.shutdown");
    if (shutdown) {
        r = PyObject_CallMethod(shutdown, "run", NULL);
    }
    if (!r) {
        fa_python_log_error("Python's shutdown failed in the loader");
    }
    Py_XDECREF(r);
    Py_XDECREF(shutdown);
    PyGILState_Release(gil);
    fa_log(&fa_pybridge.app->log, FA_LOG_DEBUG, 0,
           "worker %d (pid %ld): Python's shutdown took %" APR_TIME_T_FMT " ms",
           slot, (long)getpid(), apr_time_as_msec(apr_time_now() - began));
}
