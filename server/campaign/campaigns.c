/* Campaign rows: create, read, edit, duplicate, delete, list. Transitions are in
 * campaign_lifecycle.c. */
#include "campaign/campaigns.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "campaign/campaign_ab.h"
#include "campaign/campaign_input.h"
#include "campaign/campaign_json.h"
#include "db/json_rows.h"
#include "db/query.h"

static const char *const STATES[] = {"draft",    "scheduled", "running", "paused",
                                     "finished", "cancelled", NULL};

/* send_at without an offset is a local time in the campaign's zone ($15, else zone_default) */
#define SEND_AT_SQL(zone_default)                                                                  \
    "CASE WHEN $14 ~ '(Z|[+-]\\d\\d:\\d\\d)$' THEN $14::timestamptz"                               \
    " ELSE $14::timestamp AT TIME ZONE COALESCE($15, " zone_default ") END"
#define TAGS_SQL "ARRAY(SELECT jsonb_array_elements_text($16::jsonb))"

/* The editable columns, and their values from $2 .. $23 (campaign_input's order) with a new
 * campaign's defaults for those not given: create and a full replace (PUT) share them. */
#define COLUMNS_SQL                                                                                \
    "name, subject, from_email, from_name, reply_to, template_id, body, lists, segments,"          \
    " exclude_lists, exclude_segments, relay, send_at, timezone, tags, headers, track_opens,"      \
    " track_clicks, utm, rate_per_s, window_start, window_end"
#define NEW_SEND_AT_SQL SEND_AT_SQL("'UTC'")
#define VALUES_SQL                                                                                 \
    "$2, $3, $4, COALESCE($5, ''), COALESCE($6, ''), $7::bigint, $8,"                              \
    " COALESCE($9::bigint[], '{}'), COALESCE($10::bigint[], '{}'),"                                \
    " COALESCE($11::bigint[], '{}'), COALESCE($12::bigint[], '{}'),"                               \
    " COALESCE($13, ''), " NEW_SEND_AT_SQL ", COALESCE($15, 'UTC'), " TAGS_SQL                     \
    ", COALESCE($17::jsonb, '{}'), COALESCE($18::boolean, true), COALESCE($19::boolean, true),"    \
    " COALESCE($20::jsonb, '{}'), $21::integer, $22::time, $23::time"

static const char INSERT_SQL[] = "WITH c AS (INSERT INTO campaigns (created_by, " COLUMNS_SQL
                                 ") VALUES ($1, " VALUES_SQL ") RETURNING *)"
                                 " SELECT " CAMPAIGN_JSON " FROM c";

/* A scheduled campaign is replaced only with a send_at: without one it would stay scheduled
 * for no time at all. */
static const char REPLACE_SQL[] =
    "WITH c AS (UPDATE campaigns SET (" COLUMNS_SQL ") = (" VALUES_SQL "), updated_at = now()"
    " WHERE id = $1 AND (state = 'draft' OR (state = 'scheduled' AND $14::text IS NOT NULL))"
    " RETURNING *) SELECT " CAMPAIGN_JSON " FROM c";

/* only drafts and scheduled campaigns change; $24 clears the sending window */
static const char UPDATE_SQL[] =
    "WITH c AS (UPDATE campaigns SET name = COALESCE($2, name), subject = COALESCE($3, subject),"
    " from_email = COALESCE($4, from_email), from_name = COALESCE($5, from_name),"
    " reply_to = COALESCE($6, reply_to),"
    " template_id = CASE WHEN $8::text IS NOT NULL THEN NULL ELSE COALESCE($7::bigint, template_id)"
    " END, body = CASE WHEN $7::bigint IS NOT NULL THEN NULL ELSE COALESCE($8, body) END,"
    " lists = COALESCE($9::bigint[], lists), segments = COALESCE($10::bigint[], segments),"
    " exclude_lists = COALESCE($11::bigint[], exclude_lists),"
    " exclude_segments = COALESCE($12::bigint[], exclude_segments),"
    " relay = COALESCE($13, relay), send_at = COALESCE(" SEND_AT_SQL(
        "timezone") ", send_at),"
                    " timezone = COALESCE($15, timezone),"
                    " tags = CASE WHEN $16::jsonb IS NULL THEN tags ELSE " TAGS_SQL " END,"
                    " headers = COALESCE($17::jsonb, headers), track_opens = "
                    "COALESCE($18::boolean, track_opens),"
                    " track_clicks = COALESCE($19::boolean, track_clicks), utm = "
                    "COALESCE($20::jsonb, utm),"
                    " rate_per_s = COALESCE($21::integer, rate_per_s),"
                    " window_start = CASE WHEN $24::boolean THEN NULL ELSE COALESCE($22::time, "
                    "window_start) END,"
                    " window_end = CASE WHEN $24::boolean THEN NULL ELSE COALESCE($23::time, "
                    "window_end) END,"
                    " updated_at = now() WHERE id = $1 AND state IN ('draft', 'scheduled') "
                    "RETURNING *)"
                    " SELECT " CAMPAIGN_JSON " FROM c";

