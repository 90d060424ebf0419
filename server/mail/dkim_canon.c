/* Relaxed canonicalization, written for the signer's hot path: the body is scanned once, the
 * stretches that are already canonical (nearly all of a message) go to the sink as they are,
 * the rest is rewritten a byte at a time into a chunk, and empty lines are only counted until
 * it is known whether content follows them. */
#include "mail/dkim_canon.h"

#include <stdint.h>
#include <string.h>

static bool is_wsp(char ch)
{
    return ch == ' ' || ch == '\t';
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

/* The general path, a byte at a time with all the state: from p[i] to just after the first
 * CRLF (the state is then clean) or to the end of the piece. returns where it stopped. */
static size_t update_to_line_end(dkim_body_canon *c, const char *p, size_t n, size_t i)
{
    if (i < n && c->cr) { /* a CR ended the previous piece */
        c->cr = false;
        if (p[i] == '\n') {
            end_line(c);
            return i + 1;
        }
        content(c, "\r", 1);
    }
    while (i < n) {
        char ch = p[i];
        if (is_wsp(ch)) {
            c->space = true;
            i++;
        } else if (ch == '\r') {
            if (i + 1 == n) {
                c->cr = true;
                return n;
            }
            if (p[i + 1] == '\n') {
                end_line(c);
                return i + 2;
            }
            content(c, p + i, 1);
            i++;
        } else {
            size_t j = i + 1;
            while (j < n && p[j] != ' ' && p[j] != '\t' && p[j] != '\r')
                j++;
            content(c, p + i, j - i);
            i = j;
        }
    }
    return n;
}

typedef signed char v16 __attribute__((vector_size(16)));

static v16 load16(const char *p)
{
    v16 v;
    memcpy(&v, p, sizeof v);
    return v;
}

static bool any16(v16 v)
{
    uint64_t half[2];
    memcpy(half, &v, sizeof half);
    return (half[0] | half[1]) != 0;
}

/* the bytes of p[0..15] where the relaxed body may differ: a tab, a space followed by a
 * space or a control byte (a tab or a CR; the rare LF or other control byte is taken too,
 * for one comparison instead of three: the byte path then finds nothing to change), a CR not
 * followed by LF */
static v16 body_change16(const char *p)
{
    typedef unsigned char u16 __attribute__((vector_size(16)));
    v16 a = load16(p), b = load16(p + 1);
    return (a == '\t') | ((a == ' ') & (v16)((u16)b <= ' ')) | ((a == '\r') & (b != '\n'));
}

/* Where the relaxed form first differs from the bytes themselves: a tab, a space followed by
 * a space, a tab or a CR, a CR not followed by LF; the last byte counts as such when it is a
 * space or a CR (what follows it is not known yet). Single spaces between words, the common
 * case, change nothing, so most of a body is its own canonical form. 64 bytes per test (one
 * branch for four vectors: a body has a change every few hundred bytes at most), with the
 * compiler's vector extensions (SSE2 on x86-64, NEON on arm64). returns the offset, or n
 * when there is none. */
static size_t first_change(const char *p, size_t n)
{
    size_t i = 0;
    for (; i + 65 <= n; i += 64)
        if (any16(body_change16(p + i) | body_change16(p + i + 16) | body_change16(p + i + 32) |
                  body_change16(p + i + 48)))
            break;
    for (; i + 17 <= n; i += 16)
        if (any16(body_change16(p + i))) break;
    for (; i < n; i++) {
        char ch = p[i];
        if (ch == '\t') return i;
        if (ch == ' ' || ch == '\r') {
            if (i + 1 == n) return i;
            char next = p[i + 1];
            if (ch == ' ' ? next == ' ' || next == '\t' || next == '\r' : next != '\n') return i;
        }
    }
    return n;
}

/* the bytes of p[0..15] where a relaxed header value differs: a tab, a CR, a space followed
 * by a space, a tab or a CR */
static v16 header_change16(const char *p)
{
    v16 a = load16(p), b = load16(p + 1);
    return (a == '\t') | (a == '\r') | ((a == ' ') & ((b == ' ') | (b == '\t') | (b == '\r')));
}

/* Where a header value first differs from its relaxed form, as first_change() does for the
 * body, except that every CR counts (a field's CRLFs are unfolded) and so does a space at
 * the end (trailing white space goes). returns the offset, or n. */
static size_t first_header_change(const char *p, size_t n)
{
    size_t i = 0;
    for (; i + 17 <= n; i += 16)
        if (any16(header_change16(p + i))) break;
    for (; i < n; i++) {
        char ch = p[i];
        if (ch == '\t' || ch == '\r') return i;
        if (ch == ' ' && (i + 1 == n || p[i + 1] == ' ' || p[i + 1] == '\t' || p[i + 1] == '\r'))
            return i;
    }
    return n;
}

void dkim_canon_header_relaxed(str_t field, buf_t *out)
{
    const char *colon = memchr(field.p, ':', field.n);
    size_t name_end = colon ? (size_t)(colon - field.p) : field.n;
    size_t trimmed = name_end;
    while (trimmed > 0 && is_wsp(field.p[trimmed - 1]))
        trimmed--;
    buf_reserve(out, field.n + 1); /* the canonical form is never longer */
    char *o = out->p + out->n;
    for (size_t i = 0; i < trimmed; i++) {
        char ch = field.p[i];
        *o++ = ch >= 'A' && ch <= 'Z' ? (char)(ch + 32) : ch;
    }
    if (colon) {
        *o++ = ':';
        const char *v = field.p + name_end + 1;
        size_t n = field.n - name_end - 1, i = 0;
        bool wrote = false;
        while (i < n) {
            /* a run of white space and line breaks: one space between words, none at the
             * ends; a CRLF alone (no white space) joins its lines directly */
            bool space = false;
            for (; i < n; i++) {
                if (is_wsp(v[i]))
                    space = true;
                else if (v[i] == '\r' && i + 1 < n && v[i + 1] == '\n')
                    i++;
                else
                    break;
            }
            if (i == n) break;
            if (space && wrote) *o++ = ' ';
            wrote = true;
            if (v[i] == '\r') { /* a bare CR is an ordinary byte */
                *o++ = v[i++];
                continue;
            }
            /* the stretch that is its own canonical form, copied as it is */
            size_t k = i + first_header_change(v + i, n - i);
            memcpy(o, v + i, k - i);
            o += k - i;
            i = k;
        }
    }
    out->n = (size_t)(o - out->p);
    *o = '\0';
}

/* Hands s (n bytes that are their own canonical form, no white space pending before them)
 * to the sink as they are, holding back the empty lines at their end, which are dropped if
 * nothing follows them. */
static void verbatim(dkim_body_canon *c, const char *s, size_t n)
{
    size_t e = n, held = 0;
    while (e >= 2 && s[e - 2] == '\r' && s[e - 1] == '\n') {
        bool empty = e == 2 ? c->line_length == 0 : e >= 4 && s[e - 4] == '\r' && s[e - 3] == '\n';
        if (!empty) break;
        held++;
        e -= 2;
    }
    if (e > 0) {
        if (c->line_length == 0)
            for (; c->blank_lines > 0; c->blank_lines--)
                emit(c, "\r\n", 2);
        if (c->used > 0) c->sink(c->sink_ctx, c->chunk, c->used);
        c->used = 0;
        c->sink(c->sink_ctx, s, e);
        /* no CR stands alone in s, so the last CR ends a line */
        const char *last_cr = memrchr(s, '\r', e);
        c->line_length = last_cr ? e - (size_t)(last_cr - s) - 2 : c->line_length + e;
    }
    c->blank_lines += held;
}

void dkim_body_canon_update(dkim_body_canon *c, const char *p, size_t n)
{
    size_t i = 0;
    while (i < n) {
        if (c->cr || c->space) {
            i = update_to_line_end(c, p, n, i);
            continue;
        }
        size_t change = i + first_change(p + i, n - i);
        if (change > i) verbatim(c, p + i, change - i);
        i = change < n ? update_to_line_end(c, p, n, change) : n;
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
