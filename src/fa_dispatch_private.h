/* SPDX-License-Identifier: Apache-2.0 */
/* fa_dispatch's internals shared with fa_dispatch_call.c (the suspended
 * requests' send and receive): not for the glue. */
#ifndef FA_DISPATCH_PRIVATE_H
#define FA_DISPATCH_PRIVATE_H

#include <apr_thread_mutex.h>

#include "fa_dispatch.h"

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
void fa_dispatch_put_conn(fa_dispatch_t *d, int slot, const conn_t *conn);
int fa_dispatch_reserve_slot(fa_dispatch_t *d, int exclude,
                             apr_uint32_t function);
void fa_dispatch_release_slot(fa_dispatch_t *d, int slot);
int fa_dispatch_stalled(fa_dispatch_t *d, int slot);
apr_status_t fa_dispatch_read_response(fa_dispatch_t *d, int slot, int fd,
                                       apr_pool_t *p, apr_time_t deadline,
                                       char **payload, apr_size_t *len);
/* FA053: attempt @a attempt on @a slot failed with @a rv. */
void fa_dispatch_log_failure(fa_dispatch_t *d, const fa_request_t *req,
                             int slot, apr_status_t rv, int attempt, int sent,
                             int retry);

#endif
