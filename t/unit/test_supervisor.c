/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for fa_supervisor: its policies alone, then real worker
 * processes (a stand-in entry point) driven the way httpd's MPMs drive
 * other children: waitpid, then apr_proc_other_child_alert. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include <apr_general.h>
#include <apr_pools.h>
#include <apr_strings.h>
#include <apr_thread_proc.h>

#include "fa_app.h"
#include "fa_exit.h"
#include "fa_doorbell.h"
#include "fa_supervisor.h"
#include "unit.h"

static apr_pool_t *plong, *pconf;

/* ---- a logger that keeps what it is given ------------------------------- */

static char logged[16384];

static void keep_log(void *baton, const char *file, int line, int level,
                     apr_status_t rv, const char *msg)
{
    (void)file;
    (void)line;
    size_t n = strlen(logged);

    (void)baton;
    (void)level;
    (void)rv;
    apr_snprintf(logged + n, sizeof(logged) - n, "%s\n", msg);
}

static const fa_logger_t test_log = {keep_log, NULL, 7};

/* An empty log; unit_setup's pool as plong, pconf in it (unit_teardown
 * destroys both). */
static int setup(void **state)
{
    logged[0] = '\0';
    if (unit_setup(state) != 0) {
        return -1;
    }
    plong = pool;
    return apr_pool_create(&pconf, plong) == APR_SUCCESS ? 0 : -1;
}

/* ---- policies ----------------------------------------------------------- */

static void test_exit_reason(void **state)
{
    (void)state;
    assert_string_equal(fa_exit_reason(FA_EXIT_DRAINED),
                        "finished its requests after SIGTERM");
    assert_string_equal(fa_exit_reason(FA_EXIT_SETUP),
                        "cannot set up its process (listeners, privileges)");
    assert_string_equal(fa_exit_reason(FA_EXIT_PYTHON),
                        "cannot start Python or import the app");
    assert_string_equal(fa_exit_reason(FA_EXIT_POLLSET),
                        "cannot create its pollset");
    assert_string_equal(fa_exit_reason(FA_EXIT_THREADS),
                        "cannot create its thread pool");
    assert_string_equal(fa_exit_reason(FA_EXIT_LOCKS),
                        "cannot create its locks");
    assert_string_equal(fa_exit_reason(FA_EXIT_POLL), "its poll failed");
    assert_string_equal(fa_exit_reason(FA_EXIT_DRAIN_TIMEOUT),
                        "stopped with requests in flight at its graceful "
                        "timeout");
    assert_null(fa_exit_reason(1));
    assert_null(fa_exit_reason(9));
    assert_null(fa_exit_reason(255));
    assert_null(fa_exit_reason(-1));
}

static void test_backoff(void **state)
{
    static const int expect_ms[] = {100,  200,  400,   800,   1600,
                                    3200, 6400, 10000, 10000, 10000};
    int quick = 0;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(expect_ms) / sizeof(expect_ms[0]); ++i) {
        assert_int_equal(fa_supervisor_backoff(&quick, apr_time_from_msec(300)),
                         apr_time_from_msec(expect_ms[i]));
        assert_int_equal(quick, (int)i + 1);
    }
    /* a worker that lived 5 s was not failing on start-up */
    assert_int_equal(fa_supervisor_backoff(&quick, apr_time_from_sec(5)), 0);
    assert_int_equal(quick, 0);
    assert_int_equal(fa_supervisor_backoff(&quick, apr_time_from_msec(4999)),
                     apr_time_from_msec(100));
    /* a restart whose delay has not run out yet lived "negative" time */
    assert_int_equal(fa_supervisor_backoff(&quick, -apr_time_from_msec(50)),
                     apr_time_from_msec(200));
    assert_int_equal(fa_supervisor_backoff(&quick, apr_time_from_sec(60)), 0);
    /* a long-lived worker's first quick death after that starts afresh */
    assert_int_equal(fa_supervisor_backoff(&quick, 0), apr_time_from_msec(100));
}

