/* GET /api/v1/messages/{id} and GET /api/v1/campaigns/{id}/progress: where mail stands. */
#include "api/internal.h"
#include "campaign/campaign_progress.h"
#include "queue/message_store.h"

void api_messages_get(http_request *req, void *ctx)
{
    mc_error err;
    long long id;
    PGconn *conn = api_id_and_db(req, ctx, &id);
    if (!conn) return;
    api_respond_object(req, 200, message_get(conn, id, &err), &err);
}

void api_campaigns_progress(http_request *req, void *ctx)
{
    mc_error err;
    long long id;
    PGconn *conn = api_id_and_db(req, ctx, &id);
    if (!conn) return;
    api_respond_object(req, 200, campaign_progress(conn, id, &err), &err);
}
