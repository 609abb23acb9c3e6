/* SPDX-License-Identifier: Apache-2.0 */
/* fa_keys: function keys in Azure's layout, and the check (see fa_keys.h).
 * No key value ever reaches a log line or an error message: they name the
 * file and the key's name only. */
#include <stdlib.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <string.h>
#include <strings.h>

#include <apr_base64.h>
#include <apr_file_info.h>
#include <apr_file_io.h>
#include <apr_general.h>
#include <apr_strings.h>
#include <jansson.h>

#include "fa_keys.h"

/* A key file or a file: value is a few hundred bytes; anything much
 * larger is not a key file. */
#define MAX_KEY_FILE (1024 * 1024)
#define MAX_KEY_LEN 4096
#define KEY_BYTES 32

/* The scopes of the host's own keys start with ':', which no function
 * name holds: a function named "master" (whose keys Azure keeps in
 * master.json) must not be able to open what the master key opens. */
#define SCOPE_MASTER ":master"
#define SCOPE_HOST ":host"
#define SCOPE_SYSTEM ":system"

typedef struct key {
    const char *scope; /* SCOPE_* or a function's name */
    const char *name;
    char *value;
    apr_size_t len;
} entry_t;

struct fa_keys {
    apr_pool_t *pool;
    apr_array_header_t *keys; /* of entry_t */
};

fa_keys_t *fa_keys_make(apr_pool_t *p)
{
    fa_keys_t *keys = apr_pcalloc(p, sizeof(*keys));

    keys->pool = p;
    keys->keys = apr_array_make(p, 4, sizeof(entry_t));
    return keys;
}

static int valid_value(const char *value)
{
    const unsigned char *c = (const unsigned char *)value;

    if (!*c || strlen(value) > MAX_KEY_LEN) {
        return 0;
    }
    for (; *c; ++c) {
        if (*c < 0x21 || *c == 0x7f) {
            return 0;
        }
    }
    return 1;
}

static void push(fa_keys_t *keys, const char *scope, const char *name,
                 const char *value)
{
    entry_t *k = apr_array_push(keys->keys);

    k->scope = apr_pstrdup(keys->pool, scope);
    k->name = apr_pstrdup(keys->pool, name ? name : "");
    k->value = apr_pstrdup(keys->pool, value);
    k->len = strlen(value);
}

/* The first line of a file, for `file:PATH` values. */
static apr_status_t read_first_line(apr_pool_t *p, const char *path,
                                    const char **line)
{
    apr_file_t *f;
    char buf[MAX_KEY_LEN + 2];
    apr_size_t n = sizeof(buf) - 1;
    apr_status_t rv;

    rv = apr_file_open(&f, path, APR_FOPEN_READ, APR_FPROT_OS_DEFAULT, p);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    rv = apr_file_read(f, buf, &n);
    apr_file_close(f);
    if (rv != APR_SUCCESS && !APR_STATUS_IS_EOF(rv)) {
        return rv;
    }
    buf[APR_STATUS_IS_EOF(rv) ? 0 : n] = '\0';
    buf[strcspn(buf, "\r\n")] = '\0';
    *line = apr_pstrdup(p, buf);
    memset(buf, 0, sizeof(buf)); /* no copy left on the stack */
    return APR_SUCCESS;
}

/* A FunctionAppKey VALUE: the key, file:PATH or env:NAME. */
static apr_status_t resolve_value(apr_pool_t *p, const char *value,
                                  const char **out, const char **why)
{
    if (!strncmp(value, "file:", 5)) {
        apr_status_t rv = read_first_line(p, value + 5, out);
        if (rv != APR_SUCCESS) {
            char err[120];
            *why = apr_psprintf(p, "cannot read %s: %s", value + 5,
                                apr_strerror(rv, err, sizeof(err)));
        }
        return rv;
    }
    if (!strncmp(value, "env:", 4)) {
        *out = getenv(value + 4);
        if (!*out) {
            *why = apr_psprintf(p, "environment variable %s is not set",
                                value + 4);
            return APR_ENOENT;
        }
        return APR_SUCCESS;
    }
    *out = value;
    return APR_SUCCESS;
}

