/* SPDX-License-Identifier: Apache-2.0 */
/**
 * fa_slot: one worker's place in the memory its app's processes share.
 *
 * The httpd parent creates an app's slots (anonymous shared memory in
 * pconf, inherited by every child and worker it forks) and marks a slot
 * down when it reaps the slot's worker; a worker marks its slot starting
 * once its restart back-off is over and ready once it has indexed the app;
 * httpd children reserve a slot for each request
 * and release it when the answer is in.  Nothing else touches a slot: its
 * fields are read and written only here, with apr_atomic_*.
 */
#ifndef FA_SLOT_H
#define FA_SLOT_H

#include <apr_pools.h>

/* Its fields, and who writes and reads each, are in fa_app.h. */
typedef struct fa_slot fa_slot_t;

/** A slot's state: no process (or one in its restart back-off), one
 * importing the app, one taking requests. */
#define FA_SLOT_DOWN 0
#define FA_SLOT_STARTING 1
#define FA_SLOT_READY 2

/** Parent: @a nslots zeroed slots (all down, nothing outstanding)
 * in shared memory that lives as long as @a pconf, and after them the
 * app's own counts: the requests admitted by fa_slot_admit and the places
 * of fa_slot_run_begin. */
apr_status_t fa_slot_create(fa_slot_t **slots, int nslots, apr_pool_t *pconf);

/**
 * Child: picks a slot other than @a exclude (or -1) and counts one more
 * request on it.  @a capacity is how many requests a worker runs at once
 * for this one (its threads for a def function; 0, unbounded, for an
 * async one).  Best first: a ready worker with a free place; a starting
 * one with a free place (it is about to take it); a full ready one; the
 * rest (full starting ones, down ones).  Within a tier, the fewest
 * outstanding; ties go to the first one found from *@a spread on (bumped
 * at every call, so a child's picks go round).  Only when @a exclude is
 * the only slot is it picked.
 */
int fa_slot_reserve(fa_slot_t *slots, int nslots, int exclude,
                    apr_uint32_t capacity, apr_uint32_t *spread);

/** Child: the request counted by fa_slot_reserve on @a slot is over. */
void fa_slot_release(fa_slot_t *slots, int slot);

/** Child: admits one more request to the app unless @a max are in
 * already (host.json maxOutstandingRequests); 1 if admitted, then
 * fa_slot_leave when it is over. */
int fa_slot_admit(fa_slot_t *slots, int nslots, apr_uint32_t max);
void fa_slot_leave(fa_slot_t *slots, int nslots);

/** Parent, after fa_slot_create: at most @a max functions of the app run
 * at once (host.json maxConcurrentRequests; 0, the default: no limit). */
apr_status_t fa_slot_limit_running(fa_slot_t *slots, int nslots,
                                   apr_uint32_t max);

/** Child: waits, at most @a timeout (<= 0: no bound), until fewer than
 * that limit run, and takes a place: APR_SUCCESS, then fa_slot_run_end
 * when the function has answered; APR_TIMEUP when the wait ran out.
 * Without a limit, APR_SUCCESS at once. */
apr_status_t fa_slot_run_begin(fa_slot_t *slots, int nslots,
                               apr_interval_time_t timeout);
void fa_slot_run_end(fa_slot_t *slots, int nslots);

/** Worker: its back-off is over and it imports the app; requests sent
 * now wait in its socket's backlog until it is ready. */
void fa_slot_set_starting(fa_slot_t *slots, int slot);

/** Worker: it has indexed the app and takes requests. */
void fa_slot_set_ready(fa_slot_t *slots, int slot);

/** Parent: the slot's worker is gone (down); until its replacement
 * starts, requests go to the slot only when every worker is full. */
void fa_slot_set_dead(fa_slot_t *slots, int slot);

/* ---- replacing a worker without a pause (recycling) ------------------ */

/** What a worker asks of the parent (fa_slot_ask, then ring the doorbell):
 * REPLACE: start a successor for me (I passed a recycling limit, or a
 * thread of mine is stuck); HANDOVER: I am a successor and ready, stop my
 * predecessor. */
#define FA_SLOT_ASK_REPLACE 1u
#define FA_SLOT_ASK_HANDOVER 2u
/** From an httpd child: the slot's worker looks stalled (fa_slot_stalled);
 * the parent looks again and kills it. */
#define FA_SLOT_ASK_KILL 4u
/** From a reload (fa_reload.h): start a successor with the app's new
 * code, and start it again if one is still starting with the old. */
#define FA_SLOT_ASK_RELOAD 8u

/** Worker: adds @a asks to the slot's; children and workers never block
 * on them. */
void fa_slot_ask(fa_slot_t *slots, int slot, apr_uint32_t asks);
/** Parent: the slot's asks since the last call, cleared. */
apr_uint32_t fa_slot_take_asks(fa_slot_t *slots, int slot);

/** Any process: how many reloads of the app were asked; a worker reads it
 * before importing the app, so one started under a count has code at
 * least as new as the change behind it. */
apr_uint32_t fa_slot_reloads(fa_slot_t *slots, int nslots);
/** A reload starts: the new count. */
apr_uint32_t fa_slot_new_reload(fa_slot_t *slots, int nslots);

/** Worker: @a failing 1 or 0, it serves code with or without a function
 * that failed to load; -1: whether the code served has one (a successor
 * with failures does not replace code without, fa_reload.h). */
int fa_slot_code_failing(fa_slot_t *slots, int nslots, int failing);

/** Child: read before connecting; a pooled connection made under an
 * older incarnation leads to a worker that stopped listening. */
apr_uint32_t fa_slot_incarnation(fa_slot_t *slots, int slot);
/** Worker: it has stopped listening (after closing its listener). */
void fa_slot_new_incarnation(fa_slot_t *slots, int slot);

/** Parent: a successor for the slot's worker is starting (1) or has taken
 * over (0); the successor reads it once ready, to ask HANDOVER. */
void fa_slot_set_retiring(fa_slot_t *slots, int slot, int retiring);
int fa_slot_retiring(fa_slot_t *slots, int slot);

/* ---- the heartbeat ------------------------------------------------------ */

/** A worker's I/O thread beats at least this often. */
#define FA_SLOT_BEAT_INTERVAL_MS 1000
/** A ready worker whose last beat is older than this (seconds) is
 * stalled: the I/O thread never waits on Python (the GIL) or on a
 * function, so only a stopped or starved process misses beats. */
#define FA_SLOT_STALL_SECONDS 3

/** Worker, I/O thread: it is alive. */
void fa_slot_beat(fa_slot_t *slots, int slot);
/** Whether the slot's worker is ready and has not beaten for more than
 * @a seconds. */
int fa_slot_stalled(fa_slot_t *slots, int slot, apr_uint32_t seconds);

#endif
