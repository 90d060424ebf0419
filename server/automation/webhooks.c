/* Webhook rows: checking what a client sends (URL, events, secret), and the delivery log. */
#include "automation/webhooks.h"

#include <curl/curl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "audience/input.h"
#include "automation/webhook_address.h"
#include "core/buf.h"
#include "db/json_rows.h"
#include "db/query.h"

const char *const WEBHOOK_EVENTS[] = {"subscriber.created",
                                      "subscriber.unsubscribed",
                                      "message.sent",
                                      "message.bounced",
                                      "message.complained",
                                      "message.opened",
                                      "message.clicked",
                                      "campaign.finished",
                                      "campaign.paused",
                                      "trigger.sent",
                                      NULL};

#define URL_MAX    2048
#define SECRET_MIN 16
#define SECRET_MAX 200

#define WEBHOOK_JSON                                                                               \
    "json_build_object('id', id, 'url', url, 'events', events, 'enabled', enabled,"                \
    " 'created_at', mc_rfc3339(created_at), 'updated_at', mc_rfc3339(updated_at))::text"

#define DELIVERY_JSON                                                                              \
    "json_build_object('id', d.id, 'webhook_id', d.webhook_id, 'event', d.event, 'event_id',"      \
    " d.event_key, 'state', d.state, 'attempts', d.attempts, 'last_status', d.last_status,"        \
    " 'last_error', d.last_error, 'last_duration_ms', d.last_duration_ms, 'last_attempt_at',"      \
    " mc_rfc3339(d.last_attempt_at), 'next_attempt_at', CASE WHEN d.state = 'pending'"             \
    " THEN mc_rfc3339(d.next_attempt_at) END, 'occurred_at', mc_rfc3339(d.occurred_at),"           \
    " 'created_at', mc_rfc3339(d.created_at), 'delivered_at', mc_rfc3339(d.delivered_at),"         \
    " 'payload', d.payload, 'log', (SELECT COALESCE(json_agg(json_build_object('attempt',"         \
    " a.attempt, 'status', a.status, 'error', a.error, 'duration_ms', a.duration_ms,"              \
    " 'started_at', mc_rfc3339(a.started_at)) ORDER BY a.attempt), '[]')"                          \
    " FROM webhook_attempts a WHERE a.delivery_id = d.id))::text"

static const char *const WEBHOOK_FIELDS[] = {"url", "events", "secret", "enabled", NULL};

typedef struct {
    char *url;
    buf_t events; /* array literal; empty when absent */
    char *secret;
    const char *enabled; /* "true", "false" or NULL when absent */
    bool secret_generated;
} webhook_input;

static void input_free(webhook_input *in)
{
    free(in->url);
    buf_free(&in->events);
    free(in->secret);
}

/* http(s), no credentials in it, a host; a literal private address only when allowed */
static int check_url(const char *url, bool allow_private, mc_error *err)
{
    if (strlen(url) > URL_MAX)
        return mc_error_set(err, 400, "invalid_field", "url", "url must be at most %d bytes",
                            URL_MAX);
    CURLU *u = curl_url();
    char *scheme = NULL, *host = NULL, *user = NULL, *password = NULL;
    int rc = 0;
    if (!u) abort(); /* only fails when out of memory */
    if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK || !host[0])
        rc = mc_error_set(err, 400, "invalid_field", "url", "url must be an absolute http(s) URL");
    else if (strcasecmp(scheme, "http") && strcasecmp(scheme, "https"))
        rc = mc_error_set(err, 400, "invalid_field", "url",
                          "url must start with http:// or https://");
    else if (curl_url_get(u, CURLUPART_USER, &user, 0) == CURLUE_OK ||
             curl_url_get(u, CURLUPART_PASSWORD, &password, 0) == CURLUE_OK)
        rc = mc_error_set(err, 400, "invalid_field", "url",
                          "url must not carry a user name or password");
    else if (!allow_private) {
        const char *why = webhook_host_refusal(host);
        if (why)
            rc = mc_error_set(err, 400, "invalid_field", "url",
                              "url points to a %s address; set [webhooks] allow_private = true to "
                              "allow it",
                              why);
    }
    curl_free(scheme);
    curl_free(host);
    curl_free(user);
    curl_free(password);
    curl_url_cleanup(u);
    return rc;
}

static bool known_event(const char *name)
{
    for (size_t i = 0; WEBHOOK_EVENTS[i]; i++)
        if (!strcmp(name, WEBHOOK_EVENTS[i])) return true;
    return false;
}

