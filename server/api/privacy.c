/* GET /api/v1/subscribers/{id}/export and POST /api/v1/subscribers/{id}/erase */
#include "api/internal.h"
#include "audience/privacy.h"

void api_subscribers_person_export(http_request *req, void *ctx)
{
    mc_error err;
    long long id;
    PGconn *conn = api_id_and_db(req, ctx, &id);
    if (!conn) return;
    json_t *doc = privacy_export(conn, id, &err);
    if (doc) http_add_header(req, "Cache-Control", "no-store");
    api_respond_object(req, 200, doc, &err);
}

void api_subscribers_erase(http_request *req, void *ctx)
{
    api_context *api = ctx;
    mc_error err;
    long long id;
    PGconn *conn = api_id_and_db(req, api, &id);
    if (!conn) return;
    if (privacy_erase(conn, api->app->secret, id, &err) < 0)
        http_respond_error(req, &err);
    else
        http_respond(req, 204, NULL, "", 0);
}
