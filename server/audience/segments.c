/* Segment rows, and running their compiled rules. */
#include "audience/segments.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audience/input.h"
#include "audience/segment_compile.h"
#include "audience/subscriber_json.h"
#include "db/json_rows.h"
#include "db/query.h"

#define SEGMENT_JSON                                                                               \
    "json_build_object('id', id, 'name', name, 'rule', rule, 'created_at',"                        \
    " mc_rfc3339(created_at), 'updated_at', mc_rfc3339(updated_at))::text"

/* Compiles rule to check it; the SQL is thrown away. returns 0 or -1 with err. */
static int check_rule(json_t *rule, mc_error *err)
{
    sql_builder b = SQL_BUILDER_INIT;
    int rc = segment_compile(rule, &b, err);
    sql_builder_free(&b);
    return rc;
}

static const char *const SEGMENT_FIELDS[] = {"name", "rule", NULL};

/* Reads name and rule; *rule_text gets the rule's JSON (caller frees with free()). */
static int parse_segment(json_t *body, bool required, char **name, char **rule_text, mc_error *err)
{
    *name = *rule_text = NULL;
    if (input_known_fields(body, SEGMENT_FIELDS, err) < 0 ||
        input_string(body, "name", 1, 200, name, err) < 0)
        return -1;
    if (!*name && required)
        return mc_error_set(err, 400, "invalid_field", "name", "name is required");
    json_t *rule = json_object_get(body, "rule");
    if (!rule && required)
        return mc_error_set(err, 400, "invalid_rule", "rule", "rule is required");
    if (rule) {
        if (check_rule(rule, err) < 0) return -1;
        *rule_text = json_dumps(rule, JSON_COMPACT | JSON_ENCODE_ANY);
    }
    return 0;
}

json_t *segment_create(PGconn *conn, json_t *body, mc_error *err)
{
    char *name, *rule;
    json_t *obj = NULL;
    if (parse_segment(body, true, &name, &rule, err) == 0) {
        const char *params[] = {name, rule};
        PGresult *res = db_query(conn,
                                 "INSERT INTO segments (name, rule) VALUES ($1, $2::jsonb)"
                                 " RETURNING " SEGMENT_JSON,
                                 2, params, err);
        if (res) obj = db_json_one(res, "segment", 0, err);
    }
    free(name);
    free(rule);
    return obj;
}

json_t *segment_get(PGconn *conn, long long id, mc_error *err)
{
    char id_text[32];
    snprintf(id_text, sizeof id_text, "%lld", id);
    const char *params[] = {id_text};
    PGresult *res =
        db_query(conn, "SELECT " SEGMENT_JSON " FROM segments WHERE id = $1", 1, params, err);
    return res ? db_json_one(res, "segment", id, err) : NULL;
}

json_t *segment_update(PGconn *conn, long long id, json_t *body, mc_error *err)
{
    char *name, *rule;
    json_t *obj = NULL;
    if (parse_segment(body, false, &name, &rule, err) == 0) {
        char id_text[32];
        snprintf(id_text, sizeof id_text, "%lld", id);
        const char *params[] = {id_text, name, rule};
        PGresult *res = db_query(conn,
                                 "UPDATE segments SET name = COALESCE($2, name),"
                                 " rule = COALESCE($3::jsonb, rule), updated_at = now()"
                                 " WHERE id = $1 RETURNING " SEGMENT_JSON,
                                 3, params, err);
        if (res) obj = db_json_one(res, "segment", id, err);
    }
    free(name);
    free(rule);
    return obj;
}

int segment_delete(PGconn *conn, long long id, mc_error *err)
{
    return db_delete_by_id(conn, "DELETE FROM segments WHERE id = $1 RETURNING id", "segment", id,
                           err);
}

json_t *segment_list(PGconn *conn, long long after, int limit, bool with_total, mc_error *err)
{
    return db_keyset_page(
        conn, "SELECT id, " SEGMENT_JSON " FROM segments WHERE id > $1 ORDER BY id LIMIT $2",
        "SELECT count(*) FROM segments", 0, NULL, after, limit, with_total, err);
}

int segment_sql_by_id(PGconn *conn, long long id, sql_builder *b, mc_error *err)
{
    char id_text[32];
    snprintf(id_text, sizeof id_text, "%lld", id);
    const char *params[] = {id_text};
    PGresult *res = db_query(conn, "SELECT rule::text FROM segments WHERE id = $1", 1, params, err);
    if (!res) return -1;
    if (PQntuples(res) != 1) {
        PQclear(res);
        return mc_error_set(err, 404, "not_found", "segment", "no segment has the id %lld", id);
    }
    json_t *rule = json_loads(PQgetvalue(res, 0, 0), JSON_DECODE_ANY, NULL);
    PQclear(res);
    sql_builder_add(b, "(");
    int rc = segment_compile(rule, b, err);
    sql_builder_add(b, ")");
    json_decref(rule);
    return rc;
}

static int count_sql(PGconn *conn, sql_builder *b, long long *count, mc_error *err)
{
    sql_builder_add(b, ")");
    PGresult *res = db_query(conn, sql_builder_text(b), b->count, sql_builder_params(b), err);
    sql_builder_free(b);
    if (!res) return -1;
    *count = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
    PQclear(res);
    return 0;
}

int segment_count_rule(PGconn *conn, json_t *rule, long long *count, mc_error *err)
{
    sql_builder b = SQL_BUILDER_INIT;
    sql_builder_add(&b, "SELECT count(*) FROM subscribers s WHERE (");
    if (segment_compile(rule, &b, err) < 0) {
        sql_builder_free(&b);
        return -1;
    }
    return count_sql(conn, &b, count, err);
}

int segment_count(PGconn *conn, long long id, long long *count, mc_error *err)
{
    sql_builder b = SQL_BUILDER_INIT;
    sql_builder_add(&b, "SELECT count(*) FROM subscribers s WHERE (");
    if (segment_sql_by_id(conn, id, &b, err) < 0) {
        sql_builder_free(&b);
        if (err->status == 404) strcpy(err->field, "id");
        return -1;
    }
    return count_sql(conn, &b, count, err);
}

json_t *segment_preview(PGconn *conn, long long id, int limit, mc_error *err)
{
    sql_builder b = SQL_BUILDER_INIT;
    sql_builder_add(&b, "SELECT " SUBSCRIBER_JSON " FROM subscribers s WHERE (");
    if (segment_sql_by_id(conn, id, &b, err) < 0) {
        sql_builder_free(&b);
        if (err->status == 404) strcpy(err->field, "id");
        return NULL;
    }
    sql_builder_add(&b, ") ORDER BY s.id LIMIT ");
    sql_builder_param_int(&b, limit);
    PGresult *res = db_query(conn, sql_builder_text(&b), b.count, sql_builder_params(&b), err);
    sql_builder_free(&b);
    if (!res) return NULL;
    json_t *items = json_array();
    for (int i = 0; i < PQntuples(res); i++)
        json_array_append_new(items, json_loads(PQgetvalue(res, i, 0), 0, NULL));
    PQclear(res);
    return json_pack("{s:o}", "items", items);
}
