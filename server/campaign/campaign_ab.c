/* A/B tests of campaigns: settings, the split, the phase and the winner (campaign_ab.h). */
#include "campaign/campaign_ab.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "campaign/campaign_input.h"
#include "content/template_source.h"
#include "core/buf.h"
#include "core/duration.h"
#include "db/listen.h"
#include "db/query.h"
#include "queue/message_state.h"

#define SUBJECT_MAX_CHARS   2000
#define FROM_NAME_MAX_CHARS 200
#define BODY_MAX_CHARS      (1024 * 1024)

static const char *const AB_FIELDS[] = {"variants", "test_percent", "metric",
                                        "wait",     "winner",       NULL};
static const char *const VARIANT_FIELDS[] = {"subject", "from_name", "template_id", "body", NULL};
static const char *const METRICS[] = {"clicks", "opens", "revenue", NULL};
static const char *const MODES[] = {"auto", "manual", NULL};

static bool one_of(const char *s, const char *const *allowed)
{
    for (size_t i = 0; allowed[i]; i++)
        if (!strcmp(s, allowed[i])) return true;
    return false;
}

/* Refuses a member of obj not in known, naming it under prefix ("ab_test.foo"). */
static int known_members(json_t *obj, const char *prefix, const char *const *known, mc_error *err)
{
    const char *key;
    json_t *value;
    json_object_foreach(obj, key, value)
    {
        if (one_of(key, known)) continue;
        char field[120];
        snprintf(field, sizeof field, "%s.%.60s", prefix, key);
        return mc_error_set(err, 400, "invalid_field", field, "%s is not a field", field);
    }
    return 0;
}

/* A string member key of obj of min..max code points (UTF-8); *out borrows it, NULL when
 * absent or null. field names it in errors. */
static int string_member(json_t *obj, const char *key, const char *field, size_t min, size_t max,
                         const char **out, mc_error *err)
{
    json_t *v = json_object_get(obj, key);
    *out = NULL;
    if (!v || json_is_null(v)) return 0;
    const char *s = json_string_value(v);
    size_t chars = 0;
    for (const char *p = s; p && *p; p++)
        chars += ((unsigned char)*p & 0xC0) != 0x80;
    if (!s || chars < min || chars > max)
        return mc_error_set(err, 400, "invalid_field", field,
                            "%s must be a string of %zu to %zu"
                            " characters",
                            field, min, max);
    *out = s;
    return 0;
}

/* Checks variant i and appends its normalized copy to out. */
static int parse_variant(const template_source *src, json_t *v, size_t i, json_t *out,
                         mc_error *err)
{
    char prefix[40], field[80];
    snprintf(prefix, sizeof prefix, "ab_test.variants[%zu]", i);
    if (!json_is_object(v))
        return mc_error_set(err, 400, "invalid_field", prefix,
                            "%s must be an object of subject, from_name, template_id or body",
                            prefix);
    if (known_members(v, prefix, VARIANT_FIELDS, err) < 0) return -1;
    json_t *copy = json_object();
    json_array_append_new(out, copy);
    const char *subject, *from_name, *body;
    snprintf(field, sizeof field, "%s.subject", prefix);
    if (string_member(v, "subject", field, 1, SUBJECT_MAX_CHARS, &subject, err) < 0 ||
        (subject && template_source_compile(src, field, subject, NULL, err) < 0))
        return -1;
    if (subject) json_object_set_new(copy, "subject", json_string(subject));
    snprintf(field, sizeof field, "%s.from_name", prefix);
    if (string_member(v, "from_name", field, 0, FROM_NAME_MAX_CHARS, &from_name, err) < 0)
        return -1;
    if (from_name && strpbrk(from_name, "\r\n"))
        return mc_error_set(err, 400, "invalid_field", field, "%s must be one line", field);
    if (from_name) json_object_set_new(copy, "from_name", json_string(from_name));
    snprintf(field, sizeof field, "%s.body", prefix);
    if (string_member(v, "body", field, 1, BODY_MAX_CHARS, &body, err) < 0 ||
        (body && template_source_compile(src, field, body, NULL, err) < 0))
        return -1;
    if (body) json_object_set_new(copy, "body", json_string(body));
    json_t *template_id = json_object_get(v, "template_id");
    snprintf(field, sizeof field, "%s.template_id", prefix);
    if (template_id && !json_is_null(template_id)) {
        if (!json_is_integer(template_id) || json_integer_value(template_id) < 1)
            return mc_error_set(err, 400, "invalid_field", field, "%s must be a template's id",
                                field);
        if (body)
            return mc_error_set(err, 400, "invalid_field", field,
                                "%s: give either template_id or body, not both", prefix);
        char id_text[32];
        snprintf(id_text, sizeof id_text, "%lld", (long long)json_integer_value(template_id));
        if (campaign_check_template(src->conn, id_text, field, err) < 0) return -1;
        json_object_set(copy, "template_id", template_id);
    }
    return 0;
}

