/* SPDX-License-Identifier: Apache-2.0 */
/* fa_body: the two ends of a streamed request body (see fa_body.h). */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "fa_body.h"
#include "fa_io.h"
#include "fa_wire.h"

/* ---- the child's end --------------------------------------------------- */

void fa_body_pump_init(fa_body_pump_t *p, fa_body_source_t *src)
{
    memset(p, 0, sizeof(*p));
    p->src = src;
}

/* Frames the next part of the piece (or the end) as the one to write. */
static void frame_next(fa_body_pump_t *p)
{
    apr_size_t n = p->len < FA_WIRE_MAX_CHUNK ? p->len : FA_WIRE_MAX_CHUNK;

    fa_wire_make_header(p->hdr, FA_FRAME_REQUEST_CHUNK, n);
    p->vec[0].iov_base = p->hdr;
    p->vec[0].iov_len = sizeof(p->hdr);
    p->vec[1].iov_base = (void *)p->data;
    p->vec[1].iov_len = n;
    p->at = p->vec;
    p->nvec = n ? 2 : 1;
    p->data += n;
    p->len -= n;
}

/* Writes what is left of the frame without waiting. */
static apr_status_t write_frame(fa_body_pump_t *p, int fd)
{
    apr_status_t rv = fa_io_send_nowait(fd, &p->at, &p->nvec);

    if (rv == APR_EAGAIN) {
        p->wants = FA_PUMP_WANTS_WORKER;
    }
    else if (rv != APR_SUCCESS) {
        /* EPIPE, ECONNRESET: whatever the worker said is still there to
         * read */
        rv = APR_ECONNRESET;
    }
    return rv;
}

apr_status_t fa_body_pump_step(fa_body_pump_t *p, int fd)
{
    apr_status_t rv;

    while (!p->done) {
        if ((rv = write_frame(p, fd)) != APR_SUCCESS) {
            return rv;
        }
        if (p->last) {
            p->done = 1;
        }
        else if (p->len > 0) {
            frame_next(p);
        }
        else {
            p->src->started = 1;
            rv = p->src->next(p->src->baton, p->src->fd < 0, &p->data, &p->len);
            if (rv == APR_EOF) {
                p->last = 1;
                p->len = 0;
                frame_next(p);
            }
            else if (APR_STATUS_IS_EAGAIN(rv)) {
                p->wants = FA_PUMP_WANTS_SOURCE;
                return APR_EAGAIN;
            }
            else if (rv != APR_SUCCESS) {
                return rv;
            }
        }
    }
    return APR_SUCCESS;
}

/* How long one poll waits before the deadline is looked at again. */
#define POLL_STEP_MS 1000

static int poll_ms(apr_time_t deadline)
{
    apr_interval_time_t left = deadline - apr_time_now();

    if (left <= 0) {
        return 0;
    }
    return left < apr_time_from_msec(POLL_STEP_MS)
        ? (int)apr_time_as_msec(left) + 1
        : POLL_STEP_MS;
}

/* Waits for the worker's room or the source's bytes, whichever the pump
 * wants, and for the worker's answer all the while: only a worker taking
 * nothing meets the deadline; a slow client does not (httpd's Timeout
 * bounds its reads). */
apr_status_t fa_body_pump(fa_body_pump_t *p, int fd, apr_time_t deadline,
                          int *answered)
{
    apr_status_t rv;

    *answered = 0;
    while (APR_STATUS_IS_EAGAIN(rv = fa_body_pump_step(p, fd))) {
        int to_worker = p->wants == FA_PUMP_WANTS_WORKER;
        struct pollfd pfd[2] = {
            {fd, (short)(POLLIN | (to_worker ? POLLOUT : 0)), 0},
            {p->src->fd, POLLIN, 0}};
        int r = poll(pfd, to_worker ? 1 : 2,
                     to_worker ? poll_ms(deadline) : POLL_STEP_MS);

        if (r > 0 && (pfd[0].revents & (POLLIN | POLLHUP | POLLERR))) {
            *answered = 1;
            return APR_SUCCESS;
        }
        if (r == 0 && to_worker && apr_time_now() >= deadline) {
            return APR_TIMEUP;
        }
    }
    if (rv == APR_ECONNRESET) {
        *answered = 1;
        return APR_SUCCESS;
    }
    return rv;
}

/* ---- the worker's end -------------------------------------------------- */

