/* SPDX-License-Identifier: Apache-2.0 */
/* fa_pyloop: the bridge between the worker (fa_worker_private.h) and its
 * asyncio event loop (see fa_python.h).
 *
 * Async functions run as tasks on one asyncio loop per worker, in a thread
 * of its own.  The loop watches one epoll set of ours: the connections the
 * worker gave it (fa_python_loop_watch), which it reads itself, and a
 * pipe.  The leader hands invocations over without the GIL: a queue under
 * a mutex and one byte down the pipe; the loop takes them with
 * _funcapp.take(), which first reads its own connections (without the
 * GIL; what they hold joins the same queue, with no byte: the loop is
 * awake), and answers each with _funcapp.respond().  The queue is first
 * in, first out, so a cancellation is always seen before any later
 * invocation that might reuse the cancelled one's address as its token. */
#include "fa_python_private.h"

#include <fcntl.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <apr_thread_mutex.h>

typedef struct queued {
    fa_invocation_t *inv;
    int cancel;
    struct queued *next;
} queued_t;

/* Made by fa_pyloop_start; the queue is under lock. */
static apr_thread_mutex_t *lock;
static queued_t *head, *tail;
static int wake_pipe[2] = {-1, -1};
static int loop_ep = -1;             /* what the loop watches */
static fa_python_ready_fn *on_ready; /* a watched fd is readable */
static __thread int in_take;         /* the loop thread, in take() */

static void enqueue(fa_invocation_t *inv, int cancel)
{
    queued_t *q = malloc(sizeof(*q));

    if (!q) {
        abort(); /* a few bytes: the process is beyond saving */
    }
    q->inv = inv;
    q->cancel = cancel;
    q->next = NULL;
    apr_thread_mutex_lock(lock);
    if (tail) {
        tail->next = q;
    }
    else {
        head = q;
    }
    tail = q;
    apr_thread_mutex_unlock(lock);
    /* A full pipe already holds a wake-up: nothing is lost on EAGAIN.  In
     * take(), the loop drains the queue next. */
    if (in_take || write(wake_pipe[1], "", 1) < 0) {
        return;
    }
}

void fa_python_submit(fa_invocation_t *inv)
{
    enqueue(inv, 0);
}

void fa_python_cancel(fa_invocation_t *inv)
{
    enqueue(inv, 1);
}

/* One queued entry as the loader takes it: ("run", token, invoke args...)
 * or ("cancel", token); NULL if it cannot be made (then a run is reported
 * done with no response). */
static PyObject *take_one(queued_t *q)
{
    PyObject *token = PyLong_FromVoidPtr(q->inv), *args;

    if (!token) {
        return NULL;
    }
    if (q->cancel) {
        return Py_BuildValue("(sN)", "cancel", token);
    }
    args = fa_pyinvoke_args(q->inv);
    fa_invocation_drop_payload(q->inv);
    if (!args) {
        Py_DECREF(token);
        return NULL;
    }
    return Py_BuildValue("(sNN)", "run", token, args);
}

apr_status_t fa_python_loop_watch(int fd, void *data)
{
    struct epoll_event ev;

    ev.events = EPOLLIN;
    ev.data.ptr = data;
    return loop_ep >= 0 && epoll_ctl(loop_ep, EPOLL_CTL_ADD, fd, &ev) == 0
        ? APR_SUCCESS
        : APR_EGENERAL;
}

void fa_python_loop_unwatch(int fd)
{
    struct epoll_event ev = {0, {0}};

    epoll_ctl(loop_ep, EPOLL_CTL_DEL, fd, &ev);
}

void fa_python_loop_reader(fa_python_ready_fn *ready)
{
    on_ready = ready;
}

/* What is ready in the loop's set: the watched connections are read (a
 * request read is queued), the pipe emptied.  Without the GIL. */
static void harvest(void)
{
    struct epoll_event ev[64];
    char drain[256];
    int i, n;

    in_take = 1;
    n = epoll_wait(loop_ep, ev, 64, 0);
    for (i = 0; i < n; ++i) {
        if (!ev[i].data.ptr) {
            while (read(wake_pipe[0], drain, sizeof(drain)) > 0) {
            }
        }
        else if (on_ready) {
            on_ready(ev[i].data.ptr);
        }
    }
    in_take = 0;
}

/* _funcapp.take(): the invocations and cancellations queued since last
 * time, in order. */
PyObject *fa_pyloop_take(PyObject *self, PyObject *unused)
{
    PyObject *list = PyList_New(0);
    queued_t *q, *next;

    (void)self;
    (void)unused;
    Py_BEGIN_ALLOW_THREADS harvest();
    Py_END_ALLOW_THREADS apr_thread_mutex_lock(lock);
    q = head;
    head = tail = NULL;
    apr_thread_mutex_unlock(lock);
    for (; q; q = next) {
        PyObject *item = take_one(q);
        next = q->next;
        if (!item || (list && PyList_Append(list, item) < 0)) {
            PyErr_Clear();
            if (!q->cancel) {
                fa_pyinvoke_answer(q->inv, NULL);
            }
        }
        Py_XDECREF(item);
        free(q);
    }
    return list;
}

/* _funcapp.respond(token, invocation_id, result or None): the worker
 * writes the response with the GIL released. */
PyObject *fa_pyloop_respond(PyObject *self, PyObject *args)
{
    PyObject *token, *result;
    const char *invocation_id;
    fa_invocation_t *inv;

    (void)self;
    if (!PyArg_ParseTuple(args, "OsO", &token, &invocation_id, &result)) {
        return NULL;
    }
    inv = PyLong_AsVoidPtr(token);
    if (!inv) {
        return NULL;
    }
    fa_pyinvoke_answer(inv, result == Py_None ? NULL : result);
    Py_RETURN_NONE;
}

apr_status_t fa_pyloop_start(apr_pool_t *p, PyObject *loader)
{
    struct epoll_event ev;
    PyObject *r;

    ev.events = EPOLLIN;
    ev.data.ptr = NULL; /* the pipe */
    if (apr_thread_mutex_create(&lock, APR_THREAD_MUTEX_DEFAULT, p)
            != APR_SUCCESS
        || pipe2(wake_pipe, O_NONBLOCK | O_CLOEXEC) < 0
        || (loop_ep = epoll_create1(EPOLL_CLOEXEC)) < 0
        || epoll_ctl(loop_ep, EPOLL_CTL_ADD, wake_pipe[0], &ev) < 0) {
        return APR_EGENERAL;
    }
    /* an epoll set is readable while anything in it is */
    r = PyObject_CallMethod(loader, "start_event_loop", "i", loop_ep);
    if (!r) {
        fa_python_log_error("the event loop did not start");
        return APR_EGENERAL;
    }
    Py_DECREF(r);
    return APR_SUCCESS;
}
