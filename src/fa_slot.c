/* SPDX-License-Identifier: Apache-2.0 */
/* fa_slot: the shared slots, touched by the parent, children and workers. */
#include <string.h>
#include <time.h>

#include <apr_atomic.h>
#include <apr_shm.h>

#include "fa_app.h"
#include "fa_slot.h"

/* A slot whose worker is (re)starting still queues requests in its
 * socket's backlog, but only when no ready worker can: this weight puts
 * it behind any ready one, however busy. */
#define NOT_READY_WEIGHT (1u << 20)
/* Lost compare-and-swaps before a child counts on its pick anyway. */
#define MAX_CAS_TRIES 8

apr_status_t fa_slot_create(fa_slot_t **slots, int nslots, apr_pool_t *pconf)
{
    apr_shm_t *shm;
    /* one more after the workers': the app's own (fa_slot_admit) */
    apr_size_t size = sizeof(fa_slot_t) * ((apr_size_t)nslots + 1);
    apr_status_t rv;

    /* Anonymous shared memory survives fork; it lives with pconf in the
     * parent and as long as the mapping in children and workers. */
    if ((rv = apr_shm_create(&shm, size, NULL, pconf)) != APR_SUCCESS) {
        return rv;
    }
    *slots = apr_shm_baseaddr_get(shm);
    memset(*slots, 0, size);
    return APR_SUCCESS;
}

/* Reading the counters and then adding would let two children that look
 * at once pick the same idle worker; the compare-and-swap makes the choice
 * and the count one step, and a loser looks again. */
int fa_slot_reserve(fa_slot_t *slots, int nslots, int exclude,
                    apr_uint32_t *spread)
{
    int attempt, k;

    for (attempt = 0;; ++attempt) {
        apr_uint32_t start = apr_atomic_inc32(spread);
        apr_uint32_t best_score = 0xffffffff, best_seen = 0;
        int best = exclude >= 0 ? exclude : 0;

        for (k = 0; k < nslots; ++k) {
            int i = (int)((start + (apr_uint32_t)k) % (apr_uint32_t)nslots);
            apr_uint32_t seen, score;
            if (i == exclude) {
                continue;
            }
            seen = apr_atomic_read32(&slots[i].outstanding);
            score = seen;
            if (!apr_atomic_read32(&slots[i].ready)) {
                score += NOT_READY_WEIGHT;
            }
            if (score < best_score) {
                best_score = score;
                best_seen = seen;
                best = i;
            }
        }
        if (best_score == 0xffffffff || attempt >= MAX_CAS_TRIES) {
            apr_atomic_inc32(&slots[best].outstanding);
            return best;
        }
        if (apr_atomic_cas32(&slots[best].outstanding, best_seen + 1, best_seen)
            == best_seen) {
            return best;
        }
    }
}

void fa_slot_release(fa_slot_t *slots, int slot)
{
    apr_atomic_dec32(&slots[slot].outstanding);
}

void fa_slot_set_ready(fa_slot_t *slots, int slot)
{
    apr_atomic_set32(&slots[slot].ready, 1);
}

void fa_slot_set_dead(fa_slot_t *slots, int slot)
{
    apr_atomic_set32(&slots[slot].ready, 0);
}

/* The count and the check are one atomic step, so children admitting at
 * once never let more than @a max in. */
int fa_slot_admit(fa_slot_t *slots, int nslots, apr_uint32_t max)
{
    apr_uint32_t *admitted = &slots[nslots].outstanding;
    apr_uint32_t seen;

    do {
        seen = apr_atomic_read32(admitted);
        if (seen >= max) {
            return 0;
        }
    } while (apr_atomic_cas32(admitted, seen + 1, seen) != seen);
    return 1;
}

void fa_slot_leave(fa_slot_t *slots, int nslots)
{
    apr_atomic_dec32(&slots[nslots].outstanding);
}

void fa_slot_ask(fa_slot_t *slots, int slot, apr_uint32_t asks)
{
    apr_uint32_t *field = &slots[slot].asks;
    apr_uint32_t seen;

    do {
        seen = apr_atomic_read32(field);
    } while (apr_atomic_cas32(field, seen | asks, seen) != seen);
}

apr_uint32_t fa_slot_take_asks(fa_slot_t *slots, int slot)
{
    return apr_atomic_xchg32(&slots[slot].asks, 0);
}

apr_uint32_t fa_slot_incarnation(fa_slot_t *slots, int slot)
{
    return apr_atomic_read32(&slots[slot].incarnation);
}

void fa_slot_new_incarnation(fa_slot_t *slots, int slot)
{
    apr_atomic_inc32(&slots[slot].incarnation);
}

void fa_slot_set_retiring(fa_slot_t *slots, int slot, int retiring)
{
    apr_atomic_set32(&slots[slot].retiring, retiring ? 1 : 0);
}

int fa_slot_retiring(fa_slot_t *slots, int slot)
{
    return apr_atomic_read32(&slots[slot].retiring) != 0;
}

/* Seconds of CLOCK_MONOTONIC: the same clock in every process of the
 * machine, and one that a change of the wall clock does not move. */
static apr_uint32_t monotonic_seconds(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (apr_uint32_t)ts.tv_sec;
}

void fa_slot_beat(fa_slot_t *slots, int slot)
{
    apr_atomic_set32(&slots[slot].beat, monotonic_seconds());
}

int fa_slot_stalled(fa_slot_t *slots, int slot, apr_uint32_t seconds)
{
    apr_uint32_t beat = apr_atomic_read32(&slots[slot].beat);

    /* unsigned: a beat read just as it moves on is never "late" */
    return apr_atomic_read32(&slots[slot].ready)
        && (apr_int32_t)(monotonic_seconds() - beat) > (apr_int32_t)seconds;
}
