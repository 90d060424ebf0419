/* How JSON values behave in templates: which are true, how they print, HTML escaping. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "template/template_internal.h"

bool tpl_truthy(const json_t *v)
{
    if (!v) return false;
    switch (json_typeof(v)) {
    case JSON_NULL:
    case JSON_FALSE:
        return false;
    case JSON_ARRAY:
        return json_array_size(v) > 0;
    case JSON_STRING:
        return json_string_length(v) > 0;
    case JSON_INTEGER:
        return json_integer_value(v) != 0;
    case JSON_REAL:
        return json_real_value(v) != 0.0;
    default:
        return true;
    }
}

/* Prints a double the way JavaScript does for ordinary values: the shortest text that
 * reads back as the same number (1.5 -> "1.5", 2.0 -> "2", 0.1 -> "0.1"). */
static size_t format_real(double d, char *out, size_t cap)
{
    if (isnan(d) || isinf(d))
        return (size_t)snprintf(out, cap, "%s",
                                isnan(d) ? "NaN"
                                : d > 0  ? "Infinity"
                                         : "-Infinity");
    if (d == 0) return (size_t)snprintf(out, cap, "0");
    if (fabs(d) < 1e21 && d == floor(d)) return (size_t)snprintf(out, cap, "%.0f", d);
    int n = 0;
    for (int precision = 1; precision <= 17; precision++) {
        n = snprintf(out, cap, "%.*g", precision, d);
        if (strtod(out, NULL) == d) break;
    }
    /* C writes 1e-07 where JavaScript writes 1e-7 */
    char *e = strchr(out, 'e');
    if (e && (e[1] == '-' || e[1] == '+')) {
        char *digits = e + 2, *first = digits;
        while (*first == '0' && first[1])
            first++;
        memmove(digits, first, strlen(first) + 1);
        n = (int)strlen(out);
    }
    return (size_t)n;
}

static size_t format_integer(json_int_t value, char *out)
{
    char digits[24];
    size_t n = 0;
    unsigned long long u = value < 0 ? 0ULL - (unsigned long long)value : (unsigned long long)value;
    do {
        digits[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    size_t w = 0;
    if (value < 0) out[w++] = '-';
    while (n)
        out[w++] = digits[--n];
    return w;
}

void tpl_append_value(buf_t *out, const json_t *v)
{
    if (!v) return;
    char tmp[64];
    switch (json_typeof(v)) {
    case JSON_STRING:
        buf_append(out, json_string_value(v), json_string_length(v));
        break;
    case JSON_INTEGER:
        buf_append(out, tmp, format_integer(json_integer_value(v), tmp));
        break;
    case JSON_REAL:
        buf_append(out, tmp, format_real(json_real_value(v), tmp, sizeof tmp));
        break;
    case JSON_TRUE:
        buf_append(out, "true", 4);
        break;
    case JSON_FALSE:
        buf_append(out, "false", 5);
        break;
    case JSON_NULL:
        break;
    case JSON_ARRAY:
        /* as JavaScript prints a list: its items joined by commas ([] prints nothing) */
        for (size_t i = 0; i < json_array_size(v); i++) {
            if (i) buf_putc(out, ',');
            tpl_append_value(out, json_array_get(v, i));
        }
        break;
    default:
        tpl_append_json(out, v);
        break;
    }
}

char *tpl_json_string_into(char *w, const char *r, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    *w++ = '"';
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)r[i];
        if (c == '"' || c == '\\') {
            *w++ = '\\';
            *w++ = (char)c;
        } else if (c == '\n') {
            *w++ = '\\';
            *w++ = 'n';
        } else if (c == '\r') {
            *w++ = '\\';
            *w++ = 'r';
        } else if (c == '\t') {
            *w++ = '\\';
            *w++ = 't';
        } else if (c < 0x20) {
            memcpy(w, "\\u00", 4);
            w[4] = hex[c >> 4];
            w[5] = hex[c & 15];
            w += 6;
        } else {
            *w++ = (char)c;
        }
    }
    *w++ = '"';
    return w;
}

static void append_json_string(buf_t *out, const char *p, size_t n)
{
    buf_reserve(out, 6 * n + 2);
    char *end = tpl_json_string_into(out->p + out->n, p, n);
    out->n = (size_t)(end - out->p);
    out->p[out->n] = '\0';
}

void template_append_json_string(buf_t *out, const char *p, size_t n)
{
    append_json_string(out, p, n);
}

void template_append_json(buf_t *out, const json_t *v)
{
    tpl_append_json(out, v);
}

/* Our own serializer rather than json_dumpb(), which allocates (it tracks the containers
 * it is inside of): rendering allocates nothing but the output. Keys keep their order. */
