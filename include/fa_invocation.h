/* SPDX-License-Identifier: Apache-2.0 */
/**
 * fa_invocation: one request inside a worker process, decoded once.
 *
 * Runs in a worker process.  The I/O thread decodes every request frame
 * here, as soon as it is read, into one object that owns everything about
 * the request: the frame's payload, the pool the decoded fields and the
 * response live in, and its id.  It is then handed whole to the run queue
 * (def functions) or to the event loop (async def functions); the thread
 * that answers destroys it once the response is written.
 */
#ifndef FA_INVOCATION_H
#define FA_INVOCATION_H

#include <apr_pools.h>

#include "fa_body.h"
#include "fa_wire.h"

typedef struct fa_invocation {
    apr_pool_t *pool; /* owns the object, req's tables, the
                                * response and its framing */
    fa_request_t req; /* strings point into payload: valid until
                                * fa_invocation_drop_payload */
    const char *id;   /* invocation id, a copy in pool: valid
                                * to the end */
    apr_uint32_t function_index;
    void *owner;   /* the worker's connection */
    char *payload; /* malloc'd frame payload, or NULL once
                                * the request is in Python objects */
    /* The rest of the body when req.flags has FA_REQUEST_BODY_FOLLOWS,
     * else NULL; in pool, its pre-read bytes freed with it unless the
     * Python bridge took them over. */
    fa_body_reader_t *body;
    void *body_obj; /* the Python bridge's reader object (a strong
                     * reference, dropped as the answer is given) */
} fa_invocation_t;

/**
 * Decodes a request frame's @a payload (malloc'd; ownership passes to the
 * invocation, or it is freed on failure).  APR_EGENERAL when the frame is
 * malformed.
 */
apr_status_t fa_invocation_decode(fa_invocation_t **inv, char *payload,
                                  apr_size_t len, void *owner);

/** Prepares inv->body to read the chunks that follow on @a fd, within
 * @a max_total bytes, starting with @a extra_len bytes already read past
 * the request frame.  APR_ENOMEM. */
apr_status_t fa_invocation_stream_body(fa_invocation_t *inv, int fd,
                                       apr_uint64_t max_total,
                                       const char *extra, apr_size_t extra_len);

/** Frees the payload once the request is in Python objects, so a 100 MB
 * body is not held twice while the function runs.  req's strings and body
 * are invalid afterwards; id and function_index stay. */
void fa_invocation_drop_payload(fa_invocation_t *inv);

/** Frees the invocation and everything it owns. */
void fa_invocation_destroy(fa_invocation_t *inv);

#endif
