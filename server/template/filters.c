/* Filters for marketers: {{ first_name | default: "friend" | capitalize }}. Parsed at compile
 * time (an unknown filter is a compile error); applied at render time on the output buffer's
 * tail, so that a chain of filters allocates nothing. */
#define _GNU_SOURCE
#include <locale.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/utf8.h"
#include "core/utf8_case.h"
#include "template/template_internal.h"

typedef enum { ARG_NONE, ARG_STRING, ARG_OPTIONAL_STRING, ARG_COUNT } arg_rule;

static const struct {
    const char *name;
    tpl_filter_kind kind;
    arg_rule arg;
    const char *example;
} FILTERS[] = {
    {"default", FILTER_DEFAULT, ARG_STRING, "default: \"friend\""},
    {"upper", FILTER_UPPER, ARG_NONE, "upper"},
    {"lower", FILTER_LOWER, ARG_NONE, "lower"},
    {"capitalize", FILTER_CAPITALIZE, ARG_NONE, "capitalize"},
    {"truncate", FILTER_TRUNCATE, ARG_COUNT, "truncate: 40"},
    {"date", FILTER_DATE, ARG_STRING, "date: \"%d %B %Y\""},
    {"money", FILTER_MONEY, ARG_OPTIONAL_STRING, "money: \"EUR\""},
    {"urlencode", FILTER_URLENCODE, ARG_NONE, "urlencode"},
    {"json", FILTER_JSON, ARG_NONE, "json"},
};
#define FILTER_COUNT (sizeof FILTERS / sizeof FILTERS[0])

/* ---- parsing ---- */

/* Reads one argument: a quoted string ("..." or '...', with \" \' \\ escapes) or a number.
 * The string form is written to the arena, NUL-terminated. */
static int parse_arg(arena_t *arena, str_t src, str_t *text, bool *is_number, char *why,
                     size_t why_cap)
{
    *is_number = false;
    if (src.n && (src.p[0] == '"' || src.p[0] == '\'')) {
        char quote = src.p[0];
        char *out = arena_alloc(arena, src.n + 1);
        size_t w = 0, i = 1;
        for (; i < src.n && src.p[i] != quote; i++) {
            if (src.p[i] == '\\' && i + 1 < src.n) i++;
            out[w++] = src.p[i];
        }
        if (i >= src.n) return snprintf(why, why_cap, "a quoted argument is never closed"), -1;
        if (i + 1 != src.n)
            return snprintf(why, why_cap, "unexpected text after the quoted argument '%.*s'",
                            (int)(src.n - i - 1), src.p + i + 1),
                   -1;
        out[w] = '\0';
        *text = (str_t){out, w};
        return 0;
    }
    size_t i = 0;
    if (i < src.n && (src.p[i] == '-' || src.p[i] == '+')) i++;
    size_t digits = 0;
    for (; i < src.n && ((src.p[i] >= '0' && src.p[i] <= '9') || src.p[i] == '.'); i++)
        digits++;
    if (digits == 0 || i != src.n)
        return snprintf(why, why_cap,
                        "'%.*s' is not an argument: write a number or a quoted string", (int)src.n,
                        src.p),
               -1;
    *text = (str_t){arena_strndup(arena, src.p, src.n), src.n};
    *is_number = true;
    return 0;
}

static int parse_one(arena_t *arena, str_t src, tpl_filter *f, char *why, size_t why_cap)
{
    src = str_trim(src);
    size_t i = 0;
    while (i < src.n && ((src.p[i] >= 'a' && src.p[i] <= 'z') || src.p[i] == '_'))
        i++;
    str_t name = {src.p, i};
    if (name.n == 0) return snprintf(why, why_cap, "a filter name is missing after '|'"), -1;
    size_t k = 0;
    while (k < FILTER_COUNT && !str_eq_cstr(name, FILTERS[k].name))
        k++;
    if (k == FILTER_COUNT)
        return snprintf(why, why_cap,
                        "unknown filter '%.*s' (filters are default, upper, lower, capitalize, "
                        "truncate, date, money, urlencode, json)",
                        (int)(src.n < 60 ? src.n : 60), src.p),
               -1;
    memset(f, 0, sizeof *f);
    f->kind = FILTERS[k].kind;
    str_t rest = str_trim((str_t){src.p + i, src.n - i});
    bool has_arg = rest.n > 0;
    if (has_arg) {
        if (rest.p[0] != ':')
            return snprintf(why, why_cap, "write filter '%s' as {{ name | %s }}", FILTERS[k].name,
                            FILTERS[k].example),
                   -1;
        rest = str_trim((str_t){rest.p + 1, rest.n - 1});
    }
    arg_rule rule = FILTERS[k].arg;
    if (rule == ARG_NONE && has_arg)
        return snprintf(why, why_cap, "filter '%s' takes no argument", FILTERS[k].name), -1;
    if ((rule == ARG_STRING || rule == ARG_COUNT) && (!has_arg || rest.n == 0))
        return snprintf(why, why_cap, "filter '%s' needs an argument, as in {{ name | %s }}",
                        FILTERS[k].name, FILTERS[k].example),
               -1;
    if (!has_arg) return 0;
    bool is_number;
    if (parse_arg(arena, rest, &f->text, &is_number, why, why_cap) < 0) return -1;
    if (rule == ARG_COUNT) {
        char *end;
        long long count = is_number ? strtoll(f->text.p, &end, 10) : -1;
        if (!is_number || *end || count < 0 || count > 1000000)
            return snprintf(why, why_cap, "filter '%s' needs a whole number, as in {{ name | %s }}",
                            FILTERS[k].name, FILTERS[k].example),
                   -1;
        f->count = count;
    } else if (is_number && rule != ARG_STRING) {
        return snprintf(why, why_cap, "filter '%s' needs a quoted argument, as in {{ name | %s }}",
                        FILTERS[k].name, FILTERS[k].example),
               -1;
    }
    if (f->kind == FILTER_DATE && (f->text.n == 0 || f->text.n > 200))
        return snprintf(why, why_cap, "filter 'date' needs a format such as \"%%d %%B %%Y\""), -1;
    if (f->kind == FILTER_MONEY && f->text.n > 20)
        return snprintf(why, why_cap, "filter 'money' takes a currency code such as \"EUR\""), -1;
    return 0;
}

