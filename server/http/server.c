/* libmicrohttpd glue. Per its 0.9.75 behaviour, nothing is answered on the first call for a
 * request (that would close keep-alive connections); bodies are collected on the middle calls
 * and the handler runs on the last one. */
#include "http/server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/log.h"
#include "http/stream.h"
#include "http/upload.h"

struct http_server {
    struct MHD_Daemon *daemon;
    http_server_options opts;
    unsigned port;
    unsigned in_flight; /* requests begun and not completed; idle keep-alives do not count */
};

static uint64_t elapsed_us(const struct timespec *since)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (uint64_t)(now.tv_sec - since->tv_sec) * 1000000u +
           (uint64_t)((now.tv_nsec - since->tv_nsec) / 1000);
}

static http_request *request_new(struct MHD_Connection *connection, const char *method,
                                 const char *url)
{
    http_request *req = xcalloc(1, sizeof *req);
    req->connection = connection;
    req->method = method;
    req->path = url;
    req->arena = ARENA_INIT;
    req->route_index = -1;
    clock_gettime(CLOCK_MONOTONIC, &req->started);
    return req;
}

static void request_free(http_request *req)
{
    buf_free(&req->body);
    buf_free(&req->response);
    http_stream_discard(req->stream);
    http_upload_free(req->upload);
    arena_free(&req->arena);
    free(req);
}

static enum MHD_Result send_answer(struct MHD_Connection *connection, http_request *req)
{
    if (req->shared)
        return MHD_queue_response(connection, (unsigned)req->status,
                                  http_shared_response_get(req->shared));
    size_t len;
    char *body = buf_detach(&req->response, &len);
    struct MHD_Response *response;
    if (req->stream) {
        /* the response owns the stream from here on */
        free(body);
        response = http_stream_response(req->stream);
        req->stream = NULL;
    } else {
        response = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
    }
    if (req->content_type)
        MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, req->content_type);
    MHD_add_response_header(response, "X-Content-Type-Options", "nosniff");
    for (http_response_header *h = req->headers; h; h = h->next)
        MHD_add_response_header(response, h->name, h->value);
    enum MHD_Result rc = MHD_queue_response(connection, (unsigned)req->status, response);
    MHD_destroy_response(response);
    return rc;
}

static void dispatch(http_server *s, http_request *req)
{
    const http_router *router = s->opts.router;
    if (req->body_too_large) {
        char message[128];
        snprintf(message, sizeof message, "the request body is larger than %zu bytes",
                 s->opts.max_body_bytes);
        http_respond_error_with(req, 413, "body_too_large", "body", message);
        return;
    }
    int index = http_router_match(router, req->method, req->path, req->params, &req->param_count);
    if (index == ROUTER_NOT_FOUND) {
        if (s->opts.fallback && s->opts.fallback(req, s->opts.ctx)) return;
        http_respond_error_with(req, 404, "not_found", "", "no such route");
        return;
    }
    if (index == ROUTER_METHOD_NOT_ALLOWED) {
        http_respond_error_with(req, 405, "method_not_allowed", "",
                                "this route does not accept that method");
        return;
    }
    req->route_index = index;
    const http_route *route = &router->routes[index];
    if (!s->opts.authorize || s->opts.authorize(req, route, s->opts.ctx))
        route->handler(req, s->opts.ctx);
    if (s->opts.after) s->opts.after(req, s->opts.ctx);
    if (!req->answered) {
        log_error("handler for %s %s gave no answer", route->method, route->pattern);
        http_respond_error_with(req, 500, "internal_error", "", "the server gave no answer");
    }
}

/* Upload routes are known before the body arrives, so that it can go to disk. The caller is
 * authorized first: a refused client's body is read and dropped, never written anywhere.
 * returns true when the body is to be collected by an upload (or dropped after a refusal). */
