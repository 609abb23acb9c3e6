/* SPDX-License-Identifier: Apache-2.0 */
/**
 * fa_body: a request body streamed from an httpd child to a worker, in
 * REQUEST_CHUNK frames (fa_wire.h, FA_REQUEST_BODY_FOLLOWS).
 *
 * Two ends, one per process:
 * - the pump runs in the httpd child, in the thread serving the request:
 *   it takes the body piece by piece from a source (the glue reads
 *   httpd's input filters) and sends each piece as a frame, so the child
 *   holds one piece at a time, not the body; it never blocks on either
 *   side, so it can go on while the worker's streamed answer is relayed
 *   (fa_dispatch_stream.c: full duplex);
 * - the reader runs in a worker, in the thread that runs the request's
 *   function (a pool thread, or the event loop without waiting): it reads
 *   the frames from the connection's socket as the function asks for
 *   bytes, so a function that does not read leaves the bytes in the
 *   socket and the child waits (backpressure), and the worker holds at
 *   most what the function asked for.
 * Neither end owns the socket: its connection does.
 */
#ifndef FA_BODY_H
#define FA_BODY_H

#include <sys/uio.h>

#include <apr_errno.h>
#include <apr_time.h>

/** A source's status when the body grew past its limit (answered 413). */
#define FA_BODY_TOO_LARGE (APR_OS_START_USERERR + 20)
/** A source's status when reading the client failed (it went away). */
#define FA_BODY_CLIENT_FAILED (APR_OS_START_USERERR + 21)

/** Where the pump takes the body from (the httpd glue). */
typedef struct fa_body_source {
    /** The next piece: *len > 0 bytes at *data, valid until the next
     * call; APR_EOF (and *len 0) at the end; APR_EAGAIN when @a wait is 0
     * and nothing is there yet; any other status aborts the stream
     * (FA_BODY_TOO_LARGE, FA_BODY_CLIENT_FAILED). */
    apr_status_t (*next)(void *baton, int wait, const char **data,
                         apr_size_t *len);
    void *baton;
    /** Becomes readable when next may have more (the client's socket);
     * -1: next is always called waiting. */
    int fd;
    /** Set by the pump once it took a piece: the body is on its way and
     * cannot be sent to another worker. */
    int started;
} fa_body_source_t;

/** What a pump that cannot go on without waiting waits for. */
typedef enum {
    FA_PUMP_WANTS_WORKER, /* room in the worker's socket */
    FA_PUMP_WANTS_SOURCE  /* more of the body from the source's fd */
} fa_body_pump_wants_e;

/** A streamed body on its way: the frame being written and the rest of
 * the source's piece, so that it can stop at any byte and go on later
 * (while the worker's streamed answer is relayed: full duplex).  It holds
 * no copy: one piece of the source's at most. */
typedef struct fa_body_pump {
    fa_body_source_t *src;
    unsigned char hdr[8]; /* the frame header being written */
    struct iovec vec[2], *at;
    int nvec;         /* what is left of the frame being written */
    const char *data; /* the piece's bytes not framed yet */
    apr_size_t len;
    int last; /* the empty frame that ends the body is framed */
    int done; /* and written */
    fa_body_pump_wants_e wants;
} fa_body_pump_t;

void fa_body_pump_init(fa_body_pump_t *p, fa_body_source_t *src);

/**
 * Sends as much of the body on @a fd (non-blocking) as goes without
 * waiting, in frames of at most FA_WIRE_MAX_CHUNK bytes, then the empty
 * frame that ends it.  APR_SUCCESS: all sent.  APR_EAGAIN: p->wants says
 * what for.  APR_ECONNRESET: the worker hung up (what it said is still
 * there to read).  The source's own failure is returned as it is: the
 * caller closes @a fd, which tells the worker the body was aborted.
 */
apr_status_t fa_body_pump_step(fa_body_pump_t *p, int fd);

/**
 * fa_body_pump_step until the body is sent or the worker answers, waiting
 * as needed.  APR_SUCCESS with *@a answered 0: all sent.  APR_SUCCESS with
 * *@a answered 1: the worker answered or hung up before taking it all
 * (the function returned, or began a streamed answer, without reading it
 * all; or the worker died): the caller reads what is there; the pump can
 * go on afterwards.  APR_TIMEUP when the worker took nothing until
 * @a deadline.  The source's failure as fa_body_pump_step.
 */
apr_status_t fa_body_pump(fa_body_pump_t *p, int fd, apr_time_t deadline,
                          int *answered);

/** The worker's end of one streamed body.  One thread at a time. */
typedef struct fa_body_reader {
    int fd; /* non-blocking; the connection's */
    /* bytes the I/O thread read past the REQUEST frame, read first */
    char *pending;
    apr_size_t pending_len, pending_off;
    unsigned char hdr[8]; /* a chunk's frame header being read */
    apr_size_t hdr_have;
    apr_size_t chunk_left; /* body bytes of the current chunk not read */
    apr_uint64_t total, max_total;
    apr_status_t failure; /* APR_SUCCESS while the stream is good */
    int ended;            /* the empty chunk came */
} fa_body_reader_t;

/** Starts reading the chunks on @a fd, refusing a body whose chunks add
 * up to more than @a max_total bytes. */
void fa_body_reader_init(fa_body_reader_t *r, int fd, apr_uint64_t max_total);

/** Keeps a copy of @a len bytes that were read from the socket past the
 * REQUEST frame: the start of the chunks.  APR_ENOMEM. */
apr_status_t fa_body_reader_preread(fa_body_reader_t *r, const char *data,
                                    apr_size_t len);

/**
 * Reads up to @a len body bytes into @a buf; *got is how many (> 0 on
 * APR_SUCCESS).  Waits up to @a timeout_ms for them (-1: until they come
 * or the stream ends; 0: not at all, APR_EAGAIN when none is there;
 * APR_TIMEUP when the time ran out).  APR_EOF once the body is complete.
 * APR_ECONNABORTED when the child closed the connection before the end
 * (it gave up on the request: its client went away or sent too much),
 * APR_EGENERAL on a frame that is not a chunk, APR_ENOSPC past
 * max_total: these stay, every later read fails the same way.
 */
apr_status_t fa_body_read(fa_body_reader_t *r, char *buf, apr_size_t len,
                          int timeout_ms, apr_size_t *got);

/** Frees the pre-read bytes; the reader is done. */
void fa_body_reader_clear(fa_body_reader_t *r);

#endif
