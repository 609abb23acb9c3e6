/* SPDX-License-Identifier: Apache-2.0 */
/**
 * fa_dispatch_private: what fa_dispatch.c shares with
 * fa_dispatch_stream.c, in the httpd children.  A connection in use is
 * its request's; a streamed answer keeps it and the worker's slot
 * reserved until fa_dispatch_stream_close.
 */
#ifndef FA_DISPATCH_PRIVATE_H
#define FA_DISPATCH_PRIVATE_H

#include "fa_dispatch.h"
#include "fa_io.h"

/* A connection to a worker, and the slot's incarnation when it was made
 * (fa_slot.h): one made under an older one leads to a worker that has
 * stopped listening and is about to go. */
typedef struct conn {
    int fd;
    apr_uint32_t incarnation;
} conn_t;

/** Back to the slot's idle connections (closed when they are full). */
void fa_dispatch_put_conn(fa_dispatch_t *d, int slot, const conn_t *conn);

/** Gives the worker's reservation back. */
void fa_dispatch_release_slot(fa_dispatch_t *d, int slot);

/** Waits until @a fd is readable, watching @a client_fd (or -1) for a
 * hang-up (FA_CLIENT_GONE), @a deadline (FA_TIMED_OUT, when the app has a
 * function timeout) and the worker's heartbeat (FA_WORKER_STALLED). */
apr_status_t fa_dispatch_wait(fa_dispatch_t *d, int slot, int fd, int client_fd,
                              apr_time_t deadline);

/** A streamed answer's reader, in @a p, taking the bytes already read past
 * its head from @a carry. */
fa_dispatch_stream_t *fa_dispatch_stream_make(fa_dispatch_t *d, apr_pool_t *p,
                                              int slot, const conn_t *conn,
                                              apr_time_t deadline,
                                              const fa_io_carry_t *carry);

#endif
