/* SPDX-License-Identifier: Apache-2.0 */
/* fa_python: the worker's interpreter: its start, the `_funcapp` module
 * the loader calls, and the function table (see fa_python.h). */
#include "fa_python_private.h"

#include <apr_file_info.h>
#include <apr_strings.h>
#include <jansson.h>

#include "fa_pyenv.h"

#ifndef FA_PYTHON_PROGRAM
#define FA_PYTHON_PROGRAM "/usr/bin/python3"
#endif

fa_pybridge_t fa_pybridge;

/* _funcapp.log(level, text): one error-log line per line of text, since
 * httpd's error log is one record a line. */
static PyObject *py_log(PyObject *self, PyObject *args)
{
    const fa_logger_t *log = &fa_pybridge.app->log;
    int level;
    const char *text;
    Py_ssize_t len;

    (void)self;
    if (!PyArg_ParseTuple(args, "is#", &level, &text, &len)) {
        return NULL;
    }
    level = fa_log_level_from_python(level);
    if (level > log->level) {
        Py_RETURN_NONE;
    }
    Py_BEGIN_ALLOW_THREADS while (len > 0)
    {
        const char *nl = memchr(text, '\n', (size_t)len);
        Py_ssize_t line = nl ? nl - text : len;
        fa_log(log, level, 0, "%.*s", (int)line, text);
        text += line + 1;
        len -= line + 1;
    }
    Py_END_ALLOW_THREADS Py_RETURN_NONE;
}

static PyMethodDef funcapp_methods[] = {
    {"log", py_log, METH_VARARGS, "Writes to httpd's error log."},
    {"take", fa_pyloop_take, METH_NOARGS,
     "Invocations queued for the event loop."},
    {"respond", fa_pyloop_respond, METH_VARARGS,
     "Answers an invocation of the loop."},
    {"stream_begin", fa_pystream_begin, METH_VARARGS,
     "Sends a streamed answer's head; the socket for its chunks."},
    {"chunk_head", fa_pystream_chunk_head, METH_VARARGS,
     "The bytes before a chunk of a streamed answer."},
    {"stream_end", fa_pystream_end, METH_VARARGS,
     "Reports a streamed answer of the loop done."},
    {"embedded", fa_pyimport_embedded, METH_O,
     "An embedded module's bytecode."},
    {"source", fa_pyimport_source, METH_O, "An embedded module's source."},
    {"compile", (PyCFunction)(void (*)(void))fa_pyimport_compile,
     METH_VARARGS | METH_KEYWORDS, "compile(), for importlib."},
    {NULL, NULL, 0, NULL}};

static struct PyModuleDef funcapp_module = {PyModuleDef_HEAD_INIT,
                                            "_funcapp",
                                            "mod_funcapp's bridge to httpd.",
                                            -1,
                                            funcapp_methods,
                                            NULL,
                                            NULL,
                                            NULL,
                                            NULL};

static PyObject *init_funcapp(void)
{
    PyObject *m = PyModule_Create(&funcapp_module);

    if (m
        && (fa_pybody_add_type(m) < 0
            || PyModule_AddIntConstant(m, "MAX_CHUNK", FA_WIRE_MAX_CHUNK)
                < 0)) {
        Py_CLEAR(m);
    }
    return m;
}

void fa_python_log_error(const char *what)
{
    PyObject *type, *value, *tb, *text = NULL;

    PyErr_Fetch(&type, &value, &tb);
    if (value) {
        text = PyObject_Str(value);
    }
    fa_log(&fa_pybridge.app->log, FA_LOG_CRIT, 0, "FA040: %s: %s", what,
           text ? PyUnicode_AsUTF8(text) : "unknown Python error");
    Py_XDECREF(text);
    Py_XDECREF(type);
    Py_XDECREF(value);
    Py_XDECREF(tb);
    PyErr_Clear();
}

