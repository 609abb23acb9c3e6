/* SPDX-License-Identifier: Apache-2.0 */
/**
 * fa_cors: the headers Azure's host adds to an app's responses: CORS
 * (local.settings.json Host.CORS / Host.CORSCredentials, or the
 * FunctionAppCors directive) and host.json extensions.http.customHeaders.
 *
 * The policy is read in the httpd parent with the configuration; the
 * children only ask it about a request's Origin.
 */
#ifndef FA_CORS_H
#define FA_CORS_H

#include <apr_pools.h>
#include <apr_tables.h>
#include <jansson.h>

/** An app's CORS policy: the origins it allows (`*` for any). */
typedef struct fa_cors {
    apr_array_header_t *origins; /* const char *, as given, no trailing / */
    int any;                     /* `*` among them */
    int credentials;             /* Access-Control-Allow-Credentials */
} fa_cors_t;

/**
 * Parses origins: @a list separated by commas and/or blanks (Host.CORS's
 * form; the directive's arguments joined).  Each is `*` or
 * scheme://host[:port].  *out is NULL for an empty list.  On failure
 * *error names @a source and the bad origin.
 */
apr_status_t fa_cors_parse(apr_pool_t *p, const char *source, const char *list,
                           int credentials, fa_cors_t **out,
                           const char **error);

/**
 * The policy of local.settings.json's "Host" object (@a host may be
 * NULL): Host.CORS, Host.CORSCredentials (true/false or "true"/"false").
 */
apr_status_t fa_cors_from_host_settings(apr_pool_t *p, const char *source,
                                        json_t *host, fa_cors_t **out,
                                        const char **error);

/**
 * The Access-Control-Allow-Origin value for @a origin: the origin itself
 * if listed (compared case-insensitively), `*` for any origin without
 * credentials, the origin for any origin with credentials (a browser
 * refuses `*` with credentials); NULL if not allowed or no policy.
 */
const char *fa_cors_allow_origin(const fa_cors_t *cors, const char *origin);

/** A CORS preflight: OPTIONS with Origin and Access-Control-Request-Method. */
int fa_cors_is_preflight(const char *method, const char *origin,
                         const char *request_method);

/**
 * host.json's extensions.http.customHeaders (@a http may be NULL): an
 * object of header name to string value, names tokens and values free of
 * control characters.  *out: a table, NULL when none.
 */
apr_status_t fa_cors_custom_headers(apr_pool_t *p, const char *source,
                                    json_t *http, apr_table_t **out,
                                    const char **error);

#endif
