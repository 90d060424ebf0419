/* str_t: a borrowed view of bytes {p, n}. It never owns memory and need not be
 * NUL-terminated; whoever made p keeps it alive while the view is used. */
#ifndef MC_CORE_STR_H
#define MC_CORE_STR_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

typedef struct {
    const char *p;
    size_t n;
} str_t;

#define STR_LIT(s) ((str_t){(s), sizeof(s) - 1})
#define STR_NULL   ((str_t){NULL, 0})

static inline str_t str_from_cstr(const char *s)
{
    return (str_t){s, s ? strlen(s) : 0};
}

static inline str_t str_make(const char *p, size_t n)
{
    return (str_t){p, n};
}

static inline bool str_eq(str_t a, str_t b)
{
    return a.n == b.n && (a.n == 0 || memcmp(a.p, b.p, a.n) == 0);
}

static inline bool str_eq_cstr(str_t a, const char *b)
{
    return str_eq(a, str_from_cstr(b));
}

static inline bool str_has_prefix(str_t s, str_t prefix)
{
    return s.n >= prefix.n && memcmp(s.p, prefix.p, prefix.n) == 0;
}

/* returns the view with ASCII white space removed at both ends */
str_t str_trim(str_t s);
/* ASCII-only case-insensitive comparison (header names, keywords) */
bool str_eq_ascii_nocase(str_t a, str_t b);
/* splits s at the first sep: *head gets what is before it, the result what is after;
 * when sep is absent, *head is s and the result is STR_NULL with found false */
bool str_cut(str_t s, char sep, str_t *head, str_t *tail);

#endif
