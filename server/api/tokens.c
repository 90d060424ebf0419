/* GET/POST /api/v1/tokens, DELETE /api/v1/tokens/{id}. Admins see and revoke every token;
 * others only the tokens they made. */
#include <stdio.h>

#include "api/internal.h"
#include "auth/tokens.h"

void api_tokens_create(http_request *req, void *ctx)
{
    api_context *api = ctx;
    mc_error err;
    json_t *body = NULL;
    const char *name;
    mc_role role;
    if (http_json_body(req, &body, &err) < 0 || api_json_string(body, "name", &name, &err) < 0 ||
        api_json_role(body, (mc_role)req->role, &role, &err) < 0) {
        json_decref(body);
        http_respond_error(req, &err);
        return;
    }
    if ((int)role > req->role) {
        json_decref(body);
        mc_error_set(&err, 403, "forbidden", "role",
                     "a token cannot have the %s role: it is above yours (%s)", role_name(role),
                     role_name((mc_role)req->role));
        http_respond_error(req, &err);
        return;
    }
    PGconn *conn = api_db(req, api);
    json_t *token = conn ? token_create(conn, name, role, req->acting_user_id, &err) : NULL;
    json_decref(body);
    if (!conn) return;
    if (!token) {
        http_respond_error(req, &err);
        return;
    }
    http_respond_json(req, 201, token);
}

/* returns whose tokens the request may see and revoke */
static long long token_owner(const http_request *req)
{
    return req->role == ROLE_ADMIN ? TOKENS_OF_EVERYONE : req->acting_user_id;
}

void api_tokens_list(http_request *req, void *ctx)
{
    api_page page;
    PGconn *conn = api_page_and_db(req, ctx, &page);
    if (!conn) return;
    mc_error err;
    api_respond_object(req, 200,
                       token_list(conn, token_owner(req), page.after, page.limit, page.total, &err),
                       &err);
}

void api_tokens_revoke(http_request *req, void *ctx)
{
    api_context *api = ctx;
    mc_error err;
    long long id;
    PGconn *conn = api_id_and_db(req, api, &id);
    if (!conn) return;
    if (token_revoke(conn, token_owner(req), id, &err) < 0) {
        http_respond_error(req, &err);
        return;
    }
    http_respond(req, 204, NULL, "", 0);
}
