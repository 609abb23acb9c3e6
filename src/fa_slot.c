/* SPDX-License-Identifier: Apache-2.0 */
/* fa_slot: the shared slots, touched by the parent, children and workers. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* sem_clockwait */
#endif
#include <errno.h>
#include <semaphore.h>
#include <string.h>
#include <time.h>

#include <apr_atomic.h>
#include <apr_shm.h>

#include "fa_app.h"
#include "fa_slot.h"

/* A slot's score is its tier (fa_slot_reserve) above its outstanding
 * count, so any slot of a better tier wins, however busy. */
#define TIER_SHIFT 24
#define MAX_COUNTED ((1u << TIER_SHIFT) - 1)
/* Lost compare-and-swaps before a child counts on its pick anyway. */
#define MAX_CAS_TRIES 8

/* The app's own counts, after its slots in the same shared memory. */
typedef struct app_area {
    apr_uint32_t admitted; /* requests in (fa_slot_admit) */
    apr_uint32_t limited;  /* whether running holds a count */
    sem_t running;         /* places left under maxConcurrentRequests */
    apr_uint32_t reloads;  /* reloads asked (fa_slot_reloads) */
    apr_uint32_t failing;  /* the code served has a function that failed */
} app_area_t;

/* sem_t wants its own alignment whatever the slots' size. */
#define AREA_OFFSET(nslots)                                                    \
    APR_ALIGN(sizeof(fa_slot_t) * (apr_size_t)(nslots), 16)

static app_area_t *area_of(fa_slot_t *slots, int nslots)
{
    return (app_area_t *)((char *)slots + AREA_OFFSET(nslots));
}

apr_status_t fa_slot_create(fa_slot_t **slots, int nslots, apr_pool_t *pconf)
{
    apr_shm_t *shm;
    apr_size_t size = AREA_OFFSET(nslots) + sizeof(app_area_t);
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

/* A request sent to a starting worker waits in its socket's backlog only
 * until the import is over; behind a full ready one it waits for a whole
 * request to end.  So a free place on a starting worker beats a full
 * ready one, and only a free place on a ready one beats it. */
static apr_uint32_t score(fa_slot_t *slot, apr_uint32_t seen,
                          apr_uint32_t capacity)
{
    apr_uint32_t state = apr_atomic_read32(&slot->state);
    int free_place = capacity == 0 || seen < capacity;
    apr_uint32_t tier;

    if (state == FA_SLOT_READY) {
        tier = free_place ? 0 : 2;
    }
    else if (state == FA_SLOT_STARTING && free_place) {
        tier = 1;
    }
    else {
        tier = 3;
    }
    return (tier << TIER_SHIFT) | (seen < MAX_COUNTED ? seen : MAX_COUNTED);
}

/* Reading the counters and then adding would let two children that look
 * at once pick the same idle worker; the compare-and-swap makes the choice
 * and the count one step, and a loser looks again. */
int fa_slot_reserve(fa_slot_t *slots, int nslots, int exclude,
                    apr_uint32_t capacity, apr_uint32_t *spread)
{
    int attempt, k;

    for (attempt = 0;; ++attempt) {
        apr_uint32_t start = apr_atomic_inc32(spread);
        apr_uint32_t best_score = 0xffffffff, best_seen = 0;
        int best = exclude >= 0 ? exclude : 0;

        for (k = 0; k < nslots; ++k) {
            int i = (int)((start + (apr_uint32_t)k) % (apr_uint32_t)nslots);
            apr_uint32_t seen, s;
            if (i == exclude) {
                continue;
            }
            seen = apr_atomic_read32(&slots[i].outstanding);
            s = score(&slots[i], seen, capacity);
            if (s < best_score) {
                best_score = s;
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

void fa_slot_set_starting(fa_slot_t *slots, int slot)
{
    apr_atomic_set32(&slots[slot].state, FA_SLOT_STARTING);
}

void fa_slot_set_ready(fa_slot_t *slots, int slot)
{
    apr_atomic_set32(&slots[slot].state, FA_SLOT_READY);
}

void fa_slot_set_dead(fa_slot_t *slots, int slot)
{
    apr_atomic_set32(&slots[slot].state, FA_SLOT_DOWN);
}

/* The count and the check are one atomic step, so children admitting at
 * once never let more than @a max in. */
int fa_slot_admit(fa_slot_t *slots, int nslots, apr_uint32_t max)
{
    apr_uint32_t *admitted = &area_of(slots, nslots)->admitted;
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
    apr_atomic_dec32(&area_of(slots, nslots)->admitted);
}

/* A process-shared semaphore: waiting children sleep in the kernel and
 * one wakes as each running function ends, in whichever httpd child. */
apr_status_t fa_slot_limit_running(fa_slot_t *slots, int nslots,
                                   apr_uint32_t max)
{
    app_area_t *area = area_of(slots, nslots);

    if (max == 0) {
        return APR_SUCCESS;
    }
    if (sem_init(&area->running, 1, max) != 0) {
        return APR_FROM_OS_ERROR(errno);
    }
    area->limited = 1;
    return APR_SUCCESS;
}

apr_status_t fa_slot_run_begin(fa_slot_t *slots, int nslots,
                               apr_interval_time_t timeout)
{
    app_area_t *area = area_of(slots, nslots);
    struct timespec deadline;
    int rc;

    if (!area->limited) {
        return APR_SUCCESS;
    }
    clock_gettime(CLOCK_MONOTONIC, &deadline);
    if (timeout > 0) {
        apr_interval_time_t ns = (apr_interval_time_t)deadline.tv_nsec
            + apr_time_usec(timeout) * 1000;
        deadline.tv_sec += (time_t)(apr_time_sec(timeout) + ns / 1000000000);
        deadline.tv_nsec = (long)(ns % 1000000000);
    }
    /* a signal to the child (a graceful restart) is no reason to stop */
    do {
        rc = timeout > 0
            ? sem_clockwait(&area->running, CLOCK_MONOTONIC, &deadline)
            : sem_wait(&area->running);
    } while (rc != 0 && errno == EINTR);
    return rc == 0 ? APR_SUCCESS : APR_TIMEUP;
}

void fa_slot_run_end(fa_slot_t *slots, int nslots)
{
    app_area_t *area = area_of(slots, nslots);

    if (area->limited) {
        sem_post(&area->running);
    }
}

void fa_slot_ask(fa_slot_t *slots, int slot, apr_uint32_t asks)
{
    apr_uint32_t *field = &slots[slot].asks;
    apr_uint32_t seen;

    do {
        seen = apr_atomic_read32(field);
    } while (apr_atomic_cas32(field, seen | asks, seen) != seen);
}

apr_uint32_t fa_slot_reloads(fa_slot_t *slots, int nslots)
{
    return apr_atomic_read32(&area_of(slots, nslots)->reloads);
}

apr_uint32_t fa_slot_new_reload(fa_slot_t *slots, int nslots)
{
    return apr_atomic_inc32(&area_of(slots, nslots)->reloads) + 1;
}

int fa_slot_code_failing(fa_slot_t *slots, int nslots, int failing)
{
    app_area_t *a = area_of(slots, nslots);

    return failing < 0 ? (int)apr_atomic_read32(&a->failing)
                       : (apr_atomic_set32(&a->failing, failing ? 1 : 0), 0);
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
    return apr_atomic_read32(&slots[slot].state) == FA_SLOT_READY
        && (apr_int32_t)(monotonic_seconds() - beat) > (apr_int32_t)seconds;
}
