/* SPDX-License-Identifier: Apache-2.0 */
/**
 * fa_config: what one function app is configured to be, from httpd.conf,
 * host.json and local.settings.json, validated the way `apachectl
 * configtest` reports it: one line naming the directive and its range.
 *
 * Runs in the httpd parent while it reads httpd.conf (and again at each
 * graceful restart).  What it makes lives in pconf; the children and the
 * workers inherit it and only read it.
 */
#ifndef FA_CONFIG_H
#define FA_CONFIG_H

#include <apr_pools.h>
#include <apr_tables.h>

#define FA_PROCESS_COUNT_MIN 1
#define FA_PROCESS_COUNT_MAX 10
#define FA_THREAD_COUNT_MIN 1
#define FA_THREAD_COUNT_MAX 32
/** The longest an HTTP function may answer on Azure, functionTimeout's
 * default here. */
#define FA_FUNCTION_TIMEOUT_DEFAULT apr_time_from_sec(230)
/** How long a retired worker may finish its requests, by default. */
#define FA_GRACEFUL_TIMEOUT_DEFAULT apr_time_from_sec(30)
/** Azure's cap on a request body, used when LimitRequestBody is larger;
 * the app setting FUNCTIONS_REQUEST_BODY_SIZE_LIMIT raises it, up to
 * FA_MAX_BODY_SETTING.  Responses keep this cap. */
#define FA_MAX_BODY (100 * 1024 * 1024)
#define FA_MAX_BODY_SETTING 2147483647

/** One `FunctionHandler ROUTE FILE[:CALLABLE] [methods=..] [authLevel=..]`. */
typedef struct fa_handler_spec {
    const char *route;
    const char *file;       /* absolute */
    const char *callable;   /* default "main" */
    const char *methods;    /* "GET,POST" or NULL for every method */
    const char *auth_level; /* anonymous | function | admin, or NULL */
} fa_handler_spec_t;

/** One `FunctionAppKey SCOPE NAME VALUE`; VALUE as given (file:, env:
 * are resolved when the keys are read, in post_config). */
typedef struct fa_key_spec {
    const char *scope; /* master | host | a function's name */
    const char *name;
    const char *value;
} fa_key_spec_t;

/** How an app's keys are given. */
typedef enum {
    FA_KEYS_DEFAULT = 0, /* no directive: function/admin levels refused */
    FA_KEYS_OFF,         /* FunctionAppKeys off: nothing checked */
    FA_KEYS_ON           /* FunctionAppKeys DIR and/or FunctionAppKey */
} fa_keys_mode_e;

typedef struct fa_app_config {
    const char *app_dir; /* FunctionApp, absolute; NULL if only handlers */
    int process_count;   /* 0 until set or resolved */
    int thread_count;
    apr_table_t *settings;        /* FunctionAppSetting NAME VALUE */
    apr_array_header_t *handlers; /* of fa_handler_spec_t */
    int max_outstanding; /* host.json extensions.http.maxOutstandingRequests;
                          * 0 unbounded */
    int max_concurrent;  /* host.json extensions.http.maxConcurrentRequests;
                          * 0 unbounded */
    apr_size_t max_body; /* FUNCTIONS_REQUEST_BODY_SIZE_LIMIT, else
                          * FA_MAX_BODY (set by fa_config_resolve) */
    apr_interval_time_t function_timeout; /* FunctionTimeout, else
                                           * host.json functionTimeout; 0
                                           * unset, -1 none */
    apr_interval_time_t graceful_timeout; /* FunctionWorkerGracefulTimeout;
                                           * 0 unset, -1 none */
    apr_uint32_t max_requests;        /* FunctionWorkerMaxRequests N; 0 off */
    apr_uint32_t max_requests_jitter; /* its jitter=J */
    apr_uint64_t max_memory; /* FunctionWorkerMaxMemory, bytes; 0 off */
    fa_keys_mode_e keys_mode;
    int timers;        /* FunctionAppTimers: 1 on, -1 off, 0 unset (on) */
    int debug_headers; /* FunctionAppDebugHeaders: 1 on, -1 off, 0 unset
                        * (off) */
    int suspend;       /* FunctionAppSuspend: 1 on, -1 off, 0 unset (on) */
    apr_interval_time_t suspend_after; /* its after=MS: how long the handler
                                        * waits for the answer in its
                                        * thread before suspending */
    /* its threads=PCT: a request waits on past after=MS (up to 30 ms)
     * while no more than this share of its child's threads are busy */
    int suspend_threads;
    const char *keys_dir;            /* FunctionAppKeys DIR, absolute */
    apr_array_header_t *key_specs;   /* of fa_key_spec_t */
    const char *python_home;         /* FunctionAppPythonHome, as given */
    apr_array_header_t *python_path; /* FunctionAppPythonPath: char *s as
                                      * given, absolute once resolved */
    const char *venv_site; /* the venv's site-packages (fa_pyenv_resolve) */
    struct fa_cors *cors_directive; /* FunctionAppCors; NULL unset */
    int reload; /* FunctionAppReload: fa_reload_mode_e, 0 unset (off) */
    apr_array_header_t *reload_files; /* its FILE...: relative paths */
    /* Filled by fa_config_resolve: */
    struct fa_cors *cors;        /* the directive, else local.settings.json
                           * Host.CORS; NULL: no CORS */
    apr_table_t *custom_headers; /* host.json customHeaders; may be NULL */
    const char *route_prefix;    /* host.json extensions.http.routePrefix */
    apr_table_t *environment;    /* local.settings.json Values + settings */
} fa_app_config_t;

