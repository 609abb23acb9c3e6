/* SPDX-License-Identifier: Apache-2.0 */
/* fa_pystream: streamed responses (see fa_python.h).
 *
 * The loader hands a stream over as a result with a fourth item: an
 * iterator of non-empty bytes (a sync one for def functions, an async one
 * on the loop), which already encodes str, logs the function's exception
 * with its traceback and closes the function's iterator when closed.
 *
 * A def function's stream is pulled on the pool thread that ran it: each
 * chunk is taken with the GIL and written with the GIL released, in
 * blocking writes, so a slow client holds that thread (and the generator)
 * back, never memory.  The loop writes its own chunks in non-blocking
 * writes it awaits (dispatcher.py); from here it only needs the head
 * sent, the chunk frames' heads and the end reported. */
#include "fa_python_private.h"

#include "fa_io.h"

/* Writes @a len bytes (any size) as chunk frames of at most
 * FA_WIRE_MAX_CHUNK bytes: what the child holds of a stream at once. */
static apr_status_t send_bytes(int fd, const char *data, apr_size_t len)
{
    unsigned char head[FA_WIRE_CHUNK_HEAD_LEN];
    struct iovec vec[2];
    apr_status_t rv = APR_SUCCESS;

    while (rv == APR_SUCCESS && len) {
        apr_size_t n = len < FA_WIRE_MAX_CHUNK ? len : FA_WIRE_MAX_CHUNK;

        fa_wire_chunk_head(head, n, 0);
        vec[0].iov_base = head;
        vec[0].iov_len = sizeof(head);
        vec[1].iov_base = (void *)data;
        vec[1].iov_len = n;
        rv = fa_io_send(fd, vec, 2);
        data += n;
        len -= n;
    }
    return rv;
}

/* The last frame of a stream: empty, or FA_CHUNK_ABORT. */
static apr_status_t send_end(int fd, apr_uint32_t flags)
{
    unsigned char head[FA_WIRE_CHUNK_HEAD_LEN];
    struct iovec vec = {head, sizeof(head)};

    fa_wire_chunk_head(head, 0, flags);
    return fa_io_send(fd, &vec, 1);
}

/* With the GIL: closes @a chunks, so the function's generator runs its
 * `finally` (GeneratorExit) when the stream stops early. */
static void close_chunks(PyObject *chunks)
{
    PyObject *r = PyObject_CallMethod(chunks, "close", NULL);

    if (!r) {
        PyErr_Clear();
    }
    Py_XDECREF(r);
}

/* The end of a stream: reported done, nothing more to send (streamed), or
 * NULL when the socket failed. */
static void report_end(fa_invocation_t *inv, int ok)
{
    fa_response_t over;

    memset(&over, 0, sizeof(over));
    over.flags = FA_RESPONSE_STREAMED;
    fa_pybridge.done(inv, ok ? &over : NULL);
}

void fa_pystream_sync(fa_invocation_t *inv, PyObject *result, PyObject *chunks)
{
    apr_status_t rv = APR_SUCCESS;
    apr_uint32_t end = 0;
    PyObject *item;
    int fd = fa_pyinvoke_stream_head(inv, result);

    while (fd >= 0 && rv == APR_SUCCESS && (item = PyIter_Next(chunks))) {
        char *data;
        Py_ssize_t len;

        if (PyBytes_AsStringAndSize(item, &data, &len) < 0) {
            Py_DECREF(item);
            break;
        }
        Py_BEGIN_ALLOW_THREADS rv = send_bytes(fd, data, (apr_size_t)len);
        Py_END_ALLOW_THREADS Py_DECREF(item);
    }
    if (PyErr_Occurred()) {
        /* the loader logged the function's exception; the client's
         * response is cut short */
        PyErr_Clear();
        end = FA_CHUNK_ABORT;
    }
    close_chunks(chunks);
    if (fd < 0) {
        return; /* answered (and freed) by fa_pyinvoke_stream_head */
    }
    fa_pybody_detach(inv);
    Py_BEGIN_ALLOW_THREADS if (rv == APR_SUCCESS)
    {
        rv = send_end(fd, end);
    }
    report_end(inv, rv == APR_SUCCESS);
    Py_END_ALLOW_THREADS
}

/* The invocation a loop's token names. */
static fa_invocation_t *token_invocation(PyObject *token)
{
    return PyLong_AsVoidPtr(token);
}

PyObject *fa_pystream_begin(PyObject *self, PyObject *args)
{
    PyObject *token, *result;
    fa_invocation_t *inv;

    (void)self;
    if (!PyArg_ParseTuple(args, "OO", &token, &result)
        || !(inv = token_invocation(token))) {
        return NULL;
    }
    return PyLong_FromLong(fa_pyinvoke_stream_head(inv, result));
}

PyObject *fa_pystream_chunk_head(PyObject *self, PyObject *args)
{
    unsigned char head[FA_WIRE_CHUNK_HEAD_LEN];
    Py_ssize_t n;
    int abort_stream;

    (void)self;
    if (!PyArg_ParseTuple(args, "np", &n, &abort_stream)) {
        return NULL;
    }
    if (n < 0 || n > FA_WIRE_MAX_CHUNK || (abort_stream && n)) {
        PyErr_SetString(PyExc_ValueError, "bad chunk length");
        return NULL;
    }
    fa_wire_chunk_head(head, (apr_size_t)n, abort_stream ? FA_CHUNK_ABORT : 0);
    return PyBytes_FromStringAndSize((const char *)head, sizeof(head));
}

PyObject *fa_pystream_end(PyObject *self, PyObject *args)
{
    PyObject *token;
    fa_invocation_t *inv;
    int ok;

    (void)self;
    if (!PyArg_ParseTuple(args, "Op", &token, &ok)
        || !(inv = token_invocation(token))) {
        return NULL;
    }
    fa_pybody_detach(inv);
    Py_BEGIN_ALLOW_THREADS report_end(inv, ok);
    Py_END_ALLOW_THREADS Py_RETURN_NONE;
}
