/* SPDX-License-Identifier: Apache-2.0 */
/**
 * fa_suspend: requests that wait for a worker without an httpd thread.
 *
 * Under the event MPM the handler of an async function sends the request
 * and returns SUSPENDED; the thread goes back to the MPM.  One watcher
 * thread an httpd child (this unit) polls the worker connections of the
 * suspended requests (and their clients' sockets, for a hang-up) and,
 * when one has something to say, the answer, a hang-up, the function
 * timeout, a stalled worker, asks the glue to finish the request on an
 * MPM thread (@a fire, which calls ap_mpm_register_timed_callback).
 *
 * A request is finished only once both are true: its event came, and the
 * thread that suspended it has left it (fa_suspend_park, from the MPM's
 * suspend_connection hook): two threads never use one request.
 *
 * It also ends what the glue hands it after a request: a client socket
 * to close after a lingering wait for the client's own close
 * (fa_suspend_linger), and an object to destroy a grace period later
 * (fa_suspend_bury).  No httpd headers: Linux epoll and an eventfd.
 */
#ifndef FA_SUSPEND_H
#define FA_SUSPEND_H

#include <apr_pools.h>
#include <apr_time.h>

typedef struct fa_suspend fa_suspend_t;
typedef struct fa_suspended fa_suspended_t;

/** Why a suspended request is to be finished. */
typedef enum {
    FA_SUSPEND_WAITING = 0,
    FA_SUSPEND_ANSWER,      /* the worker connection is readable */
    FA_SUSPEND_CLIENT_GONE, /* the client hung up */
    FA_SUSPEND_TIMEOUT,     /* the deadline passed */
    FA_SUSPEND_STALLED      /* @a stalled said so */
} fa_suspend_event_e;

/** Schedules fa_suspend's finishing of @a baton on another thread. */
typedef void fa_suspend_fire_fn(void *baton);
/** Whether the worker of @a baton stopped beating (called about once a
 * second from the watcher thread). */
typedef int fa_suspend_stalled_fn(void *baton);

/** Starts the watcher thread; it stops when @a p is cleared (the child
 * exits: a graceful stop has finished every suspended request by then,
 * as the event MPM waits for all its connections; an ungraceful one
 * drops them, their worker connections closed). */
apr_status_t fa_suspend_create(fa_suspend_t **s, apr_pool_t *p,
                               fa_suspend_fire_fn *fire,
                               fa_suspend_stalled_fn *stalled);

/** Watches @a worker_fd (readable) and @a client_fd (hang-up; -1 for
 * none) until @a deadline (0: none).  NULL if the watcher is stopping. */
fa_suspended_t *fa_suspend_add(fa_suspend_t *s, int worker_fd, int client_fd,
                               apr_time_t deadline, void *baton);

/** The thread that suspended the request has left it. */
void fa_suspend_park(fa_suspended_t *e);

/** The event that fired the request. */
fa_suspend_event_e fa_suspend_event(const fa_suspended_t *e);

/** Watches the request again, with a new worker connection (a retry). */
void fa_suspend_rearm(fa_suspended_t *e, int worker_fd, apr_time_t deadline);

/** Forgets the request (frees @a e). */
void fa_suspend_done(fa_suspended_t *e);

/** Reads and drops what comes on @a fd, the client socket of a finished
 * request already shut down for writing, until the client closes it or
 * @a linger passes; then closes it. */
void fa_suspend_linger(fa_suspend_t *s, int fd, apr_interval_time_t linger);

/** Calls @a destroy(@a obj) in the watcher thread a second from now. */
void fa_suspend_bury(fa_suspend_t *s, void (*destroy)(void *), void *obj);

/** Requests suspended now (the status page). */
int fa_suspend_count(fa_suspend_t *s);

#endif
