/* SPDX-License-Identifier: Apache-2.0 */
/**
 * fa_dispatch_private: what fa_dispatch.c shares with fa_dispatch_call.c
 * (the suspended requests' send and receive) and fa_dispatch_stream.c (a
 * streamed answer), in the httpd children; not for the glue.  A connection
 * in use is its request's; a streamed answer keeps it and the worker's slot
 * reserved until fa_dispatch_stream_close.
 */
#ifndef FA_DISPATCH_PRIVATE_H
#define FA_DISPATCH_PRIVATE_H

#include <apr_thread_mutex.h>

#include "fa_dispatch.h"
#include "fa_io.h"

/* Idle connections kept a worker; more than the child's threads would
 * never be used at once. */
#define MAX_IDLE 256

/* A connection to a worker, and the slot's incarnation when it was made
 * (fa_slot.h): one made under an older one leads to a worker that has
 * stopped listening and is about to go. */
typedef struct conn {
    int fd;
    apr_uint32_t incarnation;
} conn_t;

typedef struct idle_conns {
    apr_thread_mutex_t *lock;
    conn_t conns[MAX_IDLE];
    int n;
} idle_conns_t;

struct fa_dispatch {
    fa_app_t *app;
    apr_pool_t *pool;
    idle_conns_t *idle; /* one a slot */
    apr_thread_mutex_t *table_lock;
    fa_function_table_t *table; /* NULL until fetched; then replaced whole */
    apr_time_t table_tried;     /* the last fetch after a reload */
    apr_uint32_t next;          /* where ties start, to spread load */
};

int fa_dispatch_get_conn(fa_dispatch_t *d, int slot, conn_t *conn, int *reused);
/** Back to the slot's idle connections (closed when they are full). */
void fa_dispatch_put_conn(fa_dispatch_t *d, int slot, const conn_t *conn);
int fa_dispatch_reserve_slot(fa_dispatch_t *d, int exclude,
                             apr_uint32_t function);
/** Gives the worker's reservation back. */
void fa_dispatch_release_slot(fa_dispatch_t *d, int slot);
int fa_dispatch_stalled(fa_dispatch_t *d, int slot);
/** Reads the worker's answer frame; bytes past it (a streamed answer's
 * first chunks) stay in @a carry. */
apr_status_t fa_dispatch_read_response(fa_dispatch_t *d, int slot, int fd,
                                       apr_pool_t *p, apr_time_t deadline,
                                       fa_io_carry_t *carry, char **payload,
                                       apr_size_t *len);
/* FA053: attempt @a attempt on @a slot failed with @a rv. */
void fa_dispatch_log_failure(fa_dispatch_t *d, const fa_request_t *req,
                             int slot, apr_status_t rv, int attempt, int sent,
                             int retry);

/** Waits until @a fd is readable, watching @a client_fd (or -1) for a
 * hang-up (FA_CLIENT_GONE), @a deadline (FA_TIMED_OUT, when the app has a
 * function timeout) and the worker's heartbeat (FA_WORKER_STALLED). */
apr_status_t fa_dispatch_wait(fa_dispatch_t *d, int slot, int fd, int client_fd,
                              apr_time_t deadline);

/** A streamed answer's reader, in @a p, taking the bytes already read past
 * its head from @a carry; its connection goes back to the idle ones at the
 * end only if @a reusable.  @a pump (or NULL): the rest of the request's
 * body, pumped to the worker while the answer is read (full duplex: an
 * echo reads its body as it streams its answer). */
fa_dispatch_stream_t *fa_dispatch_stream_make(fa_dispatch_t *d, apr_pool_t *p,
                                              int slot, const conn_t *conn,
                                              apr_time_t deadline,
                                              const fa_io_carry_t *carry,
                                              fa_body_pump_t *pump,
                                              int reusable);

#endif
