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
    if (http_param_id(req, 0, &id, &err) < 0 || api_page_parse(req, &page, &err) < 0) {
        http_respond_error(req, &err);
        return;
    }
    PGconn *conn = api_db(req, ctx);
    if (!conn) return;
    api_respond_object(req, 200, bounce_list(conn, id, page.after, page.limit, &err), &err);
}
