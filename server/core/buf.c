/* The growable buffer: doubling growth, always NUL-terminated. */
#include "core/buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"

void buf_free(buf_t *b)
{
    free(b->p);
    *b = BUF_INIT;
}

void buf_reset(buf_t *b)
{
    b->n = 0;
    if (b->p) b->p[0] = '\0';
}

void buf_reserve(buf_t *b, size_t extra)
{
    size_t need = b->n + extra + 1;
    if (need <= b->cap) return;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap *= 2;
    b->p = xrealloc(b->p, cap);
    b->cap = cap;
}

void buf_append(buf_t *b, const void *data, size_t n)
{
    buf_reserve(b, n);
    if (n) memcpy(b->p + b->n, data, n);
    b->n += n;
    b->p[b->n] = '\0';
}

void buf_append_str(buf_t *b, str_t s)
{
    buf_append(b, s.p, s.n);
}

void buf_append_cstr(buf_t *b, const char *s)
{
    buf_append(b, s, strlen(s));
}

void buf_putc(buf_t *b, char c)
{
    buf_reserve(b, 1);
    b->p[b->n++] = c;
    b->p[b->n] = '\0';
}

void buf_vappendf(buf_t *b, const char *fmt, va_list ap)
{
    va_list copy;
    va_copy(copy, ap);
    buf_reserve(b, 64);
    int len = vsnprintf(b->p + b->n, b->cap - b->n, fmt, ap);
    if (len < 0) {
        va_end(copy);
        return;
    }
    if ((size_t)len >= b->cap - b->n) {
        buf_reserve(b, (size_t)len);
        vsnprintf(b->p + b->n, b->cap - b->n, fmt, copy);
    }
    va_end(copy);
    b->n += (size_t)len;
}

void buf_appendf(buf_t *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    buf_vappendf(b, fmt, ap);
    va_end(ap);
}

const char *buf_cstr(const buf_t *b)
{
    return b->p ? b->p : "";
}

str_t buf_view(const buf_t *b)
{
    return (str_t){buf_cstr(b), b->n};
}

char *buf_detach(buf_t *b, size_t *len)
{
    if (!b->p) buf_reserve(b, 0);
    char *p = b->p;
    if (len) *len = b->n;
    *b = BUF_INIT;
    return p;
}
