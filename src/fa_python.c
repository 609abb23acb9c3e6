/* fa_python: the embedded interpreter of a worker process. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <marshal.h>

#include <fcntl.h>
#include <unistd.h>

#include <apr_strings.h>
#include <apr_thread_mutex.h>
#include <jansson.h>

#include "fa_pysrc.h"
#include "fa_python.h"

#ifndef FA_PYTHON_PROGRAM
#define FA_PYTHON_PROGRAM "/usr/bin/python3"
#endif

static fa_app_t *the_app;
static PyObject *invoke_fn;
static PyInterpreterState *interp;
/* One thread state a pool thread, made once: PyGILState_Ensure would make
 * and free one on every request. */
static __thread PyThreadState *thread_state;
/* Where the event loop reports finished requests (the worker). */
static fa_python_done_fn *loop_done;


static int apr_level(int py_level)
{
    return py_level >= 50 ? FA_LOG_CRIT
         : py_level >= 40 ? FA_LOG_ERR
         : py_level >= 30 ? FA_LOG_WARNING
         : py_level >= 20 ? FA_LOG_INFO : FA_LOG_DEBUG;
}

/* _funcapp.log(level, text): one error-log line per line of text, since
 * httpd's error log is one record a line. */
static PyObject *py_log(PyObject *self, PyObject *args)
{
    int level;
    const char *text;
    Py_ssize_t len;

    (void)self;
    if (!PyArg_ParseTuple(args, "is#", &level, &text, &len)) {
        return NULL;
    }
    level = apr_level(level);
    if (level > the_app->log.level) {
        Py_RETURN_NONE;
    }
    Py_BEGIN_ALLOW_THREADS
    while (len > 0) {
        const char *nl = memchr(text, '\n', (size_t)len);
        Py_ssize_t line = nl ? nl - text : len;
        fa_log(&the_app->log, level, 0, "%.*s", (int)line, text);
        text += line + 1;
        len -= line + 1;
    }
    Py_END_ALLOW_THREADS
    Py_RETURN_NONE;
}

static PyObject *py_take(PyObject *self, PyObject *unused);
static PyObject *py_respond(PyObject *self, PyObject *args);

/* The embedded module of that name, or NULL. */
static const fa_pysrc_t *lookup_embedded(const char *name)
{
    const fa_pysrc_t *s;

    for (s = fa_pysrc; s->module; ++s) {
        if (!strcmp(s->module, name)) {
            return s;
        }
    }
    return NULL;
}

/* Whether this interpreter reads the bytecode compiled at build time
 * (same magic number); if not, the source is compiled instead. */
static int has_bytecode(const fa_pysrc_t *s)
{
    return s->code_len && s->magic == PyImport_GetMagicNumber();
}

/* lookup_embedded for a name from Python: NULL with an exception set when
 * the name is not a str. */
static const fa_pysrc_t *find_embedded(PyObject *name)
{
    const char *utf8 = PyUnicode_Check(name) ? PyUnicode_AsUTF8(name) : NULL;

    if (!utf8) {
        if (!PyErr_Occurred()) {
            PyErr_SetString(PyExc_TypeError, "a module name must be a str");
        }
        return NULL;
    }
    return lookup_embedded(utf8);
}

/* _funcapp.embedded(name): (is_package, bytecode or None) of a module built
 * into mod_funcapp, or None.  Made on each call, never kept, and the
 * bytecode is a read-only view of the module's own data, not a copy: each
 * worker keeps no second copy of what it imported. */
static PyObject *py_embedded(PyObject *self, PyObject *name)
{
    const fa_pysrc_t *s = find_embedded(name);
    PyObject *code;

    (void)self;
    if (!s) {
        if (PyErr_Occurred()) {
            return NULL;
        }
        Py_RETURN_NONE;
    }
    code = has_bytecode(s)
        ? PyMemoryView_FromMemory((char *)s->code, (Py_ssize_t)s->code_len,
                                  PyBUF_READ)
        : (Py_INCREF(Py_None), Py_None);
    return code ? Py_BuildValue("(ON)", s->is_package ? Py_True : Py_False,
                                code) : NULL;
}

