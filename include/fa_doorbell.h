/* SPDX-License-Identifier: Apache-2.0 */
/**
 * fa_doorbell: how a worker wakes the httpd parent.
 *
 * The parent runs httpd's loop, which calls us back only when a child of
 * its own dies (other-child maintenance); it has no timer or descriptor of
 * ours to watch.  So each generation keeps a tiny process, the bell,
 * blocked reading a pipe whose write end every worker holds: a worker that
 * wants something of the parent (fa_slot_ask) writes a byte, the bell
 * exits, and the parent's maintenance for it takes the asks and starts a
 * new bell.  The parent learns in a millisecond instead of at httpd's
 * ten-second monitor.
 */
#ifndef FA_DOORBELL_H
#define FA_DOORBELL_H

#include <apr_errno.h>

/** A pipe: fds[0] for the bell, fds[1] for the workers (non-blocking, so a
 * ring never waits; a full pipe has rung already). */
apr_status_t fa_doorbell_create(int fds[2]);

/** Any process: wakes the parent. */
void fa_doorbell_ring(int write_fd);

/**
 * The bell process, just forked from the parent: keeps only @a read_fd and
 * stderr, and returns once it rang (a byte came, all taken) or nobody can
 * ring any more (every write end closed).  SIGTERM ends it at once.  The
 * caller then exits with 0.
 */
void fa_doorbell_wait(int read_fd);

#endif
