/* SPDX-License-Identifier: Apache-2.0 */
/* fa_timer: timer triggers, one run a tick per app (see fa_timer.h). */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <apr_atomic.h>
#include <apr_lib.h>
#include <apr_shm.h>
#include <apr_strings.h>
#include <jansson.h>

#include "fa_cron.h"
#include "fa_dispatch.h"
#include "fa_io.h"
#include "fa_timer.h"
#include "fa_wire.h"

/* A tick found this late (seconds) ran late: the worker was stopped or
 * starved past it; the latest one due runs, marked past due. */
#define LATE_SECONDS 2
/* The timer thread looks at the stop flag at least this often. */
#define NAP apr_time_from_msec(200)
/* Azure's useMonitor default: on for schedules a minute apart or more. */
#define MONITOR_MIN_PERIOD 60

/* One generation's, in memory every process of the app shares. */
struct fa_timer_shared {
    apr_uint32_t started; /* 0 -> 1 by the worker that makes start-up runs */
    apr_uint32_t anchor;  /* when the generation started: TimeSpan ticks
                           * count from it */
    struct {
        apr_uint32_t claimed; /* the latest tick claimed (its time) */
        apr_uint32_t runner;  /* pid running it now, or 0 */
    } t[FA_TIMER_MAX];
};

typedef struct ftimer {
    int id;             /* in the shared area */
    apr_uint32_t index; /* in the function table */
    const char *name, *schedule, *state_path;
    fa_cron_t cron;
    int run_on_startup, use_monitor;
    apr_int64_t next;
} ftimer_t;

typedef struct sched {
    fa_app_t *app;
    int slot;
    fa_timer_shared_t *sh;
    ftimer_t *timers;
    int n;
    int local; /* a time zone is set: schedules are in local time */
    volatile sig_atomic_t *stop;
} sched_t;

/* One tick on its way, owned by the thread that waits for its answer. */
typedef struct job {
    apr_pool_t *pool;
    sched_t *s;
    ftimer_t *t;
    apr_int64_t tick;
    int past_due;
    char id[37];
} job_t;

/* ---- the parent -------------------------------------------------------- */

apr_status_t fa_timer_create(fa_app_t *app, apr_pool_t *p)
{
    apr_shm_t *shm;
    apr_status_t rv;

    if ((rv = apr_shm_create(&shm, sizeof(fa_timer_shared_t), NULL, p))
        != APR_SUCCESS) {
        return rv;
    }
    app->timers = apr_shm_baseaddr_get(shm);
    memset(app->timers, 0, sizeof(fa_timer_shared_t));
    app->timers->anchor = (apr_uint32_t)apr_time_sec(apr_time_now());
    /* The workers write it: they run as User, not root.  A failure here
     * is the workers' to report, when a state cannot be written. */
    if (app->timer_dir && mkdir(app->timer_dir, 0700) == 0
        && app->worker_uid >= 0
        && chown(app->timer_dir, (uid_t)app->worker_uid, (gid_t)app->worker_gid)
            != 0) {
        rmdir(app->timer_dir);
    }
    return APR_SUCCESS;
}

/* ---- the state file of a useMonitor timer ------------------------------ */

/* @a t as Azure writes a schedule's times (UTC), into @a buf. */
static const char *iso_in(char buf[32], apr_int64_t t)
{
    time_t tt = (time_t)t;
    struct tm tm;

    gmtime_r(&tt, &tm);
    strftime(buf, 32, "%Y-%m-%dT%H:%M:%S+00:00", &tm);
    return buf;
}

static const char *iso(apr_pool_t *p, apr_int64_t t)
{
    char buf[32];

    return apr_pstrdup(p, iso_in(buf, t));
}