/* _funcapp.source(name): an embedded module's source text, or None; for
 * tracebacks, and to compile when this Python's bytecode differs. */
static PyObject *py_source(PyObject *self, PyObject *name)
{
    const fa_pysrc_t *s = find_embedded(name);

    (void)self;
    if (!s) {
        if (PyErr_Occurred()) {
            return NULL;
        }
        Py_RETURN_NONE;
    }
    return PyUnicode_FromString(s->source);
}

static PyMethodDef funcapp_methods[] = {
    {"log", py_log, METH_VARARGS, "Writes to httpd's error log."},
    {"take", py_take, METH_NOARGS, "Requests queued for the event loop."},
    {"respond", py_respond, METH_VARARGS, "Answers a request of the loop."},
    {"embedded", py_embedded, METH_O, "An embedded module's bytecode."},
    {"source", py_source, METH_O, "An embedded module's source."},
    {NULL, NULL, 0, NULL}
};

static struct PyModuleDef funcapp_module = {
    PyModuleDef_HEAD_INIT, "_funcapp", "mod_funcapp's bridge to httpd.", -1,
    funcapp_methods, NULL, NULL, NULL, NULL
};

static PyObject *init_funcapp(void)
{
    return PyModule_Create(&funcapp_module);
}

static void log_python_error(const char *what)
{
    PyObject *type, *value, *tb, *text = NULL;

    PyErr_Fetch(&type, &value, &tb);
    if (value) {
        text = PyObject_Str(value);
    }
    fa_log(&the_app->log, FA_LOG_CRIT, 0, "FA040: %s: %s", what,
           text ? PyUnicode_AsUTF8(text) : "unknown Python error");
    Py_XDECREF(text);
    Py_XDECREF(type);
    Py_XDECREF(value);
    Py_XDECREF(tb);
    PyErr_Clear();
}

/* The code object of an embedded module: its bytecode if this interpreter
 * reads it, else its source, compiled now. */
static PyObject *embedded_code(const fa_pysrc_t *s, const char *path)
{
    if (has_bytecode(s)) {
        PyObject *code = PyMarshal_ReadObjectFromString(s->code,
                                                        (Py_ssize_t)s->code_len);
        if (code) {
            return code;
        }
        PyErr_Clear();
    }
    return Py_CompileString(s->source, path, Py_file_input);
}

static PyObject *import_embedded(const char *name)
{
    const fa_pysrc_t *s = lookup_embedded(name);
    char path[256];
    PyObject *code, *mod;

    if (!s) {
        PyErr_Format(PyExc_ImportError, "%s is not built into mod_funcapp",
                     name);
        return NULL;
    }
    snprintf(path, sizeof(path), "<mod_funcapp>/%s", s->path);
    code = embedded_code(s, path);
    if (!code) {
        return NULL;
    }
    mod = PyImport_ExecCodeModuleEx(name, code, path);
    Py_DECREF(code);
    return mod;
}

static PyObject *handlers_list(const fa_app_config_t *cfg)
{
    PyObject *list = PyList_New(0);
    int i;

    for (i = 0; list && i < cfg->handlers->nelts; ++i) {
        const fa_handler_spec_t *h = &APR_ARRAY_IDX(cfg->handlers, i,
                                                    fa_handler_spec_t);
        PyObject *t = Py_BuildValue("(ssszz)", h->route, h->file, h->callable,
                                    h->methods, h->auth_level);
        if (!t || PyList_Append(list, t) < 0) {
            Py_XDECREF(t);
            Py_DECREF(list);
            return NULL;
        }
        Py_DECREF(t);
    }
    return list;
}

/* An APR table (route values, app settings) as a dict of str; bytes that
 * are not UTF-8 survive as surrogates, as in os.environ. */
