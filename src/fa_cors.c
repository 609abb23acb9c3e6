/* SPDX-License-Identifier: Apache-2.0 */
/* CORS and customHeaders: see fa_cors.h. */
#include <string.h>
#include <strings.h>

#include <apr_lib.h>
#include <apr_strings.h>

#include "fa_cors.h"
#include "fa_http.h"

#define FA_CORS_MAX_ORIGINS 256
#define FA_CORS_MAX_ORIGIN 2048

/* scheme://host[:port], what a browser sends in Origin; a path, query or
 * blank would never match one, so it is refused at start rather than
 * silently never matching. */
static int origin_is_valid(const char *o)
{
    const char *host = strstr(o, "://");
    const char *c;

    if (!host || host == o || strlen(o) > FA_CORS_MAX_ORIGIN) {
        return 0;
    }
    for (c = o; c < host; ++c) {
        if (!apr_isalnum(*c) && *c != '+' && *c != '-' && *c != '.') {
            return 0;
        }
    }
    if (!host[3]) {
        return 0;
    }
    for (c = host + 3; *c; ++c) {
        if (*c == '/' || *c == '?' || *c == '#' || apr_iscntrl(*c)
            || *c == ' ') {
            return 0;
        }
    }
    return 1;
}

static apr_status_t add_origin(apr_pool_t *p, const char *source,
                               fa_cors_t *cors, char *o, const char **error)
{
    apr_size_t n = strlen(o);

    /* "https://a.example/" as the portal accepts it: the slash is no
     * part of an Origin */
    if (n > 1 && o[n - 1] == '/') {
        o[n - 1] = '\0';
    }
    if (!strcmp(o, "*")) {
        cors->any = 1;
        return APR_SUCCESS;
    }
    if (!origin_is_valid(o) || cors->origins->nelts >= FA_CORS_MAX_ORIGINS) {
        *error = apr_psprintf(p,
                              "%s: '%s' is not an origin "
                              "(scheme://host[:port], or *)",
                              source, o);
        return APR_EINVAL;
    }
    APR_ARRAY_PUSH(cors->origins, const char *) = o;
    return APR_SUCCESS;
}

apr_status_t fa_cors_parse(apr_pool_t *p, const char *source, const char *list,
                           int credentials, fa_cors_t **out, const char **error)
{
    fa_cors_t *cors = apr_pcalloc(p, sizeof(*cors));
    char *copy = apr_pstrdup(p, list ? list : "");
    char *last, *o;

    cors->origins = apr_array_make(p, 4, sizeof(const char *));
    cors->credentials = credentials;
    for (o = apr_strtok(copy, ", \t", &last); o;
         o = apr_strtok(NULL, ", \t", &last)) {
        apr_status_t rv = add_origin(p, source, cors, o, error);
        if (rv != APR_SUCCESS) {
            return rv;
        }
    }
    *out = cors->any || cors->origins->nelts ? cors : NULL;
    return APR_SUCCESS;
}

static apr_status_t parse_flag(apr_pool_t *p, const char *source, json_t *v,
                               int *out, const char **error)
{
    const char *s = json_is_string(v) ? json_string_value(v) : NULL;

    if (!v || json_is_null(v)) {
        *out = 0;
    }
    else if (json_is_boolean(v)) {
        *out = json_is_true(v);
    }
    else if (s && (!strcasecmp(s, "true") || !strcasecmp(s, "false"))) {
        *out = !strcasecmp(s, "true");
    }
    else {
        *error = apr_psprintf(p,
                              "%s: Host.CORSCredentials must be true or "
                              "false",
                              source);
        return APR_EINVAL;
    }
    return APR_SUCCESS;
}

apr_status_t fa_cors_from_host_settings(apr_pool_t *p, const char *source,
                                        json_t *host, fa_cors_t **out,
                                        const char **error)
{
    json_t *list = host ? json_object_get(host, "CORS") : NULL;
    int credentials;
    apr_status_t rv;

    *out = NULL;
    if (list && !json_is_string(list) && !json_is_null(list)) {
        *error = apr_psprintf(p,
                              "%s: Host.CORS must be a string of "
                              "comma-separated origins",
                              source);
        return APR_EINVAL;
    }
    rv = parse_flag(p, source,
                    host ? json_object_get(host, "CORSCredentials") : NULL,
                    &credentials, error);
    if (rv != APR_SUCCESS || !json_is_string(list)) {
        return rv;
    }
    return fa_cors_parse(p, apr_psprintf(p, "%s: Host.CORS", source),
                         json_string_value(list), credentials, out, error);
}

const char *fa_cors_allow_origin(const fa_cors_t *cors, const char *origin)
{
    int i;

    if (!cors || !origin || !*origin) {
        return NULL;
    }
    for (i = 0; i < cors->origins->nelts; ++i) {
        if (!strcasecmp(APR_ARRAY_IDX(cors->origins, i, const char *),
                        origin)) {
            return origin;
        }
    }
    if (cors->any) {
        return cors->credentials ? origin : "*";
    }
    return NULL;
}

int fa_cors_is_preflight(const char *method, const char *origin,
                         const char *request_method)
{
    return method && !strcmp(method, "OPTIONS") && origin && *origin
        && request_method && *request_method;
}

apr_status_t fa_cors_custom_headers(apr_pool_t *p, const char *source,
                                    json_t *http, apr_table_t **out,
                                    const char **error)
{
    json_t *headers = http ? json_object_get(http, "customHeaders") : NULL;
    const char *name;
    json_t *v;

    *out = NULL;
    if (!headers || json_is_null(headers)) {
        return APR_SUCCESS;
    }
    if (!json_is_object(headers)) {
        *error = apr_psprintf(p,
                              "%s: extensions.http.customHeaders must be "
                              "an object",
                              source);
        return APR_EINVAL;
    }
    *out = apr_table_make(p, (int)json_object_size(headers));
    json_object_foreach(headers, name, v)
    {
        if (!json_is_string(v)
            || !fa_http_header_is_valid(name, json_string_value(v))
            || fa_http_is_hop_header(name)) {
            *error = apr_psprintf(p,
                                  "%s: extensions.http.customHeaders: '%s' "
                                  "is not a header name and string value "
                                  "httpd can send",
                                  source, name);
            return APR_EINVAL;
        }
        apr_table_add(*out, apr_pstrdup(p, name),
                      apr_pstrdup(p, json_string_value(v)));
    }
    return APR_SUCCESS;
}
