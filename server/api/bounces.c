/* POST /api/v1/bounces (a bounce or complaint learnt some other way) and
 * GET /api/v1/subscribers/{id}/bounces. */
#include "api/internal.h"
#include "track/bounce_store.h"

void api_bounces_create(http_request *req, void *ctx)
{
    api_context *api = ctx;
    json_t *body;
    PGconn *conn = api_body_and_db(req, api, &body);
    if (!conn) return;
    mc_error err;
    json_t *obj = bounce_create(conn, &api->app->config, api->app->secret, body, &err);
    json_decref(body);
    api_respond_object(req, 201, obj, &err);
}

void api_subscribers_bounces(http_request *req, void *ctx)
{
    mc_error err;
    long long id;
    api_page page;
    PGconn *conn = api_id_page_and_db(req, ctx, &id, &page);
    if (!conn) return;
    api_respond_object(req, 200, bounce_list(conn, id, page.after, page.limit, &err), &err);
}
