/* SPDX-License-Identifier: Apache-2.0 */
/* fa_io: Unix sockets, addresses and frame-sized reads and writes. */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <apr_strings.h>

#include "fa_io.h"

/* A small frame is read whole in one system call. */
#define FIRST_READ 8192

struct fa_io_addr {
    struct sockaddr_un sa;
    const char *path;
};

apr_size_t fa_io_path_max(void)
{
    return sizeof(((struct sockaddr_un *)0)->sun_path) - 1;
}

apr_status_t fa_io_addr_make(fa_io_addr_t **addr, apr_pool_t *p,
                             const char *path)
{
    apr_size_t n = strlen(path);
    fa_io_addr_t *a;

    /* An empty path would be Linux's abstract namespace, not a file. */
    if (n == 0) {
        return APR_EINVAL;
    }
    if (n > fa_io_path_max()) {
        return APR_ENAMETOOLONG;
    }
    a = apr_pcalloc(p, sizeof(*a));
    a->sa.sun_family = AF_UNIX;
    memcpy(a->sa.sun_path, path, n + 1);
    a->path = apr_pstrdup(p, path);
    *addr = a;
    return APR_SUCCESS;
}

const char *fa_io_addr_path(const fa_io_addr_t *addr)
{
    return addr->path;
}

apr_status_t fa_io_connect(const fa_io_addr_t *addr, int *fd)
{
    int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    apr_status_t rv;

    if (s < 0) {
        return errno;
    }
    if (connect(s, (const struct sockaddr *)&addr->sa, sizeof(addr->sa)) < 0) {
        rv = errno;
        close(s);
        return rv;
    }
    *fd = s;
    return APR_SUCCESS;
}

/* Binds with umask 0177, so the socket file is mode 0600 from the start:
 * a chmod after bind would leave a moment where others may connect. */
static apr_status_t bind_private(int s, const fa_io_addr_t *addr)
{
    mode_t old_umask = umask(0177);
    int r = bind(s, (const struct sockaddr *)&addr->sa, sizeof(addr->sa));
    apr_status_t rv = r < 0 ? errno : APR_SUCCESS;

    umask(old_umask);
    return rv;
}

apr_status_t fa_io_listen(const fa_io_addr_t *addr, int backlog, long uid,
                          long gid, int *fd)
{
    int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    apr_status_t rv;

    if (s < 0) {
        return errno;
    }
    /* A socket file left by a parent that was killed would fail bind. */
    unlink(addr->path);
    if ((rv = bind_private(s, addr)) != APR_SUCCESS) {
        close(s);
        return rv;
    }
    if ((uid >= 0 && chown(addr->path, (uid_t)uid, (gid_t)gid) < 0)
        || listen(s, backlog) < 0) {
        rv = errno;
        close(s);
        unlink(addr->path);
        return rv;
    }
    *fd = s;
    return APR_SUCCESS;
}

void fa_io_advance(struct iovec **vec, int *nvec, apr_size_t n)
{
    while (*nvec > 0 && n >= (*vec)->iov_len) {
        n -= (*vec)->iov_len;
        ++*vec;
        --*nvec;
    }
    if (*nvec > 0) {
        (*vec)->iov_base = (char *)(*vec)->iov_base + n;
        (*vec)->iov_len -= n;
    }
}

apr_status_t fa_io_send_nowait(int fd, struct iovec **vec, int *nvec)
{
    while (*nvec > 0) {
        struct msghdr msg;
        ssize_t n;

        memset(&msg, 0, sizeof(msg));
        msg.msg_iov = *vec;
        msg.msg_iovlen = (size_t)*nvec;
        n = sendmsg(fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            return (errno == EAGAIN || errno == EWOULDBLOCK) ? APR_EAGAIN
                                                             : errno;
        }
        fa_io_advance(vec, nvec, (apr_size_t)n);
    }
    return APR_SUCCESS;
}

apr_status_t fa_io_send(int fd, struct iovec *vec, int nvec)
{
    apr_status_t rv;

    while ((rv = fa_io_send_nowait(fd, &vec, &nvec)) == APR_EAGAIN) {
        struct pollfd pfd = {fd, POLLOUT, 0};
        poll(&pfd, 1, -1);
    }
    return rv;
}

