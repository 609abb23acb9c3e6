/* SPDX-License-Identifier: Apache-2.0 */
/* fa_watch: the running sync invocations and their deadlines (see
 * fa_watch.h). */
#include <apr_strings.h>
#include <apr_thread_mutex.h>

#include "fa_watch.h"

typedef struct entry {
    apr_uint64_t serial; /* 0: a free place */
    unsigned long ident;
    apr_time_t started;
    apr_time_t raised_at; /* when FA_WATCH_RAISE was given */
    int raised;           /* FA_WATCH_RAISE was given */
    int stuck;            /* FA_WATCH_STUCK was given */
    const char *id;
    const char *function;
} entry_t;

struct fa_watch {
    apr_thread_mutex_t *lock;
    apr_interval_time_t timeout, grace;
    apr_uint64_t serials; /* the last given */
    int n;
    entry_t *entries;
};

apr_status_t fa_watch_create(fa_watch_t **watch, apr_pool_t *p, int entries,
                             apr_interval_time_t timeout,
                             apr_interval_time_t grace)
{
    fa_watch_t *w;
    apr_status_t rv;

    if (entries < 1 || timeout <= 0 || grace <= 0) {
        return APR_EINVAL;
    }
    w = apr_pcalloc(p, sizeof(*w));
    w->timeout = timeout;
    w->grace = grace;
    w->n = entries;
    w->entries = apr_pcalloc(p, sizeof(entry_t) * (apr_size_t)entries);
    if ((rv = apr_thread_mutex_create(&w->lock, APR_THREAD_MUTEX_DEFAULT, p))
        != APR_SUCCESS) {
        return rv;
    }
    *watch = w;
    return APR_SUCCESS;
}

int fa_watch_enter(fa_watch_t *watch, unsigned long ident, apr_time_t now,
                   const char *id, const char *function)
{
    int i;

    apr_thread_mutex_lock(watch->lock);
    for (i = 0; i < watch->n && watch->entries[i].serial; ++i) {
    }
    if (i < watch->n) {
        entry_t *e = &watch->entries[i];
        e->serial = ++watch->serials;
        e->ident = ident;
        e->started = now;
        e->raised = 0;
        e->stuck = 0;
        e->id = id;
        e->function = function;
    }
    apr_thread_mutex_unlock(watch->lock);
    return i < watch->n ? i : -1;
}

int fa_watch_leave(fa_watch_t *watch, int entry)
{
    int raised;

    if (entry < 0 || entry >= watch->n) {
        return 0;
    }
    apr_thread_mutex_lock(watch->lock);
    raised = watch->entries[entry].raised;
    watch->entries[entry].serial = 0;
    apr_thread_mutex_unlock(watch->lock);
    return raised;
}

int fa_watch_running(fa_watch_t *watch, int entry, apr_uint64_t serial)
{
    int running;

    if (entry < 0 || entry >= watch->n) {
        return 0;
    }
    apr_thread_mutex_lock(watch->lock);
    running = watch->entries[entry].serial == serial;
    apr_thread_mutex_unlock(watch->lock);
    return running;
}

/* With the lock held: @a e is given as due now. */
static void give(entry_t *e, int i, fa_watch_action_e action,
                 fa_watch_due_t *due)
{
    due->action = action;
    due->entry = i;
    due->serial = e->serial;
    due->ident = e->ident;
    due->started = e->started;
    apr_cpystrn(due->id, e->id ? e->id : "-", sizeof(due->id));
    apr_cpystrn(due->function, e->function ? e->function : "-",
                sizeof(due->function));
}

apr_interval_time_t fa_watch_due(fa_watch_t *watch, apr_time_t now,
                                 fa_watch_due_t *due)
{
    apr_interval_time_t wait = watch->timeout, left;
    int i;

    due->action = FA_WATCH_NONE;
    apr_thread_mutex_lock(watch->lock);
    for (i = 0; i < watch->n; ++i) {
        entry_t *e = &watch->entries[i];
        if (!e->serial || e->stuck) {
            continue;
        }
        if (!e->raised) {
            left = e->started + watch->timeout - now;
            if (left <= 0) {
                e->raised = 1;
                e->raised_at = now;
                give(e, i, FA_WATCH_RAISE, due);
                break;
            }
        }
        else {
            left = e->raised_at + watch->grace - now;
            if (left <= 0) {
                e->stuck = 1;
                give(e, i, FA_WATCH_STUCK, due);
                break;
            }
        }
        wait = left < wait ? left : wait;
    }
    apr_thread_mutex_unlock(watch->lock);
    return due->action == FA_WATCH_NONE ? wait : 0;
}
