/* POST /webhooks/{ses,sendgrid,postmark,mailgun}: public routes (no session or API token);
 * each provider authenticates itself as track/webhooks.h checks. */
#include "api/internal.h"
#include "track/webhooks.h"

static void receive(http_request *req, void *ctx, webhook_provider provider)
{
    api_context *api = ctx;
    mc_error err;
    if (req->body_too_large) {
        http_respond_error_with(req, 413, "too_large", "body", "the body is too large");
        return;
    }
    PGconn *conn = api_db(req, api);
    if (!conn) return;
    webhook_headers headers = {http_header(req, "Authorization"),
                               http_header(req, "X-Twilio-Email-Event-Webhook-Signature"),
                               http_header(req, "X-Twilio-Email-Event-Webhook-Timestamp")};
    long long n = webhook_receive(api->app, conn, provider, buf_view(&req->body), &headers, &err);
    if (n < 0) {
        if (err.status == 401) http_add_header(req, "WWW-Authenticate", "Basic realm=\"mailcast\"");
        http_respond_error(req, &err);
        return;
    }
    http_respond_json(req, 200, json_pack("{s:I}", "recorded", (json_int_t)n));
}

void api_webhooks_ses(http_request *req, void *ctx)
{
    receive(req, ctx, WEBHOOK_SES);
}

void api_webhooks_sendgrid(http_request *req, void *ctx)
{
    receive(req, ctx, WEBHOOK_SENDGRID);
}

void api_webhooks_postmark(http_request *req, void *ctx)
{
    receive(req, ctx, WEBHOOK_POSTMARK);
}

void api_webhooks_mailgun(http_request *req, void *ctx)
{
    receive(req, ctx, WEBHOOK_MAILGUN);
}
