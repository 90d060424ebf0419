/* The router: routes are a method plus a path pattern whose {name} segments capture
 * parameters, e.g. "GET /api/v1/tokens/{id}". Matching is segment by segment. */
#ifndef MC_HTTP_ROUTER_H
#define MC_HTTP_ROUTER_H

#include <stdbool.h>
#include <stddef.h>

#include "http/request.h"

/* Handlers answer through http_respond_*; ctx is what the router was built with. */
typedef void (*http_handler)(http_request *req, void *ctx);

enum {
    ROUTE_PUBLIC = 1 << 0, /* no credentials needed */
    ROUTE_API = 1 << 1,    /* JSON API: credentials needed unless ROUTE_PUBLIC */
    ROUTE_UPLOAD = 1 << 2, /* multipart/form-data body streamed to disk (http/upload.h) */
    /* no log line per request below 500 (the tracking endpoints: thousands a second, counted
     * in the request metrics instead) */
    ROUTE_QUIET = 1 << 3,
    /* the least role an ROUTE_API route needs (auth/roles.h); every such route but the
     * ROUTE_PUBLIC ones names exactly one, checked before its handler runs */
    ROUTE_VIEWER = 1 << 4,
    ROUTE_EDITOR = 1 << 5,
    ROUTE_ADMIN = 1 << 6,
};
#define ROUTE_ROLES (ROUTE_VIEWER | ROUTE_EDITOR | ROUTE_ADMIN)

typedef struct {
    const char *method;
    const char *pattern;
    http_handler handler;
    unsigned flags;
} http_route;

typedef struct {
    http_route *routes;
    size_t count;
} http_router;

/* Adds a route; the strings are borrowed and must outlive the router. */
void http_router_add(http_router *r, const char *method, const char *pattern, http_handler handler,
                     unsigned flags);
void http_router_free(http_router *r);

#define ROUTER_NOT_FOUND          (-1)
#define ROUTER_METHOD_NOT_ALLOWED (-2)

/* Finds the route for method and path; fills params (views into path).
 * returns the route index, ROUTER_NOT_FOUND or ROUTER_METHOD_NOT_ALLOWED. */
int http_router_match(const http_router *r, const char *method, const char *path, str_t *params,
                      int *param_count);

#endif
