/* A Message-ID's left-hand side is an HMAC of (kind, source, subscriber) and cannot be looked
 * up by itself (mail/message_id.h). A report always names the address that bounced, so the
 * candidates are that subscriber's messages (by the messages_subscriber_idx index), and the
 * one whose recomputed id has the report's token is the message. */
#include "track/bounce_store.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audience/input.h"
#include "audience/subscribers.h"
#include "core/buf.h"
#include "db/json_rows.h"
#include "db/query.h"
#include "mail/message_id.h"
#include "track/bounce_rules.h"

/* rows applied with a new bounce: itself, and a few left by other sources */
#define RULES_BATCH 100

typedef struct {
    char subscriber[24]; /* "" when none was found */
    char message[24];    /* "" when unknown */
    char campaign[24];   /* "" when unknown */
} bounce_target;

static void copy_value(char *out, size_t cap, PGresult *res, int row, int col)
{
    snprintf(out, cap, "%s", PQgetisnull(res, row, col) ? "" : PQgetvalue(res, row, col));
}

/* returns true when the Message-ID of the messages row (id, campaign_id, subscriber_id) has
 * token as its left-hand side; the id is made as the sender makes it (sender/send_loop.c) */
static bool message_has_token(const unsigned char secret[32], const char *id, const char *campaign,
                              const char *subscriber, const char *token)
{
    buf_t made = BUF_INIT;
    mc_error ignored;
    bool match = false;
    if (message_id_make(&made, secret, 32,
                        campaign[0] ? STR_LIT("campaign") : STR_LIT("transactional"),
                        str_from_cstr(campaign[0] ? campaign : id), str_from_cstr(subscriber),
                        STR_LIT("mailcast.invalid"), &ignored) == 0)
        match = made.n > BOUNCE_TOKEN_CHARS && !memcmp(made.p + 1, token, BOUNCE_TOKEN_CHARS);
    buf_free(&made);
    return match;
}

static char *addresses_json(const bounce_report *r)
{
    json_t *list = json_array();
    for (size_t i = 0; i < r->address_count; i++)
        json_array_append_new(list, json_string(r->addresses[i]));
    char *text = json_dumps(list, JSON_COMPACT);
    json_decref(list);
    return text;
}

/* Finds the subscriber and message r is about into t. returns 0 (t->subscriber empty when
 * nobody) or -1 with err. */
static int find_target(PGconn *conn, const unsigned char secret[32], const bounce_report *r,
                       bounce_target *t, mc_error *err)
{
    memset(t, 0, sizeof *t);
    if (!r->address_count) return 0;
    char *addresses = addresses_json(r);
    const char *params[] = {addresses};
    int rc = 0;
    if (r->token[0]) {
        PGresult *res = db_query(
            conn,
            "SELECT m.id, m.campaign_id, m.subscriber_id FROM subscribers s JOIN messages m ON"
            " m.subscriber_id = s.id WHERE lower(s.email) IN (SELECT lower(a) FROM"
            " json_array_elements_text($1::json) a)",
            1, params, err);
        if (!res) rc = -1;
        for (int i = 0; res && i < PQntuples(res); i++) {
            char campaign[24];
            copy_value(campaign, sizeof campaign, res, i, 1);
            if (message_has_token(secret, PQgetvalue(res, i, 0), campaign, PQgetvalue(res, i, 2),
                                  r->token)) {
                copy_value(t->message, sizeof t->message, res, i, 0);
                memcpy(t->campaign, campaign, sizeof campaign);
                copy_value(t->subscriber, sizeof t->subscriber, res, i, 2);
                break;
            }
        }
        PQclear(res);
    }
    if (rc == 0 && !t->subscriber[0]) {
        /* the recipient first: the report's order */
        PGresult *res = db_query(conn,
                                 "SELECT s.id FROM json_array_elements_text($1::json) WITH"
                                 " ORDINALITY a(email, n) JOIN subscribers s ON lower(s.email) ="
                                 " lower(a.email) ORDER BY a.n LIMIT 1",
                                 1, params, err);
        if (!res) rc = -1;
        if (res && PQntuples(res) == 1) copy_value(t->subscriber, sizeof t->subscriber, res, 0, 0);
        PQclear(res);
    }
    free(addresses);
    return rc;
}

/* Fills t from the messages row message_row. returns 0, or -1 with a 400 naming message_id. */
static int message_target(PGconn *conn, long long message_row, bounce_target *t, mc_error *err)
{
    memset(t, 0, sizeof *t);
    char id[24];
    snprintf(id, sizeof id, "%lld", message_row);
    const char *params[] = {id};
    PGresult *res = db_query(conn,
                             "SELECT id, campaign_id, subscriber_id FROM messages WHERE id = $1"
                             " AND subscriber_id IS NOT NULL",
                             1, params, err);
    if (!res) return -1;
    int rc = 0;
    if (PQntuples(res) == 1) {
        copy_value(t->message, sizeof t->message, res, 0, 0);
        copy_value(t->campaign, sizeof t->campaign, res, 0, 1);
        copy_value(t->subscriber, sizeof t->subscriber, res, 0, 2);
    } else {
        rc = mc_error_set(err, 400, "invalid_field", "message_id",
                          "no message to a subscriber has the id %lld", message_row);
    }
    PQclear(res);
    return rc;
}

static const char INSERT_SQL[] =
    "INSERT INTO bounces (subscriber_id, message_id, campaign_id, kind, smtp_code, source, reason,"
    " source_ref) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
    " ON CONFLICT (source, source_ref) WHERE source_ref IS NOT NULL DO NOTHING RETURNING id";

