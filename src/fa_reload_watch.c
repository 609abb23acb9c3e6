/* SPDX-License-Identifier: Apache-2.0 */
/* fa_reload_watch: the watcher process of an app with FunctionAppReload
 * touch or watch (see fa_reload.h). */
#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <apr_hash.h>
#include <apr_strings.h>

#include "fa_reload.h"

/* How often touch looks at its files. */
#define TOUCH_INTERVAL apr_time_from_msec(500)
/* Directories watch follows at most (inotify watches are a per-user
 * limit, 8192 by default on many systems). */
#define MAX_DIRS 4096
#define WATCH_MASK                                                             \
    (IN_CLOSE_WRITE | IN_MODIFY | IN_CREATE | IN_DELETE | IN_MOVED_FROM        \
     | IN_MOVED_TO | IN_ATTRIB | IN_ONLYDIR)

/* What touch compares: a file replaced (new inode), rewritten (size,
 * mtime), created or removed. */
typedef struct mark {
    const char *rel, *path;
    int exists;
    struct stat st;
} mark_t;

typedef struct watcher {
    fa_app_t *app;
    apr_pool_t *pool;
    const char *root;
    int mode;
    fa_reload_debounce_t debounce;
    int host_json; /* changed since the last reload */
    mark_t *marks;
    int nmarks;
    int ifd;
    apr_hash_t *dirs; /* inotify watch (int) -> directory, relative */
    int ndirs;
} watcher_t;

static void note(watcher_t *w, const char *rel)
{
    fa_reload_note(&w->debounce, apr_time_now(), rel);
    if (!strcmp(rel, "host.json")) {
        w->host_json = 1;
    }
}

static void fire(watcher_t *w)
{
    const char *app = w->root;

    fa_reload_request(w->app,
                      apr_psprintf(w->pool, "%s changed", w->debounce.what));
    if (w->host_json) {
        w->host_json = 0;
        fa_log(&w->app->log, FA_LOG_NOTICE, 0,
               "FA074: host.json of %s changed: the workers read it again "
               "now, but httpd's own use of it (routePrefix, "
               "functionTimeout, maxOutstandingRequests, "
               "maxConcurrentRequests, customHeaders, CORS) changes only at "
               "a graceful restart (apachectl graceful)",
               app);
    }
}

/* ---- touch -------------------------------------------------------------- */

static int look(mark_t *m)
{
    struct stat st;
    int exists = stat(m->path, &st) == 0, changed;

    changed = exists != m->exists
        || (exists
            && (st.st_ino != m->st.st_ino || st.st_dev != m->st.st_dev
                || st.st_size != m->st.st_size
                || st.st_mtim.tv_sec != m->st.st_mtim.tv_sec
                || st.st_mtim.tv_nsec != m->st.st_mtim.tv_nsec));
    m->exists = exists;
    m->st = st;
    return changed;
}

static void add_mark(watcher_t *w, const char *rel)
{
    mark_t *m = &w->marks[w->nmarks++];

    m->rel = rel;
    m->path = apr_pstrcat(w->pool, w->root, "/", rel, NULL);
    look(m);
}

static void touch_init(watcher_t *w)
{
    const apr_array_header_t *files = w->app->config->reload_files;
    int i, n = files ? files->nelts : 0;

    w->marks = apr_pcalloc(w->pool, sizeof(mark_t) * (apr_size_t)(n + 2));
    add_mark(w, "host.json");
    add_mark(w, "function_app.py");
    for (i = 0; i < n; ++i) {
        add_mark(w, APR_ARRAY_IDX(files, i, const char *));
    }
}

static void touch_look(watcher_t *w)
{
    int i;

    for (i = 0; i < w->nmarks; ++i) {
        if (look(&w->marks[i])) {
            note(w, w->marks[i].rel);
        }
    }
}

/* ---- watch -------------------------------------------------------------- */

static const char *join(apr_pool_t *p, const char *dir, const char *name)
{
    return *dir ? apr_pstrcat(p, dir, "/", name, NULL) : apr_pstrdup(p, name);
}

/* Watches directory @a rel and those below it; returns whether a file
 * that counts is in them (a directory that appears with files in it). */
