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

void fa_invocation_drop_payload(fa_invocation_t *inv)
{
    free_payload(inv);
}

void fa_invocation_destroy(fa_invocation_t *inv)
{
    apr_pool_destroy(inv->pool);
}