apr_status_t fa_keys_add(fa_keys_t *keys, const char *scope, const char *name,
                         const char *value, const char **error)
{
    const char *resolved,
        *why = "an empty value, or spaces or control "
               "characters in it";
    apr_status_t rv = resolve_value(keys->pool, value, &resolved, &why);

    if (rv == APR_SUCCESS && !valid_value(resolved)) {
        rv = APR_EINVAL;
    }
    if (rv != APR_SUCCESS) {
        *error = apr_psprintf(keys->pool, "FunctionAppKey %s %s: %s", scope,
                              name, why);
        return rv;
    }
    push(keys,
         !strcasecmp(scope, "master")     ? SCOPE_MASTER
             : !strcasecmp(scope, "host") ? SCOPE_HOST
                                          : scope,
         name, resolved);
    return APR_SUCCESS;
}

/* ---- Azure's key files --------------------------------------------------- */

/* One {name, value, encrypted} of a key file. */
static apr_status_t load_key(fa_keys_t *keys, const char *path,
                             const char *scope, json_t *entry,
                             const char **error)
{
    const char *name = json_string_value(json_object_get(entry, "name"));
    const char *value = json_string_value(json_object_get(entry, "value"));

    if (!json_is_object(entry) || !value) {
        *error = apr_psprintf(keys->pool,
                              "FunctionAppKeys: %s: a key "
                              "without a \"value\"",
                              path);
        return APR_EINVAL;
    }
    if (json_is_true(json_object_get(entry, "encrypted"))) {
        *error = apr_psprintf(keys->pool,
                              "FunctionAppKeys: %s: key '%s' is "
                              "encrypted; encrypted keys can only be read on "
                              "Azure: copy its value from the portal's App "
                              "keys or `az functionapp keys list`",
                              path, name ? name : "");
        return APR_EINVAL;
    }
    if (!valid_value(value)) {
        *error = apr_psprintf(keys->pool,
                              "FunctionAppKeys: %s: key '%s' has "
                              "an empty value, or spaces or control "
                              "characters in it",
                              path, name ? name : "");
        return APR_EINVAL;
    }
    push(keys, scope, name, value);
    return APR_SUCCESS;
}

static apr_status_t load_list(fa_keys_t *keys, const char *path,
                              const char *scope, json_t *list,
                              const char **error)
{
    apr_status_t rv = APR_SUCCESS;
    json_t *entry;
    size_t i;

    if (list && !json_is_array(list)) {
        *error = apr_psprintf(keys->pool,
                              "FunctionAppKeys: %s: a key list "
                              "that is not a list",
                              path);
        return APR_EINVAL;
    }
    json_array_foreach(list, i, entry)
    {
        if ((rv = load_key(keys, path, scope, entry, error)) != APR_SUCCESS) {
            break;
        }
    }
    return rv;
}

static void warn_if_open(const char *path, const fa_logger_t *log,
                         apr_pool_t *p)
{
    apr_finfo_t fi;

    if (apr_stat(&fi, path, APR_FINFO_PROT, p) == APR_SUCCESS
        && (fi.protection
            & (APR_FPROT_GREAD | APR_FPROT_GWRITE | APR_FPROT_WREAD
               | APR_FPROT_WWRITE))) {
        fa_log(log, FA_LOG_WARNING, 0,
               "FA005: key file %s is readable or "
               "writable by group or others; chmod 600 it",
               path);
    }
}

/* Whatever jansson frees while it reads a key file is zeroed first, so
 * no copy of a key is left in freed memory for a worker process, forked
 * from the parent, to find. */
static void free_zeroed(void *ptr)
{
    if (ptr) {
#ifdef __GLIBC__
        memset(ptr, 0, malloc_usable_size(ptr));
#endif
        free(ptr);
    }
}

/* The @a size bytes of @a path, read with APR into @a p (not through
 * stdio, whose buffers would keep a copy). */
