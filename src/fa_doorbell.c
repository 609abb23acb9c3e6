/* SPDX-License-Identifier: Apache-2.0 */
/* fa_doorbell: the pipe and the bell process (see fa_doorbell.h). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "fa_doorbell.h"

apr_status_t fa_doorbell_create(int fds[2])
{
    if (pipe(fds) < 0) {
        return errno;
    }
    if (fcntl(fds[1], F_SETFL, O_NONBLOCK) < 0) {
        apr_status_t rv = errno;
        close(fds[0]);
        close(fds[1]);
        return rv;
    }
    return APR_SUCCESS;
}

void fa_doorbell_ring(int write_fd)
{
    char byte = 1;

    /* EAGAIN: the pipe is full of rings not yet heard, as good as ours */
    while (write(write_fd, &byte, 1) < 0 && errno == EINTR) {
    }
}

static void on_term(int signo)
{
    (void)signo;
    _exit(0);
}

void fa_doorbell_wait(int read_fd)
{
    char buf[512];
    ssize_t n;

    prctl(PR_SET_NAME, "funcapp-bell");
    /* dies with the parent, which alone reaps it */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    signal(SIGTERM, on_term);
    signal(SIGINT, SIG_IGN);
    signal(SIGHUP, SIG_IGN);
    signal(SIGUSR1, SIG_IGN);
    signal(SIGWINCH, SIG_IGN);
    /* httpd's listeners and every other descriptor: a bell holding a port
     * would keep the next httpd from binding it */
    if (read_fd > 3) {
        close_range(3, (unsigned)read_fd - 1, 0);
    }
    close_range((unsigned)read_fd + 1, ~0u, 0);
    do {
        n = read(read_fd, buf, sizeof(buf));
    } while (n < 0 && errno == EINTR);
    if (n > 0) {
        /* the rings already queued are answered by this one wake-up */
        fcntl(read_fd, F_SETFL, O_NONBLOCK);
        while (read(read_fd, buf, sizeof(buf)) > 0) {
        }
    }
}
