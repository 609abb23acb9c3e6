/* SPDX-License-Identifier: Apache-2.0 */
/**
 * fa_io: the Unix sockets between httpd children and worker processes.
 *
 * The httpd parent makes the addresses (post_config) and the listeners
 * (fa_supervisor); children connect, send requests and read responses
 * (fa_dispatch); a worker's I/O thread reads requests and sends responses
 * (fa_worker).  Addresses live in the pool they were made in and are only
 * read after that, so every process shares them; a descriptor belongs to
 * whoever made or accepted it, and fa_io never closes one it did not open.
 * Frames are fa_wire's; this unit only moves their bytes.  Errors are the
 * system's errno values as APR statuses, APR_EOF at end of stream and
 * APR_TIMEUP when a wait runs out.
 */
#ifndef FA_IO_H
#define FA_IO_H

#include <apr_errno.h>
#include <apr_pools.h>
#include <sys/uio.h>

#include "fa_wire.h"

/** A Unix socket address, built once from a path. */
typedef struct fa_io_addr fa_io_addr_t;

/** The longest socket path the system accepts, in bytes. */
apr_size_t fa_io_path_max(void);

/** Builds the address of @a path in @a p.  APR_ENAMETOOLONG when the path
 * is longer than fa_io_path_max(): it is never truncated, since a cut path
 * would name another socket. */
apr_status_t fa_io_addr_make(fa_io_addr_t **addr, apr_pool_t *p,
                             const char *path);

/** The path the address was made from. */
const char *fa_io_addr_path(const fa_io_addr_t *addr);

/** A new blocking, close-on-exec connection to @a addr in *fd. */
apr_status_t fa_io_connect(const fa_io_addr_t *addr, int *fd);

/**
 * A close-on-exec listener on @a addr in *fd, for the httpd parent: an old
 * socket file there is removed first; the new one is mode 0600 from the
 * start (no moment where others may connect) and, when @a uid >= 0, owned
 * by @a uid / @a gid (httpd's User and Group, which the workers run as).
 * Changes the process umask for a moment, so only while single-threaded.
 */
apr_status_t fa_io_listen(const fa_io_addr_t *addr, int backlog, long uid,
                          long gid, int *fd);

/**
 * Writes all of @a vec (a frame) to socket @a fd, whether it is blocking
 * or not (on EAGAIN it waits until writable), without SIGPIPE.  Modifies
 * @a vec.
 */
apr_status_t fa_io_send(int fd, struct iovec *vec, int nvec);

/** Drops the first @a n bytes written of @a vec (what a short write
 * sent): *@a vec and *@a nvec then describe what is left. */
void fa_io_advance(struct iovec **vec, int *nvec, apr_size_t n);

/** Writes what it can of @a vec without waiting (MSG_DONTWAIT, EINTR
 * retried), advancing *@a vec / *@a nvec past what went out: APR_SUCCESS
 * when all did, APR_EAGAIN when the socket is full, else the errno. */
apr_status_t fa_io_send_nowait(int fd, struct iovec **vec, int *nvec);

/**
 * One read of up to @a len bytes into @a buf; *got is what came.  Waits at
 * most @a timeout_ms for bytes (APR_TIMEUP), or, when negative, as the
 * socket does: forever if blocking, APR_EAGAIN at once if not.
 */
apr_status_t fa_io_recv(int fd, char *buf, apr_size_t len, int timeout_ms,
                        apr_size_t *got);

/**
 * Reads one whole frame from @a fd with @a r and takes it (as
 * fa_wire_reader_take: *payload is the caller's to free()).  A small frame
 * costs one read (up to 8 kB); the rest of a large one is read straight
 * into its payload.  The peer sends nothing past this frame before it hears
 * from us, so bytes past it are a broken stream (APR_EGENERAL).
 * Each read waits as fa_io_recv does; on an error, or APR_EAGAIN or
 * APR_TIMEUP, the partial frame stays in @a r, so a later call goes on with
 * it or fa_wire_reader_clear drops it.  APR_EOF with
 * fa_wire_reader_idle(r) is a clean close.
 */
apr_status_t fa_io_recv_frame(int fd, fa_wire_reader_t *r, int timeout_ms,
                              fa_frame_type_e *type, char **payload,
                              apr_size_t *len);

/** Bytes read past a frame, kept for the next one: a streamed response's
 * frames come back to back.  Starts zeroed; owned by the frame's reader. */
typedef struct fa_io_carry {
    char buf[8192];
    apr_size_t at, len;
} fa_io_carry_t;

/** Reads into an empty @a carry what @a fd holds now, without waiting:
 * for a peer that poll() saw send, whose frame is then taken from the
 * carry with no second poll.  Nothing read (EAGAIN, EOF, an error) leaves
 * the carry empty, for the next read to see it. */
void fa_io_carry_fill(int fd, fa_io_carry_t *carry);

/** fa_io_recv_frame for a peer that may send frames back to back: bytes
 * read past the frame stay in @a carry and are taken first by the next
 * call.  With @a timeout_ms 0 and bytes in @a carry, no system call is
 * made until they are used up (APR_INCOMPLETE: a frame is missing bytes
 * that are not read yet). */
apr_status_t fa_io_recv_frame_carry(int fd, fa_wire_reader_t *r,
                                    fa_io_carry_t *carry, int timeout_ms,
                                    fa_frame_type_e *type, char **payload,
                                    apr_size_t *len);

#endif
