/* SPDX-License-Identifier: Apache-2.0 */
/* fa_recycle: the recycling limits (see fa_recycle.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <apr_lib.h>
#include <apr_strings.h>

#include "fa_recycle.h"

/* Digits only, at most @a max; -1 if not. */
static long long count_of(const char *s, long long max)
{
    long long v = 0;

    if (!*s) {
        return -1;
    }
    for (; *s; ++s) {
        if (!apr_isdigit(*s)) {
            return -1;
        }
        v = v * 10 + (*s - '0');
        if (v > max) {
            return -1;
        }
    }
    return v;
}

apr_status_t fa_recycle_parse_requests(apr_pool_t *p, int argc,
                                       char *const *argv, apr_uint32_t *n,
                                       apr_uint32_t *jitter, const char **error)
{
    long long v = argc >= 1 ? count_of(argv[0], FA_RECYCLE_MAX_COUNT) : -1;
    long long j = 0;
    const char *given = argc >= 1 ? argv[0] : "";
    int i;

    for (i = 1; i < argc; ++i) {
        given = apr_pstrcat(p, given, " ", argv[i], NULL);
    }
    if (argc == 2 && strncasecmp(argv[1], "jitter=", 7) == 0) {
        j = count_of(argv[1] + 7, FA_RECYCLE_MAX_COUNT);
    }
    else if (argc != 1) {
        j = -1;
    }
    if (v < 1 || j < 0) {
        *error = apr_psprintf(
            p,
            "FunctionWorkerMaxRequests must be N [jitter=J], whole numbers "
            "with N from 1 to %u, not '%s'",
            FA_RECYCLE_MAX_COUNT, given);
        return APR_EINVAL;
    }
    *n = (apr_uint32_t)v;
    *jitter = (apr_uint32_t)j;
    return APR_SUCCESS;
}

apr_status_t fa_recycle_parse_size(apr_pool_t *p, const char *value,
                                   apr_uint64_t *bytes, const char **error)
{
    apr_size_t len = strlen(value);
    char *digits = apr_pstrdup(p, value);
    apr_uint64_t unit = 1;
    long long v;

    if (len > 0) {
        switch (apr_toupper(value[len - 1])) {
        case 'K':
            unit = 1024;
            break;
        case 'M':
            unit = 1024 * 1024;
            break;
        case 'G':
            unit = 1024 * 1024 * 1024;
            break;
        default:
            break;
        }
        if (unit > 1) {
            digits[len - 1] = '\0';
        }
    }
    /* 2^40 units at most: no product overflows */
    v = count_of(digits, 1LL << 40);
    if (v < 0 || (apr_uint64_t)v * unit < FA_RECYCLE_MIN_MEMORY) {
        *error = apr_psprintf(p,
                              "FunctionWorkerMaxMemory must be a size "
                              "(bytes, or a number and K, M or G) of at least "
                              "%uM, not '%s'",
                              FA_RECYCLE_MIN_MEMORY / (1024 * 1024), value);
        return APR_EINVAL;
    }
    *bytes = (apr_uint64_t)v * unit;
    return APR_SUCCESS;
}

apr_uint32_t fa_recycle_limit(apr_uint32_t n, apr_uint32_t jitter,
                              apr_uint32_t random)
{
    if (jitter == 0) {
        return n;
    }
    /* both are at most FA_RECYCLE_MAX_COUNT, so the sum fits */
    return n + random % (jitter + 1);
}

apr_status_t fa_recycle_rss(apr_uint64_t *bytes)
{
    char buf[128];
    unsigned long long pages;
    ssize_t n;
    int fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);

    if (fd < 0) {
        return errno;
    }
    n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n <= 0) {
        return APR_EGENERAL;
    }
    buf[n] = '\0';
    /* "size resident shared ...", in pages */
    if (sscanf(buf, "%*s %llu", &pages) != 1) {
        return APR_EGENERAL;
    }
    *bytes = (apr_uint64_t)pages * (apr_uint64_t)sysconf(_SC_PAGESIZE);
    return APR_SUCCESS;
}