static PyObject *table_dict(const apr_table_t *t)
{
    const apr_array_header_t *arr = apr_table_elts(t);
    const apr_table_entry_t *e = (const apr_table_entry_t *)arr->elts;
    PyObject *dict = PyDict_New();
    int i;

    for (i = 0; dict && i < arr->nelts; ++i) {
        PyObject *v = PyUnicode_DecodeUTF8(e[i].val, strlen(e[i].val),
                                           "surrogateescape");
        if (!v || PyDict_SetItemString(dict, e[i].key, v) < 0) {
            Py_XDECREF(v);
            Py_DECREF(dict);
            return NULL;
        }
        Py_DECREF(v);
    }
    return dict;
}

static apr_status_t start_loop(apr_pool_t *p, PyObject *loader);

/* The loader's function table as JSON, by jansson: Python's json module
 * would cost every worker its import (re, decoder, scanner ...) for one
 * dump.  The table holds None, bools, ints, strings, lists and str-keyed
 * dicts; anything else is an error. */
static json_t *json_from_python(PyObject *o)
{
    json_t *j = NULL;

    if (o == Py_None) {
        return json_null();
    }
    if (PyBool_Check(o)) {
        return json_boolean(o == Py_True);
    }
    if (PyLong_Check(o)) {
        long long v = PyLong_AsLongLong(o);
        return (v == -1 && PyErr_Occurred()) ? NULL : json_integer(v);
    }
    if (PyUnicode_Check(o)) {
        Py_ssize_t len;
        const char *utf8 = PyUnicode_AsUTF8AndSize(o, &len);
        return utf8 ? json_stringn(utf8, (size_t)len) : NULL;
    }
    if (PyList_Check(o)) {
        Py_ssize_t i;
        j = json_array();
        for (i = 0; j && i < PyList_GET_SIZE(o); ++i) {
            json_t *item = json_from_python(PyList_GET_ITEM(o, i));
            if (!item || json_array_append_new(j, item) != 0) {
                json_decref(j);
                j = NULL;
            }
        }
        return j;
    }
    if (PyDict_Check(o)) {
        PyObject *key, *value;
        Py_ssize_t pos = 0;
        j = json_object();
        while (j && PyDict_Next(o, &pos, &key, &value)) {
            const char *name = PyUnicode_Check(key) ? PyUnicode_AsUTF8(key) : NULL;
            json_t *item = name ? json_from_python(value) : NULL;
            if (!item || json_object_set_new(j, name, item) != 0) {
                json_decref(j);
                j = NULL;
            }
        }
        return j;
    }
    PyErr_Format(PyExc_TypeError, "function table: %s is not JSON",
                 Py_TYPE(o)->tp_name);
    return NULL;
}

