/* SPDX-License-Identifier: Apache-2.0 */
/* The benchmark's floor: the least any httpd module can do to answer
 * "Hello world".  Not part of mod_funcapp; bench/bench builds it with apxs
 * and maps it with `SetHandler bench-floor`. */
#include "httpd.h"
#include "http_config.h"
#include "http_protocol.h"

static const char BODY[] = "Hello world";

static int floor_handler(request_rec *r)
{
    int rv;

    if (!r->handler || strcmp(r->handler, "bench-floor") != 0) {
        return DECLINED;
    }
    /* Same framing work as a real handler: drain whatever body was sent. */
    if ((rv = ap_discard_request_body(r)) != OK) {
        return rv;
    }
    /* The same Content-Type every server in the benchmark answers with
     * (func.HttpResponse's default). */
    ap_set_content_type(r, "text/plain; charset=utf-8");
    ap_set_content_length(r, sizeof(BODY) - 1);
    if (!r->header_only) {
        ap_rwrite(BODY, sizeof(BODY) - 1, r);
    }
    return OK;
}

static void register_hooks(apr_pool_t *p)
{
    (void)p;
    ap_hook_handler(floor_handler, NULL, NULL, APR_HOOK_MIDDLE);
}

module AP_MODULE_DECLARE_DATA bench_floor_module = {
    STANDARD20_MODULE_STUFF,
    NULL, NULL, NULL, NULL, NULL,
    register_hooks
};
