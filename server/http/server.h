/* The HTTP server: libmicrohttpd with a pool of epoll threads, dispatching to the router. */
#ifndef MC_HTTP_SERVER_H
#define MC_HTTP_SERVER_H

#include <stdbool.h>
#include <stddef.h>

#include "core/error.h"
#include "http/metrics.h"
#include "http/router.h"

typedef struct http_server http_server;

typedef struct {
    const char *listen; /* "host:port"; port 0 picks a free one */
    unsigned threads;
    size_t max_body_bytes;
    const http_router *router;
    http_metrics *metrics;
    void *ctx; /* handed to handlers and to authorize */
    /* runs before the handler of a matched route; returns false after answering itself */
    bool (*authorize)(http_request *req, const http_route *route, void *ctx);
    /* answers requests no route matched (the dashboard's files); returns false to let the
     * server answer 404 */
    bool (*fallback)(http_request *req, void *ctx);
    /* runs after the handler (or after authorize refused), to release what authorize took */
    void (*after)(http_request *req, void *ctx);
    /* where ROUTE_UPLOAD bodies are written, and their size limit; NULL: no uploads */
    const char *upload_dir;
    size_t max_upload_bytes;
} http_server_options;

/* Starts listening. returns the server (stop with http_server_stop()), or NULL with err set.
 * opts and everything it points to must outlive the server. */
http_server *http_server_start(const http_server_options *opts, mc_error *err);
/* returns the port actually bound */
unsigned http_server_port(const http_server *s);
/* Stops accepting, lets requests in flight finish for up to grace_ms, then frees the server. */
void http_server_stop(http_server *s, int grace_ms);

#endif
