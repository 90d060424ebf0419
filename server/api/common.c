/* Authentication in front of every API route, and the helpers every handler shares: the
 * request's connection, ids, bodies and pages, and answers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/internal.h"
#include "auth/roles.h"
#include "auth/sessions.h"
#include "auth/tokens.h"
#include "core/secret.h"
#include "http/static_files.h"

#define DB_WAIT_MS 5000

PGconn *api_db(http_request *req, api_context *ctx)
{
    if (req->local) return req->local;
    mc_error err;
    req->local = db_pool_acquire(ctx->app->pool, DB_WAIT_MS, &err);
    if (!req->local) http_respond_error(req, &err);
    return req->local;
}

void api_respond_error_with_id(http_request *req, const mc_error *err, long long existing_id)
{
    if (err->status != 409 || existing_id <= 0) {
        http_respond_error(req, err);
        return;
    }
    json_t *error = json_pack("{s:s, s:s, s:s, s:I}", "code", err->code, "message", err->message,
                              "field", err->field, "id", (json_int_t)existing_id);
    http_respond_json(req, 409, json_pack("{s:o}", "error", error));
}

PGconn *api_body_and_db(http_request *req, api_context *ctx, json_t **body)
{
    mc_error err;
    *body = NULL;
    if (http_json_body(req, body, &err) < 0) {
        http_respond_error(req, &err);
        return NULL;
    }
    PGconn *conn = api_db(req, ctx);
    if (!conn) {
        json_decref(*body);
        *body = NULL;
    }
    return conn;
}

void api_respond_object(http_request *req, int status, json_t *obj, const mc_error *err)
{
    if (obj)
        http_respond_json(req, status, obj);
    else
        http_respond_error(req, err);
}

PGconn *api_id_and_db(http_request *req, void *ctx, long long *id)
{
    mc_error err;
    if (http_param_id(req, 0, id, &err) < 0) {
        http_respond_error(req, &err);
        return NULL;
    }
    return api_db(req, ctx);
}

PGconn *api_id_body_and_db(http_request *req, void *ctx, long long *id, json_t **body)
{
    mc_error err;
    *body = NULL;
    if (http_param_id(req, 0, id, &err) < 0) {
        http_respond_error(req, &err);
        return NULL;
    }
    return api_body_and_db(req, ctx, body);
}

PGconn *api_page_and_db(http_request *req, void *ctx, api_page *page)
{
    mc_error err;
    if (api_page_parse(req, page, &err) < 0) {
        http_respond_error(req, &err);
        return NULL;
    }
    return api_db(req, ctx);
}

PGconn *api_id_page_and_db(http_request *req, void *ctx, long long *id, api_page *page)
{
    mc_error err;
    if (http_param_id(req, 0, id, &err) < 0 || api_page_parse(req, page, &err) < 0) {
        http_respond_error(req, &err);
        return NULL;
    }
    return api_db(req, ctx);
}

void api_after(http_request *req, void *ctx)
{
    api_context *api = ctx;
    if (req->local) db_pool_release(api->app->pool, req->local);
    req->local = NULL;
}

static bool is_safe_method(const char *method)
{
    return !strcmp(method, "GET") || !strcmp(method, "HEAD") || !strcmp(method, "OPTIONS");
}

static void refuse(http_request *req, int status, const char *code, const char *message)
{
    if (status == 401) http_add_header(req, "WWW-Authenticate", "Bearer realm=\"mailcast\"");
    http_respond_error_with(req, status, code, "", message);
}

int api_route_role(const http_route *route)
{
    unsigned roles = route->flags & ROUTE_ROLES;
    if (!(route->flags & ROUTE_API) || (route->flags & ROUTE_PUBLIC)) return roles ? -1 : ROLE_NONE;
    switch (roles) {
    case ROUTE_VIEWER:
        return ROLE_VIEWER;
    case ROUTE_EDITOR:
        return ROLE_EDITOR;
    case ROUTE_ADMIN:
        return ROLE_ADMIN;
    default:
        return -1;
    }
}

/* Answers 403 when the credentials' role is below the route's. A route that declares no role
 * is refused to everyone (and fails the route table's test) rather than left open. */
