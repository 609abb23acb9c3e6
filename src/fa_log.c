/* fa_log: formatting in front of the glue's log callback. */
#include <stdarg.h>
#include <stdio.h>

#include "fa_log.h"

void fa_log(const fa_logger_t *log, int level, apr_status_t rv,
            const char *fmt, ...)
{
    char buf[2048];
    va_list ap;

    if (!log || !log->fn || level > log->level) {
        return;
    }
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    log->fn(log->baton, level, rv, buf);
}
