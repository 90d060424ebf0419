/* GET /api/v1/messages/{id} and GET /api/v1/campaigns/{id}/progress: where mail stands. */
#include "api/internal.h"
#include "campaign/campaign_progress.h"
#include "queue/message_store.h"
#include "queue/warmup.h"

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
    json_t *progress = campaign_progress(conn, id, &err);
    /* the schedules are the process's configuration, not the campaign's */
    const mail_setup *mail = &((api_context *)ctx)->app->mail;
    json_t *warmup =
        progress ? warmup_progress(conn, &mail->warmup, &mail->relays, id, &err) : NULL;
    if (progress && !warmup) {
        json_decref(progress);
        progress = NULL;
    }
    if (progress) json_object_set_new(progress, "warmup", warmup);
    api_respond_object(req, 200, progress, &err);
}