long long bounce_record(PGconn *conn, const config_t *cfg, const unsigned char secret[32],
                        const bounce_report *r, const char *source, const char *source_ref,
                        long long message_row, mc_error *err)
{
    if (db_begin(conn, err) < 0) return -1;
    bounce_target t;
    if ((message_row > 0 ? message_target(conn, message_row, &t, err)
                         : find_target(conn, secret, r, &t, err)) < 0)
        goto fail;
    long long id = 0;
    if (t.subscriber[0]) {
        char code[16];
        snprintf(code, sizeof code, "%d", r->smtp_code);
        const char *params[] = {t.subscriber,
                                t.message[0] ? t.message : NULL,
                                t.campaign[0] ? t.campaign : NULL,
                                r->kind,
                                r->smtp_code > 0 ? code : NULL,
                                source,
                                r->reason[0] ? r->reason : NULL,
                                source_ref && source_ref[0] ? source_ref : NULL};
        PGresult *res = db_query(conn, INSERT_SQL, 8, params, err);
        if (!res) goto fail;
        if (PQntuples(res) == 1) id = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
        PQclear(res);
        if (id > 0 && bounce_rules_apply(conn, cfg, RULES_BATCH, err) < 0) goto fail;
    }
    if (db_commit(conn, err) < 0) goto fail;
    return id;
fail:
    db_rollback(conn);
    return -1;
}

#define BOUNCE_JSON                                                                                \
    "json_build_object('id', b.id, 'kind', b.kind, 'source', b.source, 'reason',"                  \
    " COALESCE(b.reason, b.smtp_text), 'smtp_code', b.smtp_code, 'campaign_id', b.campaign_id,"    \
    " 'message_id', b.message_id, 'created_at', mc_rfc3339(b.created_at))::text"

json_t *bounce_list(PGconn *conn, long long subscriber_id, long long after, int limit,
                    mc_error *err)
{
    /* newest first: ids grow with time, and the cursor is the last id of the page before */
    return subscriber_keyset_page(conn, subscriber_id,
                                  "SELECT b.id, " BOUNCE_JSON
                                  " FROM bounces b WHERE b.subscriber_id = $3"
                                  " AND ($1::bigint = 0 OR b.id < $1) ORDER BY b.id DESC LIMIT $2",
                                  after, limit, err);
}

json_t *bounce_summary(PGconn *conn, long long subscriber_id, mc_error *err)
{
    char sub[24];
    snprintf(sub, sizeof sub, "%lld", subscriber_id);
    const char *params[] = {sub};
    PGresult *res = db_query(
        conn,
        "SELECT json_build_object('hard', count(*) FILTER (WHERE kind = 'hard'), 'soft', count(*)"
        " FILTER (WHERE kind = 'soft'), 'complaints', count(*) FILTER (WHERE kind = 'complaint'),"
        " 'last_at', mc_rfc3339(max(created_at)))::text FROM bounces WHERE subscriber_id = $1",
        1, params, err);
    if (!res) return NULL;
    json_t *summary = json_loads(PQgetvalue(res, 0, 0), 0, NULL);
    PQclear(res);
    return summary;
}

static json_t *bounce_get(PGconn *conn, long long id, mc_error *err)
{
    char text[24];
    snprintf(text, sizeof text, "%lld", id);
    const char *params[] = {text};
    PGresult *res =
        db_query(conn, "SELECT " BOUNCE_JSON " FROM bounces b WHERE b.id = $1", 1, params, err);
    if (!res) return NULL;
    return db_json_one(res, "bounce", id, err);
}

static const char *const BOUNCE_FIELDS[] = {"email", "message_id", "kind", "reason", NULL};
static const char *const BOUNCE_KINDS[] = {"hard", "soft", "complaint", NULL};

json_t *bounce_create(PGconn *conn, const config_t *cfg, const unsigned char secret[32],
                      json_t *body, mc_error *err)
{
    if (input_known_fields(body, BOUNCE_FIELDS, err) < 0) return NULL;
    char *email = NULL, *reason = NULL;
    const char *kind = NULL;
    long long message_row = 0;
    json_t *out = NULL;
    if (input_string(body, "email", 3, 254, &email, err) < 0 ||
        input_id(body, "message_id", &message_row, err) < 0 ||
        input_enum(body, "kind", BOUNCE_KINDS, &kind, err) < 0 ||
        input_string(body, "reason", 0, 300, &reason, err) < 0)
        goto done;
    if (!kind) {
        mc_error_set(err, 400, "invalid_field", "kind",
                     "kind is required: hard, soft or complaint");
        goto done;
    }
    if (!email == !message_row) {
        mc_error_set(err, 400, "invalid_field", email ? "message_id" : "email",
                     "give either email or message_id");
        goto done;
    }
    bounce_report r = {0};
    snprintf(r.kind, sizeof r.kind, "%s", kind);
    if (reason) bounce_report_add_reason(&r, str_from_cstr(reason));
    if (email) {
        bounce_report_add_address(&r, str_from_cstr(email));
        if (!r.address_count) {
            mc_error_set(err, 400, "invalid_field", "email", "email must be an email address");
            goto done;
        }
    }
    long long id = bounce_record(conn, cfg, secret, &r, "api", NULL, message_row, err);
    if (id == 0)
        mc_error_set(err, 400, "invalid_field", "email", "no subscriber has the address %s", email);
    if (id > 0) out = bounce_get(conn, id, err);
done:
    free(email);
    free(reason);
    return out;
}
