/* SPDX-License-Identifier: Apache-2.0 */
/* fa_pyimport: the Python sources built into the module, served to the
 * worker's interpreter from memory (see fa_python.h). */
#include "fa_python_private.h"

#include <marshal.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fa_pysrc.h"

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

/* Made on each call, never kept, and the bytecode is a read-only view of
 * the module's own data, not a copy: each worker keeps no second copy of
 * what it imported. */
PyObject *fa_pyimport_embedded(PyObject *self, PyObject *name)
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
    code = has_bytecode(s) ? PyMemoryView_FromMemory(
               (char *)s->code, (Py_ssize_t)s->code_len, PyBUF_READ)
                           : (Py_INCREF(Py_None), Py_None);
    return code
        ? Py_BuildValue("(ON)", s->is_package ? Py_True : Py_False, code)
        : NULL;
}

/* For tracebacks, and to compile when this Python's bytecode differs. */
PyObject *fa_pyimport_source(PyObject *self, PyObject *name)
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

/* What importlib's source_to_code asks of compile() (a whole module's
 * source, no flags, nothing inherited), done through the C API: the
 * built-in first checks whether its source is an AST, and that check makes
 * the ast module's 119 node classes, ~200 kB of every worker that imports
 * its app from source (it cannot write the app's __pycache__), though no
 * worker uses them.  Any other call goes to the built-in. */
PyObject *fa_pyimport_compile(PyObject *self, PyObject *args, PyObject *kw)
{
    static char *names[] = {"source",       "filename", "mode", "flags",
                            "dont_inherit", "optimize", NULL};
    PyCompilerFlags cf = {PyCF_SOURCE_IS_UTF8, PY_MINOR_VERSION};
    PyObject *source, *filename, *code;
    const char *mode, *text;
    int flags = 0, dont_inherit = 0, optimize = -1;
    Py_ssize_t len;

    (void)self;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "OO&s|ipi:compile", names,
                                     &source, PyUnicode_FSDecoder, &filename,
                                     &mode, &flags, &dont_inherit, &optimize)) {
        return NULL;
    }
    if (strcmp(mode, "exec") || flags || !dont_inherit || optimize < -1
        || optimize > 2
        || !(PyBytes_Check(source) || PyUnicode_Check(source))) {
        PyObject *builtin =
            PyDict_GetItemString(PyEval_GetBuiltins(), "compile");

        Py_DECREF(filename);
        if (!builtin) {
            PyErr_SetString(PyExc_NameError, "name 'compile' is not defined");
            return NULL;
        }
        return PyObject_Call(builtin, args, kw);
    }
    if (PyBytes_Check(source)) {
        text = PyBytes_AS_STRING(source);
        len = PyBytes_GET_SIZE(source);
    }
    else if ((text = PyUnicode_AsUTF8AndSize(source, &len))) {
        cf.cf_flags |= PyCF_IGNORE_COOKIE; /* as the built-in for a str */
    }
    if (!text) {
        code = NULL;
    }
    else if (strlen(text) != (size_t)len) {
        PyErr_SetString(PyExc_ValueError,
                        "source code string cannot contain null bytes");
        code = NULL;
    }
    else {
        code = Py_CompileStringObject(text, filename, Py_file_input, &cf,
                                      optimize);
    }
    Py_DECREF(filename);
    return code;
}

/* The code object of an embedded module: its bytecode if this interpreter
 * reads it, else its source, compiled now. */
static PyObject *embedded_code(const fa_pysrc_t *s, const char *path)
{
    if (has_bytecode(s)) {
        PyObject *code =
            PyMarshal_ReadObjectFromString(s->code, (Py_ssize_t)s->code_len);
        if (code) {
            return code;
        }
        PyErr_Clear();
    }
    return Py_CompileString(s->source, path, Py_file_input);
}

PyObject *fa_pyimport_exec(const char *name)
{
    const fa_pysrc_t *s = lookup_embedded(name);
    PyObject *filename, *module_name = NULL, *code = NULL, *mod = NULL;

    if (!s) {
        PyErr_Format(PyExc_ImportError, "%s is not built into mod_funcapp",
                     name);
        return NULL;
    }
    /* the file name tracebacks show, as the finder gives the others */
    filename = PyUnicode_FromFormat("<mod_funcapp>/%s", s->path);
    if (filename && (module_name = PyUnicode_FromString(name))
        && (code = embedded_code(s, PyUnicode_AsUTF8(filename)))) {
        mod = PyImport_ExecCodeModuleObject(module_name, code, filename, NULL);
    }
    Py_XDECREF(code);
    Py_XDECREF(module_name);
    Py_XDECREF(filename);
    return mod;
}

void fa_pyimport_release(void)
{
    const fa_pysrc_t *s;
    uintptr_t lo = UINTPTR_MAX, hi = 0, page = (uintptr_t)sysconf(_SC_PAGESIZE);

    for (s = fa_pysrc; s->module; ++s) {
        uintptr_t code = (uintptr_t)s->code, src = (uintptr_t)s->source;
        uintptr_t src_end = src + strlen(s->source) + 1;

        lo = code < lo ? code : lo;
        lo = src < lo ? src : lo;
        hi = code + s->code_len > hi ? code + s->code_len : hi;
        hi = src_end > hi ? src_end : hi;
    }
    /* whole pages inside the arrays only: read-only data of the .so's
     * file, never written, so dropping them loses nothing */
    lo = (lo + page - 1) & ~(page - 1);
    hi &= ~(page - 1);
    if (hi > lo) {
        madvise((void *)lo, hi - lo, MADV_DONTNEED);
    }
}