/* Reads the settings of ab (an object) into out. */
static int parse_settings(const template_source *src, json_t *ab, json_t *out, mc_error *err)
{
    if (known_members(ab, "ab_test", AB_FIELDS, err) < 0) return -1;
    json_t *variants = json_object_get(ab, "variants");
    size_t n = json_array_size(variants);
    if (!json_is_array(variants) || n < CAMPAIGN_AB_VARIANTS_MIN || n > CAMPAIGN_AB_VARIANTS_MAX)
        return mc_error_set(err, 400, "invalid_field", "ab_test.variants",
                            "ab_test.variants must be an array of %d to %d variants",
                            CAMPAIGN_AB_VARIANTS_MIN, CAMPAIGN_AB_VARIANTS_MAX);
    json_t *copies = json_array();
    json_object_set_new(out, "variants", copies);
    for (size_t i = 0; i < n; i++)
        if (parse_variant(src, json_array_get(variants, i), i, copies, err) < 0) return -1;

    json_t *percent = json_object_get(ab, "test_percent");
    json_int_t p = 20;
    if (percent && !json_is_null(percent)) {
        p = json_is_integer(percent) ? json_integer_value(percent) : 0;
        if (p < 1 || p > 100)
            return mc_error_set(err, 400, "invalid_field", "ab_test.test_percent",
                                "ab_test.test_percent must be a whole number from 1 to 100");
    }
    json_object_set_new(out, "test_percent", json_integer(p));

    const char *metric = "clicks", *mode = "auto", *wait = "4h";
    json_t *v = json_object_get(ab, "metric");
    if (v && !json_is_null(v) && (!json_is_string(v) || !one_of(json_string_value(v), METRICS)))
        return mc_error_set(err, 400, "invalid_field", "ab_test.metric",
                            "ab_test.metric must be clicks, opens or revenue");
    if (v && json_is_string(v)) metric = json_string_value(v);
    v = json_object_get(ab, "winner");
    if (v && !json_is_null(v) && (!json_is_string(v) || !one_of(json_string_value(v), MODES)))
        return mc_error_set(err, 400, "invalid_field", "ab_test.winner",
                            "ab_test.winner must be auto or manual");
    if (v && json_is_string(v)) mode = json_string_value(v);
    v = json_object_get(ab, "wait");
    if (v && !json_is_null(v)) {
        if (!json_is_string(v))
            return mc_error_set(err, 400, "invalid_field", "ab_test.wait",
                                "ab_test.wait must be a duration such as \"4h\" or \"1d12h\"");
        wait = json_string_value(v);
    }
    long long seconds;
    if (duration_parse(wait, "ab_test.wait", &seconds, err) < 0) return -1;
    json_object_set_new(out, "metric", json_string(metric));
    json_object_set_new(out, "wait", json_string(wait));
    json_object_set_new(out, "wait_seconds", json_integer(seconds));
    json_object_set_new(out, "winner", json_string(mode));
    return 0;
}

