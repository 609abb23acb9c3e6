/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mod_funcapp_status: `SetHandler funcapp-status` (HTML, ?json,
 * ?metrics) and the section in mod_status's /server-status.
 *
 * Runs in the httpd children, in the thread that serves the status
 * request; it only reads the apps' shared counters (fa_stats.h) and
 * slots, and the workers' sizes from /proc, so the request path pays
 * nothing for it.  Which apps: the one of the request's server, or every
 * app when that server has none (a status page in the main server of a
 * host whose apps are in virtual hosts).
 */
#include <stdlib.h>
#include <string.h>

#include "httpd.h"
#include "http_config.h"
#include "http_core.h"
#include "http_main.h"
#include "http_protocol.h"
#include "http_request.h"
#include "mod_status.h"

#include <apr_optional_hooks.h>
#include <apr_strings.h>
#include <jansson.h>

#include "mod_funcapp_status.h"

#define STATUS_HANDLER "funcapp-status"
#define REFRESH_DEFAULT 5
#define REFRESH_MAX 86400

/* ---- the snapshot ------------------------------------------------------- */

static const char *app_name(const fa_app_t *app)
{
    return app->config->app_dir ? app->config->app_dir : "FunctionHandler";
}

static const char *state_name(fa_app_t *app, int slot, pid_t pid)
{
    apr_uint32_t state = fa_slot_state(app->slots, slot);

    if (!pid || state == FA_SLOT_DOWN) {
        return "down";
    }
    if (fa_slot_retiring(app->slots, slot)) {
        return "draining"; /* a successor is on its way */
    }
    return state == FA_SLOT_READY ? "ready" : "starting";
}

/* The function names come with the table a child fetches at its first
 * request; a status page asked for before any asks for it, if a worker
 * is ready to answer at once. */
static void want_table(const server_conf_t *conf)
{
    fa_stats_function_view_t v;
    const fa_function_t *f;
    int i;

    if (!conf->dispatch || fa_stats_function_read(conf->app->stats, 0, &v)) {
        return;
    }
    for (i = 0; i < conf->app->nslots; ++i) {
        if (fa_slot_state(conf->app->slots, i) == FA_SLOT_READY) {
            fa_dispatch_find(conf->dispatch, "", &f);
            return;
        }
    }
}

static void snap_app(apr_pool_t *p, const server_conf_t *conf, int fetch,
                     app_snap_t *s)
{
    fa_app_t *app = conf->app;
    fa_stats_function_view_t v;
    const char *text;
    int i;

    if (fetch) {
        want_table(conf);
    }
    s->app = app;
    s->name = app_name(app);
    s->nworkers = app->nslots;
    s->workers = apr_pcalloc(p, sizeof(worker_row_t) * (apr_size_t)app->nslots);
    for (i = 0; i < app->nslots; ++i) {
        worker_row_t *w = &s->workers[i];
        fa_stats_worker_read(app->stats, i, &w->v);
        w->state = state_name(app, i, w->v.pid);
        if (!w->v.pid || fa_stats_rss(w->v.pid, &w->rss) != APR_SUCCESS) {
            w->rss = 0;
        }
        text = fa_stats_exit_text(&w->v, w->exit, sizeof(w->exit));
        if (text != w->exit) { /* a constant, not written in */
            apr_cpystrn(w->exit, text, sizeof(w->exit));
        }
    }
    s->functions = apr_palloc(p, sizeof(v) * (FA_STATS_FUNCTIONS + 1));
    s->nfunctions = 0;
    for (i = 0; i <= FA_STATS_FUNCTIONS; ++i) {
        if (fa_stats_function_read(app->stats, i,
                                   &s->functions[s->nfunctions])) {
            s->nfunctions++;
        }
    }
}

/* The apps to show: server @a only's, or every app when it has none or
 * @a only is NULL (each once: vhosts sharing an app share its counters);
 * with @a fetch, function names are asked for (want_table). */
static apr_array_header_t *snap_apps(apr_pool_t *p, server_rec *only, int fetch)
{
    apr_array_header_t *apps = apr_array_make(p, 2, sizeof(app_snap_t));
    server_conf_t *mine = only
        ? ap_get_module_config(only->module_config, &funcapp_module)
        : NULL;
    server_rec *s;
    int i, seen;

    for (s = ap_server_conf; s; s = s->next) {
        server_conf_t *conf =
            ap_get_module_config(s->module_config, &funcapp_module);
        if (!conf->app || !conf->app->stats
            || (mine && mine->app && conf->app != mine->app)) {
            continue;
        }
        for (i = seen = 0; i < apps->nelts && !seen; ++i) {
            seen = APR_ARRAY_IDX(apps, i, app_snap_t).app == conf->app;
        }
        if (!seen) {
            snap_app(p, conf, fetch, apr_array_push(apps));
        }
    }
    return apps;
}