static bool role_allows(http_request *req, const http_route *route)
{
    int needed = api_route_role(route);
    if (needed < 0) {
        http_respond_error_with(req, 500, "internal", "",
                                "this route declares no role; it is refused to everyone");
        return false;
    }
    if (req->role >= needed) return true;
    char message[160];
    snprintf(message, sizeof message, "%s %s needs the %s role; these credentials have the %s role",
             route->method, route->pattern, role_name((mc_role)needed),
             role_name((mc_role)req->role));
    /* "field" is present, empty: the refusal concerns the credentials, not a member */
    http_respond_json(req, 403,
                      json_pack("{s:{s:s, s:s, s:s}}", "error", "code", "forbidden", "message",
                                message, "field", ""));
    return false;
}

bool api_authorize(http_request *req, const http_route *route, void *ctx)
{
    if (!(route->flags & ROUTE_API) || (route->flags & ROUTE_PUBLIC)) return true;
    api_context *api = ctx;
    mc_error err;
    const char *authorization = http_header(req, "Authorization");
    if (authorization) {
        if (strncasecmp(authorization, "Bearer ", 7) != 0) {
            refuse(req, 401, "unauthorized", "the Authorization header must be 'Bearer TOKEN'");
            return false;
        }
        PGconn *conn = api_db(req, api);
        if (!conn) return false;
        mc_role role = ROLE_NONE;
        int rc = token_lookup(conn, authorization + 7, &req->token_id, &role, &req->acting_user_id,
                              &err);
        if (rc < 0) {
            http_respond_error(req, &err);
            return false;
        }
        if (rc == 1) {
            refuse(req, 401, "unauthorized", "the API token is unknown or revoked");
            return false;
        }
        req->role = (int)role;
        return role_allows(req, route);
    }
    const char *cookie = http_cookie(req, SESSION_COOKIE);
    if (!cookie) {
        refuse(req, 401, "unauthorized", "log in or send an API token");
        return false;
    }
    PGconn *conn = api_db(req, api);
    if (!conn) return false;
    char csrf[SESSION_TOKEN_MAX];
    mc_role role = ROLE_NONE;
    int rc = session_lookup(conn, cookie, &req->user_id, &role, csrf, &err);
    if (rc < 0) {
        http_respond_error(req, &err);
        return false;
    }
    if (rc == 1) {
        refuse(req, 401, "unauthorized", "the session has expired; log in again");
        return false;
    }
    if (!is_safe_method(req->method)) {
        const char *sent = http_header(req, "X-CSRF-Token");
        if (!sent || !secret_equal(sent, csrf)) {
            refuse(req, 403, "csrf_failed",
                   "the X-CSRF-Token header is missing or does not match the session");
            return false;
        }
    }
    req->acting_user_id = req->user_id;
    req->role = (int)role;
    return role_allows(req, route);
}

int api_page_parse(http_request *req, api_page *page, mc_error *err)
{
    page->after = 0;
    page->limit = 50;
    page->total = false;
    const char *limit = http_query(req, "limit");
    if (limit) {
        char *end;
        long v = strtol(limit, &end, 10);
        if (!limit[0] || *end || v < 1 || v > 1000)
            return mc_error_set(err, 400, "invalid_field", "limit",
                                "limit must be a number from 1 to 1000");
        page->limit = (int)v;
    }
    const char *cursor = http_query(req, "cursor");
    if (cursor && cursor[0]) {
        char *end;
        long long v = strtoll(cursor, &end, 10);
        if (*end || v < 0)
            return mc_error_set(err, 400, "invalid_field", "cursor",
                                "cursor must be a value returned as next_cursor");
        page->after = v;
    }
    const char *total = http_query(req, "total");
    if (total) {
        if (!strcmp(total, "true") || !strcmp(total, "1"))
            page->total = true;
        else if (strcmp(total, "false") && strcmp(total, "0"))
            return mc_error_set(err, 400, "invalid_field", "total", "total must be true or false");
    }
    return 0;
}

int api_json_string(json_t *obj, const char *field, const char **out, mc_error *err)
{
    json_t *v = json_object_get(obj, field);
    if (!v) return mc_error_set(err, 400, "invalid_field", field, "%s is required", field);
    if (!json_is_string(v))
        return mc_error_set(err, 400, "invalid_field", field, "%s must be a string", field);
    *out = json_string_value(v);
    return 0;
}

int api_json_role(json_t *obj, mc_role fallback, mc_role *out, mc_error *err)
{
    json_t *v = json_object_get(obj, "role");
    *out = fallback;
    if (!v) return 0;
    return role_parse(json_string_value(v), "role", out, err);
}

bool api_dashboard(http_request *req, void *ctx)
{
    api_context *api = ctx;
    return http_static_serve(req, api->app->config.web_dir);
}
