/* SPDX-License-Identifier: Apache-2.0 */
/* fa_pyinvoke: requests into Python objects, results out of them, and the
 * sync invoke (see fa_python.h). */
#include "fa_python_private.h"

#include <apr_strings.h>

#include "fa_http.h"

/* One thread state a pool thread, made once: PyGILState_Ensure would make
 * and free one on every request. */
static __thread PyThreadState *thread_state;

/* Bytes that are not UTF-8 survive as surrogates, as in os.environ. */
PyObject *fa_pyinvoke_table_dict(const apr_table_t *t)
{
    const apr_array_header_t *arr = apr_table_elts(t);
    const apr_table_entry_t *e = (const apr_table_entry_t *)arr->elts;
    PyObject *dict = PyDict_New();
    int i;

    for (i = 0; dict && i < arr->nelts; ++i) {
        PyObject *v =
            PyUnicode_DecodeUTF8(e[i].val, strlen(e[i].val), "surrogateescape");
        if (!v || PyDict_SetItemString(dict, e[i].key, v) < 0) {
            Py_XDECREF(v);
            Py_DECREF(dict);
            return NULL;
        }
        Py_DECREF(v);
    }
    return dict;
}

static PyObject *pairs_list(const apr_table_t *t)
{
    const apr_array_header_t *arr = apr_table_elts(t);
    const apr_table_entry_t *e = (const apr_table_entry_t *)arr->elts;
    PyObject *list = PyList_New(arr->nelts);
    int i;

    for (i = 0; list && i < arr->nelts; ++i) {
        /* Header bytes are Latin-1 on the wire; decoding them so loses
         * nothing. */
        PyObject *k = PyUnicode_DecodeLatin1(e[i].key, strlen(e[i].key), NULL);
        PyObject *v = PyUnicode_DecodeLatin1(e[i].val, strlen(e[i].val), NULL);
        PyObject *pair = (k && v) ? PyTuple_Pack(2, k, v) : NULL;
        Py_XDECREF(k);
        Py_XDECREF(v);
        if (!pair) {
            Py_DECREF(list);
            return NULL;
        }
        PyList_SET_ITEM(list, i, pair);
    }
    return list;
}

/* The body as the loader takes it: bytes, or for a streamed body
 * (first part, reader of the rest). */
static PyObject *body_arg(fa_invocation_t *inv)
{
    PyObject *first =
        PyBytes_FromStringAndSize(inv->req.body, (Py_ssize_t)inv->req.body_len);

    if (!first || !inv->body) {
        return first;
    }
    return Py_BuildValue("(NN)", first, fa_pybody_reader(inv));
}

PyObject *fa_pyinvoke_args(fa_invocation_t *inv)
{
    const fa_request_t *req = &inv->req;
    PyObject *headers = pairs_list(req->headers);
    PyObject *params = fa_pyinvoke_table_dict(req->route_params);
    PyObject *url =
        PyUnicode_DecodeUTF8(req->url, strlen(req->url), "surrogateescape");
    PyObject *body = body_arg(inv);
    PyObject *args = NULL;

    if (headers && params && url && body) {
        args = Py_BuildValue("(IsOOOOs)", (unsigned int)inv->function_index,
                             req->method, url, headers, params, body, inv->id);
    }
    Py_XDECREF(headers);
    Py_XDECREF(params);
    Py_XDECREF(url);
    Py_XDECREF(body);
    return args;
}

/* A header name or value from Python, as a C string; NULL when it has a
 * NUL inside (a C string would cut it short, so it is refused instead). */
static const char *header_text(PyObject *s, int *has_nul)
{
    Py_ssize_t len;
    const char *text = PyUnicode_AsUTF8AndSize(s, &len);

    if (text && strlen(text) != (size_t)len) {
        *has_nul = 1;
        return NULL;
    }
    return text;
}

/* One (name, value) pair of the loader's result into @a headers. */
static apr_status_t read_header(apr_pool_t *p, PyObject *pair,
                                apr_table_t *headers, const char **bad)
{
    const char *k = NULL, *v = NULL;
    int has_nul = 0;

    if (!PyTuple_Check(pair) || PyTuple_GET_SIZE(pair) != 2
        || !PyUnicode_Check(PyTuple_GET_ITEM(pair, 0))
        || !PyUnicode_Check(PyTuple_GET_ITEM(pair, 1))) {
        return APR_EGENERAL;
    }
    if (!(k = header_text(PyTuple_GET_ITEM(pair, 0), &has_nul))
        || !(v = header_text(PyTuple_GET_ITEM(pair, 1), &has_nul))) {
        PyErr_Clear();
        if (has_nul) {
            /* the name up to its NUL, for the log */
            *bad = apr_pstrdup(
                p, k ? k : PyUnicode_AsUTF8(PyTuple_GET_ITEM(pair, 0)));
            PyErr_Clear();
            return APR_EINVAL;
        }
        return APR_EGENERAL;
    }
    apr_table_add(headers, k, v);
    return APR_SUCCESS;
}

/* The iterator of a stream result (status, headers, first part, chunks),
 * borrowed; NULL for a whole response. */
static PyObject *result_chunks(PyObject *result)
{
    PyObject *chunks;

    if (!result || !PyTuple_Check(result) || PyTuple_GET_SIZE(result) != 4) {
        return NULL;
    }
    chunks = PyTuple_GET_ITEM(result, 3);
    return chunks == Py_None ? NULL : chunks;
}

