/* Relaxed canonicalization, written for the signer's hot path: the body is scanned once, runs
 * of ordinary bytes are copied in bulk into a chunk that goes to the hash when full, and
 * empty lines are only counted until it is known whether content follows them. */
#include "mail/dkim_canon.h"

#include <string.h>

static bool is_wsp(char ch)
{
    return ch == ' ' || ch == '\t';
}

void dkim_canon_header_relaxed(str_t field, buf_t *out)
{
    const char *colon = memchr(field.p, ':', field.n);
    size_t name_end = colon ? (size_t)(colon - field.p) : field.n;
    size_t trimmed = name_end;
    while (trimmed > 0 && is_wsp(field.p[trimmed - 1]))
        trimmed--;
    buf_reserve(out, out->n + field.n + 1);
    for (size_t i = 0; i < trimmed; i++) {
        char ch = field.p[i];
        buf_putc(out, ch >= 'A' && ch <= 'Z' ? (char)(ch + 32) : ch);
    }
    if (!colon) return;
    buf_putc(out, ':');
    bool space = false, wrote = false;
    for (size_t i = name_end + 1; i < field.n; i++) {
        char ch = field.p[i];
        if (ch == '\r' && i + 1 < field.n && field.p[i + 1] == '\n') { /* unfold */
            i++;
            continue;
        }
        if (is_wsp(ch)) {
            space = true;
            continue;
        }
        if (space && wrote) buf_putc(out, ' ');
        space = false;
        wrote = true;
        buf_putc(out, ch);
    }
}

void dkim_body_canon_init(dkim_body_canon *c, dkim_canon_sink sink, void *sink_ctx)
{
    c->sink = sink;
    c->sink_ctx = sink_ctx;
    c->blank_lines = c->line_length = c->used = 0;
    c->space = c->cr = false;
}

static void emit(dkim_body_canon *c, const char *p, size_t n)
{
    while (n > 0) {
        if (c->used == DKIM_CANON_CHUNK) {
            c->sink(c->sink_ctx, c->chunk, c->used);
            c->used = 0;
        }
        size_t room = DKIM_CANON_CHUNK - c->used, k = n < room ? n : room;
        memcpy(c->chunk + c->used, p, k);
        c->used += k;
        p += k;
        n -= k;
    }
}

/* writes bytes that belong on the current line, with what was held back before them */
static void content(dkim_body_canon *c, const char *p, size_t n)
{
    if (c->line_length == 0)
        for (; c->blank_lines > 0; c->blank_lines--)
            emit(c, "\r\n", 2);
    if (c->space) {
        emit(c, " ", 1);
        c->line_length++;
        c->space = false;
    }
    emit(c, p, n);
    c->line_length += n;
}

static void end_line(dkim_body_canon *c)
{
    c->space = false; /* white space at a line's end goes */
    if (c->line_length == 0)
        c->blank_lines++;
    else
        emit(c, "\r\n", 2);
    c->line_length = 0;
}

void dkim_body_canon_update(dkim_body_canon *c, const char *p, size_t n)
{
    size_t i = 0;
    if (n > 0 && c->cr) { /* a CR ended the previous piece */
        c->cr = false;
        if (p[0] == '\n') {
            end_line(c);
            i = 1;
        } else {
            content(c, "\r", 1);
        }
    }
    while (i < n) {
        char ch = p[i];
        if (is_wsp(ch)) {
            c->space = true;
            i++;
        } else if (ch == '\r') {
            if (i + 1 == n) {
                c->cr = true;
                i++;
            } else if (p[i + 1] == '\n') {
                end_line(c);
                i += 2;
            } else {
                content(c, p + i, 1);
                i++;
            }
        } else {
            size_t j = i + 1;
            while (j < n && p[j] != ' ' && p[j] != '\t' && p[j] != '\r')
                j++;
            content(c, p + i, j - i);
            i = j;
        }
    }
}

void dkim_body_canon_final(dkim_body_canon *c)
{
    if (c->cr) content(c, "\r", 1);
    c->cr = false;
    if (c->line_length > 0) emit(c, "\r\n", 2); /* a last line without CRLF gets one */
    if (c->used > 0) c->sink(c->sink_ctx, c->chunk, c->used);
    c->used = 0;
}