/* FNV-1a of the app's folder: one state directory serves many apps. */
static const char *state_path(apr_pool_t *p, const fa_app_t *app,
                              const char *name)
{
    const char *key = app->config->app_dir ? app->config->app_dir : "";
    apr_uint64_t h = 14695981039346656037ULL;
    char *safe = apr_pstrdup(p, name), *c;

    for (; *key; ++key) {
        h = (h ^ (unsigned char)*key) * 1099511628211ULL;
    }
    for (c = safe; *c; ++c) {
        if (!apr_isalnum(*c) && *c != '_' && *c != '-') {
            *c = '_';
        }
    }
    return apr_psprintf(p, "%s/%016" APR_UINT64_T_HEX_FMT "-%s.json",
                        app->timer_dir, h, safe);
}

/* The last tick run (0: none known). */
static apr_int64_t state_last(const ftimer_t *t)
{
    json_t *root =
        t->state_path ? json_load_file(t->state_path, 0, NULL) : NULL;
    apr_int64_t last =
        (apr_int64_t)json_integer_value(json_object_get(root, "last"));

    json_decref(root);
    return last;
}

/* Written beside and renamed: a reader never sees half a file. */
static apr_status_t state_write(apr_pool_t *p, const ftimer_t *t,
                                apr_int64_t last, apr_int64_t next)
{
    const char *tmp = apr_psprintf(p, "%s.%ld", t->state_path, (long)getpid());
    json_t *root = json_pack("{s:s,s:s,s:s,s:I,s:I}", "Last", iso(p, last),
                             "Next", iso(p, next), "LastUpdated",
                             iso(p, apr_time_sec(apr_time_now())), "last",
                             (json_int_t)last, "next", (json_int_t)next);
    int rc = root ? json_dump_file(root, tmp, JSON_COMPACT) : -1;

    json_decref(root);
    if (rc != 0 || rename(tmp, t->state_path) != 0) {
        unlink(tmp);
        return APR_EGENERAL;
    }
    return APR_SUCCESS;
}

/* ---- one run --------------------------------------------------------------- */

/* What the function gets, in the shape the Azure host gives a timer
 * binding: the schedule, its status (useMonitor only), past due. */
static const char *timer_body(job_t *j)
{
    json_t *root = json_pack("{s:{s:b},s:b}", "Schedule", "AdjustForDST", 1,
                             "IsPastDue", j->past_due);
    char *text;
    const char *body;

    if (j->t->use_monitor) {
        apr_int64_t last = state_last(j->t);
        json_object_set_new(root, "ScheduleStatus",
                            last ? json_pack("{s:s,s:s,s:s}", "Last",
                                             iso(j->pool, last), "Next",
                                             iso(j->pool, j->tick),
                                             "LastUpdated", iso(j->pool, last))
                                 : json_null());
    }
    text = json_dumps(root, JSON_COMPACT);
    body = apr_pstrdup(j->pool, text ? text : "{}");
    free(text);
    json_decref(root);
    return body;
}

/* Sends the tick to this worker's own socket and reads the answer's
 * status: APR_SUCCESS and *status, or why not. */
static apr_status_t exchange(job_t *j, int *status)
{
    const fa_app_t *app = j->s->app;
    fa_request_t req;
    fa_response_t resp;
    fa_wire_reader_t r;
    struct iovec vec[3];
    fa_frame_type_e type;
    char *head, *payload = NULL;
    apr_size_t head_len, len;
    apr_status_t rv;
    int fd = -1, timeout_ms = -1;

    memset(&req, 0, sizeof(req));
    req.function_index = j->t->index;
    req.function_name = j->t->name;
    req.invocation_id = j->id;
    req.method = "TIMER";
    req.url = apr_pstrcat(j->pool, "timer:", j->t->name, NULL);
    req.headers = apr_table_make(j->pool, 1);
    req.route_params = apr_table_make(j->pool, 1);
    req.body = timer_body(j);
    req.body_len = strlen(req.body);
    if (app->config->function_timeout > 0) {
        timeout_ms = (int)apr_time_as_msec(app->config->function_timeout);
    }
    if ((rv = fa_wire_encode_request(j->pool, &req, &head, &head_len))
            != APR_SUCCESS
        || (rv = fa_io_connect(app->socket_addrs[j->s->slot], &fd))
            != APR_SUCCESS) {
        return rv;
    }
    fa_wire_frame_iov(vec, head, head_len, req.body, req.body_len);
    fa_wire_reader_init(&r, FA_MAX_BODY + 65536,
                        FA_WIRE_TYPE_BIT(FA_FRAME_RESPONSE));
    if ((rv = fa_io_send(fd, vec, 3)) == APR_SUCCESS
        && (rv = fa_io_recv_frame(fd, &r, timeout_ms, &type, &payload, &len))
            == APR_SUCCESS
        && (rv = fa_wire_decode_response(j->pool, payload, len, &resp))
            == APR_SUCCESS) {
        *status = resp.status;
    }
    fa_wire_reader_clear(&r);
    free(payload);
    close(fd); /* after a timeout: an async run is cancelled */
    return rv;
}