static apr_status_t read_result(apr_pool_t *p, PyObject *result,
                                fa_response_t *resp, const char **bad_header)
{
    PyObject *headers;
    Py_ssize_t i, n, len;
    char *data;
    apr_status_t rv;

    if (!PyTuple_Check(result)
        || (PyTuple_GET_SIZE(result) != 3 && PyTuple_GET_SIZE(result) != 4)
        || !PyLong_Check(PyTuple_GET_ITEM(result, 0))
        || !PyList_Check(PyTuple_GET_ITEM(result, 1))
        || !PyBytes_Check(PyTuple_GET_ITEM(result, 2))) {
        return APR_EGENERAL;
    }
    memset(resp, 0, sizeof(*resp));
    resp->status = (int)PyLong_AsLong(PyTuple_GET_ITEM(result, 0));
    headers = PyTuple_GET_ITEM(result, 1);
    n = PyList_GET_SIZE(headers);
    resp->headers = apr_table_make(p, (int)n + 1);
    for (i = 0; i < n; ++i) {
        rv = read_header(p, PyList_GET_ITEM(headers, i), resp->headers,
                         bad_header);
        if (rv != APR_SUCCESS) {
            return rv;
        }
    }
    PyBytes_AsStringAndSize(PyTuple_GET_ITEM(result, 2), &data, &len);
    /* borrowed: the caller keeps @a result alive until the body is sent */
    resp->body = data;
    resp->body_len = (apr_size_t)len;
    return APR_SUCCESS;
}

/* The loader's (status, headers, body) as a response; logs why not. */
static apr_status_t result_response(fa_invocation_t *inv, PyObject *result,
                                    fa_response_t *resp)
{
    const char *bad_header = NULL;
    apr_status_t rv = read_result(inv->pool, result, resp, &bad_header);

    if (rv != APR_SUCCESS && bad_header) {
        fa_log(&fa_pybridge.app->log, FA_LOG_ERR, 0,
               "FA043: %s: refused "
               "response header '%s' with invalid characters (NUL); "
               "answering 500",
               inv->id, bad_header);
    }
    else if (rv != APR_SUCCESS) {
        fa_log(&fa_pybridge.app->log, FA_LOG_ERR, 0,
               "FA042: %s: the loader "
               "returned a malformed result",
               inv->id);
    }
    return rv;
}

/* A whole @a result as the response to send (a 500 if it is malformed);
 * the body is no longer readable.  With the GIL. */
static void whole_response(fa_invocation_t *inv, PyObject *result,
                           fa_response_t *resp)
{
    fa_pybody_detach(inv);
    if (result_response(inv, result, resp) != APR_SUCCESS) {
        fa_http_response_500(resp, inv->pool);
    }
}

void fa_pyinvoke_answer(fa_invocation_t *inv, PyObject *result)
{
    fa_response_t resp, *rp = NULL;
    PyObject *chunks = result_chunks(result);

    if (chunks) {
        /* the body stays readable while it streams: an echo reads it */
        fa_pystream_sync(inv, result, chunks);
        return;
    }
    if (result) {
        whole_response(inv, result, &resp);
        rp = &resp;
    }
    else {
        fa_pybody_detach(inv);
    }
    Py_BEGIN_ALLOW_THREADS fa_pybridge.done(inv, rp);
    Py_END_ALLOW_THREADS
}

int fa_pyinvoke_stream_head(fa_invocation_t *inv, PyObject *result)
{
    fa_response_t resp;
    int fd;

    if (result_response(inv, result, &resp) != APR_SUCCESS) {
        fa_http_response_500(&resp, inv->pool);
        fa_pybody_detach(inv);
        Py_BEGIN_ALLOW_THREADS fa_pybridge.done(inv, &resp);
        Py_END_ALLOW_THREADS return -1;
    }
    Py_BEGIN_ALLOW_THREADS fd = fa_pybridge.stream(inv, &resp);
    Py_END_ALLOW_THREADS return fd;
}

/* A whole answer of at most this much is copied into the request's pool,
 * so that the result is freed and the GIL given up once, before the send,
 * rather than around it and again after: with runners waiting for the
 * GIL, each hand-over is a futex wake and a context switch. */
#define COPIED_BODY_MAX (64 * 1024)

/* Answers a small whole @a result without the GIL, which it releases
 * (with @a result); 0 when it is not one, the GIL still held. */
static int answer_copied(fa_invocation_t *inv, PyObject *result)
{
    fa_response_t resp;
    PyObject *body;

    if (!result || !PyTuple_Check(result) || PyTuple_GET_SIZE(result) < 3
        || result_chunks(result)) {
        return 0;
    }
    body = PyTuple_GET_ITEM(result, 2);
    if (!PyBytes_Check(body) || PyBytes_GET_SIZE(body) > COPIED_BODY_MAX) {
        return 0;
    }
    whole_response(inv, result, &resp);
    /* a 500's body is the pool's already; a copy of it does no harm */
    resp.body = apr_pmemdup(inv->pool, resp.body, resp.body_len);
    Py_DECREF(result);
    PyEval_SaveThread();
    fa_pybridge.done(inv, &resp);
    return 1;
}

void fa_python_invoke(fa_invocation_t *inv)
{
    PyObject *args, *result = NULL;

    if (!thread_state) {
        thread_state = PyThreadState_New(fa_pybridge.interp);
    }
    PyEval_RestoreThread(thread_state);
    args = fa_pyinvoke_args(inv);
    fa_invocation_drop_payload(inv);
    if (args) {
        int watched = fa_pywatch_enter(inv);
        result = PyObject_CallObject(fa_pybridge.invoke_fn, args);
        fa_pywatch_leave(watched);
        Py_DECREF(args);
    }
    if (!result) {
        fa_python_log_error("invoking the function failed in the loader");
        result = Py_BuildValue("(i[]y)", 500, "");
    }
    if (answer_copied(inv, result)) {
        return;
    }
    fa_pyinvoke_answer(inv, result);
    Py_XDECREF(result);
    PyEval_SaveThread();
}