double fa_glue_status_uptime(const worker_row_t *w, apr_time_t now)
{
    return w->v.pid && now > w->v.started
        ? (double)(now - w->v.started) / APR_USEC_PER_SEC
        : 0;
}

static apr_uint64_t errors(const fa_stats_function_view_t *f)
{
    return f->err4xx + f->err5xx + f->err504 + f->err429;
}

/* ---- HTML --------------------------------------------------------------- */

static const char *css =
    "body{font:14px/1.4 system-ui,sans-serif;margin:0.5em;color:#222}"
    "h1{font-size:1.3em}h2{font-size:1.1em;word-break:break-all}"
    ".scroll{overflow-x:auto;-webkit-overflow-scrolling:touch}"
    "table{border-collapse:collapse;margin-bottom:1em}"
    "th,td{padding:0.25em 0.5em;border-bottom:1px solid #ddd;"
    "text-align:right;white-space:nowrap}"
    "th{background:#345;color:#fff}td:first-child,th:first-child{"
    "text-align:left}.ready{color:#070}.down{color:#b00}"
    ".starting,.draining{color:#a60}";

static const char *ms(apr_pool_t *p, double seconds)
{
    return seconds < 0 ? "-" : apr_psprintf(p, "%.1f ms", seconds * 1000);
}

static void html_workers(request_rec *r, const app_snap_t *a, apr_time_t now)
{
    int i;

    ap_rputs("<h3>Workers</h3><div class=\"scroll\"><table><tr><th>#</th>"
             "<th>pid</th><th>gen</th><th>state</th><th>uptime</th>"
             "<th>RSS</th><th>busy/threads</th><th>queued</th><th>async</th>"
             "<th>served</th><th>restarts</th><th>last exit</th></tr>\n",
             r);
    for (i = 0; i < a->nworkers; ++i) {
        const worker_row_t *w = &a->workers[i];
        ap_rprintf(
            r,
            "<tr><td>%d</td><td class=\"pid\">%ld</td><td>%u</td>"
            "<td class=\"%s\">%s</td><td>%.0f s</td>"
            "<td>%.1f MB</td><td>%u/%d</td><td>%u</td><td>%u</td>"
            "<td>%" APR_UINT64_T_FMT "</td><td>%u</td><td>%s</td>"
            "</tr>\n",
            i, (long)w->v.pid, w->v.generation, w->state, w->state,
            fa_glue_status_uptime(w, now), (double)w->rss / (1024 * 1024),
            w->v.busy, a->app->config->thread_count, w->v.queued, w->v.async,
            w->v.served, w->v.restarts, ap_escape_html(r->pool, w->exit));
    }
    ap_rputs("</table></div>\n", r);
}

static void html_functions(request_rec *r, const app_snap_t *a)
{
    int i;

    ap_rputs("<h3>Functions</h3><div class=\"scroll\"><table><tr>"
             "<th>function</th><th>requests</th><th>4xx</th><th>5xx</th>"
             "<th>504</th><th>429</th><th>p50</th><th>p99</th>"
             "<th>in flight</th></tr>\n",
             r);
    for (i = 0; i < a->nfunctions; ++i) {
        const fa_stats_function_view_t *f = &a->functions[i];
        ap_rprintf(
            r,
            "<tr><td class=\"fn\">%s</td><td>%" APR_UINT64_T_FMT "</td>"
            "<td>%" APR_UINT64_T_FMT "</td><td>%" APR_UINT64_T_FMT "</td>"
            "<td>%" APR_UINT64_T_FMT "</td><td>%" APR_UINT64_T_FMT "</td>"
            "<td>%s</td><td>%s</td><td>%" APR_UINT64_T_FMT "</td></tr>\n",
            ap_escape_html(r->pool, f->name), f->requests, f->err4xx, f->err5xx,
            f->err504, f->err429,
            ms(r->pool, fa_stats_quantile(f->buckets, 0.5)),
            ms(r->pool, fa_stats_quantile(f->buckets, 0.99)), f->in_flight);
    }
    ap_rputs("</table></div>\n", r);
}

static void render_html(request_rec *r, apr_array_header_t *apps, int refresh)
{
    apr_time_t now = apr_time_now();
    char date[APR_RFC822_DATE_LEN];
    int i;

    ap_set_content_type(r, "text/html; charset=utf-8");
    apr_rfc822_date(date, now);
    ap_rprintf(r,
               "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
               "<meta name=\"viewport\" content=\"width=device-width, "
               "initial-scale=1\"><meta http-equiv=\"refresh\" "
               "content=\"%d\"><title>Function apps</title><style>%s"
               "</style></head><body><h1>Function apps</h1>"
               "<p>%s, every %d s. <a href=\"?json\">JSON</a> "
               "<a href=\"?metrics\">metrics</a></p>\n",
               refresh, css, date, refresh);
    for (i = 0; i < apps->nelts; ++i) {
        const app_snap_t *a = &APR_ARRAY_IDX(apps, i, app_snap_t);
        ap_rprintf(r, "<h2>%s</h2>\n", ap_escape_html(r->pool, a->name));
        html_workers(r, a, now);
        html_functions(r, a);
    }
    if (!apps->nelts) {
        ap_rputs("<p>No function app here.</p>\n", r);
    }
    ap_rputs("</body></html>\n", r);
}

