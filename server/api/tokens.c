/* GET/POST /api/v1/tokens, DELETE /api/v1/tokens/{id} */
#include <stdio.h>

#include "api/internal.h"
#include "auth/tokens.h"

void api_tokens_create(http_request *req, void *ctx)
{
    api_context *api = ctx;
    mc_error err;
    json_t *body = NULL;
    const char *name;
    if (http_json_body(req, &body, &err) < 0 || api_json_string(body, "name", &name, &err) < 0) {
        json_decref(body);
        http_respond_error(req, &err);
        return;
    }
    PGconn *conn = api_db(req, api);
    json_t *token = conn ? token_create(conn, name, req->user_id, &err) : NULL;
    json_decref(body);
    if (!conn) return;
    if (!token) {
        http_respond_error(req, &err);
        return;
    }
    http_respond_json(req, 201, token);
}

void api_tokens_list(http_request *req, void *ctx)
{
    api_page page;
    PGconn *conn = api_page_and_db(req, ctx, &page);
    if (!conn) return;
    mc_error err;
    api_respond_object(req, 200, token_list(conn, page.after, page.limit, page.total, &err), &err);
}

void api_tokens_revoke(http_request *req, void *ctx)
{
    api_context *api = ctx;
    mc_error err;
    long long id;
    PGconn *conn = api_id_and_db(req, api, &id);
    if (!conn) return;
    if (token_revoke(conn, id, &err) < 0) {
        http_respond_error(req, &err);
        return;
    }
    http_respond(req, 204, NULL, "", 0);
}
