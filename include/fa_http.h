/* SPDX-License-Identifier: Apache-2.0 */
/**
 * fa_http: the HTTP rules the core applies, in one place.
 *
 * Pure functions, run in the httpd children (the glue, before a response
 * goes out) and in the worker processes (before a response is framed);
 * they own nothing.
 */
#ifndef FA_HTTP_H
#define FA_HTTP_H

#include <apr_pools.h>

#include "fa_wire.h"

/** Whether @a c is an RFC 9110 token character (method, header name). */
int fa_http_is_tchar(int c);

/** Whether @a s is a non-empty RFC 9110 token. */
int fa_http_is_token(const char *s);

/** Whether a response header may be written through: a token for a name,
 * no CR, LF or NUL (or other controls but tab) in the value. */
int fa_http_header_is_valid(const char *name, const char *value);

/** Whether @a name is a hop-by-hop or framing header: httpd's business,
 * never the app's (Content-Length, Transfer-Encoding, Connection,
 * Keep-Alive, Upgrade). */
int fa_http_is_hop_header(const char *name);

/** The empty 500 answered when a function's response cannot be sent as
 * it is. */
void fa_http_response_500(fa_response_t *resp, apr_pool_t *p);

#endif