int campaign_ab_parse(PGconn *conn, const char *templates_dir, json_t *body, char **normalized,
                      mc_error *err)
{
    *normalized = NULL;
    json_t *ab = json_object_get(body, "ab_test");
    if (!ab) return 0;
    if (json_is_null(ab)) {
        *normalized = strdup("null");
        return 0;
    }
    if (!json_is_object(ab))
        return mc_error_set(err, 400, "invalid_field", "ab_test",
                            "ab_test must be an object with variants, or null");
    template_source src = {conn, templates_dir};
    json_t *out = json_object();
    int rc = parse_settings(&src, ab, out, err);
    if (rc == 0) *normalized = json_dumps(out, JSON_COMPACT);
    json_decref(out);
    return rc;
}

int campaign_ab_store(PGconn *conn, const char *campaign_id, const char *normalized, mc_error *err)
{
    const char *params[] = {campaign_id, normalized};
    if (db_exec(conn, "DELETE FROM campaign_ab_tests WHERE campaign_id = $1::bigint", 1, params,
                err) < 0)
        return -1;
    if (!strcmp(normalized, "null")) return 0;
    return db_exec(conn,
                   "INSERT INTO campaign_ab_tests (campaign_id, variants, test_percent, metric,"
                   " wait, wait_seconds, winner_mode) SELECT $1::bigint, j->'variants',"
                   " (j->>'test_percent')::smallint, j->>'metric', j->>'wait',"
                   " (j->>'wait_seconds')::bigint, j->>'winner' FROM (SELECT $2::jsonb AS j) x",
                   2, params, err);
}

int campaign_ab_copy(PGconn *conn, const char *from_id, const char *to_id, mc_error *err)
{
    const char *params[] = {from_id, to_id};
    return db_exec(conn,
                   "INSERT INTO campaign_ab_tests (campaign_id, variants, test_percent, metric,"
                   " wait, wait_seconds, winner_mode) SELECT $2::bigint, variants, test_percent,"
                   " metric, wait, wait_seconds, winner_mode FROM campaign_ab_tests"
                   " WHERE campaign_id = $1::bigint",
                   2, params, err);
}

int campaign_ab_split_of(PGconn *conn, long long id, queue_ab_split *split, mc_error *err)
{
    char id_text[32];
    snprintf(id_text, sizeof id_text, "%lld", id);
    const char *params[] = {id_text};
    PGresult *res = db_query(conn,
                             "SELECT jsonb_array_length(variants), test_percent"
                             " FROM campaign_ab_tests WHERE campaign_id = $1",
                             1, params, err);
    if (!res) return -1;
    split->variants = PQntuples(res) ? atoi(PQgetvalue(res, 0, 0)) : 0;
    split->test_percent = PQntuples(res) ? atoi(PQgetvalue(res, 0, 1)) : 0;
    PQclear(res);
    return 0;
}

/* Test messages that are not over yet: the wait starts when none is left. */
#define AB_WAITING_SQL "(" MESSAGE_QUEUED_SQL ", " MESSAGE_DEFERRED_SQL ", " MESSAGE_SENDING_SQL ")"

/* The counts read the test messages through their own index (messages_ab_variant_idx) and the
 * held rest through the claim's (run_at 'infinity'), never the whole campaign. */