int tpl_filters_parse(arena_t *arena, str_t src, const tpl_filter **out, uint16_t *count, char *why,
                      size_t why_cap)
{
    size_t n = 1;
    char quote = 0;
    for (size_t i = 0; i < src.n; i++) {
        char c = src.p[i];
        if (quote) {
            if (c == '\\')
                i++;
            else if (c == quote)
                quote = 0;
        } else if (c == '"' || c == '\'') {
            quote = c;
        } else if (c == '|') {
            n++;
        }
    }
    if (n > 32) return snprintf(why, why_cap, "too many filters in one tag (at most 32)"), -1;
    if (quote) return snprintf(why, why_cap, "a quoted argument is never closed"), -1;
    tpl_filter *filters = arena_alloc(arena, n * sizeof *filters);
    size_t k = 0, begin = 0;
    quote = 0;
    for (size_t i = 0; i <= src.n; i++) {
        char c = i < src.n ? src.p[i] : '|';
        if (quote) {
            if (c == '\\')
                i++;
            else if (c == quote)
                quote = 0;
            continue;
        }
        if (c == '"' || c == '\'') {
            quote = c;
            continue;
        }
        if (c != '|') continue;
        if (parse_one(arena, (str_t){src.p + begin, i - begin}, &filters[k++], why, why_cap) < 0)
            return -1;
        begin = i + 1;
    }
    *out = filters;
    *count = (uint16_t)k;
    return 0;
}

/* ---- applying ---- */

static locale_t time_locale;
static pthread_once_t time_locale_once = PTHREAD_ONCE_INIT;

static void open_time_locale(void)
{
    /* English month and day names whatever locale the process runs in */
    time_locale = newlocale(LC_ALL_MASK, "C", (locale_t)0);
}

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

static int read_digits(const char *s, size_t n, size_t *at, size_t count, int *value)
{
    int v = 0;
    for (size_t i = 0; i < count; i++) {
        if (*at >= n || s[*at] < '0' || s[*at] > '9') return -1;
        v = v * 10 + (s[(*at)++] - '0');
    }
    *value = v;
    return 0;
}

