/* SPDX-License-Identifier: Apache-2.0 */
/* fa_suspend: the watcher thread of the suspended requests (fa_suspend.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <apr_ring.h>
#include <apr_thread_mutex.h>
#include <apr_thread_proc.h>

#include "fa_suspend.h"

/* Deadlines are looked at this often: a function timeout is answered
 * within this much of its time. */
#define TICK_MS 100
/* Stalled workers are looked for this often (their heartbeat's beat). */
#define STALL_CHECK apr_time_from_sec(1)
/* What a buried object waits before it is destroyed. */
#define GRACE apr_time_from_sec(1)
#define MAX_EVENTS 256

typedef enum { WATCH_WORKER, WATCH_CLIENT, WATCH_LINGER } watch_kind_e;

/* What an epoll entry points to. */
typedef struct watch {
    watch_kind_e kind;
    void *owner; /* fa_suspended_t, or linger_t */
} watch_t;

struct fa_suspended {
    APR_RING_ENTRY(fa_suspended) link;
    fa_suspend_t *s;
    watch_t worker, client;
    int worker_fd, client_fd;
    apr_time_t deadline;
    void *baton;
    fa_suspend_event_e event;
    int parked, fired;
};

typedef struct lingering_fd {
    APR_RING_ENTRY(lingering_fd) link;
    watch_t watch;
    int fd;
    apr_time_t until;
} linger_t;

typedef struct grave {
    APR_RING_ENTRY(grave) link;
    void (*destroy)(void *);
    void *obj;
    apr_time_t when;
} grave_t;

APR_RING_HEAD(suspended_ring, fa_suspended);
APR_RING_HEAD(linger_ring, lingering_fd);
APR_RING_HEAD(grave_ring, grave);

struct fa_suspend {
    apr_thread_mutex_t *lock; /* the rings and each entry's state */
    struct suspended_ring waiting;
    struct linger_ring lingering;
    struct grave_ring graves;
    int count;
    int epfd, wakefd;
    volatile int stopping;
    apr_thread_t *thread;
    fa_suspend_fire_fn *fire;
    fa_suspend_stalled_fn *stalled;
};

static void watch_fd(fa_suspend_t *s, int fd, watch_t *w, apr_uint32_t events)
{
    struct epoll_event ev = {0};

    ev.events = events;
    ev.data.ptr = w;
    epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &ev);
}

static void unwatch_fd(fa_suspend_t *s, int fd)
{
    if (fd >= 0) {
        epoll_ctl(s->epfd, EPOLL_CTL_DEL, fd, NULL);
    }
}

static void watch_request(fa_suspended_t *e)
{
    watch_fd(e->s, e->worker_fd, &e->worker, EPOLLIN);
    if (e->client_fd >= 0) {
        watch_fd(e->s, e->client_fd, &e->client, EPOLLRDHUP);
    }
}

/* Under the lock: the request's event came; fires it if it is parked.
 * Returns whether the caller must fire it (outside the lock). */
static int set_event(fa_suspended_t *e, fa_suspend_event_e event)
{
    if (e->event != FA_SUSPEND_WAITING) {
        return 0;
    }
    e->event = event;
    unwatch_fd(e->s, e->worker_fd);
    unwatch_fd(e->s, e->client_fd);
    APR_RING_REMOVE(e, link);
    APR_RING_ELEM_INIT(e, link);
    --e->s->count;
    if (e->parked && !e->fired) {
        e->fired = 1;
        return 1;
    }
    return 0;
}

static void end_linger(fa_suspend_t *s, linger_t *l)
{
    unwatch_fd(s, l->fd);
    close(l->fd);
    APR_RING_REMOVE(l, link);
    free(l);
}

/* Reads what the client still sends; closes at its end. */
static void drain(fa_suspend_t *s, linger_t *l)
{
    char buf[4096];
    ssize_t n;

    while ((n = read(l->fd, buf, sizeof(buf))) > 0) {
    }
    if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
        end_linger(s, l);
    }
}

/* Fires the requests of one epoll_wait (the lock held on entry). */
static int take_events(fa_suspend_t *s, struct epoll_event *ev, int n,
                       fa_suspended_t **fire, int max_fire)
{
    int i, nfire = 0;

    for (i = 0; i < n; ++i) {
        watch_t *w = ev[i].data.ptr;
        if (!w) {
            continue; /* the wake-up */
        }
        if (w->kind == WATCH_LINGER) {
            drain(s, w->owner);
        }
        else if (nfire < max_fire
                 && set_event(w->owner,
                              w->kind == WATCH_WORKER
                                  ? FA_SUSPEND_ANSWER
                                  : FA_SUSPEND_CLIENT_GONE)) {
            fire[nfire++] = w->owner;
        }
    }
    return nfire;
}