apr_status_t fa_io_recv(int fd, char *buf, apr_size_t len, int timeout_ms,
                        apr_size_t *got)
{
    for (;;) {
        ssize_t n;
        if (timeout_ms >= 0) {
            struct pollfd pfd = {fd, POLLIN, 0};
            int r = poll(&pfd, 1, timeout_ms);
            if (r == 0) {
                return APR_TIMEUP;
            }
            if (r < 0) {
                /* a signal restarts the wait: the timeout bounds a stuck
                 * peer, not a precise deadline */
                if (errno == EINTR) {
                    continue;
                }
                return errno;
            }
        }
        n = recv(fd, buf, len, 0);
        if (n > 0) {
            *got = (apr_size_t)n;
            return APR_SUCCESS;
        }
        if (n == 0) {
            return APR_EOF;
        }
        if (errno != EINTR) {
            return errno;
        }
    }
}

/* One read for @a r: into the payload's room once the header is in, else
 * into @a first, of which the reader takes what is its frame. */
static apr_status_t read_more(int fd, fa_wire_reader_t *r, char *first,
                              apr_size_t size, int timeout_ms)
{
    apr_size_t missing, got, used;
    char *room = fa_wire_reader_room(r, &missing);
    apr_status_t rv;

    if (room) {
        rv = fa_io_recv(fd, room, missing, timeout_ms, &got);
        return rv == APR_SUCCESS ? fa_wire_reader_filled(r, got) : rv;
    }
    if ((rv = fa_io_recv(fd, first, size, timeout_ms, &got)) != APR_SUCCESS) {
        return rv;
    }
    rv = fa_wire_reader_feed(r, first, got, &used);
    return rv == APR_SUCCESS && used < got ? APR_EGENERAL : rv;
}

apr_status_t fa_io_recv_frame(int fd, fa_wire_reader_t *r, int timeout_ms,
                              fa_frame_type_e *type, char **payload,
                              apr_size_t *len)
{
    char first[FIRST_READ];
    apr_status_t rv;

    do {
        rv = read_more(fd, r, first, sizeof(first), timeout_ms);
    } while (rv == APR_INCOMPLETE);
    if (rv == APR_SUCCESS) {
        fa_wire_reader_take(r, type, payload, len);
    }
    return rv;
}

/* One step for @a r: the carried bytes first, else a read straight into
 * the payload's room (never past the frame), else a read into the carry. */
static apr_status_t carry_step(int fd, fa_wire_reader_t *r,
                               fa_io_carry_t *carry, int timeout_ms)
{
    apr_size_t missing, got, used;
    char *room;
    apr_status_t rv;

    if (carry->at < carry->len) {
        rv = fa_wire_reader_feed(r, carry->buf + carry->at,
                                 carry->len - carry->at, &used);
        carry->at += used;
        return rv;
    }
    if (timeout_ms == 0) {
        return APR_INCOMPLETE;
    }
    room = fa_wire_reader_room(r, &missing);
    if (room) {
        rv = fa_io_recv(fd, room, missing, timeout_ms, &got);
        return rv == APR_SUCCESS ? fa_wire_reader_filled(r, got) : rv;
    }
    rv = fa_io_recv(fd, carry->buf, sizeof(carry->buf), timeout_ms, &got);
    if (rv == APR_SUCCESS) {
        carry->at = 0;
        carry->len = got;
        rv = APR_INCOMPLETE;
    }
    return rv;
}

void fa_io_carry_fill(int fd, fa_io_carry_t *carry)
{
    ssize_t n = recv(fd, carry->buf, sizeof(carry->buf), MSG_DONTWAIT);

    carry->at = 0;
    carry->len = n > 0 ? (apr_size_t)n : 0;
}

apr_status_t fa_io_recv_frame_carry(int fd, fa_wire_reader_t *r,
                                    fa_io_carry_t *carry, int timeout_ms,
                                    fa_frame_type_e *type, char **payload,
                                    apr_size_t *len)
{
    apr_status_t rv;

    do {
        rv = carry_step(fd, r, carry, timeout_ms);
    } while (rv == APR_INCOMPLETE
             && (timeout_ms != 0 || carry->at < carry->len));
    if (rv == APR_SUCCESS) {
        fa_wire_reader_take(r, type, payload, len);
    }
    return rv;
}
