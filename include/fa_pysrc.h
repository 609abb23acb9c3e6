/* SPDX-License-Identifier: Apache-2.0 */
/**
 * fa_pysrc: the Python side, compiled into the module as source text
 * (generated at build time from python/ by build/embed_python.py).
 *
 * Read-only data of the .so; only a worker process reads it, through its
 * importer (fa_pyimport.c), without copying it.
 */
#ifndef FA_PYSRC_H
#define FA_PYSRC_H

typedef struct fa_pysrc {
    const char *module; /* dotted name, e.g. "azure.functions._http" */
    int is_package;
    const char *path; /* relative file name, for tracebacks */
    const char *source;
    const char *code; /* marshalled code object, compiled at build time */
    unsigned long code_len;
    long magic; /* the compiling Python's bytecode magic number */
} fa_pysrc_t;

/** Terminated by an entry whose module is NULL. */
extern const fa_pysrc_t fa_pysrc[];

#endif