void fa_body_reader_init(fa_body_reader_t *r, int fd, apr_uint64_t max_total)
{
    memset(r, 0, sizeof(*r));
    r->fd = fd;
    r->max_total = max_total;
}

apr_status_t fa_body_reader_preread(fa_body_reader_t *r, const char *data,
                                    apr_size_t len)
{
    char *copy = malloc(len ? len : 1);

    if (!copy) {
        return APR_ENOMEM;
    }
    memcpy(copy, data, len);
    free(r->pending);
    r->pending = copy;
    r->pending_len = len;
    r->pending_off = 0;
    return APR_SUCCESS;
}

void fa_body_reader_clear(fa_body_reader_t *r)
{
    free(r->pending);
    r->pending = NULL;
    r->pending_len = r->pending_off = 0;
}

/* Some bytes of the stream: the pre-read ones first, then the socket's.
 * APR_EOF when the child closed the connection. */
static apr_status_t raw_read(fa_body_reader_t *r, char *buf, apr_size_t len,
                             int timeout_ms, apr_size_t *got)
{
    if (r->pending_off < r->pending_len) {
        apr_size_t n = r->pending_len - r->pending_off;
        n = n < len ? n : len;
        memcpy(buf, r->pending + r->pending_off, n);
        r->pending_off += n;
        *got = n;
        return APR_SUCCESS;
    }
    for (;;) {
        ssize_t n = recv(r->fd, buf, len, MSG_DONTWAIT);
        struct pollfd pfd = {r->fd, POLLIN, 0};
        int ready;

        if (n > 0) {
            *got = (apr_size_t)n;
            return APR_SUCCESS;
        }
        if (n == 0) {
            return APR_EOF;
        }
        if (errno == EINTR) {
            continue;
        }
        if (errno != EAGAIN && errno != EWOULDBLOCK) {
            return errno;
        }
        if (timeout_ms == 0) {
            return APR_EAGAIN;
        }
        ready = poll(&pfd, 1, timeout_ms);
        if (ready == 0) {
            return APR_TIMEUP;
        }
        if (ready < 0 && errno != EINTR) {
            return errno;
        }
    }
}

static apr_status_t fail(fa_body_reader_t *r, apr_status_t why)
{
    r->failure = why;
    return why;
}

/* A chunk's header is in: the body ends, or so many bytes follow. */
static apr_status_t start_chunk(fa_body_reader_t *r)
{
    fa_frame_type_e type;
    apr_size_t len;

    r->hdr_have = 0;
    if (fa_wire_parse_header(r->hdr, FA_WIRE_MAX_CHUNK, &type, &len)
            != APR_SUCCESS
        || type != FA_FRAME_REQUEST_CHUNK) {
        return fail(r, APR_EGENERAL);
    }
    if (len == 0) {
        r->ended = 1;
        return APR_EOF;
    }
    if (len > r->max_total - r->total) {
        return fail(r, APR_ENOSPC);
    }
    r->total += len;
    r->chunk_left = len;
    return APR_SUCCESS;
}

apr_status_t fa_body_read(fa_body_reader_t *r, char *buf, apr_size_t len,
                          int timeout_ms, apr_size_t *got)
{
    apr_status_t rv;
    apr_size_t n;

    *got = 0;
    if (len == 0) {
        return APR_EINVAL;
    }
    while (!r->failure && !r->ended) {
        if (r->chunk_left > 0) {
            n = len < r->chunk_left ? len : r->chunk_left;
            rv = raw_read(r, buf, n, timeout_ms, got);
        }
        else {
            rv = raw_read(r, (char *)r->hdr + r->hdr_have,
                          sizeof(r->hdr) - r->hdr_have, timeout_ms, &n);
        }
        if (rv == APR_EOF) {
            return fail(r, APR_ECONNABORTED);
        }
        if (APR_STATUS_IS_EAGAIN(rv) || rv == APR_TIMEUP) {
            return rv;
        }
        if (rv != APR_SUCCESS) {
            return fail(r, APR_ECONNABORTED);
        }
        if (r->chunk_left > 0) {
            r->chunk_left -= *got;
            return APR_SUCCESS;
        }
        r->hdr_have += n;
        if (r->hdr_have == sizeof(r->hdr)
            && (rv = start_chunk(r)) != APR_SUCCESS) {
            return rv;
        }
    }
    return r->ended ? APR_EOF : r->failure;
}
