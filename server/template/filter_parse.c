/* Filters for marketers, as written in a tag: {{ first_name | default: "friend" }}. This
 * file reads a filter chain at compile time, so that an unknown filter or a missing
 * argument is a compile error with the tag's position, never a blank in a sent email. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