apr_status_t fa_python_start(apr_pool_t *p, fa_app_t *app,
                             fa_python_done_fn *done, fa_python_table_t *out)
{
    PyConfig config;
    PyStatus status;
    PyObject *loader = NULL, *handlers = NULL, *settings = NULL;
    PyObject *table = NULL;
    json_t *json = NULL;
    char *text = NULL;
    Py_ssize_t len;

    the_app = app;
    PyImport_AppendInittab("_funcapp", init_funcapp);
    PyConfig_InitPythonConfig(&config);
    /* httpd owns the signals; workers handle SIGTERM in C. */
    config.install_signal_handlers = 0;
    config.parse_argv = 0;
    status = PyConfig_SetBytesString(&config, &config.program_name,
                                     FA_PYTHON_PROGRAM);
    if (!PyStatus_Exception(status)) {
        status = Py_InitializeFromConfig(&config);
    }
    PyConfig_Clear(&config);
    if (PyStatus_Exception(status)) {
        fa_log(&app->log, FA_LOG_CRIT, 0, "FA041: Python failed to start: %s",
               status.err_msg ? status.err_msg : "unknown error");
        return APR_EGENERAL;
    }

    if (!(loader = import_embedded("_funcapp_loader"))
        || !(handlers = handlers_list(app->config))
        || !(settings = table_dict(app->config->environment))
        || !(table = PyObject_CallMethod(loader, "setup", "zOOi",
                                         app->config->app_dir, handlers,
                                         settings, app->python_log_level))
        || !(json = json_from_python(table))
        || !(invoke_fn = PyObject_GetAttrString(loader, "invoke"))) {
        json_decref(json);
        log_python_error("the loader failed");
        return APR_EGENERAL;
    }
    text = json_dumps(json, JSON_COMPACT);
    json_decref(json);
    if (!text) {
        fa_log(&app->log, FA_LOG_CRIT, 0, "FA041: the function table cannot be "
               "written as JSON");
        return APR_EGENERAL;
    }
    out->json = apr_pstrdup(p, text);
    out->json_len = strlen(text);
    free(text);
    out->nfunctions = (int)PyList_Size(table);
    out->is_async = apr_pcalloc(p, (apr_size_t)out->nfunctions + 1);
    for (len = 0; len < out->nfunctions; ++len) {
        PyObject *flag = PyDict_GetItemString(PyList_GET_ITEM(table, len),
                                              "is_async");
        ((unsigned char *)out->is_async)[len] = flag && PyObject_IsTrue(flag);
    }
    loop_done = done;
    for (len = 0; len < out->nfunctions && !out->is_async[len]; ++len) {
    }
    /* no async function, no event loop (nor asyncio): a faster start */
    if (len < out->nfunctions && start_loop(p, loader) != APR_SUCCESS) {
        return APR_EGENERAL;
    }
    Py_DECREF(table);
    Py_DECREF(settings);
    Py_DECREF(handlers);
    Py_DECREF(loader);

    interp = PyThreadState_Get()->interp;
    PyEval_SaveThread();
    return APR_SUCCESS;
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
        PyObject *k = PyUnicode_DecodeLatin1(e[i].key, strlen(e[i].key),
                                             NULL);
        PyObject *v = PyUnicode_DecodeLatin1(e[i].val, strlen(e[i].val),
                                             NULL);
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

static apr_status_t read_result(apr_pool_t *p, PyObject *result,
                                fa_response_t *resp, const char **bad_header)
{
    PyObject *headers, *body;
    Py_ssize_t i, n;
    char *data;
    Py_ssize_t len;

    if (!PyTuple_Check(result) || PyTuple_GET_SIZE(result) != 3
        || !PyLong_Check(PyTuple_GET_ITEM(result, 0))
        || !PyList_Check(PyTuple_GET_ITEM(result, 1))
        || !PyBytes_Check(PyTuple_GET_ITEM(result, 2))) {
        return APR_EGENERAL;
    }
    resp->status = (int)PyLong_AsLong(PyTuple_GET_ITEM(result, 0));
    headers = PyTuple_GET_ITEM(result, 1);
    body = PyTuple_GET_ITEM(result, 2);
    n = PyList_GET_SIZE(headers);
    resp->headers = apr_table_make(p, (int)n + 1);
    for (i = 0; i < n; ++i) {
        PyObject *pair = PyList_GET_ITEM(headers, i);
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
                *bad_header = apr_pstrdup(p, k ? k : PyUnicode_AsUTF8(
                                          PyTuple_GET_ITEM(pair, 0)));
                PyErr_Clear();
                return APR_EINVAL;
            }
            return APR_EGENERAL;
        }
        apr_table_add(resp->headers, k, v);
    }
    PyBytes_AsStringAndSize(body, &data, &len);
    /* borrowed: the caller keeps @a result alive until the body is sent */
    resp->body = data;
    resp->body_len = (apr_size_t)len;
    return APR_SUCCESS;
}

