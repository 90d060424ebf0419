/* http_request: one HTTP exchange as handlers see it. Handlers read the method, path,
 * parameters, headers and body, and answer with one of the http_respond_* calls.
 * Memory for the request's lifetime comes from req->arena. */
#ifndef MC_HTTP_REQUEST_H
#define MC_HTTP_REQUEST_H

#include <jansson.h>
#include <stdbool.h>
#include <time.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/error.h"
#include "core/str.h"

#define HTTP_MAX_PARAMS 4

struct MHD_Connection;
struct sockaddr;
struct http_shared_response;
struct MHD_Response;

typedef struct http_response_header {
    const char *name;
    const char *value;
    struct http_response_header *next;
} http_response_header;

typedef struct http_request {
    struct MHD_Connection *connection;
    const char *method; /* borrowed from the HTTP library for the request's lifetime */
    const char *path;   /* without the query string */
    buf_t body;
    bool body_too_large;
    arena_t arena;
    struct timespec started;

    int route_index; /* -1 when no route matched */
    str_t params[HTTP_MAX_PARAMS];
    int param_count;

    /* set by the authentication step for handlers that need to know who asks */
    long long user_id;  /* 0 when the request is made with an API token */
    long long token_id; /* 0 when the request is made with a session */
    /* the user behind the request: the session's, or the one who made the token (0: none) */
    long long acting_user_id;
    int role; /* what the credentials may do (auth/roles.h), 0 without credentials */
    /* owned by the application layer: set in authorize, released in its after hook */
    void *local;

    /* the answer */
    bool answered;
    int status;
    const char *content_type;
    buf_t response;
    http_response_header *headers;
    struct http_stream *stream; /* set by http_respond_stream(); the body comes from it */
    const struct http_shared_response *shared; /* set by http_respond_shared() */
    struct http_upload *upload; /* the body of a ROUTE_UPLOAD route, on disk (http/upload.h) */
    bool refused_early;         /* an upload refused before its body: the answer is ready */
} http_request;

/* returns a request header (case-insensitive name), borrowed, or NULL */
const char *http_header(http_request *req, const char *name);
/* returns a query-string argument, decoded and borrowed, or NULL */
const char *http_query(http_request *req, const char *name);
/* returns a cookie value, borrowed, or NULL */
const char *http_cookie(http_request *req, const char *name);
/* returns the client's IP address as text, allocated in the request's arena */
const char *http_remote_addr(http_request *req);
/* returns the client's address (borrowed for the request's lifetime), or NULL */
const struct sockaddr *http_remote_sockaddr(http_request *req);
/* parses path parameter index as a positive id. returns 0, or -1 with a 404 in err */
int http_param_id(http_request *req, int index, long long *id, mc_error *err);

/* Answers with bytes; body is copied. */
void http_respond(http_request *req, int status, const char *content_type, const void *body,
                  size_t n);
/* Answers with value encoded as JSON; takes over the caller's reference to value. */
/* returns the smallest printf precision, 15 to 17 significant digits, at which every real
 * number in value reads back as the same double: jansson prints reals with 17 digits, so a
 * rate rounded to 12.3 would go out as 12.300000000000001; at the precision this returns it
 * goes out as 12.3, and no value anywhere in the document changes */
int http_json_real_precision(const json_t *value);
void http_respond_json(http_request *req, int status, json_t *value);
/* Answers {"error": {"code", "message", "field"}} with err->status. */
void http_respond_error(http_request *req, const mc_error *err);
/* Answers an error built from its parts. */
void http_respond_error_with(http_request *req, int status, const char *code, const char *field,
                             const char *message);
/* A constant answer built once at start-up (a tracking pixel) and shared by every request
 * and thread: no copy and no header added per request. */
typedef struct http_shared_response http_shared_response;
/* returns the answer of status with body (borrowed: must outlive it) and headers, a
 * NULL-terminated list of name, value, name, value...; caller frees with
 * http_shared_response_free() after the server stopped. */
http_shared_response *http_shared_response_new(int status, const char *content_type,
                                               const void *body, size_t n,
                                               const char *const *headers);
void http_shared_response_free(http_shared_response *r);
/* Answers with r. */
void http_respond_shared(http_request *req, const http_shared_response *r);
/* returns r's libmicrohttpd response, for the server to queue (borrowed) */
struct MHD_Response *http_shared_response_get(const http_shared_response *r);
/* Adds a response header; name and value are copied into the request's arena. */
void http_add_header(http_request *req, const char *name, const char *value);

/* Parses the body as a JSON object. returns 0 with *out (caller frees with json_decref()), or
 * -1 with a 400 in err whose message names the line and column of the problem. */
int http_json_body(http_request *req, json_t **out, mc_error *err);

#endif
