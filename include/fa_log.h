/**
 * fa_log: logging injected by the glue, as mod_md does, so the core needs
 * no httpd headers and unit tests can link it alone.
 * Levels are syslog's (and httpd's APLOG_*): 2 crit, 3 err, 4 warning,
 * 5 notice, 6 info, 7 debug.
 */
#ifndef FA_LOG_H
#define FA_LOG_H

#include <apr.h>
#include <apr_errno.h>

#define FA_LOG_CRIT 2
#define FA_LOG_ERR 3
#define FA_LOG_WARNING 4
#define FA_LOG_NOTICE 5
#define FA_LOG_INFO 6
#define FA_LOG_DEBUG 7

typedef void fa_log_fn(void *baton, int level, apr_status_t rv,
                       const char *msg);

typedef struct fa_logger {
    fa_log_fn *fn;
    void *baton;
    int level;        /* the most verbose level that is written */
} fa_logger_t;

/** printf-style; a no-op when @a level is above the logger's level. */
void fa_log(const fa_logger_t *log, int level, apr_status_t rv,
            const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/** The level of a Python `logging` record (10 debug .. 50 critical). */
int fa_log_level_from_python(int py_level);

/** The `logging` level that passes what @a level lets through. */
int fa_log_level_to_python(int level);

#endif
