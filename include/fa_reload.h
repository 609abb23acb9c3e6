/* SPDX-License-Identifier: Apache-2.0 */
/**
 * fa_reload: a new generation of one app's workers when its code changes
 * (`FunctionAppReload off|touch [FILE...]|watch`) or on demand
 * (`POST /admin/host/restart`), nothing else restarted.
 *
 * A reload is a count bumped in the app's shared memory (fa_slot_reloads)
 * and FA_SLOT_ASK_RELOAD on every slot, then a ring of the doorbell: the
 * parent starts a successor for each worker, as recycling does, and each
 * worker serving now drains once its successor is ready.  Any process of
 * the app may ask (an httpd child for the admin API, the watcher).
 *
 * The watcher is a process of its own per app with reload on, forked by
 * the parent for each generation (fa_reload_parent.c) and killed with
 * it: httpd's loop calls the parent back only when a child dies, so the
 * parent cannot look at files itself.  It runs as the workers' user,
 * without Python, holding what a worker holds (the error log, the
 * doorbell) but no socket, and its inotify descriptor.  `touch` looks at a few files' mtime, size and inode twice
 * a second; `watch` follows the app's tree with inotify.  Changes are
 * gathered until FA_RELOAD_QUIET passes without one, so saving many files
 * is one reload.
 *
 * The filter and the debounce are pure functions, tested alone.
 */
#ifndef FA_RELOAD_H
#define FA_RELOAD_H

#include <apr_pools.h>
#include <apr_tables.h>
#include <apr_time.h>

#include "fa_app.h"

typedef enum {
    FA_RELOAD_UNSET = 0, /* off */
    FA_RELOAD_OFF,
    FA_RELOAD_TOUCH,
    FA_RELOAD_WATCH
} fa_reload_mode_e;

/** A reload waits this long after the last change seen... */
#define FA_RELOAD_QUIET apr_time_from_msec(300)
/** ...but no longer than this after the first, so a file written without
 * pause still reloads. */
#define FA_RELOAD_MAX_WAIT apr_time_from_sec(3)

/**
 * Parses FunctionAppReload's arguments: off, watch, or touch followed by
 * files relative to the app root (no absolute path, no "..").  On failure
 * *error is one line naming the directive.
 */
apr_status_t fa_reload_parse(apr_pool_t *p, int argc, char *const *argv,
                             int *mode, apr_array_header_t **files,
                             const char **error);

/** Whether `watch` leaves out the directory @a name (a virtual
 * environment, .python_packages, __pycache__, any dot directory). */
int fa_reload_skip_dir(const char *name);

/** Whether a change to @a relpath (relative to the app root, '/'
 * separated) reloads the app under @a mode; @a files are touch's FILEs. */
int fa_reload_wanted(int mode, const char *relpath,
                     const apr_array_header_t *files);

/** Changes gathered until they settle. */
typedef struct fa_reload_debounce {
    int pending;
    apr_time_t first, last;
    char what[256]; /* the first file changed, for the log */
} fa_reload_debounce_t;

/** A change of @a what at @a now. */
void fa_reload_note(fa_reload_debounce_t *d, apr_time_t now, const char *what);

/** At @a now: 0 if a reload is due (the changes are taken: d->what says
 * which, until the next note), else how long until one may be (-1:
 * nothing pending). */
apr_interval_time_t fa_reload_due(fa_reload_debounce_t *d, apr_time_t now);

/** Any process of the app: reloads it, logging @a reason. */
void fa_reload_request(fa_app_t *app, const char *reason);

/** Worker: whether a function of its table (the loader's JSON) failed to
 * load.  A successor with such code does not replace a worker that
 * serves: it exits, and the old code serves until a later change. */
int fa_reload_table_failed(const char *json, apr_size_t len);

/** Any process: the app's files are not watched (@a why), until the
 * next start or graceful restart. */
void fa_reload_say_off(fa_app_t *app, apr_status_t rv, const char *why);

/** The watcher process, just forked, its sockets closed: drops its
 * privileges (app->worker_init) and watches; never returns. */
void fa_reload_watcher_main(fa_app_t *app, apr_pool_t *p);

#endif