static void *run_job(void *data)
{
    job_t *j = data;
    const fa_logger_t *log = &j->s->app->log;
    apr_time_t began = apr_time_now();
    apr_status_t rv;
    int status = 0;

    rv = exchange(j, &status);
    if (rv == APR_SUCCESS) {
        fa_log(log, status < 400 ? FA_LOG_INFO : FA_LOG_ERR, 0,
               "FA086: Executed 'Functions.%s' (%s, Id=%s, "
               "Duration=%" APR_TIME_T_FMT "ms)",
               j->t->name, status < 400 ? "Succeeded" : "Failed", j->id,
               apr_time_as_msec(apr_time_now() - began));
    }
    if (rv == APR_SUCCESS && j->t->use_monitor) {
        rv = state_write(
            j->pool, j->t, j->tick,
            fa_cron_next(&j->t->cron, j->tick, j->s->local, j->s->sh->anchor));
    }
    if (rv != APR_SUCCESS) {
        fa_log(log, FA_LOG_ERR, rv,
               "FA089: timer %s (invocation %s) on worker %d: %s", j->t->name,
               j->id, j->s->slot,
               status
                   ? apr_psprintf(j->pool, "cannot write %s", j->t->state_path)
                   : "no answer from the worker (timed out, or it is "
                     "stopping)");
    }
    apr_atomic_cas32(&j->s->sh->t[j->t->id].runner, 0, (apr_uint32_t)getpid());
    apr_pool_destroy(j->pool);
    return NULL;
}

/* Whether a previous run of @a t still goes on (in a live process). */
static int still_running(sched_t *s, ftimer_t *t)
{
    apr_uint32_t *runner = &s->sh->t[t->id].runner;
    apr_uint32_t pid = apr_atomic_read32(runner);

    if (pid && kill((pid_t)pid, 0) != 0 && errno == ESRCH) {
        /* it died with the run: not running any more */
        apr_atomic_cas32(runner, 0, pid);
        pid = 0;
    }
    return pid != 0 || apr_atomic_cas32(runner, (apr_uint32_t)getpid(), 0) != 0;
}

/* Runs tick @a tick of @a t, which this worker owns, unless the previous
 * run is still going. */
static void run_tick(sched_t *s, ftimer_t *t, apr_int64_t tick, int past_due,
                     const char *reason)
{
    apr_pool_t *jp;
    pthread_attr_t attr;
    pthread_t thread;
    char when[32];
    job_t *j;

    if (still_running(s, t)) {
        fa_log(&s->app->log, FA_LOG_WARNING, 0,
               "FA087: timer %s: the tick of %s is skipped: its previous "
               "run is still going",
               t->name, iso_in(when, tick));
        return;
    }
    apr_pool_create(&jp, NULL);
    j = apr_pcalloc(jp, sizeof(*j));
    j->pool = jp;
    j->s = s;
    j->t = t;
    j->tick = tick;
    j->past_due = past_due;
    fa_dispatch_invocation_id(j->id);
    fa_log(&s->app->log, FA_LOG_INFO, 0,
           "FA085: Executing 'Functions.%s' (Reason='%s at %s%s', Id=%s) on "
           "worker %d (pid %ld)",
           t->name, reason, iso(jp, tick), past_due ? ", past due" : "", j->id,
           s->slot, (long)getpid());
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    if (pthread_create(&thread, &attr, run_job, j) != 0) {
        run_job(j); /* no thread to spare: wait here */
    }
    pthread_attr_destroy(&attr);
}