static bool start_upload(http_server *s, http_request *req)
{
    if (!s->opts.upload_dir) return false;
    int index =
        http_router_match(s->opts.router, req->method, req->path, req->params, &req->param_count);
    if (index < 0 || !(s->opts.router->routes[index].flags & ROUTE_UPLOAD)) return false;
    const http_route *route = &s->opts.router->routes[index];
    req->route_index = index;
    bool allowed = !s->opts.authorize || s->opts.authorize(req, route, s->opts.ctx);
    if (s->opts.after) s->opts.after(req, s->opts.ctx);
    if (allowed) {
        req->answered = false; /* the handler answers once the body is in */
        req->upload =
            http_upload_new(req->connection, s->opts.upload_dir, s->opts.max_upload_bytes);
    } else {
        req->refused_early = true;
    }
    return true;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *connection, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
    (void)version;
    http_server *s = cls;
    http_request *req = *con_cls;
    if (!req) {
        *con_cls = request_new(connection, method, url);
        req = *con_cls;
        __atomic_fetch_add(&s->in_flight, 1, __ATOMIC_RELAXED);
        if (start_upload(s, req)) return MHD_YES;
        const char *length = MHD_lookup_connection_value(connection, MHD_HEADER_KIND,
                                                         MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (length && strtoull(length, NULL, 10) > s->opts.max_body_bytes)
            req->body_too_large = true;
        return MHD_YES;
    }
    if (*upload_data_size && (req->upload || req->refused_early)) {
        if (req->upload) http_upload_feed(req->upload, upload_data, *upload_data_size);
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (req->refused_early) {
        req->refused_early = false;
        return send_answer(connection, req);
    }
    if (*upload_data_size) {
        if (!req->body_too_large) {
            if (req->body.n + *upload_data_size > s->opts.max_body_bytes) {
                req->body_too_large = true;
                buf_free(&req->body);
            } else {
                buf_append(&req->body, upload_data, *upload_data_size);
            }
        }
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (req->answered) return MHD_YES;
    dispatch(s, req);
    return send_answer(connection, req);
}

static void on_completed(void *cls, struct MHD_Connection *connection, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)connection;
    http_server *s = cls;
    http_request *req = *con_cls;
    if (!req) return;
    uint64_t us = elapsed_us(&req->started);
    int status = req->answered ? req->status : 0;
    if (s->opts.metrics) http_metrics_record(s->opts.metrics, req->route_index, status, us);
    bool quiet = req->route_index >= 0 &&
                 (s->opts.router->routes[req->route_index].flags & ROUTE_QUIET) && status < 500;
    if (!quiet)
        log_info("http %s %s %d %.1fms%s", req->method, req->path, status, (double)us / 1000.0,
                 toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "" : " (connection closed early)");
    request_free(req);
    *con_cls = NULL;
    __atomic_fetch_sub(&s->in_flight, 1, __ATOMIC_RELAXED);
}

static int parse_listen(const char *listen, struct sockaddr_storage *addr, mc_error *err)
{
    const char *colon = strrchr(listen, ':');
    char host[256];
    size_t host_len = (size_t)(colon - listen);
    if (host_len >= sizeof host) host_len = sizeof host - 1;
    memcpy(host, listen, host_len);
    host[host_len] = '\0';
    char *h = host;
    if (h[0] == '[' && host_len > 1 && h[host_len - 1] == ']') {
        h[host_len - 1] = '\0';
        h++;
    }
    struct addrinfo hints = {0}, *res;
    hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
    hints.ai_socktype = SOCK_STREAM;
    int rc = getaddrinfo(h, colon + 1, &hints, &res);
    if (rc != 0)
        return mc_error_set(err, 400, "invalid_config", "server.listen",
                            "[server] listen = \"%s\": %s (use a numeric address)", listen,
                            gai_strerror(rc));
    memcpy(addr, res->ai_addr, res->ai_addrlen);
    freeaddrinfo(res);
    return 0;
}

http_server *http_server_start(const http_server_options *opts, mc_error *err)
{
    struct sockaddr_storage addr;
    if (parse_listen(opts->listen, &addr, err) < 0) return NULL;
    http_server *s = xcalloc(1, sizeof *s);
    s->opts = *opts;
    unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ITC | MHD_USE_ERROR_LOG;
    if (addr.ss_family == AF_INET6) flags |= MHD_USE_IPv6;
    uint16_t port = ntohs(addr.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&addr)->sin6_port
                                                     : ((struct sockaddr_in *)&addr)->sin_port);
    /* the option list is varargs: each value must have exactly the type MHD reads */
    s->daemon = MHD_start_daemon(flags, port, NULL, NULL, on_request, s, MHD_OPTION_SOCK_ADDR,
                                 (struct sockaddr *)&addr, MHD_OPTION_THREAD_POOL_SIZE,
                                 (unsigned int)opts->threads, MHD_OPTION_CONNECTION_TIMEOUT,
                                 (unsigned int)60, MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
                                 MHD_OPTION_CONNECTION_LIMIT, (unsigned int)4096, MHD_OPTION_END);
    if (!s->daemon) {
        mc_error_set(err, 500, "listen_failed", "server.listen",
                     "cannot listen on %s: %s (is another server using that port?)", opts->listen,
                     strerror(errno));
        free(s);
        return NULL;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
    s->port = info ? info->port : port;
    return s;
}

unsigned http_server_port(const http_server *s)
{
    return s->port;
}

void http_server_stop(http_server *s, int grace_ms)
{
    if (!s) return;
    MHD_socket listener = MHD_quiesce_daemon(s->daemon);
    for (int waited = 0; waited < grace_ms; waited += 20) {
        if (__atomic_load_n(&s->in_flight, __ATOMIC_RELAXED) == 0) break;
        usleep(20 * 1000);
    }
    MHD_stop_daemon(s->daemon);
    if (listener != MHD_INVALID_SOCKET) close(listener);
    free(s);
}
