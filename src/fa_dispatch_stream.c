/* SPDX-License-Identifier: Apache-2.0 */
/* fa_dispatch_stream: a streamed answer's body read by an httpd child
 * (see fa_dispatch.h): chunk frames read back to back from the worker
 * connection, one at a time, watching the client and the deadline. */
#include <stdlib.h>
#include <string.h>

#include "fa_dispatch_private.h"

/* A streamed answer's body being read: the worker's connection and slot
 * stay the request's until fa_dispatch_stream_close. */
struct fa_dispatch_stream {
    fa_dispatch_t *d;
    int slot;
    conn_t conn;
    apr_time_t deadline;
    fa_wire_reader_t reader;
    fa_io_carry_t carry;
    char *payload; /* the last chunk's, freed by the next call */
    int clean;     /* its end was read: the connection can serve again */
    int reusable;  /* not after a streamed request body (fa_wire.h) */
};

fa_dispatch_stream_t *fa_dispatch_stream_make(fa_dispatch_t *d, apr_pool_t *p,
                                              int slot, const conn_t *conn,
                                              apr_time_t deadline,
                                              const fa_io_carry_t *carry,
                                              int reusable)
{
    fa_dispatch_stream_t *s = apr_pcalloc(p, sizeof(*s));

    s->reusable = reusable;
    s->d = d;
    s->slot = slot;
    s->conn = *conn;
    s->deadline = deadline;
    fa_wire_reader_init(&s->reader, FA_WIRE_MAX_CHUNK + 4,
                        FA_WIRE_TYPE_BIT(FA_FRAME_RESPONSE_CHUNK));
    s->carry.len = carry->len - carry->at;
    memcpy(s->carry.buf, carry->buf + carry->at, s->carry.len);
    return s;
}

apr_status_t fa_dispatch_stream_next(fa_dispatch_stream_t *s, int client_fd,
                                     const char **data, apr_size_t *len)
{
    fa_frame_type_e type;
    apr_size_t plen;
    apr_uint32_t flags;
    apr_status_t rv;

    free(s->payload);
    s->payload = NULL;
    /* frames already read cost no system call; only a wait polls */
    rv = fa_io_recv_frame_carry(s->conn.fd, &s->reader, &s->carry, 0, &type,
                                &s->payload, &plen);
    while (rv == APR_INCOMPLETE || APR_STATUS_IS_EAGAIN(rv)) {
        rv =
            fa_dispatch_wait(s->d, s->slot, s->conn.fd, client_fd, s->deadline);
        if (rv != APR_SUCCESS) {
            return rv;
        }
        rv = fa_io_recv_frame_carry(s->conn.fd, &s->reader, &s->carry, -1,
                                    &type, &s->payload, &plen);
    }
    if (rv != APR_SUCCESS) {
        return rv == APR_EOF ? APR_ECONNRESET : rv;
    }
    if (fa_wire_decode_chunk(s->payload, plen, &flags, data, len)
        != APR_SUCCESS) {
        return APR_EGENERAL;
    }
    if (*len) {
        return APR_SUCCESS;
    }
    s->clean = 1;
    return flags & FA_CHUNK_ABORT ? FA_STREAM_ABORTED : APR_EOF;
}

void fa_dispatch_stream_close(fa_dispatch_stream_t *s)
{
    free(s->payload);
    s->payload = NULL;
    fa_wire_reader_clear(&s->reader);
    if (s->reusable && s->clean && s->carry.at == s->carry.len) {
        fa_dispatch_put_conn(s->d, s->slot, &s->conn);
    }
    else {
        /* the worker sees the hang-up: it closes the function's generator
         * or cancels its task */
        close(s->conn.fd);
    }
    fa_dispatch_release_slot(s->d, s->slot);
}
