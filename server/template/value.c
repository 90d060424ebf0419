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

void tpl_append_value(buf_t *out, const json_t *v)
{
    if (!v) return;
    char tmp[64];
    switch (json_typeof(v)) {
    case JSON_STRING:
        buf_append(out, json_string_value(v), json_string_length(v));
        break;
    case JSON_INTEGER:
        buf_appendf(out, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
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
    default: {
        size_t need = json_dumpb(v, NULL, 0, JSON_COMPACT | JSON_ENCODE_ANY);
        buf_reserve(out, need);
        size_t got = json_dumpb(v, out->p + out->n, need, JSON_COMPACT | JSON_ENCODE_ANY);
        out->n += got <= need ? got : 0;
        out->p[out->n] = '\0';
        break;
    }
    }
}

static const char *entity(char c)
{
    switch (c) {
    case '&':
        return "&amp;";
    case '<':
        return "&lt;";
    case '>':
        return "&gt;";
    case '"':
        return "&quot;";
    case '\'':
        return "&#39;";
    default:
        return NULL;
    }
}

void tpl_escape_tail(buf_t *out, size_t from)
{
    size_t extra = 0;
    for (size_t i = from; i < out->n; i++) {
        const char *e = entity(out->p[i]);
        if (e) extra += strlen(e) - 1;
    }
    if (extra == 0) return;
    buf_reserve(out, extra);
    /* expand from the back so that every byte is read before it is overwritten */
    size_t r = out->n, w = out->n + extra;
    out->p[w] = '\0';
    while (r > from) {
        char c = out->p[--r];
        const char *e = entity(c);
        if (!e) {
            out->p[--w] = c;
            continue;
        }
        size_t n = strlen(e);
        w -= n;
        memcpy(out->p + w, e, n);
    }
    out->n += extra;
}