/* The deadlines, stalled workers, lingering sockets and graves due. */
static int take_due(fa_suspend_t *s, apr_time_t now, int check_stalls,
                    fa_suspended_t **fire, int max_fire)
{
    fa_suspended_t *e, *next;
    linger_t *l, *lnext;
    int nfire = 0;

    for (e = APR_RING_FIRST(&s->waiting);
         e != APR_RING_SENTINEL(&s->waiting, fa_suspended, link)
         && nfire < max_fire;
         e = next) {
        next = APR_RING_NEXT(e, link);
        if (e->deadline && now >= e->deadline) {
            if (set_event(e, FA_SUSPEND_TIMEOUT)) {
                fire[nfire++] = e;
            }
        }
        else if (check_stalls && s->stalled(e->baton)) {
            if (set_event(e, FA_SUSPEND_STALLED)) {
                fire[nfire++] = e;
            }
        }
    }
    for (l = APR_RING_FIRST(&s->lingering);
         l != APR_RING_SENTINEL(&s->lingering, lingering_fd, link); l = lnext) {
        lnext = APR_RING_NEXT(l, link);
        if (now >= l->until) {
            end_linger(s, l);
        }
    }
    return nfire;
}

/* Graves whose time came, taken off the ring (destroyed unlocked). */
static grave_t *take_graves(fa_suspend_t *s, apr_time_t now)
{
    grave_t *g, *due = NULL;

    while (!APR_RING_EMPTY(&s->graves, grave, link)
           && (g = APR_RING_FIRST(&s->graves))->when <= now) {
        APR_RING_REMOVE(g, link);
        APR_RING_NEXT(g, link) = due;
        due = g;
    }
    return due;
}

static void bury_all(grave_t *g)
{
    while (g) {
        grave_t *next = APR_RING_NEXT(g, link);
        g->destroy(g->obj);
        free(g);
        g = next;
    }
}

static void *APR_THREAD_FUNC watcher(apr_thread_t *thread, void *data)
{
    fa_suspend_t *s = data;
    struct epoll_event ev[MAX_EVENTS];
    fa_suspended_t *fire[MAX_EVENTS * 2];
    apr_time_t last_stall_check = apr_time_now();

    (void)thread;
    while (!s->stopping) {
        int n = epoll_wait(s->epfd, ev, MAX_EVENTS, TICK_MS), nfire, i;
        apr_time_t now = apr_time_now();
        int check_stalls = now - last_stall_check >= STALL_CHECK;
        grave_t *graves;
        eventfd_t drop;

        if (check_stalls) {
            last_stall_check = now;
        }
        eventfd_read(s->wakefd, &drop);
        apr_thread_mutex_lock(s->lock);
        nfire = n > 0 ? take_events(s, ev, n, fire, MAX_EVENTS) : 0;
        nfire += take_due(s, now, check_stalls, fire + nfire, MAX_EVENTS);
        graves = take_graves(s, now);
        apr_thread_mutex_unlock(s->lock);
        for (i = 0; i < nfire; ++i) {
            s->fire(fire[i]->baton);
        }
        bury_all(graves);
    }
    return NULL;
}

static apr_status_t stop(void *data)
{
    fa_suspend_t *s = data;
    apr_status_t rv;
    linger_t *l;

    s->stopping = 1;
    eventfd_write(s->wakefd, 1);
    apr_thread_join(&rv, s->thread);
    while (!APR_RING_EMPTY(&s->lingering, lingering_fd, link)) {
        l = APR_RING_FIRST(&s->lingering);
        end_linger(s, l);
    }
    bury_all(take_graves(s, APR_INT64_MAX));
    close(s->epfd);
    close(s->wakefd);
    return APR_SUCCESS;
}

