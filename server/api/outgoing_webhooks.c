/* /api/v1/webhooks: the outgoing webhooks, their delivery log and a test delivery. (The
 * providers' bounce webhooks coming in are in webhooks.c.) */
#include "api/internal.h"
#include "automation/webhooks.h"

void api_outgoing_webhooks_list(http_request *req, void *ctx)
{
    api_page page;
    PGconn *conn = api_page_and_db(req, ctx, &page);
    if (!conn) return;
    mc_error err;
    api_respond_object(req, 200, webhook_list(conn, page.after, page.limit, page.total, &err),
                       &err);
}

void api_outgoing_webhooks_create(http_request *req, void *ctx)
{
    api_context *api = ctx;
    json_t *body;
    PGconn *conn = api_body_and_db(req, ctx, &body);
    if (!conn) return;
    mc_error err;
    json_t *obj = webhook_create(conn, body, api->app->config.webhooks_allow_private, &err);
    json_decref(body);
    api_respond_object(req, 201, obj, &err);
}

void api_outgoing_webhooks_get(http_request *req, void *ctx)
{
    mc_error err;
    long long id;
    PGconn *conn = api_id_and_db(req, ctx, &id);
    if (!conn) return;
    api_respond_object(req, 200, webhook_get(conn, id, &err), &err);
}

static void update(http_request *req, void *ctx, bool replace)
{
    api_context *api = ctx;
    mc_error err;
    long long id;
    json_t *body;
    PGconn *conn = api_id_body_and_db(req, ctx, &id, &body);
    if (!conn) return;
    json_t *obj =
        webhook_update(conn, id, body, replace, api->app->config.webhooks_allow_private, &err);
    json_decref(body);
    api_respond_object(req, 200, obj, &err);
}

void api_outgoing_webhooks_put(http_request *req, void *ctx)
{
    update(req, ctx, true);
}

void api_outgoing_webhooks_patch(http_request *req, void *ctx)
{
    update(req, ctx, false);
}

void api_outgoing_webhooks_delete(http_request *req, void *ctx)
{
    mc_error err;
    long long id;
    PGconn *conn = api_id_and_db(req, ctx, &id);
    if (!conn) return;
    if (webhook_delete(conn, id, &err) < 0)
        http_respond_error(req, &err);
    else
        http_respond(req, 204, NULL, "", 0);
}

void api_outgoing_webhooks_deliveries(http_request *req, void *ctx)
{
    mc_error err;
    long long id;
    if (http_param_id(req, 0, &id, &err) < 0) {
        http_respond_error(req, &err);
        return;
    }
    api_page page;
    PGconn *conn = api_page_and_db(req, ctx, &page);
    if (!conn) return;
    api_respond_object(req, 200,
                       webhook_deliveries(conn, id, http_query(req, "state"), page.after,
                                          page.limit, page.total, &err),
                       &err);
}

void api_outgoing_webhooks_test(http_request *req, void *ctx)
{
    mc_error err;
    long long id;
    PGconn *conn = api_id_and_db(req, ctx, &id);
    if (!conn) return;
    api_respond_object(req, 202, webhook_queue_test(conn, id, &err), &err);
}