/* The arguments of the loader's invoke() and invoke_async() for @a req. */
static PyObject *request_args(const fa_request_t *req)
{
    PyObject *headers = pairs_list(req->headers);
    PyObject *params = table_dict(req->route_params);
    PyObject *url = PyUnicode_DecodeUTF8(req->url, strlen(req->url),
                                         "surrogateescape");
    PyObject *body = PyBytes_FromStringAndSize(req->body,
                                               (Py_ssize_t)req->body_len);
    PyObject *args = NULL;

    if (headers && params && url && body) {
        args = Py_BuildValue("(IsOOOOs)", (unsigned int)req->function_index,
                             req->method, url, headers, params, body,
                             req->invocation_id);
    }
    Py_XDECREF(headers);
    Py_XDECREF(params);
    Py_XDECREF(url);
    Py_XDECREF(body);
    return args;
}

/* The loader's (status, headers, body) as a response; logs why not. */
static apr_status_t result_response(apr_pool_t *p, PyObject *result,
                                    const char *invocation_id,
                                    fa_response_t *resp)
{
    const char *bad_header = NULL;
    apr_status_t rv = read_result(p, result, resp, &bad_header);

    if (rv != APR_SUCCESS && bad_header) {
        fa_log(&the_app->log, FA_LOG_ERR, 0, "FA043: %s: refused response "
               "header '%s' with invalid characters (NUL); answering 500",
               invocation_id, bad_header);
    }
    else if (rv != APR_SUCCESS) {
        fa_log(&the_app->log, FA_LOG_ERR, 0, "FA042: %s: the loader "
               "returned a malformed result", invocation_id);
    }
    return rv;
}

/* Hands a response to the worker with the GIL released; the body may be
 * borrowed from @a result, which stays alive meanwhile. */
static void hand_over(void *token, const char *invocation_id,
                      PyObject *result, apr_pool_t *p)
{
    fa_response_t resp, *rp = NULL;

    if (result) {
        if (result_response(p, result, invocation_id, &resp) != APR_SUCCESS) {
            resp.status = 500;
            resp.headers = apr_table_make(p, 1);
            resp.body = "";
            resp.body_len = 0;
        }
        rp = &resp;
    }
    Py_BEGIN_ALLOW_THREADS
    loop_done(token, invocation_id, rp, p);
    Py_END_ALLOW_THREADS
}

void fa_python_invoke(apr_pool_t *p, const fa_request_t *req, char **payload,
                      void *token)
{
    PyObject *args, *result = NULL;
    /* req points into the payload, freed below */
    const char *invocation_id = apr_pstrdup(p, req->invocation_id);

    if (!thread_state) {
        thread_state = PyThreadState_New(interp);
    }
    PyEval_RestoreThread(thread_state);

    args = request_args(req);
    /* everything is in Python objects now: a 100 MB body need not be held
     * twice while the function runs */
    free(*payload);
    *payload = NULL;
    if (args) {
        result = PyObject_CallObject(invoke_fn, args);
        Py_DECREF(args);
    }
    if (!result) {
        log_python_error("invoking the function failed in the loader");
        result = Py_BuildValue("(i[]y)", 500, "");
    }
    hand_over(token, invocation_id, result, p);
    Py_XDECREF(result);
    PyEval_SaveThread();
}

/* ---- the event loop ----------------------------------------------------
 * Async functions run as tasks on one asyncio loop per worker, in a thread
 * of its own.  The I/O thread hands requests over without the GIL: a queue
 * under a mutex and one byte down a pipe the loop watches; the loop takes
 * them with _funcapp.take() and answers each with _funcapp.respond(). */

typedef struct queued {
    void *token;
    char **payload;           /* NULL for a cancellation */
    apr_size_t len;
    struct queued *next;
} queued_t;


static apr_thread_mutex_t *queue_lock;
static queued_t *queue_head, *queue_tail;
static int wake_pipe[2] = { -1, -1 };

