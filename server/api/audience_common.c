/* Helpers the audience handlers share: origin of a change, bodies, answers. */
#include "api/internal.h"

void api_audience_origin(http_request *req, api_context *ctx, audience_origin *origin)
{
    origin->secret = ctx->app->secret;
    origin->source = "api";
    origin->remote_addr = http_remote_addr(req);
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
