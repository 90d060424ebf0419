/* POST /api/v1/events (one event or a batch from a shop) and
 * GET /api/v1/subscribers/{id}/events. The work is automation/events.c's. */
#include "api/internal.h"
#include "automation/events.h"

void api_events_create(http_request *req, void *ctx)
{
    api_context *api = ctx;
    json_t *body;
    PGconn *conn = api_body_and_db(req, api, &body);
    if (!conn) return;
    mc_error err;
    bool batch = false;
    json_t *answer = events_ingest(conn, &api->app->config, api->app->secret, body, &batch, &err);
    json_decref(body);
    /* 202: stored and committed; the triggers react to it in the worker's next pass */
    api_respond_object(req, 202, answer, &err);
}

void api_subscribers_events(http_request *req, void *ctx)
{
    mc_error err;
    long long id;
    api_page page;
    PGconn *conn = api_id_page_and_db(req, ctx, &id, &page);
    if (!conn) return;
    api_respond_object(req, 200, events_list(conn, id, page.after, page.limit, &err), &err);
}
