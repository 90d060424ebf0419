/* Filling an mc_error, with truncation that keeps UTF-8 whole. */
#include "core/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/utf8.h"

static void copy_field(char *dst, size_t cap, const char *src)
{
    size_t n = src ? strlen(src) : 0;
    n = utf8_truncate_len(src ? src : "", n, cap - 1);
    memcpy(dst, src ? src : "", n);
    dst[n] = '\0';
}

int mc_error_set(mc_error *err, int status, const char *code, const char *field, const char *fmt,
                 ...)
{
    if (!err) return -1;
    err->status = status;
    copy_field(err->code, sizeof err->code, code);
    copy_field(err->field, sizeof err->field, field);
    char message[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    copy_field(err->message, sizeof err->message, message);
    return -1;
}

void mc_error_clear(mc_error *err)
{
    memset(err, 0, sizeof *err);
}
