/* SPDX-License-Identifier: Apache-2.0 */
/**
 * fa_worker_private: the worker process's state, shared by its stages
 * (fa_worker.c) and its connections (fa_worker_conn.c).
 *
 * Runs in a worker process.  Threads: the I/O thread (the "keeper"), the
 * runners (tasks on the thread pool, fa_runq.h) and the event loop.  One
 * thread at a time leads (leader/follower, fa_runq.h): it polls the
 * pollset and reads the request frames.  A runner leads while the others
 * are busy or waiting, and runs the sync request it read itself, having
 * handed the lead on first; the keeper leads whenever no runner can (all
 * busy, none started yet, draining) and then hands sync requests over
 * through the run queue, as async ones always are (fa_python_submit).
 * The lead passes under the run queue's lock, so what the leader wrote is
 * seen by the next one.
 *
 * When every function of the app is async (loop_reads), the event loop
 * reads the connections instead: the leader accepts each one and gives it
 * to the loop's poll set (fa_python_loop_watch, conn->loop); from then on
 * the loop thread, in _funcapp.take() and without the GIL, is that
 * connection's reader (frames, hang-ups, closing an idle one, the loop's
 * own scratch) and queues what it reads for itself, with no thread woken
 * between the socket and the task.  The leader then only polls the
 * listener, drains and closes the connections left on the done list; the
 * loop takes a connection out of its poll set before handing it there.
 * A function that blocks the loop delays every request of such an app
 * anyway; in an app that also has def functions the leader reads every
 * connection, so a blocked loop never stops a def request.  Who touches
 * what ("the leader" is the loop for its own connections):
 * - the leader alone: the pollset's membership, the listener, the
 *   connections' frame readers, the batch of requests read in one poll
 *   round, last_request, scratch, the heartbeat; the leader never runs
 *   Python while it leads (it polls, reads, writes tables, submits);
 * - the keeper alone: drain_started, the exit;
 * - the thread that runs a request (a runner or the event loop): its
 *   connection while the connection is BUSY, then hands it back with one
 *   compare-and-swap of its state (the thread running a request owns its
 *   connection until it answers; the leader only watches it for a
 *   hang-up);
 * - both, under done_lock: the list of connections that hung up while busy;
 * - both, atomically: inflight, nconns, last_request, each connection's
 *   state;
 * - the run queue guards its own state (fa_runq.h).
 */
#ifndef FA_WORKER_PRIVATE_H
#define FA_WORKER_PRIVATE_H

#include <signal.h>

#include <apr_poll.h>
#include <apr_thread_mutex.h>
#include <apr_thread_pool.h>

#include "fa_app.h"
#include "fa_invocation.h"
#include "fa_python.h"
#include "fa_runq.h"
#include "fa_wire.h"

/* A connection is IDLE between requests (the leader reads it), BUSY
 * while its request runs (the running thread owns it until it answers),
 * GONE when its httpd child hung up meanwhile (a leader closes it once
 * the request is done).  Transitions out of BUSY are compare-and-swap, so
 * the leader and the answering thread agree on who has it. */
#define CONN_IDLE 0
#define CONN_BUSY 1
#define CONN_GONE 2

typedef struct worker worker_t;

typedef struct conn {
    fa_runq_item_t queued; /* first: the run queue links it */
    worker_t *w;
    apr_pool_t *pool;
    apr_socket_t *sock;
    int fd;
    apr_pollfd_t pfd;
    /* The leader only: */
    fa_wire_reader_t reader; /* the frame being read */
    int polled;              /* in the pollset */
    int loop;                /* read by the event loop, not the leader */
    /* Set by the leader before the connection turns BUSY, read by the
     * answering thread; stays in the pollset while busy, to see a hang-up
     * (everything but the response is done by the leader). */
    fa_invocation_t *inv;
    int is_async;
    /* Its request's body follows the request (fa_body.h): the running
     * thread reads it from the socket, the I/O thread only watches for a
     * hang-up, and the connection is closed once answered. */
    int streamed;
    /* What the reading thread's last read put in its scratch buffer past
     * the frame it completed: the start of a streamed body's chunks,
     * taken before that thread reads again. */
    const char *extra;
    apr_size_t extra_len;
    apr_uint32_t state;     /* CONN_IDLE, CONN_BUSY or CONN_GONE */
    struct conn *next_done; /* under done_lock */
} conn_t;

struct worker {
    fa_app_t *app;
    int slot;
    apr_uint32_t pid; /* getpid() once, not a system call a request */
    apr_pool_t *pool;
    apr_pollset_t *pollset;
    apr_thread_pool_t *threads;
    fa_runq_t *runq;
    fa_python_table_t table;
    apr_uint32_t reloads; /* the app's reload count before it imported */
    int loop_reads;       /* the loop reads all connections; set before
                           * the first is accepted */

    /* The leader only (drain_started: the keeper): */
    apr_socket_t *listener;   /* NULL once draining */
    fa_runq_batch_t batch;    /* sync requests read in this poll round */
    apr_time_t drain_started; /* when the stop signal was first seen */
    char scratch[16384];      /* a small frame's first read */
    /* The loop's, for the connections it reads: */
    char loop_scratch[16384];

    /* Shared: */
    apr_thread_mutex_t *done_lock;
    conn_t *done; /* hung up while busy, for the leader to
                                 * close once their request is done */
    apr_uint32_t inflight;
    apr_uint32_t nconns;
    apr_uint64_t last_request; /* apr_time_t, set by a connection's reader */
    /* Recycling (fa_recycle.h): set before serving, then atomics. */
    apr_uint32_t served;
    apr_uint32_t recycle_at;    /* 0: FunctionWorkerMaxRequests off */
    apr_uint32_t replace_asked; /* once a successor is asked for */
    apr_time_t memory_checked;  /* racy on purpose: a stale read costs one
                                  * more look at /proc */
};

/** Set by SIGTERM/SIGINT: finish what is in flight, take nothing new. */
extern volatile sig_atomic_t fa_worker_draining;

/* fa_worker_conn.c, all on the leader but complete: */

/** Accepts the connections waiting on the listener. */
void fa_worker_accept(worker_t *w);
/** An event on a connection, idle or busy. */
void fa_worker_conn_event(conn_t *c);
/** Before serving: when every function of the app is async, the event
 * loop reads all connections (sets loop_reads). */
void fa_worker_loop_reads(worker_t *w);
/** Closes the connections that hung up while busy, once done. */
void fa_worker_close_done(worker_t *w);
/** The done callback given to fa_python_start: from the thread that ran
 * the request. */
void fa_worker_complete(fa_invocation_t *inv, fa_response_t *resp);
/** The stream callback given to fa_python_start (fa_python_stream_fn). */
int fa_worker_stream_begin(fa_invocation_t *inv, fa_response_t *resp);
/** Before the worker says it is ready: its FunctionWorkerMaxRequests
 * limit, the jitter drawn once (fa_worker_recycle.c). */
void fa_worker_set_recycle_limit(worker_t *w);

/** From the thread that answered a request: counts it against the
 * recycling limits. */
void fa_worker_request_done(worker_t *w);

/** Stops taking requests at once and asks for a successor, for a worker
 * that cannot go on (a thread stuck past the function timeout): its other
 * requests get FunctionWorkerGracefulTimeout.  Any thread. */
void fa_worker_retire_now(worker_t *w, const char *why);

/** Runs one queued sync request (the run queue's run hook). */
void fa_worker_run_queued(void *baton, fa_runq_item_t *item);

#endif
