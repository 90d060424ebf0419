/* Applying filters at render time, on the output buffer's tail: each filter reads the text
 * at out[base..] and leaves its result there, so a chain of filters allocates nothing. */
#include <stdio.h>
#include <string.h>

#include "core/utf8.h"
#include "core/utf8_case.h"
#include "template/template_internal.h"

static int render_error(const tpl_node *n, mc_error *err, const char *fmt, str_t value)
{
    char field[32];
    snprintf(field, sizeof field, "%u:%u", n->line, n->column);
    char what[300];
    int shown = value.n > 80 ? 80 : (int)value.n;
    snprintf(what, sizeof what, fmt, shown, value.p);
    return mc_error_set(err, 422, "template_render", field, "line %u, column %u: %s", n->line,
                        n->column, what);
}

/* replaces out[base..] with bytes[0..n) (which do not point into out) */
static void replace_tail(buf_t *out, size_t base, const char *bytes, size_t n)
{
    out->n = base;
    buf_append(out, bytes, n);
}

/* moves out[from..] down to base, dropping what was in between */
static void move_down(buf_t *out, size_t base, size_t from)
{
    size_t n = out->n - from;
    memmove(out->p + base, out->p + from, n);
    out->n = base + n;
    out->p[out->n] = '\0';
}

static void apply_case(buf_t *out, size_t base, utf8_case_mode mode)
{
    size_t len = out->n - base;
    buf_reserve(out, 2 * len);
    size_t w = utf8_case_map(out->p + base, len, out->p + out->n, mode);
    size_t from = out->n;
    out->n += w;
    move_down(out, base, from);
}

static void apply_truncate(buf_t *out, size_t base, long long count)
{
    size_t len = out->n - base;
    if (utf8_count(out->p + base, len) <= (size_t)count) return;
    out->n = base + utf8_prefix_bytes(out->p + base, len, (size_t)count);
    buf_append(out, "\xE2\x80\xA6", 3); /* … */
}

static bool unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_' || c == '~';
}

static void apply_urlencode(buf_t *out, size_t base)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t extra = 0;
    for (size_t i = base; i < out->n; i++)
        if (!unreserved((unsigned char)out->p[i])) extra += 2;
    if (!extra) return;
    buf_reserve(out, extra);
    size_t r = out->n, w = out->n + extra;
    out->p[w] = '\0';
    while (r > base) {
        unsigned char c = (unsigned char)out->p[--r];
        if (unreserved(c)) {
            out->p[--w] = (char)c;
        } else {
            out->p[--w] = hex[c & 15];
            out->p[--w] = hex[c >> 4];
            out->p[--w] = '%';
        }
    }
    out->n += extra;
}

/* JSON string encoding of out[base..] */
static void apply_json_text(buf_t *out, size_t base)
{
    size_t len = out->n - base;
    buf_reserve(out, 6 * len + 2);
    size_t from = out->n;
    char *end = tpl_json_string_into(out->p + from, out->p + base, len);
    out->n = (size_t)(end - out->p);
    move_down(out, base, from);
}

static void apply_json_value(buf_t *out, size_t base, const json_t *v)
{
    out->n = base;
    if (v)
        tpl_append_json(out, v);
    else
        buf_append(out, "null", 4);
}

static int apply_date(const tpl_node *node, const tpl_filter *f, buf_t *out, size_t base,
                      mc_error *err)
{
    str_t value = str_trim((str_t){out->p + base, out->n - base});
    if (value.n == 0) return 0;
    char text[512];
    size_t n;
    if (tpl_format_date(value, f->text.p, text, sizeof text, &n) < 0)
        return render_error(node, err,
                            "filter 'date' cannot read '%.*s' as an ISO-8601 date such as "
                            "2024-03-01 or 2024-03-01T09:30:00Z",
                            value);
    replace_tail(out, base, text, n);
    return 0;
}

static int apply_money(const tpl_node *node, const tpl_filter *f, buf_t *out, size_t base,
                       mc_error *err)
{
    str_t value = str_trim((str_t){out->p + base, out->n - base});
    if (value.n == 0) return 0;
    char text[96];
    size_t n;
    if (tpl_format_money(value, f->text, text, sizeof text, &n) < 0)
        return render_error(node, err, "filter 'money' cannot read '%.*s' as a number", value);
    replace_tail(out, base, text, n);
    return 0;
}

int tpl_filters_apply(const tpl_node *node, const json_t *v, buf_t *out, size_t base, mc_error *err)
{
    bool is_text = false; /* false: the value is still v; true: it is the text out[base..] */
    for (uint16_t i = 0; i < node->filter_count; i++) {
        const tpl_filter *f = &node->filters[i];
        if (f->kind == FILTER_DEFAULT) {
            /* as in Liquid, 0 is a real value here: only "nothing" is replaced */
            bool nothing = !v || json_is_null(v) || json_is_false(v) ||
                           (json_is_string(v) && json_string_length(v) == 0) ||
                           (json_is_array(v) && json_array_size(v) == 0);
            if (is_text ? out->n == base : nothing) {
                replace_tail(out, base, f->text.p, f->text.n);
                is_text = true;
            }
            continue;
        }
        if (f->kind == FILTER_JSON) {
            if (is_text)
                apply_json_text(out, base);
            else
                apply_json_value(out, base, v);
            is_text = true;
            continue;
        }
        if (!is_text) {
            out->n = base;
            tpl_append_value(out, v);
            is_text = true;
        }
        switch (f->kind) {
        case FILTER_UPPER:
            apply_case(out, base, UTF8_CASE_UPPER);
            break;
        case FILTER_LOWER:
            apply_case(out, base, UTF8_CASE_LOWER);
            break;
        case FILTER_CAPITALIZE:
            apply_case(out, base, UTF8_CASE_CAPITALIZE);
            break;
        case FILTER_TRUNCATE:
            apply_truncate(out, base, f->count);
            break;
        case FILTER_URLENCODE:
            apply_urlencode(out, base);
            break;
        case FILTER_DATE:
            if (apply_date(node, f, out, base, err) < 0) return -1;
            break;
        case FILTER_MONEY:
            if (apply_money(node, f, out, base, err) < 0) return -1;
            break;
        default:
            break;
        }
    }
    if (!is_text) tpl_append_value(out, v);
    return 0;
}
