/* SPDX-License-Identifier: Apache-2.0 */
/**
 * fa_recycle: when a worker asks to be replaced.
 *
 * `FunctionWorkerMaxRequests N [jitter=J]` (as gunicorn's max_requests and
 * max_requests_jitter) and `FunctionWorkerMaxMemory SIZE` (its resident
 * set), both off by default.  Past either, the worker asks the parent for a
 * successor (fa_slot_ask) and goes on serving until the successor is ready;
 * only then is it told to drain, so recycling pauses nothing.
 */
#ifndef FA_RECYCLE_H
#define FA_RECYCLE_H

#include <apr_pools.h>

/* Largest N and J, and the smallest SIZE taken: a limit below a worker's
 * idle size (~12 MB) would replace it forever. */
#define FA_RECYCLE_MAX_COUNT 1000000000u
#define FA_RECYCLE_MIN_MEMORY (16u * 1024 * 1024)

/**
 * Parses FunctionWorkerMaxRequests' arguments: N, then optionally
 * "jitter=J".  On failure *error is one line naming the directive.
 */
apr_status_t fa_recycle_parse_requests(apr_pool_t *p, int argc,
                                       char *const *argv, apr_uint32_t *n,
                                       apr_uint32_t *jitter,
                                       const char **error);

/**
 * Parses FunctionWorkerMaxMemory's SIZE: bytes, or a number followed by K,
 * M or G (powers of 1024), at least FA_RECYCLE_MIN_MEMORY.
 */
apr_status_t fa_recycle_parse_size(apr_pool_t *p, const char *value,
                                   apr_uint64_t *bytes, const char **error);

/** The number of requests after which a worker asks to be replaced: @a n
 * plus @a random spread over 0..@a jitter, so workers started together do
 * not all leave together. */
apr_uint32_t fa_recycle_limit(apr_uint32_t n, apr_uint32_t jitter,
                              apr_uint32_t random);

/** This process's resident set size in bytes (/proc/self/statm). */
apr_status_t fa_recycle_rss(apr_uint64_t *bytes);

#endif