static apr_status_t read_file(apr_pool_t *p, const char *path, apr_size_t size,
                              char **out)
{
    apr_file_t *f;
    apr_status_t rv =
        apr_file_open(&f, path, APR_FOPEN_READ, APR_FPROT_OS_DEFAULT, p);

    if (rv != APR_SUCCESS) {
        return rv;
    }
    *out = apr_palloc(p, size + 1);
    rv = apr_file_read_full(f, *out, size, NULL);
    apr_file_close(f);
    return rv;
}

/* Reads key file @a path: host.json when @a function is NULL, else the
 * keys of @a function. */
static apr_status_t load_file(fa_keys_t *keys, const char *path,
                              const char *function, const fa_logger_t *log,
                              const char **error)
{
    json_error_t jerr;
    json_t *root, *master;
    apr_finfo_t fi;
    char *text;
    apr_status_t rv;

    rv = apr_stat(&fi, path, APR_FINFO_SIZE, keys->pool);
    if (rv != APR_SUCCESS || fi.size > MAX_KEY_FILE) {
        *error = apr_psprintf(keys->pool, "FunctionAppKeys: %s: %s", path,
                              rv != APR_SUCCESS ? "cannot be read"
                                                : "too large for a key file");
        return rv != APR_SUCCESS ? rv : APR_EINVAL;
    }
    if ((rv = read_file(keys->pool, path, (apr_size_t)fi.size, &text))
        != APR_SUCCESS) {
        *error = apr_psprintf(keys->pool,
                              "FunctionAppKeys: %s: cannot be "
                              "read",
                              path);
        return rv;
    }
    root = json_loadb(text, (apr_size_t)fi.size, JSON_REJECT_DUPLICATES, &jerr);
    memset(text, 0, (apr_size_t)fi.size);
    if (!root || !json_is_object(root)) {
        *error = apr_psprintf(
            keys->pool, "FunctionAppKeys: %s: %s%s", path,
            root ? "not a JSON object" : "not JSON: ", root ? "" : jerr.text);
        json_decref(root);
        return APR_EINVAL;
    }
    warn_if_open(path, log, keys->pool);
    if (function) {
        rv = load_list(keys, path, function, json_object_get(root, "keys"),
                       error);
    }
    else {
        master = json_object_get(root, "masterKey");
        rv = master ? load_key(keys, path, SCOPE_MASTER, master, error)
                    : APR_SUCCESS;
        if (rv == APR_SUCCESS) {
            rv = load_list(keys, path, SCOPE_HOST,
                           json_object_get(root, "functionKeys"), error);
        }
        if (rv == APR_SUCCESS) {
            rv = load_list(keys, path, SCOPE_SYSTEM,
                           json_object_get(root, "systemKeys"), error);
        }
    }
    json_decref(root);
    return rv;
}

apr_status_t fa_keys_generate(apr_pool_t *p, const char **key)
{
    unsigned char raw[KEY_BYTES];
    char *text, *c;
    apr_status_t rv = apr_generate_random_bytes(raw, sizeof(raw));

    if (rv != APR_SUCCESS) {
        return rv;
    }
    text = apr_palloc(p, apr_base64_encode_len(sizeof(raw)));
    apr_base64_encode(text, (const char *)raw, sizeof(raw));
    memset(raw, 0, sizeof(raw));
    for (c = text; *c; ++c) {
        *c = *c == '+' ? '-' : *c == '/' ? '_' : *c;
    }
    text[strcspn(text, "=")] = '\0';
    *key = text;
    return APR_SUCCESS;
}

static json_t *key_entry(const char *name, const char *value)
{
    return json_pack("{s:s, s:s, s:b}", "name", name, "value", value,
                     "encrypted", 0);
}

/* host.json as Azure's host writes it, with new keys; created 0600 and
 * exclusively, so a file that appeared meanwhile is never overwritten. */
