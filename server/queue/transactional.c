/* Checks a transactional request and inserts its message row; the send loop does the rest. */
#include "queue/transactional.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audience/input.h"
#include "core/email_address.h"
#include "db/listen.h"
#include "db/query.h"

#include <openssl/sha.h>

static const char *const FIELDS[] = {"to", "subscriber_id", "template_id", "data", "subject", NULL};

typedef struct {
    char *to, *subject, *data;
    long long subscriber_id, template_id;
} tx_input;

static void input_free(tx_input *in)
{
    free(in->to);
    free(in->subject);
    free(in->data);
}

static int parse(PGconn *conn, tx_template_check check, void *check_ctx, json_t *body, tx_input *in,
                 mc_error *err)
{
    memset(in, 0, sizeof *in);
    if (input_known_fields(body, FIELDS, err) < 0 ||
        input_string(body, "to", 3, 254, &in->to, err) < 0 ||
        input_id(body, "subscriber_id", &in->subscriber_id, err) < 0 ||
        input_id(body, "template_id", &in->template_id, err) < 0 ||
        input_string(body, "subject", 1, 2000, &in->subject, err) < 0)
        return -1;
    if (!in->to == !in->subscriber_id)
        return mc_error_set(err, 400, "invalid_field", "to", "give either to or subscriber_id");
    str_t checked;
    if (in->to && email_address_check(str_from_cstr(in->to), "to", &checked, err) < 0) return -1;
    if (!in->template_id)
        return mc_error_set(err, 400, "invalid_field", "template_id", "template_id is required");
    json_t *data = json_object_get(body, "data");
    if (data && !json_is_null(data)) {
        if (!json_is_object(data))
            return mc_error_set(err, 400, "invalid_field", "data", "data must be a JSON object");
        in->data = json_dumps(data, JSON_COMPACT);
    }
    if (in->subject && check(check_ctx, conn, "subject", in->subject, err) < 0) return -1;
    return 0;
}

/* returns 0 when the template is a transactional one, else -1 with a 400 */
static int check_template(PGconn *conn, long long id, mc_error *err)
{
    char id_text[32];
    snprintf(id_text, sizeof id_text, "%lld", id);
    const char *params[] = {id_text};
    PGresult *res = db_query(conn, "SELECT kind FROM templates WHERE id = $1", 1, params, err);
    if (!res) return -1;
    int rc = 0;
    if (PQntuples(res) != 1 || strcmp(PQgetvalue(res, 0, 0), "transactional"))
        rc = mc_error_set(err, 400, "invalid_field", "template_id",
                          "template_id must name a transactional template");
    PQclear(res);
    return rc;
}

/* The SHA-256 of body as JSON with sorted keys and no spaces, in hex, into out (65 bytes):
 * the same request sent twice hashes alike whatever its key order or spacing. */
static void body_hash(json_t *body, char out[2 * SHA256_DIGEST_LENGTH + 1])
{
    char *canonical = json_dumps(body, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
    unsigned char digest[SHA256_DIGEST_LENGTH];
    SHA256((const unsigned char *)canonical, strlen(canonical), digest);
    free(canonical);
    static const char hex[] = "0123456789abcdef";
    for (int i = 0; i < SHA256_DIGEST_LENGTH; i++) {
        out[2 * i] = hex[digest[i] >> 4];
        out[2 * i + 1] = hex[digest[i] & 15];
    }
    out[2 * SHA256_DIGEST_LENGTH] = '\0';
}

json_t *tx_enqueue(PGconn *conn, tx_template_check check, void *check_ctx, json_t *body,
                   const char *idempotency_key, bool *replayed, mc_error *err)
{
    *replayed = false;
    if (idempotency_key && (!idempotency_key[0] || strlen(idempotency_key) > 200)) {
        mc_error_set(err, 400, "invalid_field", "Idempotency-Key",
                     "Idempotency-Key must be 1 to 200 characters");
        return NULL;
    }
    tx_input in;
    json_t *out = NULL;
    if (parse(conn, check, check_ctx, body, &in, err) < 0 ||
        check_template(conn, in.template_id, err) < 0) {
        input_free(&in);
        return NULL;
    }
    char subscriber[32], template_id[32], priority[16], hash[2 * SHA256_DIGEST_LENGTH + 1];
    if (idempotency_key) body_hash(body, hash);
    snprintf(subscriber, sizeof subscriber, "%lld", in.subscriber_id);
    snprintf(template_id, sizeof template_id, "%lld", in.template_id);
    snprintf(priority, sizeof priority, "%d", TX_PRIORITY);
    const char *params[] = {in.subscriber_id ? subscriber : NULL,
                            in.to,
                            template_id,
                            in.data,
                            in.subject,
                            idempotency_key,
                            priority,
                            idempotency_key ? hash : NULL};
    /* the address comes from the subscriber when one is named; a retried key inserts nothing
     * and the first message's id is answered, with whether its body was the same. The workers
     * are woken when it commits. */
    PGresult *res = db_query_notify(
        conn,
        "WITH ins AS (INSERT INTO messages (kind, priority, subscriber_id, template_id, email,"
        " data, subject, idempotency_key, idempotency_hash) SELECT 'transactional', $7::smallint,"
        " $1::bigint, $3, COALESCE($2, s.email), COALESCE($4::jsonb, '{}'), $5, $6,"
        " decode($8, 'hex') FROM (SELECT 1) one"
        " LEFT JOIN subscribers s ON s.id = $1::bigint WHERE $1::bigint IS NULL OR s.id IS NOT"
        " NULL ON CONFLICT (idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING"
        " RETURNING id)"
        " SELECT id, false, true FROM ins UNION ALL SELECT id, true, idempotency_hash IS NULL"
        " OR idempotency_hash = decode($8, 'hex') FROM messages"
        " WHERE idempotency_key = $6 AND NOT EXISTS (SELECT 1 FROM ins)",
        8, params, DB_WORK_CHANNEL, "tx", err);
    if (res && PQntuples(res) == 0)
        mc_error_set(err, 404, "not_found", "subscriber_id", "no subscriber has the id %lld",
                     in.subscriber_id);
    else if (res && PQgetvalue(res, 0, 2)[0] != 't')
        /* as payment APIs do: the key names one request, and this is another one */
        mc_error_set(err, 422, "idempotency_key_reused", "Idempotency-Key",
                     "this Idempotency-Key was used with a different request body");
    else if (res) {
        *replayed = PQgetvalue(res, 0, 1)[0] == 't';
        out =
            json_pack("{s:I}", "message_id", (json_int_t)strtoll(PQgetvalue(res, 0, 0), NULL, 10));
    }
    PQclear(res);
    input_free(&in);
    return out;
}