static json_t *one_campaign(PGresult *res, long long id, mc_error *err)
{
    json_t *obj = NULL;
    if (PQntuples(res) == 1)
        obj = json_loads(PQgetvalue(res, 0, 0), 0, NULL);
    else
        mc_error_set(err, 404, "not_found", "id", "no campaign has the id %lld", id);
    PQclear(res);
    return obj;
}

/* Stores ab_test (campaign_ab_parse(); NULL: keep) as the test of the campaign obj, then reads
 * the campaign again so that the answer shows it. Takes over obj. returns the campaign, or NULL
 * with err. */
static json_t *with_ab_test(PGconn *conn, json_t *obj, const char *ab_test, mc_error *err)
{
    if (!obj || !ab_test) return obj;
    long long id = json_integer_value(json_object_get(obj, "id"));
    json_decref(obj);
    char id_text[32];
    snprintf(id_text, sizeof id_text, "%lld", id);
    if (campaign_ab_store(conn, id_text, ab_test, err) < 0) return NULL;
    return campaign_get(conn, id, err);
}

/* Commits when obj is a campaign, else rolls back. returns obj, or NULL with err. */
static json_t *finish(PGconn *conn, json_t *obj, mc_error *err)
{
    if (obj && db_commit(conn, err) == 0) return obj;
    json_decref(obj);
    db_rollback(conn);
    return NULL;
}

/* After a change matched no row: 404 when the campaign does not exist, else 409 with its
 * state. Always returns -1. */
static int refuse_for_state(PGconn *conn, long long id, const char *what,
                            char state[CAMPAIGN_STATE_MAX], mc_error *err)
{
    char id_text[32];
    snprintf(id_text, sizeof id_text, "%lld", id);
    const char *params[] = {id_text};
    PGresult *res = db_query(conn, "SELECT state FROM campaigns WHERE id = $1", 1, params, err);
    if (!res) return -1;
    if (PQntuples(res) != 1) {
        PQclear(res);
        return mc_error_set(err, 404, "not_found", "id", "no campaign has the id %lld", id);
    }
    if (state) snprintf(state, CAMPAIGN_STATE_MAX, "%s", PQgetvalue(res, 0, 0));
    mc_error_set(err, 409, "invalid_state", "state", "the campaign is %s: %s",
                 PQgetvalue(res, 0, 0), what);
    PQclear(res);
    return -1;
}

json_t *campaign_create(PGconn *conn, const campaign_env *env, json_t *body,
                        const campaign_actor *by, mc_error *err)
{
    campaign_input in;
    json_t *obj = NULL;
    if (campaign_input_parse(conn, env->templates_dir, env->relays, body, true, &in, err) == 0 &&
        db_begin(conn, err) == 0) {
        char user_text[32];
        snprintf(user_text, sizeof user_text, "%lld", by->user_id);
        const char *params[1 + CAMPAIGN_FIELD_COUNT];
        params[0] = by->user_id ? user_text : NULL;
        for (int i = 0; i < CAMPAIGN_FIELD_COUNT; i++)
            params[1 + i] = in.values[i];
        PGresult *res = db_query(conn, INSERT_SQL, 1 + CAMPAIGN_FIELD_COUNT, params, err);
        if (res) obj = with_ab_test(conn, one_campaign(res, 0, err), in.ab_test, err);
        obj = finish(conn, obj, err);
    }
    campaign_input_free(&in);
    return obj;
}

json_t *campaign_get(PGconn *conn, long long id, mc_error *err)
{
    char id_text[32];
    snprintf(id_text, sizeof id_text, "%lld", id);
    const char *params[] = {id_text};
    PGresult *res =
        db_query(conn, "SELECT " CAMPAIGN_JSON " FROM campaigns c WHERE c.id = $1", 1, params, err);
    return res ? one_campaign(res, id, err) : NULL;
}

/* PATCH (replace false: absent fields are kept) and PUT (replace true: the body must be
 * complete, absent fields take a new campaign's defaults) share the checks and the refusal. */
