/* SPDX-License-Identifier: Apache-2.0 */
/**
 * fa_slot: one worker's place in the memory its app's processes share.
 *
 * The httpd parent creates an app's slots (anonymous shared memory in
 * pconf, inherited by every child and worker it forks) and marks a slot
 * dead when it reaps the slot's worker; a worker marks its slot ready once
 * it has indexed the app; httpd children reserve a slot for each request
 * and release it when the answer is in.  Nothing else touches a slot: its
 * fields are read and written only here, with apr_atomic_*.
 */
#ifndef FA_SLOT_H
#define FA_SLOT_H

#include <apr_pools.h>

/* Its fields, and who writes and reads each, are in fa_app.h. */
typedef struct fa_slot fa_slot_t;

/** Parent: @a nslots zeroed slots (no worker ready, nothing outstanding)
 * in shared memory that lives as long as @a pconf, and after them one
 * more, the app's own, whose outstanding counts the requests admitted by
 * fa_slot_admit. */
apr_status_t fa_slot_create(fa_slot_t **slots, int nslots, apr_pool_t *pconf);

/**
 * Child: picks the slot with the fewest outstanding requests, other than
 * @a exclude (or -1), and counts one more request on it.  Slots whose
 * worker is not ready come last; ties go to the first one found from
 * *@a spread on (bumped at every call, so a child's picks go round).
 * Only when @a exclude is the only slot is it picked.
 */
int fa_slot_reserve(fa_slot_t *slots, int nslots, int exclude,
                    apr_uint32_t *spread);

/** Child: the request counted by fa_slot_reserve on @a slot is over. */
void fa_slot_release(fa_slot_t *slots, int slot);

/** Child: admits one more request to the app unless @a max are in
 * already (host.json maxOutstandingRequests); 1 if admitted, then
 * fa_slot_leave when it is over. */
int fa_slot_admit(fa_slot_t *slots, int nslots, apr_uint32_t max);
void fa_slot_leave(fa_slot_t *slots, int nslots);

/** Worker: it has indexed the app and takes requests. */
void fa_slot_set_ready(fa_slot_t *slots, int slot);

/** Parent: the slot's worker is gone; until its replacement is ready,
 * requests go to the slot only when no ready worker can take them. */
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

/** Worker: adds @a asks to the slot's; children and workers never block
 * on them. */
void fa_slot_ask(fa_slot_t *slots, int slot, apr_uint32_t asks);
/** Parent: the slot's asks since the last call, cleared. */
apr_uint32_t fa_slot_take_asks(fa_slot_t *slots, int slot);

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
