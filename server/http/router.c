/* Linear matching over a few dozen routes costs less than a request's syscalls. */
#include "http/router.h"

#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"

void http_router_add(http_router *r, const char *method, const char *pattern, http_handler handler,
                     unsigned flags)
{
    r->routes = xrealloc(r->routes, (r->count + 1) * sizeof *r->routes);
    r->routes[r->count++] = (http_route){method, pattern, handler, flags};
}

void http_router_free(http_router *r)
{
    free(r->routes);
    r->routes = NULL;
    r->count = 0;
}

/* Takes the next "/segment" off *s. returns false at the end. */
static bool next_segment(str_t *s, str_t *segment)
{
    if (s->n == 0) return false;
    if (s->p[0] == '/') {
        s->p++;
        s->n--;
    }
    const char *slash = memchr(s->p, '/', s->n);
    size_t len = slash ? (size_t)(slash - s->p) : s->n;
    *segment = (str_t){s->p, len};
    s->p += len;
    s->n -= len;
    return true;
}

static bool pattern_matches(const char *pattern, const char *path, str_t *params, int *count)
{
    str_t pat = str_from_cstr(pattern), p = str_from_cstr(path);
    str_t ps, xs;
    *count = 0;
    for (;;) {
        bool more_pattern = next_segment(&pat, &ps);
        bool more_path = next_segment(&p, &xs);
        if (!more_pattern || !more_path) return more_pattern == more_path;
        if (ps.n >= 2 && ps.p[0] == '{' && ps.p[ps.n - 1] == '}') {
            if (xs.n == 0 || *count >= HTTP_MAX_PARAMS) return false;
            params[(*count)++] = xs;
        } else if (!str_eq(ps, xs)) {
            return false;
        }
    }
}

int http_router_match(const http_router *r, const char *method, const char *path, str_t *params,
                      int *param_count)
{
    bool path_known = false;
    for (size_t i = 0; i < r->count; i++) {
        if (!pattern_matches(r->routes[i].pattern, path, params, param_count)) continue;
        if (!strcmp(r->routes[i].method, method)) return (int)i;
        path_known = true;
    }
    *param_count = 0;
    return path_known ? ROUTER_METHOD_NOT_ALLOWED : ROUTER_NOT_FOUND;
}