static apr_status_t write_host_json(apr_pool_t *p, const char *path,
                                    const char **error)
{
    const char *master, *function;
    apr_file_t *f;
    json_t *root;
    char *text = NULL;
    apr_status_t rv;

    if ((rv = fa_keys_generate(p, &master)) != APR_SUCCESS
        || (rv = fa_keys_generate(p, &function)) != APR_SUCCESS) {
        *error = "FunctionAppKeys: no random bytes for new keys";
        return rv;
    }
    root = json_pack("{s:o, s:[o], s:[], s:s, s:s}", "masterKey",
                     key_entry("master", master), "functionKeys",
                     key_entry("default", function), "systemKeys", "source",
                     "runtime", "decryptionKeyId", "");
    text = root ? json_dumps(root, JSON_INDENT(2)) : NULL;
    json_decref(root);
    rv = text
        ? apr_file_open(&f, path,
                        APR_FOPEN_WRITE | APR_FOPEN_CREATE | APR_FOPEN_EXCL,
                        APR_FPROT_UREAD | APR_FPROT_UWRITE, p)
        : APR_ENOMEM;
    if (rv == APR_SUCCESS) {
        rv = apr_file_write_full(f, text, strlen(text), NULL);
        apr_file_close(f);
    }
    if (text) {
        memset(text, 0, strlen(text));
        free(text);
    }
    if (rv != APR_SUCCESS) {
        char err[120];
        *error = apr_psprintf(p, "FunctionAppKeys: cannot write %s: %s", path,
                              apr_strerror(rv, err, sizeof(err)));
    }
    return rv;
}

/* The function key files: every NAME.json but host.json. */
static apr_status_t load_function_files(fa_keys_t *keys, const char *dir,
                                        const fa_logger_t *log,
                                        const char **error)
{
    apr_dir_t *d;
    apr_finfo_t fi;
    apr_status_t rv = apr_dir_open(&d, dir, keys->pool);

    if (rv != APR_SUCCESS) {
        *error = apr_psprintf(keys->pool,
                              "FunctionAppKeys: '%s' is not a "
                              "readable directory",
                              dir);
        return rv;
    }
    while (apr_dir_read(&fi, APR_FINFO_NAME | APR_FINFO_TYPE, d)
           == APR_SUCCESS) {
        apr_size_t n = strlen(fi.name);
        if (fi.filetype != APR_REG || n <= 5 || strcmp(fi.name + n - 5, ".json")
            || !strcmp(fi.name, "host.json")) {
            continue;
        }
        rv = load_file(keys, apr_pstrcat(keys->pool, dir, "/", fi.name, NULL),
                       apr_pstrndup(keys->pool, fi.name, n - 5), log, error);
        if (rv != APR_SUCCESS) {
            break;
        }
    }
    apr_dir_close(d);
    return rv;
}

apr_status_t fa_keys_load_dir(fa_keys_t *keys, const char *dir, int create,
                              const fa_logger_t *log, const char **error)
{
    const char *host = apr_pstrcat(keys->pool, dir, "/host.json", NULL);
    apr_finfo_t fi;
    apr_status_t rv;

    json_set_alloc_funcs(malloc, free_zeroed);
    if ((rv = load_function_files(keys, dir, log, error)) != APR_SUCCESS) {
        return rv;
    }
    rv = apr_stat(&fi, host, APR_FINFO_TYPE, keys->pool);
    if (APR_STATUS_IS_ENOENT(rv)) {
        if (!create) {
            return APR_SUCCESS; /* written at start, not at configtest */
        }
        if ((rv = write_host_json(keys->pool, host, error)) != APR_SUCCESS) {
            return rv;
        }
        fa_log(log, FA_LOG_NOTICE, 0,
               "FA004: FunctionAppKeys: wrote new "
               "keys (a master key and a 'default' function key) to %s",
               host);
    }
    return load_file(keys, host, NULL, log, error);
}

apr_status_t fa_keys_load_config(apr_pool_t *p, const fa_app_config_t *cfg,
                                 int create, const fa_logger_t *log,
                                 fa_keys_t **out, const char **error)
{
    fa_keys_t *keys;
    apr_status_t rv = APR_SUCCESS;
    int i;

    *out = NULL;
    if (cfg->keys_mode == FA_KEYS_OFF) {
        return APR_SUCCESS;
    }
    keys = fa_keys_make(p);
    if (cfg->keys_dir) {
        rv = fa_keys_load_dir(keys, cfg->keys_dir, create, log, error);
    }
    for (i = 0; rv == APR_SUCCESS && i < cfg->key_specs->nelts; ++i) {
        const fa_key_spec_t *spec =
            &APR_ARRAY_IDX(cfg->key_specs, i, fa_key_spec_t);
        rv = fa_keys_add(keys, spec->scope, spec->name, spec->value, error);
    }
    if (rv == APR_SUCCESS) {
        *out = keys;
    }
    return rv;
}

