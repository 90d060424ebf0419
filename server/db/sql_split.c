/* A small lexer over the token kinds that can hide a semicolon. */
#include "db/sql_split.h"

#include <ctype.h>
#include <string.h>

void sql_split_init(sql_splitter *s, str_t script)
{
    s->rest = script;
    s->line = 1;
}

/* Length of a dollar-quote tag ($tag$ or $$) at p, or 0 when p does not start one. */
static size_t dollar_tag_len(const char *p, size_t n)
{
    if (n < 2 || p[0] != '$') return 0;
    size_t i = 1;
    while (i < n && (isalnum((unsigned char)p[i]) || p[i] == '_' || (unsigned char)p[i] >= 0x80))
        i++;
    if (i < n && p[i] == '$' && !(i > 1 && isdigit((unsigned char)p[1]))) return i + 1;
    return 0;
}

/* Index just past the token starting at i that may contain semicolons, or i + 1. */
static size_t skip_token(const char *p, size_t n, size_t i)
{
    if (p[i] == '-' && i + 1 < n && p[i + 1] == '-') {
        while (i < n && p[i] != '\n')
            i++;
        return i;
    }
    if (p[i] == '/' && i + 1 < n && p[i + 1] == '*') {
        int depth = 0;
        while (i < n) {
            if (p[i] == '/' && i + 1 < n && p[i + 1] == '*') {
                depth++;
                i += 2;
            } else if (p[i] == '*' && i + 1 < n && p[i + 1] == '/') {
                i += 2;
                if (--depth == 0) return i;
            } else {
                i++;
            }
        }
        return n;
    }
    if (p[i] == '\'' || p[i] == '"') {
        char quote = p[i];
        bool backslash = quote == '\'' && i > 0 && (p[i - 1] == 'E' || p[i - 1] == 'e');
        i++;
        while (i < n) {
            if (backslash && p[i] == '\\') {
                i += 2;
            } else if (p[i] == quote) {
                if (i + 1 < n && p[i + 1] == quote)
                    i += 2; /* doubled quote */
                else
                    return i + 1;
            } else {
                i++;
            }
        }
        return n;
    }
    size_t tag = dollar_tag_len(p + i, n - i);
    if (tag) {
        for (size_t j = i + tag; j + tag <= n; j++)
            if (!memcmp(p + j, p + i, tag)) return j + tag;
        return n;
    }
    return i + 1;
}

static int count_lines(const char *p, size_t n)
{
    int lines = 0;
    for (size_t i = 0; i < n; i++)
        if (p[i] == '\n') lines++;
    return lines;
}

bool sql_split_next(sql_splitter *s, str_t *statement, int *line)
{
    while (s->rest.n) {
        const char *p = s->rest.p;
        size_t n = s->rest.n, i = 0;
        while (i < n && p[i] != ';')
            i = skip_token(p, n, i);
        str_t stmt = {p, i};
        size_t consumed = i < n ? i + 1 : n;
        /* the statement starts at its first character that is neither blank nor comment */
        size_t lead = 0;
        while (lead < stmt.n) {
            if (isspace((unsigned char)stmt.p[lead]))
                lead++;
            else if ((stmt.p[lead] == '-' && lead + 1 < stmt.n && stmt.p[lead + 1] == '-') ||
                     (stmt.p[lead] == '/' && lead + 1 < stmt.n && stmt.p[lead + 1] == '*'))
                lead = skip_token(stmt.p, stmt.n, lead);
            else
                break;
        }
        int start_line = s->line + count_lines(p, lead);
        s->line += count_lines(p, consumed);
        s->rest.p += consumed;
        s->rest.n -= consumed;
        if (lead == stmt.n) continue;
        *statement = (str_t){stmt.p + lead, stmt.n - lead};
        *line = start_line;
        return true;
    }
    return false;
}
