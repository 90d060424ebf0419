/* GET /api/v1/settings/relays and POST /api/v1/settings/relays/{name}/test: the [smtp.NAME]
 * relays the server loaded at start-up (never their passwords), and a connection test of one
 * that sends no mail. */
#include <string.h>

#include "api/internal.h"
#include "mail/relay_probe.h"

static const char *tls_name(relay_tls tls)
{
    switch (tls) {
    case RELAY_TLS_OFF:
        return "off";
    case RELAY_TLS_OPPORTUNISTIC:
        return "opportunistic";
    case RELAY_TLS_STARTTLS:
        return "starttls";
    case RELAY_TLS_IMPLICIT:
        return "implicit";
    }
    return "off";
}

/* returns a string, or JSON null for NULL */
static json_t *string_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}

/* returns the relay as the API shows it (a new reference) */
static json_t *relay_json(const relay_config *r)
{
    json_t *o = json_object();
    json_object_set_new(o, "name", json_string(r->name));
    json_object_set_new(o, "host", json_string(r->host));
    json_object_set_new(o, "port", json_integer(r->port));
    json_object_set_new(o, "tls", json_string(tls_name(r->tls)));
    json_object_set_new(o, "username", string_or_null(r->username));
    json_object_set_new(o, "helo", string_or_null(r->helo));
    json_object_set_new(o, "group", string_or_null(r->group));
    json_object_set_new(o, "ca_file", string_or_null(r->ca_file));
    json_object_set_new(o, "weight", json_integer(r->weight));
    json_object_set_new(o, "max_connections", json_integer(r->max_connections));
    json_object_set_new(o, "messages_per_connection", json_integer(r->messages_per_connection));
    json_object_set_new(o, "rate", json_real(r->rate));
    json_object_set_new(o, "max_per_hour", json_integer(r->max_per_hour));
    json_object_set_new(o, "max_per_day", json_integer(r->max_per_day));
    json_object_set_new(o, "timeout_ms", json_integer(r->timeout_ms));
    return o;
}

void api_settings_relays(http_request *req, void *ctx)
{
    api_context *api = ctx;
    const mail_setup *mail = &api->app->mail;
    json_t *relays = json_array();
    for (size_t i = 0; i < mail->relays.count; i++)
        json_array_append_new(relays, relay_json(&mail->relays.relays[i]));
    http_respond_json(req, 200,
                      json_pack("{s:s, s:s?, s:o}", "transport",
                                mail->relays.count ? "smtp" : "capture", "outbox_dir",
                                mail->relays.count ? NULL : mail->outbox_dir, "relays", relays));
}

void api_settings_relays_test(http_request *req, void *ctx)
{
    api_context *api = ctx;
    char name[256];
    str_t p = req->params[0];
    const relay_config *relay = NULL;
    if (p.n < sizeof name) {
        memcpy(name, p.p, p.n);
        name[p.n] = '\0';
        relay = relay_set_find(&api->app->mail.relays, name);
    }
    if (!relay) {
        http_respond_error_with(req, 404, "not_found", "name",
                                "no [smtp.NAME] relay has that name");
        return;
    }
    /* blocks this request's thread for the relay's timeout at most (a few times over for
     * connect, TLS and AUTH): an admin's action, rare enough for a pool thread */
    relay_probe_result result;
    relay_probe(relay, &result);
    http_respond_json(req, 200,
                      json_pack("{s:s, s:b, s:s, s:i, s:s, s:I}", "relay", relay->name, "ok",
                                result.ok, "stage", result.stage, "code", result.code, "reply",
                                result.reply, "elapsed_ms", (json_int_t)result.elapsed_ms));
}
