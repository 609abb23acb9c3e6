/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mod_funcapp_status_fmt: the status page as JSON (?json) and in
 * Prometheus' text format 0.0.4 (?metrics), from the snapshot that
 * mod_funcapp_status.c takes.  Runs in the httpd children.
 */
#include <stdlib.h>
#include <string.h>

#include "httpd.h"
#include "http_protocol.h"

#include <apr_strings.h>
#include <jansson.h>

#include "mod_funcapp_status.h"

/* ---- JSON --------------------------------------------------------------- */

static json_t *quantile_json(const fa_stats_function_view_t *f, double q)
{
    double v = fa_stats_quantile(f->buckets, q);

    return v < 0 ? json_null() : json_real(v);
}

static json_t *function_json(const fa_stats_function_view_t *f)
{
    json_t *buckets = json_array();
    apr_uint64_t below = 0;
    int b;

    for (b = 0; b < FA_STATS_BUCKETS; ++b) {
        below += f->buckets[b];
        json_array_append_new(buckets,
                              json_pack("{s:f,s:I}", "le", fa_stats_bounds[b],
                                        "count", (json_int_t)below));
    }
    return json_pack(
        "{s:s,s:I,s:I,s:{s:I,s:I,s:I,s:I},s:{s:o,s:o,s:f,s:I,s:o}}", "name",
        f->name, "requests", (json_int_t)f->requests, "in_flight",
        (json_int_t)f->in_flight, "errors", "4xx", (json_int_t)f->err4xx, "5xx",
        (json_int_t)f->err5xx, "504", (json_int_t)f->err504, "429",
        (json_int_t)f->err429, "latency_seconds", "p50", quantile_json(f, 0.5),
        "p99", quantile_json(f, 0.99), "sum",
        (double)f->sum_usec / APR_USEC_PER_SEC, "count",
        (json_int_t)f->requests, "buckets", buckets);
}

static json_t *worker_json(const app_snap_t *a, int i, apr_time_t now)
{
    const worker_row_t *w = &a->workers[i];

    return json_pack(
        "{s:i,s:I,s:I,s:s,s:f,s:f,s:I,s:I,s:i,s:I,s:I,s:I,s:I,s:o}", "slot", i,
        "pid", (json_int_t)w->v.pid, "generation", (json_int_t)w->v.generation,
        "state", w->state, "started",
        w->v.pid ? (double)w->v.started / APR_USEC_PER_SEC : 0.0,
        "uptime_seconds", fa_glue_status_uptime(w, now), "rss_bytes",
        (json_int_t)w->rss, "threads_busy", (json_int_t)w->v.busy,
        "threads_total", a->app->config->thread_count, "queued",
        (json_int_t)w->v.queued, "async_tasks", (json_int_t)w->v.async,
        "requests_served", (json_int_t)w->v.served, "restarts",
        (json_int_t)w->v.restarts, "last_exit",
        w->exit[0] ? json_string(w->exit) : json_null());
}

void fa_glue_status_json(request_rec *r, apr_array_header_t *apps)
{
    apr_time_t now = apr_time_now();
    json_t *root = json_object(), *list = json_array();
    char *text;
    int i, j;

    for (i = 0; i < apps->nelts; ++i) {
        const app_snap_t *a = &APR_ARRAY_IDX(apps, i, app_snap_t);
        json_t *workers = json_array(), *functions = json_array();
        for (j = 0; j < a->nworkers; ++j) {
            json_array_append_new(workers, worker_json(a, j, now));
        }
        for (j = 0; j < a->nfunctions; ++j) {
            json_array_append_new(functions, function_json(&a->functions[j]));
        }
        json_array_append_new(list,
                              json_pack("{s:s,s:i,s:o,s:o}", "app", a->name,
                                        "generation", (int)a->app->generation,
                                        "workers", workers, "functions",
                                        functions));
    }
    json_object_set_new(root, "time",
                        json_real((double)now / APR_USEC_PER_SEC));
    json_object_set_new(root, "apps", list);
    text = json_dumps(root, JSON_INDENT(1));
    json_decref(root);
    ap_set_content_type(r, "application/json");
    if (text) {
        ap_rputs(text, r);
        ap_rputs("\n", r);
        free(text);
    }
}

