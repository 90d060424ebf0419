/* Small operations on borrowed byte views. */
#include "core/str.h"

static bool is_ascii_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

str_t str_trim(str_t s)
{
    while (s.n && is_ascii_space(s.p[0])) {
        s.p++;
        s.n--;
    }
    while (s.n && is_ascii_space(s.p[s.n - 1]))
        s.n--;
    return s;
}

static char ascii_lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

bool str_eq_ascii_nocase(str_t a, str_t b)
{
    if (a.n != b.n) return false;
    for (size_t i = 0; i < a.n; i++)
        if (ascii_lower(a.p[i]) != ascii_lower(b.p[i])) return false;
    return true;
}

bool str_cut(str_t s, char sep, str_t *head, str_t *tail)
{
    const char *at = s.n ? memchr(s.p, sep, s.n) : NULL;
    if (!at) {
        *head = s;
        *tail = STR_NULL;
        return false;
    }
    *head = (str_t){s.p, (size_t)(at - s.p)};
    *tail = (str_t){at + 1, s.n - (size_t)(at - s.p) - 1};
    return true;
}