/* ---- mod_status's /server-status ---------------------------------------- */

/* Per app: workers ready / total, threads busy, requests and errors. */
static int server_status(request_rec *r, int flags)
{
    apr_array_header_t *apps = snap_apps(r->pool, NULL, 0);
    int i, j;

    if (!(flags & AP_STATUS_SHORT) && apps->nelts) {
        ap_rputs("<hr /><h2>Function apps (mod_funcapp)</h2>\n<table "
                 "border=\"0\"><tr><th>app</th><th>workers ready</th>"
                 "<th>threads busy</th><th>requests</th><th>errors</th>"
                 "</tr>\n",
                 r);
    }
    for (i = 0; i < apps->nelts; ++i) {
        const app_snap_t *a = &APR_ARRAY_IDX(apps, i, app_snap_t);
        apr_uint64_t requests = 0, errs = 0;
        int ready = 0, busy = 0;
        for (j = 0; j < a->nworkers; ++j) {
            ready += !strcmp(a->workers[j].state, "ready");
            busy += (int)a->workers[j].v.busy;
        }
        for (j = 0; j < a->nfunctions; ++j) {
            requests += a->functions[j].requests;
            errs += errors(&a->functions[j]);
        }
        if (flags & AP_STATUS_SHORT) {
            ap_rprintf(r,
                       "FuncApp%dName: %s\nFuncApp%dWorkersReady: %d\n"
                       "FuncApp%dWorkers: %d\nFuncApp%dThreadsBusy: %d\n"
                       "FuncApp%dRequests: %" APR_UINT64_T_FMT "\n"
                       "FuncApp%dErrors: %" APR_UINT64_T_FMT "\n",
                       i, a->name, i, ready, i, a->nworkers, i, busy, i,
                       requests, i, errs);
            continue;
        }
        ap_rprintf(r,
                   "<tr><td>%s</td><td>%d/%d</td><td>%d/%d</td>"
                   "<td>%" APR_UINT64_T_FMT "</td><td>%" APR_UINT64_T_FMT
                   "</td></tr>\n",
                   ap_escape_html(r->pool, a->name), ready, a->nworkers, busy,
                   a->nworkers * a->app->config->thread_count, requests, errs);
    }
    if (!(flags & AP_STATUS_SHORT) && apps->nelts) {
        ap_rputs("</table>\n", r);
    }
    return OK;
}

/* ---- the handler -------------------------------------------------------- */

/* ?json, ?metrics, ?refresh=N (seconds, 1 .. a day). */
static int parse_args(request_rec *r, const char **format, int *refresh)
{
    char *args = apr_pstrdup(r->pool, r->args ? r->args : ""), *last, *arg;

    *format = "html";
    *refresh = REFRESH_DEFAULT;
    for (arg = apr_strtok(args, "&", &last); arg;
         arg = apr_strtok(NULL, "&", &last)) {
        char *end;
        if (!strcmp(arg, "json") || !strcmp(arg, "metrics")) {
            *format = arg;
        }
        else if (!strncmp(arg, "refresh=", 8)) {
            long n = strtol(arg + 8, &end, 10);
            if (*end || end == arg + 8 || n < 1 || n > REFRESH_MAX) {
                return HTTP_BAD_REQUEST;
            }
            *refresh = (int)n;
        }
    }
    return OK;
}

static int status_handler(request_rec *r)
{
    apr_array_header_t *apps;
    const char *format;
    int refresh, status;

    if (!r->handler || strcmp(r->handler, STATUS_HANDLER)) {
        return DECLINED;
    }
    r->allowed = AP_METHOD_BIT << M_GET;
    if (r->method_number != M_GET) {
        return HTTP_METHOD_NOT_ALLOWED;
    }
    if ((status = parse_args(r, &format, &refresh)) != OK) {
        return status;
    }
    apr_table_setn(r->headers_out, "Cache-Control", "no-store");
    apps = snap_apps(r->pool, r->server, 1);
    if (!strcmp(format, "json")) {
        fa_glue_status_json(r, apps);
    }
    else if (!strcmp(format, "metrics")) {
        fa_glue_status_metrics(r, apps);
    }
    else {
        render_html(r, apps, refresh);
    }
    return OK;
}

void fa_glue_status_register(void)
{
    ap_hook_handler(status_handler, NULL, NULL, APR_HOOK_MIDDLE);
    /* a no-op without mod_status */
    APR_OPTIONAL_HOOK(ap, status_hook, server_status, NULL, NULL,
                      APR_HOOK_MIDDLE);
}