/* ---- the schedule ---------------------------------------------------------- */

/* Claims @a tick of @a t for this worker: 1 if it is ours to run, 0 if
 * another worker (or this one) took it or a later one. */
static int claim(sched_t *s, ftimer_t *t, apr_int64_t tick)
{
    apr_uint32_t *claimed = &s->sh->t[t->id].claimed;
    apr_uint32_t old = apr_atomic_read32(claimed);

    return (apr_uint32_t)tick > old
        && apr_atomic_cas32(claimed, (apr_uint32_t)tick, old) == old;
}

/* The ticks of @a t due at @a now: the latest of them when the thread
 * woke late (the others are lost, as on Azure), past due then. */
static void due(sched_t *s, ftimer_t *t, apr_int64_t now)
{
    apr_int64_t tick = t->next, later;
    int late = now - tick >= LATE_SECONDS, i;

    for (i = 0; late && i < 100000; ++i) {
        later = fa_cron_next(&t->cron, tick, s->local, s->sh->anchor);
        if (!later || later > now) {
            break;
        }
        tick = later;
    }
    if (claim(s, t, tick)) {
        run_tick(s, t, tick, late, "Timer fired");
    }
    t->next = fa_cron_next(&t->cron, now, s->local, s->sh->anchor);
}

/* Once per generation, by the first worker there: runOnStartup, and a
 * past-due run for a useMonitor timer that missed a tick while httpd was
 * down (one run for both, as Azure's TimerListener makes). */
static void startup_runs(sched_t *s, apr_int64_t now)
{
    int i;

    if (apr_atomic_cas32(&s->sh->started, 1, 0) != 0) {
        return;
    }
    for (i = 0; i < s->n; ++i) {
        ftimer_t *t = &s->timers[i];
        apr_int64_t last = t->use_monitor ? state_last(t) : 0, missed = 0;
        if (last > 0) {
            missed = fa_cron_next(&t->cron, last, s->local, s->sh->anchor);
        }
        if (missed && missed < now) {
            run_tick(s, t, missed, 1, "Timer fired (missed while stopped)");
        }
        else if (t->run_on_startup) {
            run_tick(s, t, now, 0, "Timer fired on startup");
        }
    }
}

static void *timer_thread(void *data)
{
    sched_t *s = data;
    apr_int64_t now = apr_time_sec(apr_time_now());
    int i;

    for (i = 0; i < s->n; ++i) {
        s->timers[i].next =
            fa_cron_next(&s->timers[i].cron, now, s->local, s->sh->anchor);
    }
    startup_runs(s, now);
    while (!*s->stop) {
        apr_time_t wake = apr_time_now() + NAP;
        now = apr_time_sec(apr_time_now());
        for (i = 0; i < s->n; ++i) {
            ftimer_t *t = &s->timers[i];
            if (t->next && t->next <= now) {
                due(s, t, now);
            }
            if (t->next && apr_time_from_sec(t->next) < wake) {
                wake = apr_time_from_sec(t->next);
            }
        }
        if (wake > apr_time_now()) {
            apr_sleep(wake - apr_time_now());
        }
    }
    return NULL;
}

/* ---- start ----------------------------------------------------------------- */

static void refuse(fa_app_t *app, const char *what, const char *why)
{
    fa_log(&app->log, FA_LOG_ERR, 0, "FA088: %s is not scheduled: %s", what,
           why);
}

/* The schedule, an app setting's value when it is %NAME% (as on Azure). */
static const char *resolve(fa_app_t *app, const char *schedule, apr_pool_t *p)
{
    apr_size_t n = schedule ? strlen(schedule) : 0;

    if (n > 2 && schedule[0] == '%' && schedule[n - 1] == '%') {
        return apr_table_get(app->config->environment,
                             apr_pstrndup(p, schedule + 1, n - 2));
    }
    return schedule;
}

/* Entry @a i of the function table as a timer of @a s; 0 if it is not
 * one (or cannot be scheduled, logged). */
