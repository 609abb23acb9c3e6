/* SPDX-License-Identifier: Apache-2.0 */
/* fa_reload: FunctionAppReload's parsing, which changes count, the
 * debounce, and asking for a reload (see fa_reload.h). */
#include <string.h>
#include <strings.h>

#include <apr_strings.h>
#include <jansson.h>

#include "fa_doorbell.h"
#include "fa_reload.h"
#include "fa_slot.h"

#define USAGE "FunctionAppReload must be off, touch [FILE...] or watch"

/* A FILE of touch: relative to the app root and inside it. */
static int good_file(const char *f)
{
    const char *seg = f;

    if (!*f || *f == '/') {
        return 0;
    }
    while (seg) {
        if (!strncmp(seg, "..", 2) && (seg[2] == '/' || !seg[2])) {
            return 0;
        }
        seg = strchr(seg, '/');
        seg = seg ? seg + 1 : NULL;
    }
    return 1;
}

apr_status_t fa_reload_parse(apr_pool_t *p, int argc, char *const *argv,
                             int *mode, apr_array_header_t **files,
                             const char **error)
{
    int i;

    *files = NULL;
    if (argc < 1) {
        *error = USAGE;
        return APR_EINVAL;
    }
    if (!strcasecmp(argv[0], "touch")) {
        *mode = FA_RELOAD_TOUCH;
        *files = apr_array_make(p, argc, sizeof(const char *));
        for (i = 1; i < argc; ++i) {
            if (!good_file(argv[i])) {
                *error = apr_psprintf(p,
                                      "FunctionAppReload touch: FILE must be "
                                      "relative to the app root and inside "
                                      "it, not '%s'",
                                      argv[i]);
                return APR_EINVAL;
            }
            APR_ARRAY_PUSH(*files, const char *) = argv[i];
        }
        return APR_SUCCESS;
    }
    if (argc == 1 && !strcasecmp(argv[0], "off")) {
        *mode = FA_RELOAD_OFF;
        return APR_SUCCESS;
    }
    if (argc == 1 && !strcasecmp(argv[0], "watch")) {
        *mode = FA_RELOAD_WATCH;
        return APR_SUCCESS;
    }
    *error =
        apr_psprintf(p, USAGE ", not '%s%s'", argv[0], argc > 1 ? " ..." : "");
    return APR_EINVAL;
}

int fa_reload_skip_dir(const char *name)
{
    /* dot directories (.venv, .git, .vscode) and what Python or pip
     * write: none of it is the app's own code */
    return name[0] == '.' || !strcmp(name, "__pycache__")
        || !strcmp(name, "venv") || !strcmp(name, "node_modules");
}

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');

    return slash ? slash + 1 : path;
}

static int ends_with(const char *s, const char *end)
{
    apr_size_t n = strlen(s), m = strlen(end);

    return n >= m && !strcmp(s + n - m, end);
}

int fa_reload_wanted(int mode, const char *relpath,
                     const apr_array_header_t *files)
{
    const char *base = base_name(relpath);
    int i;

    if (mode == FA_RELOAD_TOUCH) {
        if (!strcmp(relpath, "host.json")
            || !strcmp(relpath, "function_app.py")) {
            return 1;
        }
        for (i = 0; files && i < files->nelts; ++i) {
            if (!strcmp(relpath, APR_ARRAY_IDX(files, i, const char *))) {
                return 1;
            }
        }
        return 0;
    }
    if (mode != FA_RELOAD_WATCH || base[0] == '.') {
        return 0; /* editors' swap and lock files start with a dot */
    }
    return ends_with(base, ".py") || !strcmp(base, "function.json")
        || !strcmp(relpath, "host.json")
        || !strcmp(relpath, "local.settings.json");
}

void fa_reload_note(fa_reload_debounce_t *d, apr_time_t now, const char *what)
{
    if (!d->pending) {
        d->pending = 1;
        d->first = now;
        apr_cpystrn(d->what, what, sizeof(d->what));
    }
    d->last = now;
}

apr_interval_time_t fa_reload_due(fa_reload_debounce_t *d, apr_time_t now)
{
    apr_time_t at;

    if (!d->pending) {
        return -1;
    }
    at = d->last + FA_RELOAD_QUIET;
    if (at > d->first + FA_RELOAD_MAX_WAIT) {
        at = d->first + FA_RELOAD_MAX_WAIT;
    }
    if (now >= at) {
        d->pending = 0;
        return 0;
    }
    return at - now;
}

void fa_reload_request(fa_app_t *app, const char *reason)
{
    apr_uint32_t count = fa_slot_new_reload(app->slots, app->nslots);
    int i;

    for (i = 0; i < app->nslots; ++i) {
        fa_slot_ask(app->slots, i, FA_SLOT_ASK_RELOAD);
    }
    fa_doorbell_ring(app->doorbell);
    fa_log(&app->log, FA_LOG_NOTICE, 0,
           "FA098: reloading %s (%s): %d new worker(s) start; those "
           "serving now finish their requests first (reload %u)",
           app->config->app_dir ? app->config->app_dir
                                : "the FunctionHandler app",
           reason, app->nslots, count);
}

void fa_reload_say_off(fa_app_t *app, apr_status_t rv, const char *why)
{
    fa_log(&app->log, FA_LOG_ERR, rv,
           "FA068: FunctionAppReload for %s: %s; its code is not reloaded "
           "on change until httpd restarts (POST /admin/host/restart "
           "still reloads it)",
           app->config->app_dir ? app->config->app_dir
                                : "the FunctionHandler app",
           why);
}

int fa_reload_table_failed(const char *json, apr_size_t len)
{
    json_t *root = json_loadb(json, len, 0, NULL), *item;
    size_t i;
    int failed = !json_is_array(root);

    json_array_foreach(root, i, item)
    {
        failed |= json_is_string(json_object_get(item, "error"));
    }
    json_decref(root);
    return failed;
}