/* days since 1970-01-01 in the proleptic Gregorian calendar */
static long days_from_civil(long y, int m, int d)
{
    y -= m <= 2;
    long era = (y >= 0 ? y : y - 399) / 400;
    long yoe = y - era * 400;
    long doy = (153L * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static bool leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Reads YYYY-MM-DD, optionally followed by [T ]HH:MM[:SS[.fraction]] and Z or +HH[:MM]. */
static int parse_iso8601(const char *s, size_t n, struct tm *tm)
{
    static const int month_days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    memset(tm, 0, sizeof *tm);
    size_t at = 0;
    int year, month, day, hour = 0, minute = 0, second = 0;
    if (read_digits(s, n, &at, 4, &year) || at >= n || s[at++] != '-' ||
        read_digits(s, n, &at, 2, &month) || at >= n || s[at++] != '-' ||
        read_digits(s, n, &at, 2, &day))
        return -1;
    if (month < 1 || month > 12 || day < 1) return -1;
    if (day > month_days[month - 1] + (month == 2 && leap(year))) return -1;
    long offset = 0;
    bool utc = false;
    if (at < n && (s[at] == 'T' || s[at] == 't' || s[at] == ' ')) {
        at++;
        if (read_digits(s, n, &at, 2, &hour) || at >= n || s[at++] != ':' ||
            read_digits(s, n, &at, 2, &minute))
            return -1;
        if (at < n && s[at] == ':') {
            at++;
            if (read_digits(s, n, &at, 2, &second)) return -1;
            if (at < n && (s[at] == '.' || s[at] == ',')) {
                at++;
                size_t digits = 0;
                while (at < n && s[at] >= '0' && s[at] <= '9')
                    at++, digits++;
                if (!digits) return -1;
            }
        }
        if (hour > 23 || minute > 59 || second > 60) return -1;
        if (at < n && (s[at] == 'Z' || s[at] == 'z')) {
            at++;
            utc = true;
        } else if (at < n && (s[at] == '+' || s[at] == '-')) {
            int sign = s[at++] == '-' ? -1 : 1, oh, om = 0;
            if (read_digits(s, n, &at, 2, &oh)) return -1;
            if (at < n && s[at] == ':') at++;
            if (at < n && read_digits(s, n, &at, 2, &om)) return -1;
            if (oh > 23 || om > 59) return -1;
            offset = sign * (oh * 3600L + om * 60L);
        }
    }
    if (at != n) return -1;
    long days = days_from_civil(year, month, day);
    tm->tm_year = year - 1900;
    tm->tm_mon = month - 1;
    tm->tm_mday = day;
    tm->tm_hour = hour;
    tm->tm_min = minute;
    tm->tm_sec = second;
    tm->tm_wday = (int)(((days % 7) + 11) % 7); /* 1970-01-01 was a Thursday */
    tm->tm_yday = (int)(days - days_from_civil(year, 1, 1));
    tm->tm_gmtoff = offset;
    tm->tm_zone = utc ? "UTC" : "";
    return 0;
}

static int apply_date(const tpl_node *node, const tpl_filter *f, buf_t *out, size_t base,
                      mc_error *err)
{
    str_t value = str_trim((str_t){out->p + base, out->n - base});
    if (value.n == 0) return 0;
    struct tm tm;
    if (parse_iso8601(value.p, value.n, &tm) < 0)
        return render_error(node, err,
                            "filter 'date' cannot read '%.*s' as an ISO-8601 date such as "
                            "2024-03-01 or 2024-03-01T09:30:00Z",
                            value);
    pthread_once(&time_locale_once, open_time_locale);
    char text[512];
    size_t n = time_locale ? strftime_l(text, sizeof text, f->text.p, &tm, time_locale)
                           : strftime(text, sizeof text, f->text.p, &tm);
    replace_tail(out, base, text, n);
    return 0;
}

/* Formats a decimal number with two decimals, rounding half away from zero on its decimal
 * digits (so "0.125" gives 0.13, which binary floating point would get wrong). */
static int apply_money(const tpl_node *node, const tpl_filter *f, buf_t *out, size_t base,
                       mc_error *err)
{
    str_t value = str_trim((str_t){out->p + base, out->n - base});
    if (value.n == 0) return 0;
    const char *s = value.p;
    size_t n = value.n, at = 0;
    bool negative = false;
    if (at < n && (s[at] == '-' || s[at] == '+')) negative = s[at++] == '-';
    char digits[64];
    size_t count = 0;
    long point = -1;
    for (; at < n; at++) {
        if (s[at] >= '0' && s[at] <= '9') {
            if (count == sizeof digits) goto bad;
            if (count == 0 && s[at] == '0' && point < 0) continue; /* leading zeros */
            digits[count++] = s[at];
        } else if (s[at] == '.' && point < 0) {
            point = (long)count;
        } else {
            break;
        }
    }
    if (point < 0) point = (long)count;
    if (at < n && (s[at] == 'e' || s[at] == 'E')) {
        char *end;
        long exponent = strtol(s + at + 1, &end, 10);
        if (end == s + at + 1 || exponent > 30 || exponent < -30) goto bad;
        point += exponent;
        at = (size_t)(end - s);
    }
    if (at != n || (count == 0 && !memchr(s, '0', n))) goto bad;
    /* cents are the digits up to two places after the point; the next digit rounds */
    unsigned long long cents = 0;
    for (long i = 0; i < point + 2; i++) {
        int d = (i >= 0 && i < (long)count) ? digits[i] - '0' : 0;
        if (cents > 100000000000000000ULL) goto bad;
        cents = cents * 10 + (unsigned)d;
    }
    long next = point + 2;
    if (next >= 0 && next < (long)count && digits[next] >= '5') cents++;
    char text[96];
    int len = snprintf(text, sizeof text, "%s%llu.%02llu%s%s", negative && cents ? "-" : "",
                       cents / 100, cents % 100, f->text.n ? " " : "", f->text.n ? f->text.p : "");
    replace_tail(out, base, text, (size_t)len);
    return 0;
bad:
    return render_error(node, err, "filter 'money' cannot read '%.*s' as a number", value);
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
