/* SPDX-License-Identifier: Apache-2.0 */
/**
 * fa_dispatch_call: a request sent to a worker now and answered later.
 *
 * fa_dispatch_invoke sends a request and waits for its answer in the
 * same thread.  A suspended request (fa_suspend.h) is sent by the thread
 * that ran the handler; the answer is read by whichever thread finishes
 * it, once fa_suspend saw the worker connection readable.  One thread at
 * a time uses a call; it lives in the request's pool.  The slot stays
 * reserved (counted as the worker's outstanding request) until the
 * answer is read or the call abandoned.
 */
#ifndef FA_DISPATCH_CALL_H
#define FA_DISPATCH_CALL_H

#include "fa_dispatch.h"

typedef struct fa_dispatch_call fa_dispatch_call_t;

/** fa_dispatch_call_receive: the worker died and the request was sent to
 * another one (fa_dispatch_retry's rule): wait on the call's new fd. */
#define FA_RESENT (APR_OS_START_USERERR + 4)

/**
 * Sends @a req to the least-busy worker, retried as fa_dispatch_invoke
 * retries a request that never reached a worker; APR_ECONNABORTED when
 * no worker took it (the glue answers 502).
 */
apr_status_t fa_dispatch_call_send(fa_dispatch_t *d, apr_pool_t *p,
                                   const fa_request_t *req, int idempotent,
                                   fa_dispatch_call_t **call);

/** The worker connection to watch for the answer. */
int fa_dispatch_call_fd(const fa_dispatch_call_t *call);
/** 1 when the worker connection became readable (an answer, or the
 * worker gone) within @a wait, rounded up to whole milliseconds; -1 when
 * @a client_fd (if not -1) hung up or failed first; 0 otherwise (and for
 * a @a wait of 0). */
int fa_dispatch_call_wait(const fa_dispatch_call_t *call, int client_fd,
                          apr_interval_time_t wait);
/** The slot of the worker that has the request. */
int fa_dispatch_call_worker(const fa_dispatch_call_t *call);
/** When the function times out (0: never). */
apr_time_t fa_dispatch_call_deadline(const fa_dispatch_call_t *call);
/** Whether the worker stopped beating with the request; if so the parent
 * is asked to kill it.  Any thread may ask. */
int fa_dispatch_call_stalled(fa_dispatch_call_t *call);

/**
 * Reads the answer into @a resp when @a why is APR_SUCCESS (the worker
 * connection is readable).  Otherwise @a why is the reason to give up
 * waiting: FA_TIMED_OUT (the connection is dropped, so the worker
 * cancels the task; returned as is) or FA_WORKER_STALLED.  A worker that
 * failed with the request is retried by fa_dispatch_retry's rule:
 * FA_RESENT then, else APR_ECONNABORTED.  A streamed answer sets
 * *@a stream, which then has the connection and the slot (read it and close
 * it as fa_dispatch_invoke's).
 */
apr_status_t fa_dispatch_call_receive(fa_dispatch_call_t *call,
                                      apr_status_t why, fa_response_t *resp,
                                      fa_dispatch_stream_t **stream);

/** Drops the worker connection (the worker cancels the task) and frees
 * the slot: the client went away, or the child stops. */
void fa_dispatch_call_abandon(fa_dispatch_call_t *call);

#endif
