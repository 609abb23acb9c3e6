/* SPDX-License-Identifier: Apache-2.0 */
/* fa_log: formatting in front of the glue's log callback. */
#include <stdarg.h>

#include <apr_strings.h>

#include "fa_log.h"

void fa_log_at(const char *file, int line, const fa_logger_t *log, int level,
               apr_status_t rv, const char *fmt, ...)
{
    /* httpd cuts an error-log line at 8 kB; a fixed buffer needs no pool */
    char buf[2048];
    va_list ap;

    /* notice passes whatever the level, as httpd's log.c lets it */
    if (!log || !log->fn || (level > log->level && level != FA_LOG_NOTICE)) {
        return;
    }
    va_start(ap, fmt);
    apr_vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    log->fn(log->baton, file, line, level, rv, buf);
}

/* The one map between the two scales, both ways. */
int fa_log_level_from_python(int py_level)
{
    return py_level >= 50 ? FA_LOG_CRIT
        : py_level >= 40  ? FA_LOG_ERR
        : py_level >= 30  ? FA_LOG_WARNING
        : py_level >= 20  ? FA_LOG_INFO
                          : FA_LOG_DEBUG;
}

int fa_log_level_to_python(int level)
{
    return level >= FA_LOG_DEBUG  ? 10
        : level >= FA_LOG_INFO    ? 20
        : level >= FA_LOG_WARNING ? 30
        : level >= FA_LOG_ERR     ? 40
                                  : 50;
}