/* Reads events (when present) into out as an array literal of known, distinct names. */
static int parse_events(json_t *v, buf_t *out, mc_error *err)
{
    if (!json_is_array(v) || json_array_size(v) == 0 || json_array_size(v) > 20)
        return mc_error_set(err, 400, "invalid_field", "events",
                            "events must be an array of 1 to 20 event names");
    buf_putc(out, '{');
    size_t i;
    json_t *item;
    json_array_foreach(v, i, item)
    {
        char field[32];
        snprintf(field, sizeof field, "events[%zu]", i);
        const char *name = json_string_value(item);
        if (!name || !known_event(name)) {
            buf_t known = BUF_INIT;
            for (size_t k = 0; WEBHOOK_EVENTS[k]; k++)
                buf_appendf(&known, "%s%s", k ? ", " : "", WEBHOOK_EVENTS[k]);
            mc_error_set(err, 400, "invalid_field", field, "%s must be one of: %s", field,
                         buf_cstr(&known));
            buf_free(&known);
            return -1;
        }
        for (size_t j = 0; j < i; j++)
            if (!strcmp(name, json_string_value(json_array_get(v, j))))
                return mc_error_set(err, 400, "invalid_field", field, "%s repeats %s", field, name);
        buf_appendf(out, "%s%s", i ? "," : "", name);
    }
    buf_putc(out, '}');
    return 0;
}

/* A new secret: 32 random bytes as hex, shown to the client once. */
static char *generate_secret(void)
{
    unsigned char raw[32];
    randombytes_buf(raw, sizeof raw);
    char *hex = malloc(sizeof raw * 2 + 1);
    if (!hex) abort();
    sodium_bin2hex(hex, sizeof raw * 2 + 1, raw, sizeof raw);
    return hex;
}

static int parse_input(json_t *body, bool required, bool allow_private, webhook_input *in,
                       mc_error *err)
{
    memset(in, 0, sizeof *in);
    if (!json_is_object(body))
        return mc_error_set(err, 400, "invalid_body", "", "the body must be a JSON object");
    if (input_known_fields(body, WEBHOOK_FIELDS, err) < 0 ||
        input_string(body, "url", 1, URL_MAX, &in->url, err) < 0)
        return -1;
    if (!in->url && required)
        return mc_error_set(err, 400, "invalid_field", "url", "url is required");
    if (in->url && check_url(in->url, allow_private, err) < 0) return -1;
    json_t *events = json_object_get(body, "events");
    if (events && !json_is_null(events)) {
        if (parse_events(events, &in->events, err) < 0) return -1;
    } else if (required)
        return mc_error_set(err, 400, "invalid_field", "events", "events is required");
    json_t *secret = json_object_get(body, "secret");
    if (secret && !json_is_null(secret)) {
        const char *text = json_string_value(secret);
        size_t n = text ? json_string_length(secret) : 0;
        if (!text || n < SECRET_MIN || n > SECRET_MAX || memchr(text, '\0', n))
            return mc_error_set(err, 400, "invalid_field", "secret",
                                "secret must be a string of %d to %d bytes", SECRET_MIN,
                                SECRET_MAX);
        in->secret = strdup(text);
    }
    json_t *enabled = json_object_get(body, "enabled");
    if (enabled && !json_is_null(enabled)) {
        if (!json_is_boolean(enabled))
            return mc_error_set(err, 400, "invalid_field", "enabled",
                                "enabled must be true or false");
        in->enabled = json_is_true(enabled) ? "true" : "false";
    }
    return 0;
}

static const char *events_param(const webhook_input *in)
{
    return in->events.n ? buf_cstr(&in->events) : NULL;
}

json_t *webhook_create(PGconn *conn, json_t *body, bool allow_private, mc_error *err)
{
    webhook_input in;
    json_t *obj = NULL;
    if (parse_input(body, true, allow_private, &in, err) == 0) {
        if (!in.secret) {
            in.secret = generate_secret();
            in.secret_generated = true;
        }
        const char *params[] = {in.url, events_param(&in), in.secret, in.enabled};
        PGresult *res = db_query(conn,
                                 "INSERT INTO webhooks (url, events, secret, enabled)"
                                 " VALUES ($1, $2::text[], $3, COALESCE($4::boolean, true))"
                                 " RETURNING " WEBHOOK_JSON,
                                 4, params, err);
        if (res) obj = db_json_one(res, "webhook", 0, err);
        if (obj && in.secret_generated) json_object_set_new(obj, "secret", json_string(in.secret));
    }
    input_free(&in);
    return obj;
}

json_t *webhook_get(PGconn *conn, long long id, mc_error *err)
{
    char id_text[32];
    snprintf(id_text, sizeof id_text, "%lld", id);
    const char *params[] = {id_text};
    PGresult *res =
        db_query(conn, "SELECT " WEBHOOK_JSON " FROM webhooks WHERE id = $1", 1, params, err);
    return res ? db_json_one(res, "webhook", id, err) : NULL;
}

/* Enabling a webhook again, or giving it an event it did not have, starts its subscription
 * afresh (subscribed_at): it gets what happens from then on, not the history before. */