static void test_draining_ledger(void **state)
{
    fa_draining_t *dr = fa_draining_get(plong), *other;
    apr_pool_t *elsewhere;
    int i;

    (void)state;
    /* the next generation finds the same ledger in httpd's process pool */
    assert_ptr_equal(fa_draining_get(plong), dr);
    assert_int_equal(fa_draining_count(dr), 0);
    assert_int_equal(fa_draining_add(dr, 100), APR_SUCCESS);
    assert_int_equal(fa_draining_add(dr, 101), APR_SUCCESS);
    assert_int_equal(fa_draining_add(dr, 102), APR_SUCCESS);
    fa_draining_forget(dr, 101);
    assert_int_equal(fa_draining_count(dr), 2);
    fa_draining_forget(dr, 999);
    assert_int_equal(fa_draining_count(dr), 2);
    fa_draining_forget(dr, 100);
    fa_draining_forget(dr, 102);
    assert_int_equal(fa_draining_count(dr), 0);
    fa_draining_forget(dr, 102);
    assert_int_equal(fa_draining_count(dr), 0);

    for (i = 0; i < FA_MAX_DRAINING; ++i) {
        assert_int_equal(fa_draining_add(dr, 1000 + i), APR_SUCCESS);
    }
    assert_int_equal(fa_draining_add(dr, 5), APR_ENOSPC);
    assert_int_equal(fa_draining_count(dr), FA_MAX_DRAINING);
    fa_draining_forget(dr, 1000);
    assert_int_equal(fa_draining_add(dr, 5), APR_SUCCESS);
    fa_draining_forget(dr, 5);
    fa_draining_forget(dr, 1000 + FA_MAX_DRAINING - 1);
    assert_int_equal(fa_draining_count(dr), FA_MAX_DRAINING - 2);

    apr_pool_create(&elsewhere, NULL);
    other = fa_draining_get(elsewhere);
    assert_ptr_not_equal(other, dr);
    assert_int_equal(fa_draining_count(other), 0);
    apr_pool_destroy(elsewhere);
}

/* ---- real worker processes ---------------------------------------------- */

enum { EXIT_AT_ONCE, KILL_ITSELF, WAIT_FOR_TERM };

/* What the next forked stand-in does; the child sees the value it had at
 * the fork. */
static int fake_mode;
static int fake_code;
static int stopping;

static void fake_entry(fa_app_t *app, int slot, apr_interval_time_t delay,
                       apr_pool_t *p)
{
    sigset_t term;
    int sig;

    (void)app;
    (void)slot;
    (void)delay;
    (void)p;
    if (fake_mode == KILL_ITSELF) {
        raise(SIGKILL);
    }
    if (fake_mode == WAIT_FOR_TERM) {
        /* the supervisor forks with SIGTERM blocked, as a worker that has
         * not installed its handlers yet */
        sigemptyset(&term);
        sigaddset(&term, SIGTERM);
        sigwait(&term, &sig);
        _exit(FA_EXIT_DRAINED);
    }
    _exit(fake_code);
}

static int httpd_exiting(void)
{
    return stopping;
}

typedef struct world {
    char dir[32];
    fa_app_config_t config;
    fa_app_t app;
    apr_array_header_t *apps;
} world_t;

/* Slot @a slot's socket, as post_config makes it: a path and its address. */
static void set_socket(world_t *w, int slot, const char *path)
{
    w->app.socket_paths[slot] = path;
    assert_int_equal(fa_io_addr_make(&w->app.socket_addrs[slot], plong, path),
                     APR_SUCCESS);
}

static world_t *make_world(int nslots)
{
    world_t *w = apr_pcalloc(plong, sizeof(*w));
    int i;

    strcpy(w->dir, "/tmp/fa-sup-XXXXXX");
    assert_non_null(mkdtemp(w->dir));
    w->config.app_dir = "/srv/app";
    w->config.process_count = nslots;
    w->app.config = &w->config;
    w->app.nslots = nslots;
    w->app.worker_uid = w->app.worker_gid = -1;
    w->app.socket_paths = apr_pcalloc(plong, nslots * sizeof(char *));
    w->app.socket_addrs = apr_pcalloc(plong, nslots * sizeof(fa_io_addr_t *));
    for (i = 0; i < nslots; ++i) {
        set_socket(w, i, apr_psprintf(plong, "%s/%d.sock", w->dir, i));
    }
    w->apps = apr_array_make(plong, 1, sizeof(fa_app_t *));
    APR_ARRAY_PUSH(w->apps, fa_app_t *) = &w->app;
    return w;
}

