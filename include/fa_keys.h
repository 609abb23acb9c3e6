/* SPDX-License-Identifier: Apache-2.0 */
/**
 * fa_keys: an app's function keys, as Azure's host gives them: a master
 * key, host keys, and each function's own keys.
 *
 * The httpd parent reads them while it reads the configuration (in
 * post_config, again at every graceful restart), from a directory in the
 * layout of Azure's file secret storage and from FunctionAppKey
 * directives; the set lives in pconf, so every httpd child has it, and is
 * wiped in each worker process before Python starts: keys are never sent
 * to, nor readable by, the Python side.  Key values are never logged.
 * Checking a key only reads the set, from any number of threads.
 */
#ifndef FA_KEYS_H
#define FA_KEYS_H

#include <apr_pools.h>

#include "fa_config.h"
#include "fa_log.h"

typedef struct fa_keys fa_keys_t;

/** An empty set: every key is refused. */
fa_keys_t *fa_keys_make(apr_pool_t *p);

/**
 * Adds one key.  @a scope is "master", "host" (either case) or a
 * function's name;
 * @a value is the key itself, "file:PATH" (the file's first line) or
 * "env:NAME" (the environment variable).  On failure *error is one line
 * naming the key (never its value).
 */
apr_status_t fa_keys_add(fa_keys_t *keys, const char *scope, const char *name,
                         const char *value, const char **error);

/**
 * Reads a directory in the layout of Azure's file secret storage
 * (host.json: masterKey, functionKeys, systemKeys; NAME.json: keys).
 * With @a create, a missing host.json is first written, mode 0600, with a
 * random master key and a random "default" function key, and @a log is
 * told where (never what).  Files readable by group or others get a
 * warning.  Encrypted keys, malformed files or an unreadable directory
 * fail with one line in *error.
 */
apr_status_t fa_keys_load_dir(fa_keys_t *keys, const char *dir, int create,
                              const fa_logger_t *log, const char **error);

/**
 * The keys @a cfg gives (its FunctionAppKeys DIR, then its FunctionAppKey
 * lines), made in @a p; NULL in *keys when keys are off.  @a create as
 * for fa_keys_load_dir (at start, not at configtest).
 */
apr_status_t fa_keys_load_config(apr_pool_t *p, const fa_app_config_t *cfg,
                                 int create, const fa_logger_t *log,
                                 fa_keys_t **keys, const char **error);

/** Blanks what a worker process inherited of @a cfg's key values (the
 * literal FunctionAppKey values, and the env: variables it names). */
void fa_keys_forget_config(fa_app_config_t *cfg);

/**
 * Whether @a presented opens function @a function of @a level (anonymous,
 * function or admin): anonymous needs none; function takes the
 * function's own keys, any host key or the master key; admin only the
 * master key.  Every candidate is compared, in constant time, whatever
 * matches.
 */
int fa_keys_allow(const fa_keys_t *keys, const char *function,
                  const char *level, const char *presented);

/** Whether @a level needs a key: function and admin (anything but
 * anonymous, so an unknown level is not left open). */
int fa_keys_level_needs_key(const char *level);

/** How many keys the set holds. */
int fa_keys_count(const fa_keys_t *keys);

/** Overwrites every key value with zeros (a worker process's copy). */
void fa_keys_wipe(fa_keys_t *keys);

/** The `code` parameter of query string @a args, decoded (%XX, '+'), or
 * NULL; the first one wins. */
const char *fa_keys_query_code(apr_pool_t *p, const char *args);

/** A new random key: 256 bits from APR's random source in URL-safe
 * base64 without padding (43 characters), like Azure's. */
apr_status_t fa_keys_generate(apr_pool_t *p, const char **key);

#endif