apr_status_t fa_suspend_create(fa_suspend_t **out, apr_pool_t *p,
                               fa_suspend_fire_fn *fire,
                               fa_suspend_stalled_fn *stalled)
{
    fa_suspend_t *s = apr_pcalloc(p, sizeof(*s));
    struct epoll_event ev = {0};
    apr_status_t rv;

    s->fire = fire;
    s->stalled = stalled;
    APR_RING_INIT(&s->waiting, fa_suspended, link);
    APR_RING_INIT(&s->lingering, lingering_fd, link);
    APR_RING_INIT(&s->graves, grave, link);
    s->epfd = epoll_create1(EPOLL_CLOEXEC);
    s->wakefd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (s->epfd < 0 || s->wakefd < 0) {
        rv = errno;
        close(s->epfd);
        close(s->wakefd);
        return rv;
    }
    ev.events = EPOLLIN;
    ev.data.ptr = NULL;
    epoll_ctl(s->epfd, EPOLL_CTL_ADD, s->wakefd, &ev);
    apr_thread_mutex_create(&s->lock, APR_THREAD_MUTEX_DEFAULT, p);
    rv = apr_thread_create(&s->thread, NULL, watcher, s, p);
    if (rv != APR_SUCCESS) {
        close(s->epfd);
        close(s->wakefd);
        return rv;
    }
    /* a pre-cleanup: the thread stops before the pool's mutex goes */
    apr_pool_pre_cleanup_register(p, s, stop);
    *out = s;
    return APR_SUCCESS;
}

fa_suspended_t *fa_suspend_add(fa_suspend_t *s, int worker_fd, int client_fd,
                               apr_time_t deadline, void *baton)
{
    fa_suspended_t *e;

    if (s->stopping || !(e = calloc(1, sizeof(*e)))) {
        return NULL;
    }
    e->s = s;
    e->worker.kind = WATCH_WORKER;
    e->worker.owner = e;
    e->client.kind = WATCH_CLIENT;
    e->client.owner = e;
    e->worker_fd = worker_fd;
    e->client_fd = client_fd;
    e->deadline = deadline;
    e->baton = baton;
    apr_thread_mutex_lock(s->lock);
    APR_RING_INSERT_TAIL(&s->waiting, e, fa_suspended, link);
    ++s->count;
    watch_request(e);
    apr_thread_mutex_unlock(s->lock);
    return e;
}

void fa_suspend_park(fa_suspended_t *e)
{
    int fire = 0;

    apr_thread_mutex_lock(e->s->lock);
    e->parked = 1;
    if (e->event != FA_SUSPEND_WAITING && !e->fired) {
        e->fired = fire = 1;
    }
    apr_thread_mutex_unlock(e->s->lock);
    if (fire) {
        e->s->fire(e->baton);
    }
}

fa_suspend_event_e fa_suspend_event(const fa_suspended_t *e)
{
    return e->event;
}

void fa_suspend_rearm(fa_suspended_t *e, int worker_fd, apr_time_t deadline)
{
    fa_suspend_t *s = e->s;

    apr_thread_mutex_lock(s->lock);
    e->worker_fd = worker_fd;
    e->deadline = deadline;
    e->event = FA_SUSPEND_WAITING;
    e->fired = 0;
    APR_RING_INSERT_TAIL(&s->waiting, e, fa_suspended, link);
    ++s->count;
    watch_request(e);
    apr_thread_mutex_unlock(s->lock);
}

void fa_suspend_done(fa_suspended_t *e)
{
    free(e);
}

void fa_suspend_linger(fa_suspend_t *s, int fd, apr_interval_time_t linger)
{
    linger_t *l = calloc(1, sizeof(*l));

    if (!l) {
        close(fd);
        return;
    }
    l->watch.kind = WATCH_LINGER;
    l->watch.owner = l;
    l->fd = fd;
    l->until = apr_time_now() + linger;
    /* drain reads until EAGAIN */
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    apr_thread_mutex_lock(s->lock);
    APR_RING_INSERT_TAIL(&s->lingering, l, lingering_fd, link);
    watch_fd(s, fd, &l->watch, EPOLLIN | EPOLLRDHUP);
    apr_thread_mutex_unlock(s->lock);
}

void fa_suspend_bury(fa_suspend_t *s, void (*destroy)(void *), void *obj)
{
    grave_t *g = calloc(1, sizeof(*g));

    if (!g) {
        return; /* leaked rather than destroyed too soon */
    }
    g->destroy = destroy;
    g->obj = obj;
    g->when = apr_time_now() + GRACE;
    apr_thread_mutex_lock(s->lock);
    APR_RING_INSERT_TAIL(&s->graves, g, grave, link);
    apr_thread_mutex_unlock(s->lock);
}

int fa_suspend_count(fa_suspend_t *s)
{
    return s->count;
}
