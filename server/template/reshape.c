/* Re-indenting template text for the inheritance module: a block's content loses the
 * indentation it has where it is written and takes the indentation of the place it fills,
 * and a standalone parent tag indents the whole parent. Works on lines of source text. */
#include <string.h>

#include "template/template_internal.h"

static bool line_is_blank(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r' && p[i] != '\n') return false;
    return true;
}

static size_t line_length(str_t src, size_t at)
{
    const char *nl = memchr(src.p + at, '\n', src.n - at);
    return nl ? (size_t)(nl - (src.p + at)) + 1 : src.n - at;
}

str_t tpl_dedent(arena_t *arena, str_t src, str_t *margin)
{
    /* the margin is the longest run of spaces and tabs that starts every non-blank line */
    const char *common = NULL;
    size_t common_n = 0;
    for (size_t at = 0; at < src.n;) {
        size_t n = line_length(src, at);
        const char *line = src.p + at;
        if (!line_is_blank(line, n)) {
            size_t lead = 0;
            while (lead < n && (line[lead] == ' ' || line[lead] == '\t'))
                lead++;
            if (!common) {
                common = line;
                common_n = lead;
            } else {
                size_t k = 0;
                while (k < common_n && k < lead && common[k] == line[k])
                    k++;
                common_n = k;
            }
        }
        at += n;
    }
    *margin = (str_t){common ? common : src.p, common_n};
    char *out = arena_alloc(arena, src.n + 1);
    size_t w = 0;
    for (size_t at = 0; at < src.n;) {
        size_t n = line_length(src, at);
        const char *line = src.p + at;
        if (line_is_blank(line, n)) {
            /* a blank line keeps only its line end */
            size_t keep = 0;
            if (n && line[n - 1] == '\n') keep = (n >= 2 && line[n - 2] == '\r') ? 2 : 1;
            memcpy(out + w, line + n - keep, keep);
            w += keep;
        } else {
            memcpy(out + w, line + common_n, n - common_n);
            w += n - common_n;
        }
        at += n;
    }
    out[w] = '\0';
    return (str_t){out, w};
}

str_t tpl_indent(arena_t *arena, str_t src, str_t prefix)
{
    if (prefix.n == 0) return src;
    size_t lines = 1;
    for (size_t i = 0; i < src.n; i++)
        if (src.p[i] == '\n') lines++;
    char *out = arena_alloc(arena, src.n + lines * prefix.n + 1);
    size_t w = 0;
    for (size_t at = 0; at < src.n;) {
        size_t n = line_length(src, at);
        if (!line_is_blank(src.p + at, n)) {
            memcpy(out + w, prefix.p, prefix.n);
            w += prefix.n;
        }
        memcpy(out + w, src.p + at, n);
        w += n;
        at += n;
    }
    out[w] = '\0';
    return (str_t){out, w};
}
