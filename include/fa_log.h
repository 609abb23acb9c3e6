/* SPDX-License-Identifier: Apache-2.0 */
/**
 * fa_log: logging injected by the glue, as mod_md does, so the core needs
 * no httpd headers and unit tests can link it alone.
 *
 * Runs in every process (parent, children, workers); a logger is owned by
 * whoever made it (the glue, for each app and for the supervisor).
 * Levels are syslog's (and httpd's APLOG_*): 2 crit, 3 err, 4 warning,
 * 5 notice, 6 info, 7 debug.  Every line carries the core's own file and
 * line (FA_LOG_MARK), as mod_md's MD_LOG_MARK does, so httpd's
 * ErrorLogFormat %F shows where in the core it was written.
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

/** Where a line is logged from: the first two arguments of fa_log_at. */
#define FA_LOG_MARK __FILE__, __LINE__

typedef void fa_log_fn(void *baton, const char *file, int line, int level,
                       apr_status_t rv, const char *msg);

typedef struct fa_logger {
    fa_log_fn *fn;
    void *baton;
    int level; /* the most verbose level that is written */
} fa_logger_t;

/** Formats with APR's formatter (printf's conversions, and APR's own
 * such as %pm); a no-op when @a level is above the logger's level,
 * except for notice, which httpd always writes. */
void fa_log_at(const char *file, int line, const fa_logger_t *log, int level,
               apr_status_t rv, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

/** fa_log_at from here. */
#define fa_log(log, level, rv, ...)                                            \
    fa_log_at(FA_LOG_MARK, (log), (level), (rv), __VA_ARGS__)

/** The level of a Python `logging` record (10 debug .. 50 critical). */
int fa_log_level_from_python(int py_level);

/** The `logging` level that passes what @a level lets through. */
int fa_log_level_to_python(int level);

#endif
