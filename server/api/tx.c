/* POST /api/v1/tx: queue one transactional message; Idempotency-Key makes a retry send once. */
#include "api/internal.h"
#include "content/template_source.h"
#include "queue/transactional.h"

/* A subject must compile against the stored layouts and the built-in ones (templates_dir). */
static int check_subject(void *templates_dir, PGconn *conn, const char *field, const char *text,
                         mc_error *err)
{
    template_source src = {conn, templates_dir};
    return template_source_compile(&src, field, text, NULL, err);
}

void api_tx_create(http_request *req, void *ctx)
{
    api_context *api = ctx;
    json_t *body;
    PGconn *conn = api_body_and_db(req, api, &body);
    if (!conn) return;
    mc_error err;
    bool replayed = false;
    /* a message without a sender would only fail in the queue, later and less clearly */
    json_t *obj = mail_setup_require_from(&api->app->config, "from_email", &err) < 0
                      ? NULL
                      : tx_enqueue(conn, check_subject, api->app->config.templates_dir, body,
                                   http_header(req, "Idempotency-Key"), &replayed, &err);
    json_decref(body);
    if (obj && replayed) http_add_header(req, "Idempotent-Replayed", "true");
    api_respond_object(req, 202, obj, &err);
}
