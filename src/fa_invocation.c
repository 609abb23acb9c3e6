/* SPDX-License-Identifier: Apache-2.0 */
/* fa_invocation: a worker's decoded request and what it owns. */
#include <stdlib.h>

#include <apr_strings.h>

#include "fa_invocation.h"

static apr_status_t free_payload(void *data)
{
    fa_invocation_t *inv = data;

    free(inv->payload);
    inv->payload = NULL;
    return APR_SUCCESS;
}

apr_status_t fa_invocation_decode(fa_invocation_t **out, char *payload,
                                  apr_size_t len, void *owner)
{
    apr_pool_t *p;
    fa_invocation_t *inv;
    apr_status_t rv;

    rv = apr_pool_create(&p, NULL);
    if (rv != APR_SUCCESS) {
        free(payload);
        return rv;
    }
    inv = apr_pcalloc(p, sizeof(*inv));
    inv->pool = p;
    inv->owner = owner;
    inv->payload = payload;
    apr_pool_cleanup_register(p, inv, free_payload, apr_pool_cleanup_null);
    rv = fa_wire_decode_request(p, payload, len, &inv->req);
    if (rv != APR_SUCCESS) {
        apr_pool_destroy(p);
        return rv;
    }
    inv->id = apr_pstrdup(p, inv->req.invocation_id);
    inv->function_index = inv->req.function_index;
    *out = inv;
    return APR_SUCCESS;
}

static apr_status_t clear_body(void *data)
{
    fa_body_reader_clear(data);
    return APR_SUCCESS;
}

apr_status_t fa_invocation_stream_body(fa_invocation_t *inv, int fd,
                                       apr_uint64_t max_total,
                                       const char *extra, apr_size_t extra_len)
{
    inv->body = apr_palloc(inv->pool, sizeof(*inv->body));
    fa_body_reader_init(inv->body, fd, max_total);
    apr_pool_cleanup_register(inv->pool, inv->body, clear_body,
                              apr_pool_cleanup_null);
    return extra_len ? fa_body_reader_preread(inv->body, extra, extra_len)
                     : APR_SUCCESS;
}

void fa_invocation_drop_payload(fa_invocation_t *inv)
{
    free_payload(inv);
}

void fa_invocation_destroy(fa_invocation_t *inv)
{
    apr_pool_destroy(inv->pool);
}