static int exists(const char *path)
{
    struct stat st;

    return stat(path, &st) == 0;
}

/* What httpd's MPMs do with a dead child (ap_wait_or_timeout, then the
 * other-child alert): the exit code or the signal number, whichever. */
static apr_status_t reap(pid_t want, pid_t *pid)
{
    apr_proc_t proc;
    int st;

    memset(&proc, 0, sizeof(proc));
    proc.pid = waitpid(want, &st, 0);
    assert_true(proc.pid > 0);
    *pid = proc.pid;
    return apr_proc_other_child_alert(&proc, APR_OC_REASON_DEATH,
                                      WIFEXITED(st) ? WEXITSTATUS(st)
                                                    : WTERMSIG(st));
}

static void assert_no_children(void)
{
    assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);
    assert_int_equal(errno, ECHILD);
}

/* The FA011 line for the death of @a pid, or NULL. */
static const char *death_line(pid_t pid)
{
    char key[64];

    apr_snprintf(key, sizeof(key),
                 "FA011: worker 0 of /srv/app (pid %ld) "
                 "exited: ",
                 (long)pid);
    return strstr(logged, key);
}

static void test_restart_with_backoff(void **state)
{
    /* what each death is logged as, and what its replacement will do */
    static const struct {
        const char *line;
        int mode, code;
    } step[] = {
        {"cannot create its pollset (status 4), or was killed by signal 4 "
         "(Illegal instruction); restarting in 100 ms",
         KILL_ITSELF, 0},
        {"status 9, or was killed by signal 9 (Killed); restarting in "
         "200 ms",
         EXIT_AT_ONCE, 120},
        {"status 120; restarting in 400 ms", EXIT_AT_ONCE, FA_EXIT_DRAINED},
        {"finished its requests after SIGTERM (status 0); restarting in "
         "800 ms",
         WAIT_FOR_TERM, 0},
    };
    world_t *w = make_world(1);
    pid_t pid;
    int i;

    (void)state;
    fake_mode = EXIT_AT_ONCE;
    fake_code = FA_EXIT_POLLSET;
    stopping = 1;
    assert_int_equal(fa_supervisor_start(pconf, plong, w->apps, &test_log,
                                         httpd_exiting, fake_entry),
                     APR_SUCCESS);
    assert_true(exists(w->app.socket_paths[0]));
    for (i = 0; i < 4; ++i) {
        const char *line;
        fake_mode = step[i].mode;
        fake_code = step[i].code;
        assert_int_equal(reap(-1, &pid), APR_SUCCESS);
        line = death_line(pid);
        assert_non_null(line);
        assert_non_null(strstr(line, step[i].line));
        /* a dead worker's slot is down until its replacement starts */
        assert_int_equal(w->app.slots[0].state, FA_SLOT_DOWN);
    }
    /* httpd stops: the replacement gets SIGTERM, drains, and is reaped
     * before the parent goes; the listener goes with the generation */
    apr_pool_clear(pconf);
    assert_no_children();
    assert_false(exists(w->app.socket_paths[0]));
    rmdir(w->dir);
}

static void test_retire_hands_over_draining(void **state)
{
    world_t *old = make_world(2), *next = make_world(1);
    fa_draining_t *dr = fa_draining_get(plong);
    apr_pool_t *pconf2;
    pid_t pid;
    int i;

    (void)state;
    fake_mode = WAIT_FOR_TERM;
    stopping = 0;
    assert_int_equal(fa_supervisor_start(pconf, plong, old->apps, &test_log,
                                         httpd_exiting, fake_entry),
                     APR_SUCCESS);
    /* a graceful restart: the old workers drain, their sockets go */
    apr_pool_clear(pconf);
    assert_int_equal(fa_draining_count(dr), 2);
    assert_false(exists(old->app.socket_paths[0]));
    assert_false(exists(old->app.socket_paths[1]));

    apr_pool_create(&pconf2, plong);
    assert_int_equal(fa_supervisor_start(pconf2, plong, next->apps, &test_log,
                                         httpd_exiting, fake_entry),
                     APR_SUCCESS);
    /* the old workers' deaths are known to the new generation's code */
    for (i = 0; i < 2; ++i) {
        assert_int_equal(reap(-1, &pid), APR_SUCCESS);
        assert_null(death_line(pid));
    }
    assert_int_equal(fa_draining_count(dr), 0);
    assert_string_equal(logged, "");

    stopping = 1;
    apr_pool_destroy(pconf2);
    assert_no_children();
    assert_int_equal(fa_draining_count(dr), 1);
    rmdir(old->dir);
    rmdir(next->dir);
}