fa_app_config_t *fa_config_make(apr_pool_t *p);

/**
 * A virtual host's app from the main server's and its own directives: what
 * the vhost sets wins, the rest (app folder, handlers, counts, settings) is
 * inherited.  The result is an app of its own, with its own workers.
 */
fa_app_config_t *fa_config_merge(apr_pool_t *p, const fa_app_config_t *base,
                                 const fa_app_config_t *add);

/**
 * Parses a count directive's value: a plain decimal integer in [min, max].
 * On failure returns APR_EINVAL and *error is
 * "<name> must be an integer from <min> to <max>, not '<value>'".
 */
apr_status_t fa_config_parse_count(apr_pool_t *p, const char *name,
                                   const char *value, int min, int max,
                                   int *out, const char **error);

/** FunctionAppSuspend's after=MS when not given (measured: README). */
#define FA_SUSPEND_AFTER_DEFAULT_MS 5
/** The largest after=MS: beyond, the thread is held as without suspension. */
#define FA_SUSPEND_AFTER_MAX_MS 1000
/** FunctionAppSuspend's threads=PCT when not given: wait on unless
 * nearly every thread is busy, as in a burst (README). */
#define FA_SUSPEND_THREADS_DEFAULT 90

/**
 * Parses `FunctionAppSuspend on [after=MS] [threads=PCT]|off` into @a cfg
 * (suspend, suspend_after, suspend_threads).  On failure *error is
 * "FunctionAppSuspend must be on [after=MS] [threads=PCT] or off, ...".
 */
apr_status_t fa_config_parse_suspend(apr_pool_t *p, int argc, char *const *argv,
                                     fa_app_config_t *cfg, const char **error);

/**
 * Parses the FunctionHandler arguments (after ROUTE and FILE[:CALLABLE]),
 * resolving a relative FILE against @a base_dir.
 */
apr_status_t fa_config_parse_handler(apr_pool_t *p, const char *route,
                                     const char *file_spec, int nopts,
                                     char *const *opts, const char *base_dir,
                                     fa_handler_spec_t *out,
                                     const char **error);

/**
 * Records `FunctionAppKeys DIR|off` (@a dir absolute, or "off").  A
 * second FunctionAppKeys, or `off` beside FunctionAppKey, is an error.
 */
apr_status_t fa_config_set_keys(apr_pool_t *p, fa_app_config_t *cfg,
                                const char *dir, const char **error);

/**
 * Parses a timeout as Azure's functionTimeout and FunctionTimeout give
 * it: whole seconds, hh:mm:ss, or -1 / off for none (*out -1).  On
 * failure *error is "<name> must be SECONDS, hh:mm:ss or off, not '<value>'".
 */
apr_status_t fa_config_parse_timeout(apr_pool_t *p, const char *name,
                                     const char *value,
                                     apr_interval_time_t *out,
                                     const char **error);

/** Records `FunctionAppKey SCOPE NAME VALUE`. */
apr_status_t fa_config_add_key(apr_pool_t *p, fa_app_config_t *cfg,
                               const char *scope, const char *name,
                               const char *value, const char **error);

/** Checks that FunctionApp's DIR is a readable directory. */
apr_status_t fa_config_check_app_dir(apr_pool_t *p, const char *dir,
                                     const char **error);

/**
 * Completes a configuration once every directive is read: reads host.json
 * (route prefix) and local.settings.json (Values), then fills the counts
 * left unset from FUNCTIONS_WORKER_PROCESS_COUNT /
 * PYTHON_THREADPOOL_THREAD_COUNT (FunctionAppSetting first, then
 * local.settings.json) or the defaults.  Any failure is one line in *error.
 */
apr_status_t fa_config_resolve(apr_pool_t *p, fa_app_config_t *cfg,
                               const char **error);

#endif