void fa_keys_forget_config(fa_app_config_t *cfg)
{
    int i;

    for (i = 0; i < cfg->key_specs->nelts; ++i) {
        fa_key_spec_t *spec = &APR_ARRAY_IDX(cfg->key_specs, i, fa_key_spec_t);
        if (!strncmp(spec->value, "env:", 4)) {
            unsetenv(spec->value + 4);
        }
        else if (strncmp(spec->value, "file:", 5)) {
            memset((char *)spec->value, 0, strlen(spec->value));
        }
    }
}

/* ---- the check ----------------------------------------------------------- */

/* Equal, in a time that depends only on the lengths, never on where the
 * first difference is. */
static int same_key(const char *a, apr_size_t alen, const char *b,
                    apr_size_t blen)
{
    unsigned int diff = alen != blen;
    apr_size_t i;

    for (i = 0; i < blen; ++i) {
        diff |= (unsigned char)(i < alen ? a[i] : 0) ^ (unsigned char)b[i];
    }
    return diff == 0;
}

int fa_keys_level_needs_key(const char *level)
{
    return !level || strcasecmp(level, "anonymous") != 0;
}

int fa_keys_allow(const fa_keys_t *keys, const char *function,
                  const char *level, const char *presented)
{
    const entry_t *k = (const entry_t *)keys->keys->elts;
    int admin, opened = 0, i;
    apr_size_t len;

    if (!fa_keys_level_needs_key(level)) {
        return 1;
    }
    if (!presented) {
        return 0;
    }
    admin = strcasecmp(level, "function") != 0;
    len = strlen(presented);
    /* every candidate is compared: the time says nothing of which one */
    for (i = 0; i < keys->keys->nelts; ++i) {
        int candidate = !strcmp(k[i].scope, SCOPE_MASTER)
            || (!admin
                && (!strcmp(k[i].scope, SCOPE_HOST)
                    || (function && !strcasecmp(k[i].scope, function))));
        opened |= candidate & same_key(presented, len, k[i].value, k[i].len);
    }
    return opened;
}

int fa_keys_count(const fa_keys_t *keys)
{
    return keys->keys->nelts;
}

void fa_keys_wipe(fa_keys_t *keys)
{
    entry_t *k = (entry_t *)keys->keys->elts;
    int i;

    for (i = 0; i < keys->keys->nelts; ++i) {
        memset(k[i].value, 0, k[i].len);
        k[i].len = 0;
    }
    keys->keys->nelts = 0;
}

static int hex(int c)
{
    return c >= '0' && c <= '9' ? c - '0'
        : c >= 'a' && c <= 'f'  ? c - 'a' + 10
        : c >= 'A' && c <= 'F'  ? c - 'A' + 10
                                : -1;
}

/* Percent-decodes @a s of @a n bytes, '+' as a space (form encoding). */
static char *decode(apr_pool_t *p, const char *s, apr_size_t n)
{
    char *out = apr_palloc(p, n + 1), *o = out;
    apr_size_t i;

    for (i = 0; i < n; ++i) {
        if (s[i] == '%' && i + 2 < n && hex(s[i + 1]) >= 0
            && hex(s[i + 2]) >= 0) {
            *o++ = (char)(hex(s[i + 1]) * 16 + hex(s[i + 2]));
            i += 2;
        }
        else {
            *o++ = s[i] == '+' ? ' ' : s[i];
        }
    }
    *o = '\0';
    return out;
}

const char *fa_keys_query_code(apr_pool_t *p, const char *args)
{
    while (args && *args) {
        apr_size_t n = strcspn(args, "&");
        if (n >= 5 && !strncasecmp(args, "code=", 5)) {
            return decode(p, args + 5, n - 5);
        }
        args += n + (args[n] == '&');
    }
    return NULL;
}
