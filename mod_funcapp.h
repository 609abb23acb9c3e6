/* SPDX-License-Identifier: Apache-2.0 */
/**
 * mod_funcapp.h: what the glue files share.
 *
 * Runs in the httpd parent (configuration, start-up) and the httpd
 * children (requests).  A server_conf_t is made by httpd for each server
 * (main and virtual hosts) in pconf; its app is this generation's, made
 * by post_config; its dispatch is the child's, made by child_init.
 */
#ifndef MOD_FUNCAPP_H
#define MOD_FUNCAPP_H

#include "httpd.h"
#include "http_config.h"

#include "fa_app.h"
#include "fa_config.h"
#include "fa_dispatch.h"

extern module AP_MODULE_DECLARE_DATA funcapp_module;

#define FUNCAPP_HANDLER "funcapp"

/** The module's version: /admin/host/status's "version". */
#define FUNCAPP_VERSION "0.12.0"

/** What a server (main or virtual host) serves, if anything. */
typedef struct {
    fa_app_config_t *config; /* shared by vhosts that inherit it */
    fa_app_t *app;           /* this generation's run-time app */
    fa_dispatch_t *dispatch; /* in httpd children */
} server_conf_t;

/* mod_funcapp_config.c: the directives. */
extern const command_rec fa_glue_cmds[];
void *fa_glue_create_server_conf(apr_pool_t *p, server_rec *s);
void *fa_glue_merge_server_conf(apr_pool_t *p, void *basev, void *addv);

/* mod_funcapp_handler.c: requests. */
int fa_glue_translate_name(request_rec *r);
int fa_glue_map_to_storage(request_rec *r);
int fa_glue_handler(request_rec *r);
/* What the admin API shares with the function handler: the key check
 * (NULL @a function: the admin level), an answer without a body, the
 * request body within @a cap, and a run of @a function in a worker (for
 * @a admin, Azure's 202 first). */
int fa_glue_key_opens(request_rec *r, const server_conf_t *conf,
                      const fa_function_t *function);
int fa_glue_empty_answer(request_rec *r, int status);
int fa_glue_read_body(request_rec *r, apr_size_t cap, const char **body,
                      apr_size_t *len);
int fa_glue_call(request_rec *r, const server_conf_t *conf, fa_request_t *req,
                 fa_body_source_t *more, const fa_function_t *function,
                 int admin);

/* mod_funcapp_body.c: the request body.  fa_glue_read_body reads it whole
 * within @a cap; fa_glue_read_body_streamed reads a small body whole into
 * @a req, a larger one's first part, with *@a more the rest (and
 * FA_REQUEST_BODY_FOLLOWS set); once *@a more failed, the HTTP status
 * to answer is fa_glue_body_status's. */
int fa_glue_read_body_streamed(request_rec *r, apr_size_t cap,
                               fa_request_t *req, fa_body_source_t **more);
int fa_glue_body_status(const fa_body_source_t *more);

int fa_glue_call_end(request_rec *r, const server_conf_t *conf,
                     const fa_function_t *function, const char *id,
                     apr_status_t rv, const fa_response_t *resp,
                     fa_dispatch_stream_t *stream, int worker, int admin);
int fa_glue_client_fd(request_rec *r);

/* mod_funcapp_suspend.c: async requests suspended while they await. */
void fa_glue_suspend_child_init(apr_pool_t *pchild, server_rec *s);
void fa_glue_suspend_register(void);
/* The filter that keeps a streamed response cut short (mod_funcapp_stream.c). */
void fa_glue_stream_register(void);
int fa_glue_suspend_eligible(request_rec *r, const server_conf_t *conf,
                             const fa_function_t *function);
int fa_glue_suspend(request_rec *r, const server_conf_t *conf,
                    fa_request_t *req, const fa_function_t *function);

/* mod_funcapp_admin.c: Azure's host API under /admin/. */
int fa_glue_admin(request_rec *r, const server_conf_t *conf);

/* mod_funcapp_handler.c, for mod_funcapp_stream.c: the client's socket
 * (or -1); a response's status and headers on @a r (500 for a header that
 * may not go out); whether its status has a body. */
int fa_glue_client_fd(request_rec *r);
int fa_glue_set_head(request_rec *r, const fa_response_t *resp);
int fa_glue_has_body(const fa_response_t *resp);

/* mod_funcapp_stream.c: a streamed response sent as it comes; FA063. */
int fa_glue_send_stream(request_rec *r, const server_conf_t *conf,
                        const fa_response_t *resp, fa_dispatch_stream_t *stream,
                        const char *id, const char *function);
void fa_glue_client_gone(request_rec *r, const char *id, const char *function);

/* mod_funcapp_status.c: `SetHandler funcapp-status`, /server-status. */
void fa_glue_status_register(void);

/* mod_funcapp_cors.c: CORS and customHeaders. */
void fa_glue_app_headers(request_rec *r, const fa_app_config_t *cfg);
int fa_glue_cors_preflight(request_rec *r, const fa_app_config_t *cfg);

#endif
