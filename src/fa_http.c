/* SPDX-License-Identifier: Apache-2.0 */
/* fa_http: HTTP rules shared by the glue and the workers (see fa_http.h). */
#include <string.h>
#include <strings.h>

#include <apr_lib.h>

#include "fa_http.h"

int fa_http_is_tchar(int c)
{
    return c > 0 && c < 0x7f
        && (apr_isalnum(c) || strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

int fa_http_is_token(const char *s)
{
    const unsigned char *c = (const unsigned char *)s;

    if (!*c) {
        return 0;
    }
    for (; *c; ++c) {
        if (!fa_http_is_tchar(*c)) {
            return 0;
        }
    }
    return 1;
}

int fa_http_header_is_valid(const char *name, const char *value)
{
    const unsigned char *c;

    if (!fa_http_is_token(name)) {
        return 0;
    }
    for (c = (const unsigned char *)value; *c; ++c) {
        if ((*c < 0x20 && *c != '\t') || *c == 0x7f) {
            return 0;
        }
    }
    return 1;
}

int fa_http_is_hop_header(const char *name)
{
    static const char *const hop[] = {"Content-Length", "Transfer-Encoding",
                                      "Connection",     "Keep-Alive",
                                      "Upgrade",        NULL};
    const char *const *h;

    for (h = hop; *h; ++h) {
        if (!strcasecmp(name, *h)) {
            return 1;
        }
    }
    return 0;
}

void fa_http_response_500(fa_response_t *resp, apr_pool_t *p)
{
    memset(resp, 0, sizeof(*resp)); /* no flags: a whole answer */
    resp->status = 500;
    resp->headers = apr_table_make(p, 1);
    resp->body = "";
    resp->body_len = 0;
}