static int add_timer(sched_t *s, json_t *item, size_t i, apr_pool_t *p)
{
    const char *trigger = json_string_value(json_object_get(item, "trigger"));
    json_t *monitor = json_object_get(item, "use_monitor");
    ftimer_t *t = &s->timers[s->n];
    const char *error;
    apr_int64_t a, b;

    if (!trigger || strcasecmp(trigger, "timerTrigger") != 0
        || !json_is_null(json_object_get(item, "error"))) {
        return 0;
    }
    t->name = apr_pstrdup(p, json_string_value(json_object_get(item, "name")));
    t->schedule = resolve(
        s->app, json_string_value(json_object_get(item, "schedule")), p);
    if (!t->name || s->n == FA_TIMER_MAX) {
        refuse(s->app, t->name ? t->name : "a timer", "too many timers");
        return 0;
    }
    if (fa_cron_parse(&t->cron, t->schedule, p, &error) != APR_SUCCESS) {
        refuse(s->app, apr_pstrcat(p, "timer ", t->name, NULL), error);
        return 0;
    }
    t->id = s->n;
    t->index = (apr_uint32_t)i;
    t->run_on_startup = json_is_true(json_object_get(item, "run_on_startup"));
    /* unset: on for a schedule a minute apart or more, as Azure has it */
    a = fa_cron_next(&t->cron, 0, 0, 0);
    b = a ? fa_cron_next(&t->cron, a, 0, 0) : 0;
    t->use_monitor = json_is_boolean(monitor) ? json_is_true(monitor)
                                              : b - a >= MONITOR_MIN_PERIOD;
    if (t->use_monitor && s->app->timer_dir) {
        t->state_path = state_path(p, s->app, t->name);
    }
    return 1;
}

/* WEBSITE_TIME_ZONE, else TZ: the process's local time, as on Azure
 * (UTC without either); 1 if schedules are in local time. */
static int set_zone(fa_app_t *app, apr_pool_t *p)
{
    const char *zone =
        apr_table_get(app->config->environment, "WEBSITE_TIME_ZONE");
    const char *dir = getenv("TZDIR") ? getenv("TZDIR") : "/usr/share/zoneinfo";
    apr_finfo_t info;

    if (!zone || !*zone) {
        zone = apr_table_get(app->config->environment, "TZ");
    }
    if (!zone || !*zone) {
        return 0;
    }
    if (zone[0] == '.' || strstr(zone, "..")
        || apr_stat(&info, apr_pstrcat(p, dir, "/", zone, NULL), APR_FINFO_TYPE,
                    p)
            != APR_SUCCESS
        || info.filetype != APR_REG) {
        refuse(app, "the time zone",
               apr_psprintf(p,
                            "'%s' is not a time zone of %s; timers run "
                            "in UTC",
                            zone, dir));
        return 0;
    }
    setenv("TZ", zone, 1);
    tzset();
    return 1;
}

apr_status_t fa_timer_start(fa_app_t *app, int slot, const char *json,
                            apr_size_t len, volatile sig_atomic_t *stop,
                            apr_pool_t *p)
{
    sched_t *s = apr_pcalloc(p, sizeof(*s));
    json_t *root, *item;
    pthread_t thread;
    size_t i;

    if (app->config->timers < 0 || !app->timers
        || !(root = json_loadb(json, len, 0, NULL))) {
        return APR_SUCCESS;
    }
    s->app = app;
    s->slot = slot;
    s->sh = app->timers;
    s->stop = stop;
    s->timers = apr_pcalloc(p, sizeof(ftimer_t) * FA_TIMER_MAX);
    json_array_foreach(root, i, item)
    {
        s->n += add_timer(s, item, i, p);
    }
    json_decref(root);
    if (s->n == 0) {
        return APR_SUCCESS;
    }
    s->local = set_zone(app, p);
    if (pthread_create(&thread, NULL, timer_thread, s) != 0) {
        return APR_EGENERAL;
    }
    pthread_detach(thread);
    return APR_SUCCESS;
}
