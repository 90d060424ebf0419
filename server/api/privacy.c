/* GET /api/v1/subscribers/{id}/export and POST /api/v1/subscribers/{id}/erase */
#include "api/internal.h"
#include "audience/privacy.h"
#include "core/log.h"
#include "mail/transport_capture.h"
#include "queue/enqueue.h"

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

/* privacy_erase_others: the mail the queue holds for the address without naming the person,
 * and the person's copies in the capture outbox, which holds whole messages with their address */
static int erase_elsewhere(void *ctx, PGconn *conn, const char *email, mc_error *err)
{
    const api_context *api = ctx;
    if (queue_forget_address(conn, email, err) < 0) return -1;
    size_t removed;
    if (capture_remove_recipient(api->app->mail.outbox_dir, str_from_cstr(email), &removed, err) <
        0)
        return -1;
    if (removed) log_info("erase: deleted %zu captured messages from the outbox", removed);
    return 0;
}

void api_subscribers_erase(http_request *req, void *ctx)
{
    api_context *api = ctx;
    mc_error err;
    long long id;
    PGconn *conn = api_id_and_db(req, api, &id);
    if (!conn) return;
    if (privacy_erase(conn, api->app->secret, id, erase_elsewhere, api, &err) < 0)
        http_respond_error(req, &err);
    else
        http_respond(req, 204, NULL, "", 0);
}
