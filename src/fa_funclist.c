/* SPDX-License-Identifier: Apache-2.0 */
/* fa_funclist: the function list at start (see fa_funclist.h). */
#include <string.h>

#include <apr_strings.h>
#include <jansson.h>

#include "fa_funclist.h"

/* The service a trigger that does not run here needs, by its prefix
 * (Azure's binding types, as the loader spells them). */
static const char *const needs[][2] = {
    {"queue", "Azure Storage"},
    {"blob", "Azure Storage"},
    {"eventHub", "Azure Event Hubs"},
    {"serviceBus", "Azure Service Bus"},
    {"cosmosDB", "Azure Cosmos DB"},
    {"eventGrid", "Azure Event Grid"},
    {"kafka", "Kafka"},
    {"rabbitMQ", "RabbitMQ"},
    {"sql", "Azure SQL"},
    {"mysql", "MySQL"},
    {"redis", "Redis"},
    {"dapr", "Dapr"},
    {"orchestration", "Durable Functions"},
    {"entity", "Durable Functions"},
    {"activity", "Durable Functions"},
};

static const char *service_of(const char *trigger)
{
    apr_size_t i;

    for (i = 0; i < sizeof(needs) / sizeof(needs[0]); ++i) {
        if (!strncmp(trigger, needs[i][0], strlen(needs[i][0]))) {
            return needs[i][1];
        }
    }
    return "its Azure service";
}

static const char *str_of(json_t *entry, const char *key)
{
    const char *s = json_string_value(json_object_get(entry, key));

    return s ? s : "";
}

static const char *app_name(const fa_app_t *app)
{
    return app->config->app_dir ? app->config->app_dir
                                : "the FunctionHandler app";
}

/* What follows "name: " for an HTTP function: [METHODS] URL; a function
 * that failed to load is routed (it answers 500) and says so. */
static const char *http_line(const fa_app_t *app, json_t *entry, apr_pool_t *p)
{
    const char *prefix = app->config->route_prefix;
    const char *methods = str_of(entry, "methods");
    const char *url = apr_pstrcat(
        p, app->base_url ? app->base_url : "", "/", prefix ? prefix : "",
        prefix && *prefix ? "/" : "", str_of(entry, "route"), NULL);

    return apr_psprintf(p, "[%s] %s%s", *methods ? methods : "*", url,
                        json_is_string(json_object_get(entry, "error"))
                            ? ", failed to load: answers 500 (the reason is "
                              "logged above)"
                            : "");
}

static const char *other_line(const fa_app_t *app, json_t *entry,
                              const char *trigger, apr_pool_t *p)
{
    if (!strcmp(trigger, "timerTrigger")) {
        return apr_psprintf(p, "timerTrigger (%s)%s", str_of(entry, "schedule"),
                            app->config->timers < 0
                                ? ", not run here (FunctionAppTimers off)"
                                : "");
    }
    if (!strcmp(trigger, "warmupTrigger")) {
        return "warmupTrigger (runs in each worker before it serves)";
    }
    return apr_psprintf(p, "%s, not served (needs %s)", trigger,
                        service_of(trigger));
}

int fa_funclist_claim(fa_app_t *app)
{
    return fa_slot_claim_once(app->slots, app->nslots);
}

apr_status_t fa_funclist_log(const fa_app_t *app, const char *json,
                             apr_size_t len, apr_pool_t *p)
{
    json_t *table = json_loadb(json, len, 0, NULL);
    size_t i;

    if (!json_is_array(table)) {
        json_decref(table);
        return APR_EGENERAL;
    }
    fa_log(&app->log, FA_LOG_NOTICE, 0,
           "FA095: function app %s: %lu function%s, %d worker%s x %d "
           "thread%s",
           app_name(app), (unsigned long)json_array_size(table),
           json_array_size(table) == 1 ? "" : "s", app->nslots,
           app->nslots == 1 ? "" : "s", app->config->thread_count,
           app->config->thread_count == 1 ? "" : "s");
    for (i = 0; i < json_array_size(table); ++i) {
        json_t *entry = json_array_get(table, i);
        const char *trigger = str_of(entry, "trigger");
        fa_log(&app->log, FA_LOG_NOTICE, 0, "FA096: %s: %s",
               str_of(entry, "name"),
               !strcmp(trigger, "httpTrigger")
                   ? http_line(app, entry, p)
                   : other_line(app, entry, trigger, p));
    }
    json_decref(table);
    return APR_SUCCESS;
}
