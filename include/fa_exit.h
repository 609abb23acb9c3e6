/* SPDX-License-Identifier: Apache-2.0 */
/**
 * fa_exit: why a worker process exits.
 *
 * A worker (fa_worker) exits with one of these codes, after an FA log line
 * of its own; the httpd parent (fa_supervisor) reaps it and names the
 * reason in its FA011 line, so an operator reads the cause, not a number.
 */
#ifndef FA_EXIT_H
#define FA_EXIT_H

typedef enum {
    FA_EXIT_DRAINED = 0,      /* finished its requests after SIGTERM */
    FA_EXIT_SETUP = 2,        /* could not set up (listeners, privileges) */
    FA_EXIT_PYTHON = 3,       /* could not start Python or import the app */
    FA_EXIT_POLLSET = 4,      /* could not create its pollset */
    FA_EXIT_THREADS = 5,      /* could not create its thread pool */
    FA_EXIT_LOCKS = 6,        /* could not create its locks */
    FA_EXIT_POLL = 7,         /* its poll failed */
    FA_EXIT_DRAIN_TIMEOUT = 8 /* requests still in flight at its graceful
                               * timeout */
} fa_exit_e;

/** A few words for the parent's log line: "cannot create its pollset";
 * NULL for a code that is none of the above. */
const char *fa_exit_reason(int code);

#endif
