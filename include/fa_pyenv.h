/* SPDX-License-Identifier: Apache-2.0 */
/**
 * fa_pyenv: where an app's Python runs, as Azure's worker does it: its
 * working directory (the app root), the virtual environment it uses (a
 * `.venv` or `venv` in the app root, or FunctionAppPythonHome) and the
 * extra import paths of FunctionAppPythonPath.
 *
 * Resolved in the httpd parent while it checks the configuration, so
 * `apachectl configtest` refuses a venv made for another Python with one
 * line; the workers only read the result (fa_app_config_t's python_path
 * and venv_site) and chdir to fa_pyenv_app_root().
 */
#ifndef FA_PYENV_H
#define FA_PYENV_H

#include <apr_pools.h>

#include "fa_config.h"

/**
 * The app root: FunctionApp's DIR, else (FunctionHandler-only apps) the
 * directory of the first handler's file; NULL if there is neither.
 */
const char *fa_pyenv_app_root(apr_pool_t *p, const fa_app_config_t *cfg);

/**
 * Resolves @a cfg's FunctionAppPythonPath (relative to the app root) into
 * a new array of absolute directories, and finds its venv: the one named
 * by FunctionAppPythonHome (relative to the app root), else `.venv` or
 * `venv` in the app root if it has a pyvenv.cfg.  Sets cfg->venv_site to
 * its lib/python<version>/site-packages, or NULL if there is none.
 * @a python_version is the embedded Python's "X.Y".  A venv for another
 * version, a missing directory or a home without site-packages is
 * APR_EINVAL and one line in *error.
 */
apr_status_t fa_pyenv_resolve(apr_pool_t *p, fa_app_config_t *cfg,
                              const char *python_version, const char **error);

#endif