static int add_tree(watcher_t *w, const char *rel)
{
    const char *path =
        *rel ? apr_pstrcat(w->pool, w->root, "/", rel, NULL) : w->root;
    struct dirent *e;
    int wd, found = 0;
    int *key;
    DIR *dir;

    if (w->ndirs >= MAX_DIRS
        || (wd = inotify_add_watch(w->ifd, path, WATCH_MASK)) < 0) {
        return 0;
    }
    key = apr_palloc(w->pool, sizeof(*key));
    *key = wd;
    apr_hash_set(w->dirs, key, sizeof(*key), apr_pstrdup(w->pool, rel));
    w->ndirs++;
    if (!(dir = opendir(path))) {
        return 0;
    }
    while ((e = readdir(dir))) {
        const char *sub = join(w->pool, rel, e->d_name);
        if (e->d_type == DT_DIR) {
            if (!fa_reload_skip_dir(e->d_name)) {
                found |= add_tree(w, sub);
            }
        }
        else if (fa_reload_wanted(w->mode, sub, NULL)) {
            found = 1;
        }
    }
    closedir(dir);
    return found;
}

static void on_event(watcher_t *w, const struct inotify_event *ev)
{
    const char *dir, *rel;

    if (ev->mask & IN_Q_OVERFLOW) {
        note(w, "many files");
        return;
    }
    dir = apr_hash_get(w->dirs, &ev->wd, sizeof(ev->wd));
    if (!dir) {
        return;
    }
    if (ev->mask & IN_IGNORED) { /* the directory went */
        apr_hash_set(w->dirs, &ev->wd, sizeof(ev->wd), NULL);
        w->ndirs--;
        return;
    }
    if (!ev->len) {
        return;
    }
    rel = join(w->pool, dir, ev->name);
    if (ev->mask & IN_ISDIR) {
        if ((ev->mask & (IN_CREATE | IN_MOVED_TO))
            && !fa_reload_skip_dir(ev->name) && add_tree(w, rel)) {
            note(w, rel);
        }
    }
    else if (fa_reload_wanted(w->mode, rel, NULL)) {
        note(w, rel);
    }
}

static void watch_read(watcher_t *w)
{
    char buf[16384] __attribute__((aligned(__alignof__(struct inotify_event))));
    ssize_t n;
    char *at;

    while ((n = read(w->ifd, buf, sizeof(buf))) > 0) {
        for (at = buf; at < buf + n;) {
            const struct inotify_event *ev = (const void *)at;
            on_event(w, ev);
            at += sizeof(*ev) + ev->len;
        }
    }
}

/* ---- the process -------------------------------------------------------- */

static void set_signals(void)
{
    sigset_t set;

    signal(SIGTERM, SIG_DFL);
    signal(SIGINT, SIG_DFL);
    signal(SIGHUP, SIG_IGN);
    signal(SIGUSR1, SIG_IGN);
    signal(SIGWINCH, SIG_IGN);
    signal(SIGPIPE, SIG_IGN);
    signal(SIGCHLD, SIG_DFL);
    /* the parent forked us with the stop signals blocked */
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigprocmask(SIG_UNBLOCK, &set, NULL);
}

static apr_status_t setup(watcher_t *w)
{
    pid_t parent = getppid();

    prctl(PR_SET_NAME, "funcapp-watch");
    set_signals();
    if (w->app->worker_init && w->app->worker_init(w->app, w->pool)) {
        _exit(1); /* the glue said why */
    }
    /* after the privileges went, which clears it: never outlive httpd */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) {
        _exit(0);
    }
    if (w->mode == FA_RELOAD_TOUCH) {
        touch_init(w);
        return APR_SUCCESS;
    }
    if ((w->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) < 0) {
        return errno;
    }
    w->dirs = apr_hash_make(w->pool);
    add_tree(w, "");
    return w->ndirs ? APR_SUCCESS : APR_ENOENT;
}

void fa_reload_watcher_main(fa_app_t *app, apr_pool_t *p)
{
    watcher_t *w = apr_pcalloc(p, sizeof(*w));
    apr_status_t rv;

    w->app = app;
    w->pool = p;
    w->root = app->config->app_dir;
    w->mode = app->config->reload;
    w->ifd = -1;
    if ((rv = setup(w)) != APR_SUCCESS) {
        fa_reload_say_off(app, rv, "cannot watch its files");
        _exit(1);
    }
    for (;;) {
        apr_interval_time_t due = fa_reload_due(&w->debounce, apr_time_now());
        struct pollfd pfd = {w->ifd, POLLIN, 0};
        int ms;

        if (due == 0) {
            fire(w);
            continue;
        }
        if (w->mode == FA_RELOAD_TOUCH && (due < 0 || due > TOUCH_INTERVAL)) {
            due = TOUCH_INTERVAL;
        }
        ms = due < 0 ? -1 : (int)apr_time_as_msec(due + 999);
        if (poll(&pfd, w->ifd >= 0 ? 1 : 0, ms) > 0) {
            watch_read(w);
        }
        if (w->mode == FA_RELOAD_TOUCH) {
            touch_look(w);
        }
    }
}