/* Recycling: a worker's REPLACE ask, rung on the doorbell, starts a
 * successor while it goes on; the successor's HANDOVER stops it
 * (SIGTERM), and its death restarts nothing. */
static void test_successor_then_handover(void **state)
{
    world_t *w = make_world(1);
    pid_t pid, first;
    const char *line;

    (void)state;
    fake_mode = WAIT_FOR_TERM;
    stopping = 1;
    assert_int_equal(fa_supervisor_start(pconf, plong, w->apps, &test_log,
                                         httpd_exiting, fake_entry),
                     APR_SUCCESS);
    fa_slot_ask(w->app.slots, 0, FA_SLOT_ASK_REPLACE);
    fa_doorbell_ring(w->app.doorbell);
    /* the bell rang (exit 0) and the asks were taken at its death */
    assert_int_equal(reap(-1, &pid), APR_SUCCESS);
    line = strstr(logged, "FA077: worker 0 of /srv/app (pid ");
    assert_non_null(line);
    first = (pid_t)atol(line + strlen("FA077: worker 0 of /srv/app (pid "));
    assert_true(first > 0 && first != pid);
    assert_true(fa_slot_retiring(w->app.slots, 0));
    /* one successor at a time: another ask meanwhile changes nothing */
    fa_slot_ask(w->app.slots, 0, FA_SLOT_ASK_REPLACE);
    fa_doorbell_ring(w->app.doorbell);
    assert_int_equal(reap(-1, &pid), APR_SUCCESS);
    assert_null(strstr(strstr(logged, "FA077") + 5, "FA077"));

    /* the successor is ready: the first worker gets SIGTERM and drains */
    fa_slot_ask(w->app.slots, 0, FA_SLOT_ASK_HANDOVER);
    fa_doorbell_ring(w->app.doorbell);
    assert_int_equal(reap(-1, &pid), APR_SUCCESS); /* the bell */
    assert_false(fa_slot_retiring(w->app.slots, 0));
    assert_int_equal(reap(first, &pid), APR_SUCCESS);
    /* a replaced worker's death is no failure: no FA011, no restart */
    assert_null(death_line(first));
    assert_null(strstr(logged, "FA023"));

    /* httpd stops: the successor and the bell go with the generation */
    apr_pool_clear(pconf);
    assert_no_children();
    rmdir(w->dir);
}

static void test_listener_failure_halfway(void **state)
{
    world_t *w = make_world(2);

    (void)state;
    fake_mode = WAIT_FOR_TERM;
    stopping = 1;
    /* the second socket cannot be bound: its directory does not exist */
    set_socket(w, 1, apr_pstrcat(plong, w->dir, "/none/1.sock", NULL));
    assert_int_not_equal(fa_supervisor_start(pconf, plong, w->apps, &test_log,
                                             httpd_exiting, fake_entry),
                         APR_SUCCESS);
    assert_non_null(strstr(logged, "FA014"));
    assert_no_children();
    /* the first one was made, and goes with pconf all the same */
    assert_true(exists(w->app.socket_paths[0]));
    assert_true(w->app.listen_fds[0] >= 0);
    apr_pool_clear(pconf);
    assert_false(exists(w->app.socket_paths[0]));
    assert_int_equal(w->app.listen_fds[0], -1);
    rmdir(w->dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exit_reason),
        cmocka_unit_test(test_backoff),
        UNIT_TEST_WITH(test_draining_ledger, setup),
        UNIT_TEST_WITH(test_restart_with_backoff, setup),
        UNIT_TEST_WITH(test_retire_hands_over_draining, setup),
        UNIT_TEST_WITH(test_successor_then_handover, setup),
        UNIT_TEST_WITH(test_listener_failure_halfway, setup),
    };

    return UNIT_RUN(tests);
}
