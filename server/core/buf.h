/* buf_t: the one growable byte buffer for every output (HTTP bodies, MIME, rendered
 * templates, SQL text). Its bytes are always followed by a NUL so p can be used as a C
 * string. Reuse a buffer across iterations with buf_reset(); release with buf_free(). */
#ifndef MC_CORE_BUF_H
#define MC_CORE_BUF_H

#include <stdarg.h>
#include <stddef.h>

#include "core/str.h"

typedef struct {
    char *p;    /* NULL until the first append; owned by the buffer */
    size_t n;   /* bytes used, not counting the trailing NUL */
    size_t cap; /* bytes allocated */
} buf_t;

#define BUF_INIT ((buf_t){NULL, 0, 0})

/* frees the buffer's memory and leaves it empty and reusable */
void buf_free(buf_t *b);
/* empties the buffer but keeps its memory for reuse */
void buf_reset(buf_t *b);
/* makes room for at least extra more bytes (may move p) */
void buf_reserve(buf_t *b, size_t extra);
void buf_append(buf_t *b, const void *data, size_t n);
void buf_append_str(buf_t *b, str_t s);
void buf_append_cstr(buf_t *b, const char *s);
void buf_putc(buf_t *b, char c);
void buf_appendf(buf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_vappendf(buf_t *b, const char *fmt, va_list ap);
/* returns a NUL-terminated string, "" for an empty buffer; borrowed until the next change */
const char *buf_cstr(const buf_t *b);
/* returns the contents as a view, borrowed until the next change */
str_t buf_view(const buf_t *b);
/* hands the contents to the caller (who frees with free()) and leaves the buffer empty */
char *buf_detach(buf_t *b, size_t *len);

#endif