static PyObject *handlers_list(const fa_app_config_t *cfg)
{
    PyObject *list = PyList_New(0);
    int i;

    for (i = 0; list && i < cfg->handlers->nelts; ++i) {
        const fa_handler_spec_t *h =
            &APR_ARRAY_IDX(cfg->handlers, i, fa_handler_spec_t);
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
            const char *name =
                PyUnicode_Check(key) ? PyUnicode_AsUTF8(key) : NULL;
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

/* The interpreter, configured for a worker: httpd owns the signals
 * (workers handle SIGTERM in C) and the command line is httpd's. */
static apr_status_t start_interpreter(fa_app_t *app)
{
    PyConfig config;
    PyStatus status;

    PyImport_AppendInittab("_funcapp", init_funcapp);
    PyConfig_InitPythonConfig(&config);
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
    return APR_SUCCESS;
}

/* The loader package: its importer first, run by itself (its package
 * cannot be imported before a finder serves it), then the package through
 * the finders the importer installed. */
static PyObject *import_loader(void)
{
    PyObject *importer = fa_pyimport_exec("_funcapp_loader.importer");

    if (!importer) {
        return NULL;
    }
    Py_DECREF(importer);
    return PyImport_ImportModule("_funcapp_loader");
}

/* The str @a key of table entry @a entry, or NULL. */
static const char *entry_str(PyObject *entry, const char *key)
{
    PyObject *value = PyDict_GetItemString(entry, key);

    return value && PyUnicode_Check(value) ? PyUnicode_AsUTF8(value) : NULL;
}

/* Adds the name of @a entry (a table entry) to *@a list if it has a route
 * and its level needs a key, for the start-up line that says which do. */
static void note_keyed(apr_pool_t *p, PyObject *entry, const char **list)
{
    const char *n = entry_str(entry, "name");
    const char *l = entry_str(entry, "auth_level");

    if (n && entry_str(entry, "route") && fa_keys_level_needs_key(l)) {
        *list =
            *list ? apr_pstrcat(p, *list, ", ", n, NULL) : apr_pstrdup(p, n);
    }
    PyErr_Clear();
}

/* The loader's table (a list of dicts) into @a out; with the GIL. */
static apr_status_t publish_table(apr_pool_t *p, PyObject *table,
                                  fa_python_table_t *out)
{
    json_t *json = json_from_python(table);
    char *text = json ? json_dumps(json, JSON_COMPACT) : NULL;
    unsigned char *is_async;
    Py_ssize_t i;

    json_decref(json);
    if (!text) {
        if (PyErr_Occurred()) {
            fa_python_log_error("the function table is not JSON");
        }
        else {
            fa_log(&fa_pybridge.app->log, FA_LOG_CRIT, 0,
                   "FA045: the "
                   "function table cannot be written as JSON");
        }
        return APR_EGENERAL;
    }
    out->json = apr_pstrdup(p, text);
    out->json_len = strlen(text);
    free(text);
    out->nfunctions = (int)PyList_Size(table);
    is_async = apr_pcalloc(p, (apr_size_t)out->nfunctions + 1);
    fa_pybridge.names =
        apr_pcalloc(p, sizeof(char *) * ((apr_size_t)out->nfunctions + 1));
    out->keyed = NULL;
    for (i = 0; i < out->nfunctions; ++i) {
        PyObject *entry = PyList_GET_ITEM(table, i);
        PyObject *flag = PyDict_GetItemString(entry, "is_async");
        PyObject *name = PyDict_GetItemString(entry, "name");
        is_async[i] = flag && PyObject_IsTrue(flag);
        fa_pybridge.names[i] = apr_pstrdup(
            p, name && PyUnicode_Check(name) ? PyUnicode_AsUTF8(name) : "-");
        note_keyed(p, entry, &out->keyed);
    }
    fa_pybridge.nnames = out->nfunctions;
    out->names = (const char *const *)fa_pybridge.names;
    out->is_async = is_async;
    return APR_SUCCESS;
}

static int any_async(const fa_python_table_t *table)
{
    int i;

    for (i = 0; i < table->nfunctions; ++i) {
        if (table->is_async[i]) {
            return 1;
        }
    }
    return 0;
}

/* FunctionAppPythonPath's resolved directories, for the loader. */
static PyObject *python_path_list(const fa_app_config_t *cfg)
{
    PyObject *list = PyList_New(0);
    int i;

    for (i = 0; list && cfg->python_path && i < cfg->python_path->nelts; ++i) {
        PyObject *s = PyUnicode_DecodeFSDefault(
            APR_ARRAY_IDX(cfg->python_path, i, const char *));
        if (!s || PyList_Append(list, s) < 0) {
            Py_CLEAR(list);
        }
        Py_XDECREF(s);
    }
    return list;
}

/* Runs the app's warm-up functions (after the loop is up, for async
 * ones), before the worker takes requests; their failures are logged by
 * the loader and the worker serves anyway.  With the GIL. */
static void warm_up(PyObject *loader)
{
    PyObject *done = PyObject_CallMethod(loader, "warm_up", NULL);

    if (!done) {
        fa_python_log_error("the warm-up failed");
    }
    Py_XDECREF(done);
}

/* Imports and indexes the app; with the GIL. */
static apr_status_t load_app(apr_pool_t *p, fa_app_t *app,
                             fa_python_table_t *out)
{
    PyObject *loader = NULL, *handlers = NULL, *settings = NULL;
    PyObject *table = NULL, *paths = NULL;
    apr_status_t rv = APR_EGENERAL;

    if (!(loader = import_loader()) || !(handlers = handlers_list(app->config))
        || !(settings = fa_pyinvoke_table_dict(app->config->environment))
        || !(paths = python_path_list(app->config))
        || !(table = PyObject_CallMethod(loader, "setup", "zOOiOz",
                                         app->config->app_dir, handlers,
                                         settings, app->python_log_level, paths,
                                         app->config->venv_site))
        || !PyList_Check(table)
        || !(fa_pybridge.invoke_fn =
                 PyObject_GetAttrString(loader, "invoke"))) {
        fa_python_log_error("the loader failed");
    }
    else if ((rv = publish_table(p, table, out)) == APR_SUCCESS
             && any_async(out)) {
        /* no async function, no event loop (nor asyncio): a faster start */
        rv = fa_pyloop_start(p, loader);
    }
    if (rv == APR_SUCCESS) {
        warm_up(loader);
    }
    Py_XDECREF(table);
    Py_XDECREF(paths);
    Py_XDECREF(settings);
    Py_XDECREF(handlers);
    Py_XDECREF(loader);
    return rv;
}

const char *fa_python_version(void)
{
    return APR_STRINGIFY(PY_MAJOR_VERSION) "." APR_STRINGIFY(PY_MINOR_VERSION);
}

/* Azure runs the worker in the app root: a function opens the files
 * beside it by relative name.  Before Python starts, so nothing it does
 * at start sees another directory. */
static void enter_app_root(apr_pool_t *p, fa_app_t *app)
{
    const char *root = fa_pyenv_app_root(p, app->config);
    apr_status_t rv;

    if (root && (rv = apr_filepath_set(root, p)) != APR_SUCCESS) {
        fa_log(&app->log, FA_LOG_WARNING, rv,
               "FA090: cannot make the app root %s the working directory "
               "(relative paths in functions will not find the app's files)",
               root);
    }
}

apr_status_t fa_python_start(apr_pool_t *p, fa_app_t *app,
                             fa_python_done_fn *done,
                             fa_python_stream_fn *stream,
                             fa_python_table_t *out)
{
    apr_status_t rv;

    fa_pybridge.app = app;
    fa_pybridge.done = done;
    fa_pybridge.stream = stream;
    enter_app_root(p, app);
    if ((rv = start_interpreter(app)) != APR_SUCCESS) {
        return rv;
    }
    if ((rv = load_app(p, app, out)) != APR_SUCCESS) {
        return rv;
    }
    fa_pyimport_release();
    fa_pybridge.interp = PyThreadState_Get()->interp;
    PyEval_SaveThread();
    return APR_SUCCESS;
}
