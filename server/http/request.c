/* Reading a request and writing the answer into it; the server sends it afterwards. */
#include "http/request.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"

const char *http_header(http_request *req, const char *name)
{
    return MHD_lookup_connection_value(req->connection, MHD_HEADER_KIND, name);
}

const char *http_query(http_request *req, const char *name)
{
    return MHD_lookup_connection_value(req->connection, MHD_GET_ARGUMENT_KIND, name);
}

const char *http_cookie(http_request *req, const char *name)
{
    return MHD_lookup_connection_value(req->connection, MHD_COOKIE_KIND, name);
}

const struct sockaddr *http_remote_sockaddr(http_request *req)
{
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(req->connection, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    return info ? info->client_addr : NULL;
}

const char *http_remote_addr(http_request *req)
{
    char *text = arena_alloc(&req->arena, INET6_ADDRSTRLEN);
    text[0] = '\0';
    const struct sockaddr *sa = http_remote_sockaddr(req);
    if (!sa) return text;
    if (sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, text, INET6_ADDRSTRLEN);
    else if (sa->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, text, INET6_ADDRSTRLEN);
    return text;
}

struct http_shared_response {
    int status;
    struct MHD_Response *response;
};

http_shared_response *http_shared_response_new(int status, const char *content_type,
                                               const void *body, size_t n,
                                               const char *const *headers)
{
    http_shared_response *r = xcalloc(1, sizeof *r);
    r->status = status;
    r->response = MHD_create_response_from_buffer(n, (void *)body, MHD_RESPMEM_PERSISTENT);
    MHD_add_response_header(r->response, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
    MHD_add_response_header(r->response, "X-Content-Type-Options", "nosniff");
    for (size_t i = 0; headers && headers[i] && headers[i + 1]; i += 2)
        MHD_add_response_header(r->response, headers[i], headers[i + 1]);
    return r;
}

void http_shared_response_free(http_shared_response *r)
{
    if (!r) return;
    MHD_destroy_response(r->response);
    free(r);
}

void http_respond_shared(http_request *req, const http_shared_response *r)
{
    req->answered = true;
    req->status = r->status;
    req->shared = r;
}

struct MHD_Response *http_shared_response_get(const http_shared_response *r)
{
    return r->response;
}

int http_param_id(http_request *req, int index, long long *id, mc_error *err)
{
    str_t p = index < req->param_count ? req->params[index] : STR_NULL;
    long long v = 0;
    bool ok = p.n > 0 && p.n <= 18;
    for (size_t i = 0; ok && i < p.n; i++) {
        if (p.p[i] < '0' || p.p[i] > '9')
            ok = false;
        else
            v = v * 10 + (p.p[i] - '0');
    }
    if (!ok || v <= 0)
        return mc_error_set(err, 404, "not_found", "id", "no object has the id '%.*s'",
                            (int)(p.n > 40 ? 40 : p.n), p.p ? p.p : "");
    *id = v;
    return 0;
}

void http_respond(http_request *req, int status, const char *content_type, const void *body,
                  size_t n)
{
    req->answered = true;
    req->status = status;
    req->content_type = content_type;
    buf_reset(&req->response);
    buf_append(&req->response, body, n);
}

/* true when every real of value prints back as itself with precision digits */
static bool reals_survive(const json_t *value, int precision, int depth)
{
    if (json_is_real(value)) {
        char text[64];
        double d = json_real_value(value);
        snprintf(text, sizeof text, "%.*g", precision, d);
        return strtod(text, NULL) == d;
    }
    if (depth > 64) return false; /* deeper than anything we build: keep the full precision */
    if (json_is_array(value)) {
        for (size_t i = 0; i < json_array_size(value); i++)
            if (!reals_survive(json_array_get(value, i), precision, depth + 1)) return false;
    } else if (json_is_object(value)) {
        for (void *it = json_object_iter((json_t *)value); it;
             it = json_object_iter_next((json_t *)value, it))
            if (!reals_survive(json_object_iter_value(it), precision, depth + 1)) return false;
    }
    return true;
}

int http_json_real_precision(const json_t *value)
{
    for (int precision = 15; precision < 17; precision++)
        if (reals_survive(value, precision, 0)) return precision;
    return 17;
}

void http_respond_json(http_request *req, int status, json_t *value)
{
    req->answered = true;
    req->status = status;
    req->content_type = "application/json; charset=utf-8";
    buf_reset(&req->response);
    if (value) {
        char *text = json_dumps(value, JSON_COMPACT | JSON_ENCODE_ANY |
                                           JSON_REAL_PRECISION(http_json_real_precision(value)));
        if (text) {
            buf_append_cstr(&req->response, text);
            free(text);
        }
        json_decref(value);
    }
}

void http_respond_error_with(http_request *req, int status, const char *code, const char *field,
                             const char *message)
{
    json_t *error = json_pack("{s:s, s:s}", "code", code, "message", message);
    if (field && field[0]) json_object_set_new(error, "field", json_string(field));
    http_respond_json(req, status, json_pack("{s:o}", "error", error));
}

void http_respond_error(http_request *req, const mc_error *err)
{
    int status = err->status >= 400 && err->status <= 599 ? err->status : 500;
    http_respond_error_with(req, status, err->code[0] ? err->code : "internal_error", err->field,
                            err->message[0] ? err->message : "something went wrong");
}

void http_add_header(http_request *req, const char *name, const char *value)
{
    http_response_header *h = arena_alloc(&req->arena, sizeof *h);
    h->name = arena_strndup(&req->arena, name, strlen(name));
    h->value = arena_strndup(&req->arena, value, strlen(value));
    h->next = req->headers;
    req->headers = h;
}

int http_json_body(http_request *req, json_t **out, mc_error *err)
{
    if (req->body.n == 0)
        return mc_error_set(err, 400, "invalid_json", "body", "the request needs a JSON body");
    json_error_t jerr;
    json_t *value = json_loadb(req->body.p, req->body.n, JSON_REJECT_DUPLICATES, &jerr);
    if (!value)
        return mc_error_set(err, 400, "invalid_json", "body",
                            "the body is not valid JSON: %s (line %d, column %d)", jerr.text,
                            jerr.line, jerr.column);
    if (!json_is_object(value)) {
        json_decref(value);
        return mc_error_set(err, 400, "invalid_json", "body", "the body must be a JSON object");
    }
    *out = value;
    return 0;
}