static json_t *save(PGconn *conn, const campaign_env *env, long long id, json_t *body, bool replace,
                    char state[CAMPAIGN_STATE_MAX], mc_error *err)
{
    campaign_input in;
    json_t *obj = NULL;
    if (campaign_input_parse(conn, env->templates_dir, env->relays, body, replace, &in, err) == 0 &&
        db_begin(conn, err) == 0) {
        /* a full replace without a test removes the one stored */
        if (replace && !in.ab_test) in.ab_test = strdup("null");
        char id_text[32];
        snprintf(id_text, sizeof id_text, "%lld", id);
        const char *params[2 + CAMPAIGN_FIELD_COUNT];
        params[0] = id_text;
        for (int i = 0; i < CAMPAIGN_FIELD_COUNT; i++)
            params[1 + i] = in.values[i];
        params[1 + CAMPAIGN_FIELD_COUNT] = in.clear_window ? "true" : "false";
        PGresult *res = replace ? db_query(conn, REPLACE_SQL, 1 + CAMPAIGN_FIELD_COUNT, params, err)
                                : db_query(conn, UPDATE_SQL, 2 + CAMPAIGN_FIELD_COUNT, params, err);
        if (res && PQntuples(res) == 0) {
            PQclear(res);
            char now[CAMPAIGN_STATE_MAX] = "";
            refuse_for_state(conn, id, "its content can no longer change", now, err);
            if (replace && !strcmp(now, "scheduled"))
                mc_error_set(err, 400, "invalid_field", "send_at",
                             "send_at is required: the campaign is scheduled");
            else if (state)
                memcpy(state, now, sizeof now);
        } else if (res) {
            obj = with_ab_test(conn, one_campaign(res, id, err), in.ab_test, err);
        }
        obj = finish(conn, obj, err);
    }
    campaign_input_free(&in);
    return obj;
}

json_t *campaign_update(PGconn *conn, const campaign_env *env, long long id, json_t *body,
                        char state[CAMPAIGN_STATE_MAX], mc_error *err)
{
    return save(conn, env, id, body, false, state, err);
}

json_t *campaign_replace(PGconn *conn, const campaign_env *env, long long id, json_t *body,
                         char state[CAMPAIGN_STATE_MAX], mc_error *err)
{
    return save(conn, env, id, body, true, state, err);
}

json_t *campaign_duplicate(PGconn *conn, long long id, const campaign_actor *by, mc_error *err)
{
    char id_text[32], user_text[32];
    snprintf(id_text, sizeof id_text, "%lld", id);
    snprintf(user_text, sizeof user_text, "%lld", by->user_id);
    const char *params[] = {id_text, by->user_id ? user_text : NULL};
    if (db_begin(conn, err) < 0) return NULL;
    PGresult *res = db_query(
        conn,
        "WITH c AS (INSERT INTO campaigns (created_by, " COLUMNS_SQL ") SELECT $2, left(name, 193)"
        " || ' (copy)', subject, from_email, from_name, reply_to, template_id, body, lists,"
        " segments, exclude_lists, exclude_segments, relay, send_at, timezone, tags, headers,"
        " track_opens, track_clicks, utm, rate_per_s, window_start, window_end"
        " FROM campaigns WHERE id = $1 RETURNING *)"
        " SELECT " CAMPAIGN_JSON " FROM c",
        2, params, err);
    json_t *copy = res ? one_campaign(res, id, err) : NULL;
    /* the test's settings go with the copy, not its outcome */
    if (copy) {
        char copy_text[32];
        snprintf(copy_text, sizeof copy_text, "%lld",
                 (long long)json_integer_value(json_object_get(copy, "id")));
        json_decref(copy);
        copy = campaign_ab_copy(conn, id_text, copy_text, err) == 0
                   ? campaign_get(conn, strtoll(copy_text, NULL, 10), err)
                   : NULL;
    }
    return finish(conn, copy, err);
}

int campaign_delete(PGconn *conn, long long id, char state[CAMPAIGN_STATE_MAX], mc_error *err)
{
    char id_text[32];
    snprintf(id_text, sizeof id_text, "%lld", id);
    const char *params[] = {id_text};
    PGresult *res = db_query(conn,
                             "DELETE FROM campaigns WHERE id = $1 AND state NOT IN ('running',"
                             " 'paused') RETURNING id",
                             1, params, err);
    if (!res) return -1;
    int deleted = PQntuples(res);
    PQclear(res);
    return deleted ? 0 : refuse_for_state(conn, id, "cancel it before deleting it", state, err);
}

json_t *campaign_list(PGconn *conn, const char *state, long long after, int limit, bool with_total,
                      mc_error *err)
{
    bool known = !state;
    for (size_t i = 0; state && STATES[i]; i++)
        known = known || !strcmp(state, STATES[i]);
    if (!known) {
        mc_error_set(err, 400, "invalid_field", "state",
                     "state must be draft, scheduled, running, paused, finished or cancelled");
        return NULL;
    }
    const char *params[] = {state};
    return db_keyset_page(conn,
                          "SELECT c.id, " CAMPAIGN_JSON " FROM campaigns c WHERE c.id > $1"
                          " AND ($3::text IS NULL OR c.state = $3) ORDER BY c.id LIMIT $2",
                          "SELECT count(*) FROM campaigns WHERE $1::text IS NULL OR state = $1", 1,
                          params, after, limit, with_total, err);
}