json_t *webhook_update(PGconn *conn, long long id, json_t *body, bool replace, bool allow_private,
                       mc_error *err)
{
    webhook_input in;
    json_t *obj = NULL;
    if (parse_input(body, replace, allow_private, &in, err) == 0) {
        char id_text[32];
        snprintf(id_text, sizeof id_text, "%lld", id);
        const char *params[] = {id_text, in.url, events_param(&in), in.secret, in.enabled};
        PGresult *res = db_query(
            conn,
            "UPDATE webhooks SET url = COALESCE($2, url), events = COALESCE($3::text[], events),"
            " secret = COALESCE($4, secret), enabled = COALESCE($5::boolean, enabled),"
            " subscribed_at = CASE WHEN (NOT enabled AND COALESCE($5::boolean, enabled))"
            " OR NOT (COALESCE($3::text[], events) <@ events) THEN now() ELSE subscribed_at END,"
            " updated_at = now() WHERE id = $1 RETURNING " WEBHOOK_JSON,
            5, params, err);
        if (res) obj = db_json_one(res, "webhook", id, err);
    }
    input_free(&in);
    return obj;
}

int webhook_delete(PGconn *conn, long long id, mc_error *err)
{
    return db_delete_by_id(conn, "DELETE FROM webhooks WHERE id = $1 RETURNING id", "webhook", id,
                           err);
}

json_t *webhook_list(PGconn *conn, long long after, int limit, bool with_total, mc_error *err)
{
    return db_keyset_page(
        conn, "SELECT id, " WEBHOOK_JSON " FROM webhooks WHERE id > $1 ORDER BY id LIMIT $2",
        "SELECT count(*) FROM webhooks", 0, NULL, after, limit, with_total, err);
}

static const char *const DELIVERY_STATES[] = {"pending", "delivering", "delivered", "failed", NULL};

json_t *webhook_deliveries(PGconn *conn, long long id, const char *state, long long after,
                           int limit, bool with_total, mc_error *err)
{
    bool known = !state;
    for (size_t i = 0; state && DELIVERY_STATES[i]; i++)
        known = known || !strcmp(state, DELIVERY_STATES[i]);
    if (!known) {
        mc_error_set(err, 400, "invalid_field", "state",
                     "state must be one of: pending, delivering, delivered, failed");
        return NULL;
    }
    json_t *webhook = webhook_get(conn, id, err);
    if (!webhook) return NULL;
    json_decref(webhook);
    char id_text[32];
    snprintf(id_text, sizeof id_text, "%lld", id);
    const char *params[] = {id_text, state};
    return db_keyset_page(conn,
                          "SELECT d.id, " DELIVERY_JSON " FROM webhook_deliveries d"
                          " WHERE d.webhook_id = $3 AND ($1::bigint = 0 OR d.id < $1)"
                          " AND ($4::text IS NULL OR d.state = $4) ORDER BY d.id DESC LIMIT $2",
                          "SELECT count(*) FROM webhook_deliveries WHERE webhook_id = $1"
                          " AND ($2::text IS NULL OR state = $2)",
                          2, params, after, limit, with_total, err);
}

json_t *webhook_queue_test(PGconn *conn, long long id, mc_error *err)
{
    unsigned char raw[12];
    char hex[sizeof raw * 2 + 1], key[64], id_text[32];
    randombytes_buf(raw, sizeof raw);
    sodium_bin2hex(hex, sizeof hex, raw, sizeof raw);
    snprintf(key, sizeof key, "webhook.test:%s", hex);
    snprintf(id_text, sizeof id_text, "%lld", id);
    const char *params[] = {id_text, key};
    PGresult *res = db_query(
        conn,
        "WITH d AS (INSERT INTO webhook_deliveries (webhook_id, event, event_key, payload,"
        " occurred_at) SELECT id, 'webhook.test', $2, jsonb_build_object('id', $2::text, 'event',"
        " 'webhook.test', 'occurred_at', mc_rfc3339(now()), 'data',"
        " jsonb_build_object('webhook_id', id)), now() FROM webhooks WHERE id = $1 RETURNING *)"
        " SELECT " DELIVERY_JSON " FROM d",
        2, params, err);
    return res ? db_json_one(res, "webhook", id, err) : NULL;
}

long long webhook_log_prune(PGconn *conn, unsigned days, int limit, mc_error *err)
{
    char days_text[16], limit_text[16];
    snprintf(days_text, sizeof days_text, "%u", days);
    snprintf(limit_text, sizeof limit_text, "%d", limit);
    const char *params[] = {days_text, limit_text};
    PGresult *res = db_query(conn,
                             "DELETE FROM webhook_deliveries WHERE id IN (SELECT id FROM"
                             " webhook_deliveries WHERE state IN ('delivered', 'failed') AND"
                             " created_at < now() - make_interval(days => $1::int)"
                             " ORDER BY created_at LIMIT $2)",
                             2, params, err);
    if (!res) return -1;
    long long n = strtoll(PQcmdTuples(res), NULL, 10);
    PQclear(res);
    return n;
}