static void enqueue(void *token, char **payload, apr_size_t len)
{
    queued_t *q = malloc(sizeof(*q));

    if (!q) {
        abort();   /* a few bytes: the process is beyond saving */
    }
    q->token = token;
    q->payload = payload;
    q->len = len;
    q->next = NULL;
    apr_thread_mutex_lock(queue_lock);
    if (queue_tail) {
        queue_tail->next = q;
    }
    else {
        queue_head = q;
    }
    queue_tail = q;
    apr_thread_mutex_unlock(queue_lock);
    /* A full pipe already holds a wake-up: nothing is lost on EAGAIN. */
    if (write(wake_pipe[1], "", 1) < 0) {
        return;
    }
}

void fa_python_submit(void *token, char **payload, apr_size_t len)
{
    enqueue(token, payload, len);
}

void fa_python_cancel(void *token)
{
    enqueue(token, NULL, 0);
}

/* _funcapp.take(): the requests and cancellations queued since last time,
 * as ("run", token, invoke_async args...) and ("cancel", token). */
static PyObject *py_take(PyObject *self, PyObject *unused)
{
    PyObject *list = PyList_New(0);
    queued_t *q, *next;
    char drain[256];

    (void)self;
    (void)unused;
    while (read(wake_pipe[0], drain, sizeof(drain)) > 0) {
    }
    apr_thread_mutex_lock(queue_lock);
    q = queue_head;
    queue_head = queue_tail = NULL;
    apr_thread_mutex_unlock(queue_lock);
    for (; q; q = next) {
        PyObject *item = NULL;
        next = q->next;
        if (!q->payload) {
            item = Py_BuildValue("(sN)", "cancel", PyLong_FromVoidPtr(q->token));
        }
        else {
            apr_pool_t *p;
            fa_request_t req;
            apr_pool_create(&p, NULL);
            if (fa_wire_decode_request(p, *q->payload, q->len, &req)
                == APR_SUCCESS) {
                PyObject *args = request_args(&req);
                free(*q->payload);
                *q->payload = NULL;
                if (args) {
                    item = Py_BuildValue("(sNN)", "run",
                                         PyLong_FromVoidPtr(q->token), args);
                }
            }
            else {
                fa_log(&the_app->log, FA_LOG_ERR, 0, "FA044: malformed "
                       "request frame for the event loop");
                Py_BEGIN_ALLOW_THREADS
                loop_done(q->token, "-", NULL, p);
                Py_END_ALLOW_THREADS
            }
            apr_pool_destroy(p);
        }
        free(q);
        if (item) {
            PyList_Append(list, item);
            Py_DECREF(item);
        }
        else {
            PyErr_Clear();
        }
    }
    return list;
}

/* _funcapp.respond(token, invocation_id, result or None): hands the
 * response to the worker, which writes it with the GIL released. */
static PyObject *py_respond(PyObject *self, PyObject *args)
{
    PyObject *token, *result;
    const char *invocation_id;
    apr_pool_t *p;

    (void)self;
    if (!PyArg_ParseTuple(args, "OsO", &token, &invocation_id, &result)) {
        return NULL;
    }
    apr_pool_create(&p, NULL);
    hand_over(PyLong_AsVoidPtr(token), apr_pstrdup(p, invocation_id),
              result == Py_None ? NULL : result, p);
    apr_pool_destroy(p);
    Py_RETURN_NONE;
}

/* Called with the GIL held, from fa_python_start. */
static apr_status_t start_loop(apr_pool_t *p, PyObject *loader)
{
    PyObject *r;

    if (apr_thread_mutex_create(&queue_lock, APR_THREAD_MUTEX_DEFAULT, p)
        != APR_SUCCESS || pipe2(wake_pipe, O_NONBLOCK | O_CLOEXEC) < 0) {
        return APR_EGENERAL;
    }
    r = PyObject_CallMethod(loader, "start_event_loop", "i", wake_pipe[0]);
    if (!r) {
        log_python_error("the event loop did not start");
        return APR_EGENERAL;
    }
    Py_DECREF(r);
    return APR_SUCCESS;
}
