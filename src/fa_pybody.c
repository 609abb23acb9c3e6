/* SPDX-License-Identifier: Apache-2.0 */
/* fa_pybody: _funcapp.BodyReader, a streamed request body as Python reads
 * it (see fa_body.h).
 *
 * The object owns its reader (and the bytes the I/O thread read ahead),
 * so it may outlive the invocation; the invocation holds a reference and
 * detaches it as the answer is given, before the connection can close:
 * reading afterwards raises instead of touching a socket that may belong
 * to another request by then.  Reads release the GIL; a pool thread waits
 * for bytes, the event loop never does (read_nowait, fileno). */
#include "fa_python_private.h"

typedef struct body_reader {
    PyObject_HEAD fa_body_reader_t r;
    int attached; /* the invocation is not answered yet */
    int busy;     /* a read is under way (GIL released) */
} body_reader_t;

static void reader_dealloc(PyObject *self)
{
    fa_body_reader_clear(&((body_reader_t *)self)->r);
    Py_TYPE(self)->tp_free(self);
}

static PyObject *read_error(apr_status_t rv)
{
    if (rv == APR_ECONNABORTED) {
        PyErr_SetString(PyExc_ConnectionAbortedError,
                        "the request body was cut short: the client went "
                        "away, or sent more than the body size limit");
    }
    else if (rv == APR_ENOSPC) {
        PyErr_SetString(PyExc_OSError,
                        "the request body is over the body size limit");
    }
    else {
        PyErr_SetString(PyExc_OSError, "the request body stream is broken");
    }
    return NULL;
}

/* One read of up to @a n bytes, waiting @a timeout_ms (fa_body_read):
 * bytes, b'' at the end, None when nothing came (timeout 0). */
static PyObject *read_some(body_reader_t *b, Py_ssize_t n, int timeout_ms)
{
    PyObject *out;
    apr_size_t got = 0;
    apr_status_t rv;

    if (!b->attached || b->busy) {
        PyErr_SetString(PyExc_ValueError,
                        b->busy ? "the request body is being read by another "
                                  "thread"
                                : "the request is over: its body can no "
                                  "longer be read");
        return NULL;
    }
    if (n <= 0 || n > FA_WIRE_MAX_CHUNK) {
        n = FA_WIRE_MAX_CHUNK;
    }
    if (!(out = PyBytes_FromStringAndSize(NULL, n))) {
        return NULL;
    }
    b->busy = 1;
    Py_BEGIN_ALLOW_THREADS rv = fa_body_read(&b->r, PyBytes_AS_STRING(out),
                                             (apr_size_t)n, timeout_ms, &got);
    Py_END_ALLOW_THREADS b->busy = 0;
    if (rv == APR_EOF || APR_STATUS_IS_EAGAIN(rv)) {
        Py_DECREF(out);
        if (rv == APR_EOF) {
            return PyBytes_FromStringAndSize("", 0);
        }
        Py_RETURN_NONE;
    }
    if (rv != APR_SUCCESS) {
        Py_DECREF(out);
        return read_error(rv);
    }
    if ((Py_ssize_t)got < n && _PyBytes_Resize(&out, (Py_ssize_t)got) < 0) {
        return NULL;
    }
    return out;
}

static PyObject *reader_read(PyObject *self, PyObject *args)
{
    Py_ssize_t n = -1;

    if (!PyArg_ParseTuple(args, "|n", &n)) {
        return NULL;
    }
    return read_some((body_reader_t *)self, n, -1);
}

static PyObject *reader_read_nowait(PyObject *self, PyObject *args)
{
    Py_ssize_t n = -1;

    if (!PyArg_ParseTuple(args, "|n", &n)) {
        return NULL;
    }
    return read_some((body_reader_t *)self, n, 0);
}

static PyObject *reader_fileno(PyObject *self, PyObject *unused)
{
    (void)unused;
    return PyLong_FromLong(((body_reader_t *)self)->r.fd);
}

static PyMethodDef reader_methods[] = {
    {"read", reader_read, METH_VARARGS,
     "read(n): up to n bytes of the body (at most one chunk), waiting for "
     "them without the GIL; b'' at the end."},
    {"read_nowait", reader_read_nowait, METH_VARARGS,
     "read_nowait(n): like read(n), but None when no byte is there yet."},
    {"fileno", reader_fileno, METH_NOARGS,
     "The socket to wait on (readable) before read_nowait."},
    {NULL, NULL, 0, NULL}};

static PyTypeObject reader_type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "_funcapp.BodyReader",
    .tp_basicsize = sizeof(body_reader_t),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "The rest of a streamed request body.",
    .tp_methods = reader_methods,
    .tp_dealloc = reader_dealloc,
};

int fa_pybody_add_type(PyObject *module)
{
    if (PyType_Ready(&reader_type) < 0) {
        return -1;
    }
    Py_INCREF(&reader_type);
    return PyModule_AddObject(module, "BodyReader", (PyObject *)&reader_type);
}

PyObject *fa_pybody_reader(fa_invocation_t *inv)
{
    body_reader_t *b = PyObject_New(body_reader_t, &reader_type);

    if (!b) {
        return NULL;
    }
    /* the object takes the reader over, pre-read bytes included */
    b->r = *inv->body;
    inv->body->pending = NULL;
    inv->body->pending_len = inv->body->pending_off = 0;
    b->attached = 1;
    b->busy = 0;
    Py_INCREF(b);
    inv->body_obj = b;
    return (PyObject *)b;
}

void fa_pybody_detach(fa_invocation_t *inv)
{
    body_reader_t *b = inv->body_obj;

    if (b) {
        b->attached = 0;
        inv->body_obj = NULL;
        Py_DECREF(b);
    }
}