void tpl_append_json(buf_t *out, const json_t *v)
{
    char tmp[64];
    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        const char *key;
        json_t *value;
        bool first = true;
        buf_putc(out, '{');
        json_object_foreach((json_t *)v, key, value)
        {
            if (!first) buf_putc(out, ',');
            first = false;
            append_json_string(out, key, json_object_iter_key_len(json_object_key_to_iter(key)));
            buf_putc(out, ':');
            tpl_append_json(out, value);
        }
        buf_putc(out, '}');
        break;
    }
    case JSON_ARRAY: {
        size_t n = json_array_size(v);
        buf_putc(out, '[');
        for (size_t i = 0; i < n; i++) {
            if (i) buf_putc(out, ',');
            tpl_append_json(out, json_array_get(v, i));
        }
        buf_putc(out, ']');
        break;
    }
    case JSON_STRING:
        append_json_string(out, json_string_value(v), json_string_length(v));
        break;
    case JSON_INTEGER:
        buf_append(out, tmp, format_integer(json_integer_value(v), tmp));
        break;
    case JSON_REAL:
        buf_append(out, tmp, format_real(json_real_value(v), tmp, sizeof tmp));
        break;
    case JSON_TRUE:
        buf_append(out, "true", 4);
        break;
    case JSON_FALSE:
        buf_append(out, "false", 5);
        break;
    default:
        buf_append(out, "null", 4);
        break;
    }
}

/* extra bytes each character takes once escaped (0: copied as it is) */
static const unsigned char ESCAPE_EXTRA[256] = {
    ['&'] = 4, ['<'] = 3, ['>'] = 3, ['"'] = 5, ['\''] = 4};

static size_t escape_extra(const char *p, size_t n)
{
    size_t extra = 0;
    for (size_t i = 0; i < n; i++)
        extra += ESCAPE_EXTRA[(unsigned char)p[i]];
    return extra;
}

/* writes the escaped form of p[0..n) ending just before w, moving backwards; returns the
 * new start. Reading backwards lets tpl_escape_tail expand text in place. */
static char *escape_backwards(const char *p, size_t n, char *w)
{
    while (n > 0) {
        char c = p[--n];
        switch (c) {
        case '&':
            w -= 5, memcpy(w, "&amp;", 5);
            break;
        case '<':
            w -= 4, memcpy(w, "&lt;", 4);
            break;
        case '>':
            w -= 4, memcpy(w, "&gt;", 4);
            break;
        case '"':
            w -= 6, memcpy(w, "&quot;", 6);
            break;
        case '\'':
            w -= 5, memcpy(w, "&#39;", 5);
            break;
        default:
            *--w = c;
        }
    }
    return w;
}

void tpl_escape_tail(buf_t *out, size_t from)
{
    size_t extra = escape_extra(out->p + from, out->n - from);
    if (extra == 0) return;
    buf_reserve(out, extra);
    escape_backwards(out->p + from, out->n - from, out->p + out->n + extra);
    out->n += extra;
    out->p[out->n] = '\0';
}

void tpl_append_escaped(buf_t *out, const char *p, size_t n)
{
    if (p[n] != '\0' || n > 65536) {
        /* two passes: size first, then expand (no NUL to let strcspn run, or a value so big
         * that reserving for the worst case would waste memory) */
        size_t extra = escape_extra(p, n);
        buf_reserve(out, n + extra);
        escape_backwards(p, n, out->p + out->n + n + extra);
        out->n += n + extra;
        out->p[out->n] = '\0';
        return;
    }
    /* one pass: strcspn (vectorised in glibc) jumps to the next character to escape, and
     * there is room for the worst case, every byte becoming "&quot;" */
    buf_reserve(out, 6 * n);
    char *w = out->p + out->n;
    const char *r = p, *end = p + n;
    for (;;) {
        size_t run = strcspn(r, "&<>\"'");
        memcpy(w, r, run);
        w += run;
        r += run;
        if (r >= end) break;
        switch (*r) {
        case '&':
            memcpy(w, "&amp;", 5), w += 5;
            break;
        case '<':
            memcpy(w, "&lt;", 4), w += 4;
            break;
        case '>':
            memcpy(w, "&gt;", 4), w += 4;
            break;
        case '"':
            memcpy(w, "&quot;", 6), w += 6;
            break;
        case '\'':
            memcpy(w, "&#39;", 5), w += 5;
            break;
        default:
            *w++ = *r; /* a NUL inside the value */
        }
        r++;
    }
    out->n = (size_t)(w - out->p);
    out->p[out->n] = '\0';
}
