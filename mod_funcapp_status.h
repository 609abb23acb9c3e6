/* SPDX-License-Identifier: Apache-2.0 */
/**
 * mod_funcapp_status.h: what the status page's two glue files share: a
 * snapshot of the apps' counters, taken in the httpd child that answers
 * the status request (mod_funcapp_status.c), and its JSON and Prometheus
 * renderings (mod_funcapp_status_fmt.c).  Everything lives in the request
 * pool.
 */
#ifndef MOD_FUNCAPP_STATUS_H
#define MOD_FUNCAPP_STATUS_H

#include "httpd.h"

#include "fa_stats.h"
#include "mod_funcapp.h"

typedef struct worker_row {
    fa_stats_worker_view_t v;
    const char *state; /* starting, ready, draining, down */
    apr_uint64_t rss;  /* bytes; 0: unknown */
    char exit[32];     /* the last exit, "" for none */
} worker_row_t;

typedef struct app_snap {
    const fa_app_t *app;
    const char *name; /* its folder */
    int nworkers;
    worker_row_t *workers;
    int nfunctions; /* claimed entries, "(other)" last if it has any */
    fa_stats_function_view_t *functions;
} app_snap_t;

/** Seconds since the worker started, 0 for none. */
double fa_glue_status_uptime(const worker_row_t *w, apr_time_t now);

/* mod_funcapp_status_fmt.c: @a apps is an array of app_snap_t. */
void fa_glue_status_json(request_rec *r, apr_array_header_t *apps);
void fa_glue_status_metrics(request_rec *r, apr_array_header_t *apps);

#endif