static const char PROGRESS_SQL[] =
    "WITH a AS (SELECT * FROM campaign_ab_tests WHERE campaign_id = $1),"
    " c AS (SELECT state FROM campaigns WHERE id = $1),"
    " v AS (SELECT g AS variant, count(m.id) AS total,"
    " count(m.id) FILTER (WHERE m.state = " MESSAGE_SENT_SQL ") AS sent,"
    " count(m.id) FILTER (WHERE m.state = " MESSAGE_FAILED_SQL ") AS failed,"
    " count(m.id) FILTER (WHERE m.state IN " AB_WAITING_SQL ") AS waiting"
    " FROM a CROSS JOIN generate_series(0, jsonb_array_length(a.variants) - 1) g"
    " LEFT JOIN messages m ON m.campaign_id = $1 AND m.ab_variant = g GROUP BY g),"
    " h AS (SELECT count(*) AS held FROM messages WHERE campaign_id = $1 AND state "
    "= " MESSAGE_QUEUED_SQL " AND run_at = 'infinity' AND ab_variant IS NULL),"
    " e AS (SELECT COALESCE(a.test_ended_at, CASE WHEN (SELECT sum(waiting) FROM v) = 0 THEN"
    " (SELECT max(m.updated_at) FROM messages m WHERE m.campaign_id = $1 AND m.ab_variant IS"
    " NOT NULL) END) AS ended FROM a)"
    " SELECT json_build_object('phase', CASE WHEN c.state IN ('draft', 'scheduled') THEN"
    " 'not_started' WHEN c.state IN ('finished', 'cancelled') THEN 'done' WHEN a.winner IS NOT"
    " NULL THEN 'sending_winner' WHEN (SELECT sum(waiting) FROM v) > 0 THEN 'testing' ELSE"
    " 'waiting' END, 'wait_until', CASE WHEN a.winner IS NULL AND a.winner_mode = 'auto' THEN"
    " mc_rfc3339(e.ended + a.wait_seconds * interval '1 second') END, 'held', h.held,"
    " 'winner', a.winner, 'winner_by', a.winner_by, 'variants', (SELECT json_agg("
    "json_build_object('variant', v.variant, 'name', chr(65 + v.variant), 'total', v.total,"
    " 'sent', v.sent, 'failed', v.failed, 'waiting', v.waiting) ORDER BY v.variant) FROM v))::text"
    " FROM a, c, h, e";

json_t *campaign_ab_progress(PGconn *conn, long long id, mc_error *err)
{
    char id_text[32];
    snprintf(id_text, sizeof id_text, "%lld", id);
    const char *params[] = {id_text};
    PGresult *res = db_query(conn, PROGRESS_SQL, 1, params, err);
    if (!res) return NULL;
    json_t *obj = PQntuples(res) ? json_loads(PQgetvalue(res, 0, 0), 0, NULL) : json_null();
    PQclear(res);
    return obj;
}

/* A campaign that has started: the states in which its test runs or ran. */
#define AB_STARTED_SQL "('running', 'paused', 'finished')"

int campaign_ab_pending_list(PGconn *conn, campaign_ab_pending *out, int max, mc_error *err)
{
    /* the end of the test sends, noted once: every test message is over by then */
    if (db_exec(conn,
                "UPDATE campaign_ab_tests a SET test_ended_at = COALESCE((SELECT"
                " max(m.updated_at) FROM messages m WHERE m.campaign_id = a.campaign_id"
                " AND m.ab_variant IS NOT NULL), now()) FROM campaigns c WHERE c.id ="
                " a.campaign_id AND c.state IN " AB_STARTED_SQL " AND a.winner IS NULL"
                " AND a.test_ended_at IS NULL AND NOT EXISTS (SELECT 1 FROM messages m WHERE"
                " m.campaign_id = a.campaign_id AND m.ab_variant IS NOT NULL AND m.state IN"
                " " AB_WAITING_SQL ")",
                0, NULL, err) < 0)
        return -1;
    char limit[16];
    snprintf(limit, sizeof limit, "%d", max);
    const char *params[] = {limit};
    PGresult *res = db_query(
        conn,
        "SELECT a.campaign_id, jsonb_array_length(a.variants), a.metric, a.winner_mode ="
        " 'manual', a.test_ended_at IS NOT NULL, CASE WHEN a.test_ended_at IS NULL OR"
        " a.winner_mode = 'manual' THEN -1 ELSE greatest(0, ceil(extract(epoch FROM"
        " a.test_ended_at + a.wait_seconds * interval '1 second' - now()) * 1000))::bigint END"
        " FROM campaign_ab_tests a JOIN campaigns c ON c.id = a.campaign_id WHERE a.winner IS NULL"
        " AND c.state IN " AB_STARTED_SQL " ORDER BY a.campaign_id LIMIT $1",
        1, params, err);
    if (!res) return -1;
    int n = PQntuples(res);
    for (int i = 0; i < n; i++) {
        campaign_ab_pending *p = &out[i];
        p->campaign_id = strtoll(PQgetvalue(res, i, 0), NULL, 10);
        p->variants = atoi(PQgetvalue(res, i, 1));
        snprintf(p->metric, sizeof p->metric, "%s", PQgetvalue(res, i, 2));
        p->manual = PQgetvalue(res, i, 3)[0] == 't';
        p->ended = PQgetvalue(res, i, 4)[0] == 't';
        p->due_ms = strtoll(PQgetvalue(res, i, 5), NULL, 10);
    }
    PQclear(res);
    return n;
}