/* ---- Prometheus text format 0.0.4 --------------------------------------- */

/* A label value: backslash, double quote and line feed escaped. */
static const char *label(apr_pool_t *p, const char *v)
{
    apr_size_t n = 0;
    const char *c;
    char *out, *o;

    for (c = v; *c; ++c) {
        n += (*c == '\\' || *c == '"' || *c == '\n') ? 2 : 1;
    }
    o = out = apr_palloc(p, n + 1);
    for (c = v; *c; ++c) {
        if (*c == '\\' || *c == '"' || *c == '\n') {
            *o++ = '\\';
            *o++ = *c == '\n' ? 'n' : *c;
        }
        else {
            *o++ = *c;
        }
    }
    *o = '\0';
    return out;
}

static void metric_head(request_rec *r, const char *name, const char *type,
                        const char *help)
{
    ap_rprintf(r, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* One worker gauge or counter: @a field of every worker of every app. */
typedef apr_uint64_t worker_value_fn(const app_snap_t *a,
                                     const worker_row_t *w);

static apr_uint64_t w_served(const app_snap_t *a, const worker_row_t *w)
{
    (void)a;
    return w->v.served;
}
static apr_uint64_t w_busy(const app_snap_t *a, const worker_row_t *w)
{
    (void)a;
    return w->v.busy;
}
static apr_uint64_t w_threads(const app_snap_t *a, const worker_row_t *w)
{
    (void)w;
    return (apr_uint64_t)a->app->config->thread_count;
}
static apr_uint64_t w_queued(const app_snap_t *a, const worker_row_t *w)
{
    (void)a;
    return w->v.queued;
}
static apr_uint64_t w_async(const app_snap_t *a, const worker_row_t *w)
{
    (void)a;
    return w->v.async;
}
static apr_uint64_t w_restarts(const app_snap_t *a, const worker_row_t *w)
{
    (void)a;
    return w->v.restarts;
}
static apr_uint64_t w_ready(const app_snap_t *a, const worker_row_t *w)
{
    (void)a;
    return !strcmp(w->state, "ready");
}
static apr_uint64_t w_rss(const app_snap_t *a, const worker_row_t *w)
{
    (void)a;
    return w->rss;
}

static const struct {
    const char *name, *type, *help;
    worker_value_fn *value;
} worker_metrics[] = {
    {"funcapp_worker_requests_served_total", "counter",
     "Requests answered by the slot's current worker process.", w_served},
    {"funcapp_worker_threads_busy", "gauge",
     "Threads running a def function now.", w_busy},
    {"funcapp_worker_threads", "gauge",
     "Threads of the worker (PythonThreadpoolThreadCount).", w_threads},
    {"funcapp_worker_queued", "gauge", "Sync requests waiting for a thread.",
     w_queued},
    {"funcapp_worker_async_tasks", "gauge",
     "Async functions running on the event loop.", w_async},
    {"funcapp_worker_restarts_total", "counter",
     "Worker processes started for the slot after its first.", w_restarts},
    {"funcapp_worker_ready", "gauge",
     "1 when the slot's worker takes requests, else 0.", w_ready},
    {"funcapp_worker_resident_memory_bytes", "gauge",
     "Resident size of the worker process.", w_rss},
};

static void metrics_workers(request_rec *r, apr_array_header_t *apps)
{
    unsigned m;
    int i, j;

    for (m = 0; m < sizeof(worker_metrics) / sizeof(worker_metrics[0]); ++m) {
        metric_head(r, worker_metrics[m].name, worker_metrics[m].type,
                    worker_metrics[m].help);
        for (i = 0; i < apps->nelts; ++i) {
            const app_snap_t *a = &APR_ARRAY_IDX(apps, i, app_snap_t);
            const char *app = label(r->pool, a->name);
            for (j = 0; j < a->nworkers; ++j) {
                ap_rprintf(
                    r, "%s{app=\"%s\",worker=\"%d\"} %" APR_UINT64_T_FMT "\n",
                    worker_metrics[m].name, app, j,
                    worker_metrics[m].value(a, &a->workers[j]));
            }
        }
    }
}

static void metrics_histogram(request_rec *r, const char *labels,
                              const fa_stats_function_view_t *f)
{
    static const char *name = "funcapp_function_duration_seconds";
    apr_uint64_t below = 0;
    int b;

    for (b = 0; b < FA_STATS_BUCKETS; ++b) {
        below += f->buckets[b];
        ap_rprintf(r, "%s_bucket{%s,le=\"%g\"} %" APR_UINT64_T_FMT "\n", name,
                   labels, fa_stats_bounds[b], below);
    }
    ap_rprintf(r, "%s_bucket{%s,le=\"+Inf\"} %" APR_UINT64_T_FMT "\n", name,
               labels, below + f->buckets[FA_STATS_BUCKETS]);
    ap_rprintf(r, "%s_sum{%s} %.6f\n", name, labels,
               (double)f->sum_usec / APR_USEC_PER_SEC);
    ap_rprintf(r, "%s_count{%s} %" APR_UINT64_T_FMT "\n", name, labels,
               below + f->buckets[FA_STATS_BUCKETS]);
}

/* Each function's labels, once for all its metrics. */
static const char **function_labels(request_rec *r, const app_snap_t *a)
{
    const char **labels =
        apr_palloc(r->pool, sizeof(char *) * (apr_size_t)(a->nfunctions + 1));
    const char *app = label(r->pool, a->name);
    int j;

    for (j = 0; j < a->nfunctions; ++j) {
        labels[j] = apr_psprintf(r->pool, "app=\"%s\",function=\"%s\"", app,
                                 label(r->pool, a->functions[j].name));
    }
    return labels;
}

/* Family @a k's samples for function @a f. */
static void function_samples(request_rec *r, int k, const char *labels,
                             const fa_stats_function_view_t *f)
{
    static const char *classes[] = {"4xx", "5xx", "504", "429"};
    apr_uint64_t n[4] = {f->err4xx, f->err5xx, f->err504, f->err429};
    int c;

    if (k == 0) {
        ap_rprintf(
            r, "funcapp_function_requests_total{%s} %" APR_UINT64_T_FMT "\n",
            labels, f->requests);
    }
    for (c = 0; k == 1 && c < 4; ++c) {
        ap_rprintf(r,
                   "funcapp_function_errors_total{%s,class=\"%s\"} "
                   "%" APR_UINT64_T_FMT "\n",
                   labels, classes[c], n[c]);
    }
    if (k == 2) {
        ap_rprintf(r, "funcapp_function_in_flight{%s} %" APR_UINT64_T_FMT "\n",
                   labels, f->in_flight);
    }
    if (k == 3) {
        metrics_histogram(r, labels, f);
    }
}

static void metrics_functions(request_rec *r, apr_array_header_t *apps)
{
    static const char *heads[][3] = {
        {"funcapp_function_requests_total", "counter",
         "Requests answered for the function."},
        {"funcapp_function_errors_total", "counter",
         "Error answers by class (4xx but 429, 5xx but 504, 504, 429)."},
        {"funcapp_function_in_flight", "gauge",
         "Requests of the function being answered now."},
        {"funcapp_function_duration_seconds", "histogram",
         "Time from the request's arrival to its answer."}};
    const char ***labels =
        apr_palloc(r->pool, sizeof(char **) * (apr_size_t)apps->nelts);
    int i, j, k;

    for (i = 0; i < apps->nelts; ++i) {
        labels[i] = function_labels(r, &APR_ARRAY_IDX(apps, i, app_snap_t));
    }
    /* each family's samples together, after its HELP and TYPE */
    for (k = 0; k < 4; ++k) {
        metric_head(r, heads[k][0], heads[k][1], heads[k][2]);
        for (i = 0; i < apps->nelts; ++i) {
            const app_snap_t *a = &APR_ARRAY_IDX(apps, i, app_snap_t);
            for (j = 0; j < a->nfunctions; ++j) {
                function_samples(r, k, labels[i][j], &a->functions[j]);
            }
        }
    }
}

void fa_glue_status_metrics(request_rec *r, apr_array_header_t *apps)
{
    ap_set_content_type(r, "text/plain; version=0.0.4; charset=utf-8");
    metrics_workers(r, apps);
    metrics_functions(r, apps);
}