/* The checks and the writes of campaign_ab_set_winner(), inside its transaction. */
static int set_winner(PGconn *conn, const char *id_text, int variant, const char *by,
                      long long user_id, const char *decided_on, mc_error *err)
{
    const char *params[] = {id_text};
    PGresult *res = db_query(conn,
                             "SELECT c.state, a.campaign_id IS NOT NULL,"
                             " jsonb_array_length(a.variants), a.winner IS NOT NULL"
                             " FROM campaigns c LEFT JOIN campaign_ab_tests a"
                             " ON a.campaign_id = c.id WHERE c.id = $1 FOR UPDATE OF c",
                             1, params, err);
    if (!res) return -1;
    int rc = 0;
    bool manual = !strcmp(by, "manual");
    if (PQntuples(res) != 1)
        rc = mc_error_set(err, 404, "not_found", "id", "no campaign has the id %s", id_text);
    else if (PQgetvalue(res, 0, 1)[0] != 't')
        rc = mc_error_set(err, 404, "not_found", "ab_test", "campaign %s has no A/B test", id_text);
    else if (variant < 0 || variant >= atoi(PQgetvalue(res, 0, 2)))
        rc = mc_error_set(err, 400, "invalid_field", "variant",
                          "variant must be the index of one of the test's %s variants (from 0)",
                          PQgetvalue(res, 0, 2));
    else if (PQgetvalue(res, 0, 3)[0] == 't')
        rc = mc_error_set(err, 409, "winner_exists", "variant",
                          "the test of campaign %s has a winner already", id_text);
    else if (strcmp(PQgetvalue(res, 0, 0), "running") && strcmp(PQgetvalue(res, 0, 0), "paused") &&
             (manual || strcmp(PQgetvalue(res, 0, 0), "finished")))
        rc = mc_error_set(err, 409, "invalid_state", "state",
                          "the campaign is %s: its test is not running", PQgetvalue(res, 0, 0));
    PQclear(res);
    if (rc < 0) return -1;

    char variant_text[16], user_text[32];
    snprintf(variant_text, sizeof variant_text, "%d", variant);
    snprintf(user_text, sizeof user_text, "%lld", user_id);
    const char *update[] = {id_text, variant_text, by, user_id ? user_text : NULL, decided_on};
    if (db_exec(conn,
                "UPDATE campaign_ab_tests SET winner = $2::smallint, winner_by = $3,"
                " winner_at = now(), winner_user_id = $4::bigint, decided_on = $5::jsonb"
                " WHERE campaign_id = $1::bigint",
                5, update, err) < 0)
        return -1;
    long long released;
    if (queue_release_held(conn, id_text, &released, err) < 0) return -1;
    char what[80];
    snprintf(what, sizeof what, "campaign %s ab winner", id_text);
    return released > 0 ? db_notify(conn, DB_WORK_CHANNEL, what, err) : 0;
}

int campaign_ab_set_winner(PGconn *conn, long long id, int variant, const char *by,
                           long long user_id, const char *decided_on, mc_error *err)
{
    char id_text[32];
    snprintf(id_text, sizeof id_text, "%lld", id);
    if (db_begin(conn, err) < 0) return -1;
    if (set_winner(conn, id_text, variant, by, user_id, decided_on, err) < 0 ||
        db_commit(conn, err) < 0) {
        db_rollback(conn);
        return -1;
    }
    return 0;
}
