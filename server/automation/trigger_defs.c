/* Trigger rows and their versions. A definition is checked, and the ids it names looked up,
 * in the transaction that stores it, so nothing half-written stays behind a refusal. */
#include "automation/trigger_defs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "automation/trigger_validate.h"
#include "db/json_rows.h"
#include "db/listen.h"
#include "db/query.h"

/* The definition with the row's own members; the row's enabled wins over the definition's. */
#define TRIGGER_JSON                                                                               \
    "(t.definition || jsonb_build_object('id', t.id, 'version', t.version, 'enabled', t.enabled,"  \
    " 'created_at', mc_rfc3339(t.created_at), 'updated_at', mc_rfc3339(t.updated_at)))::text"

static const char INSERT_SQL[] =
    "WITH t AS (INSERT INTO triggers (name, enabled, definition, entry_kind, entry_event,"
    " entry_list_id, entry_date_attribute) VALUES ($1, $2::boolean, $3::jsonb, $4, $5,"
    " $6::bigint, $7) RETURNING *),"
    " v AS (INSERT INTO trigger_versions (trigger_id, version, definition)"
    " SELECT id, version, definition FROM t)"
    " SELECT " TRIGGER_JSON " FROM t";

/* $9: 1 when what the trigger does changed (a new version), 0 for a new name or enabled only */
static const char UPDATE_SQL[] =
    "WITH t AS (UPDATE triggers SET name = $2, enabled = $3::boolean, definition = $4::jsonb,"
    " entry_kind = $5, entry_event = $6, entry_list_id = $7::bigint, entry_date_attribute = $8,"
    " version = version + $9::int, updated_at = now() WHERE id = $1 RETURNING *),"
    " v AS (INSERT INTO trigger_versions (trigger_id, version, definition)"
    " SELECT id, version, definition FROM t WHERE $9::int = 1)"
    " SELECT " TRIGGER_JSON " FROM t";

static const char CURRENT_SQL[] = "SELECT definition::text FROM triggers WHERE id = $1 FOR UPDATE";

static const char SET_ENABLED_SQL[] =
    "UPDATE triggers t SET enabled = $2::boolean,"
    " definition = jsonb_set(t.definition, '{enabled}', to_jsonb($2::boolean)),"
    " updated_at = now() WHERE t.id = $1 RETURNING " TRIGGER_JSON;

static const char ENROLLMENT_PAGE_SQL[] =
    "SELECT e.id, json_build_object('id', e.id, 'subscriber_id', e.subscriber_id, 'email',"
    " s.email, 'state', e.state, 'step', e.step, 'due_at', mc_rfc3339(e.due_at), 'entered_at',"
    " mc_rfc3339(e.entered_at), 'ended_at', mc_rfc3339(e.ended_at), 'end_reason', e.end_reason,"
    " 'version', e.version)::text"
    " FROM trigger_enrollments e JOIN subscribers s ON s.id = e.subscriber_id"
    " WHERE e.id > $1 AND e.trigger_id = $3 AND ($4::text IS NULL OR e.state = $4)"
    " ORDER BY e.id LIMIT $2";
static const char ENROLLMENT_COUNT_SQL[] =
    "SELECT count(*) FROM trigger_enrollments WHERE trigger_id = $1"
    " AND ($2::text IS NULL OR state = $2)";

/* The columns that repeat the entry of a definition, for the automation pass's lookups. */
typedef struct {
    const char *kind, *event, *date_attribute, *list;
    char list_text[32];
} entry_columns;

static void entry_columns_of(json_t *def, entry_columns *c)
{
    json_t *entry = json_object_get(def, "entry");
    json_t *list = json_object_get(entry, "list");
    c->event = json_string_value(json_object_get(entry, "event"));
    c->date_attribute = json_string_value(json_object_get(entry, "date_attribute"));
    c->list = NULL;
    if (list) {
        snprintf(c->list_text, sizeof c->list_text, "%lld", (long long)json_integer_value(list));
        c->list = c->list_text;
    }
    c->kind = c->event ? "event" : c->list ? "list" : "date";
}

/* Commits when obj is set, else rolls back. returns obj, or NULL with err. */
static json_t *finish(PGconn *conn, json_t *obj, mc_error *err)
{
    if (!obj) {
        db_rollback(conn);
        return NULL;
    }
    if (db_commit(conn, err) < 0) {
        json_decref(obj);
        return NULL;
    }
    return obj;
}

json_t *trigger_create(PGconn *conn, json_t *body, const char *templates_dir, mc_error *err)
{
    json_t *def = trigger_normalize(body, err);
    if (!def) return NULL;
    json_t *obj = NULL;
    if (db_begin(conn, err) < 0) {
        json_decref(def);
        return NULL;
    }
    if (trigger_check_references(conn, def, templates_dir, err) == 0) {
        entry_columns c;
        entry_columns_of(def, &c);
        char *text = json_dumps(def, JSON_COMPACT);
        const char *params[] = {json_string_value(json_object_get(def, "name")),
                                json_is_true(json_object_get(def, "enabled")) ? "true" : "false",
                                text,
                                c.kind,
                                c.event,
                                c.list,
                                c.date_attribute};
        PGresult *res = db_query(conn, INSERT_SQL, 7, params, err);
        if (res) obj = db_json_one(res, "trigger", 0, err);
        free(text);
    }
    json_decref(def);
    return finish(conn, obj, err);
}

json_t *trigger_get(PGconn *conn, long long id, mc_error *err)
{
    char id_text[32];
    snprintf(id_text, sizeof id_text, "%lld", id);
    const char *params[] = {id_text};
    PGresult *res =
        db_query(conn, "SELECT " TRIGGER_JSON " FROM triggers t WHERE t.id = $1", 1, params, err);
    return res ? db_json_one(res, "trigger", id, err) : NULL;
}

/* The body to normalize: for PUT the body itself (enabled kept when absent), for PATCH the
 * current definition with the body's members over it. returns a new reference. */
static json_t *next_body(json_t *current, json_t *body, bool replace)
{
    json_t *next;
    if (replace) {
        next = json_copy(body);
        if (!json_object_get(next, "enabled"))
            json_object_set(next, "enabled", json_object_get(current, "enabled"));
        return next;
    }
    next = json_deep_copy(current);
    /* a new re-entry rule brings its own pause */
    if (json_object_get(body, "reentry")) json_object_del(next, "reentry_seconds");
    json_object_update(next, body);
    return next;
}

/* true when a and b differ in more than their name and enabled */
static bool behaviour_changed(json_t *a, json_t *b)
{
    json_t *x = json_copy(a), *y = json_copy(b);
    const char *const own[] = {"name", "enabled"};
    for (int i = 0; i < 2; i++) {
        json_object_del(x, own[i]);
        json_object_del(y, own[i]);
    }
    bool changed = !json_equal(x, y);
    json_decref(x);
    json_decref(y);
    return changed;
}

/* Stores def over current for trigger id_text. returns the trigger or NULL with err. */
static json_t *store_update(PGconn *conn, const char *id_text, json_t *current, json_t *def,
                            mc_error *err)
{
    entry_columns c;
    entry_columns_of(def, &c);
    char *text = json_dumps(def, JSON_COMPACT);
    bool enabled = json_is_true(json_object_get(def, "enabled"));
    const char *params[] = {id_text,
                            json_string_value(json_object_get(def, "name")),
                            enabled ? "true" : "false",
                            text,
                            c.kind,
                            c.event,
                            c.list,
                            c.date_attribute,
                            behaviour_changed(current, def) ? "1" : "0"};
    /* resuming makes the steps of the subscribers who waited due at once */
    bool resumed = enabled && !json_is_true(json_object_get(current, "enabled"));
    PGresult *res =
        resumed ? db_query_notify(conn, UPDATE_SQL, 9, params, DB_WORK_CHANNEL, "trigger", err)
                : db_query(conn, UPDATE_SQL, 9, params, err);
    free(text);
    return res ? db_json_one(res, "trigger", 0, err) : NULL;
}

json_t *trigger_update(PGconn *conn, long long id, json_t *body, bool replace,
                       const char *templates_dir, mc_error *err)
{
    char id_text[32];
    snprintf(id_text, sizeof id_text, "%lld", id);
    const char *params[] = {id_text};
    if (db_begin(conn, err) < 0) return NULL;
    PGresult *res = db_query(conn, CURRENT_SQL, 1, params, err);
    if (!res) return finish(conn, NULL, err);
    if (PQntuples(res) != 1) {
        PQclear(res);
        mc_error_set(err, 404, "not_found", "id", "no trigger has the id %lld", id);
        return finish(conn, NULL, err);
    }
    json_t *current = json_loads(PQgetvalue(res, 0, 0), 0, NULL);
    PQclear(res);
    json_t *next = next_body(current, body, replace);
    json_t *def = trigger_normalize(next, err);
    json_decref(next);
    json_t *obj = NULL;
    if (def && trigger_check_references(conn, def, templates_dir, err) == 0)
        obj = store_update(conn, id_text, current, def, err);
    json_decref(def);
    json_decref(current);
    return finish(conn, obj, err);
}

json_t *trigger_set_enabled(PGconn *conn, long long id, bool enabled, mc_error *err)
{
    char id_text[32];
    snprintf(id_text, sizeof id_text, "%lld", id);
    const char *params[] = {id_text, enabled ? "true" : "false"};
    /* resuming makes the steps of the subscribers who waited due at once */
    PGresult *res =
        enabled ? db_query_notify(conn, SET_ENABLED_SQL, 2, params, DB_WORK_CHANNEL, "trigger", err)
                : db_query(conn, SET_ENABLED_SQL, 2, params, err);
    return res ? db_json_one(res, "trigger", id, err) : NULL;
}

int trigger_delete(PGconn *conn, long long id, mc_error *err)
{
    /* versions and enrollments go with it (foreign keys with ON DELETE CASCADE) */
    return db_delete_by_id(conn, "DELETE FROM triggers WHERE id = $1 RETURNING id", "trigger", id,
                           err);
}

json_t *trigger_list(PGconn *conn, long long after, int limit, bool with_total, mc_error *err)
{
    return db_keyset_page(conn,
                          "SELECT t.id, " TRIGGER_JSON
                          " FROM triggers t WHERE t.id > $1 ORDER BY t.id LIMIT $2",
                          "SELECT count(*) FROM triggers", 0, NULL, after, limit, with_total, err);
}

json_t *trigger_enrollments(PGconn *conn, long long id, const char *state, long long after,
                            int limit, bool with_total, mc_error *err)
{
    static const char *const states[] = {"active", "completed", "exited", "cancelled"};
    bool known = !state;
    for (int i = 0; i < 4 && !known; i++)
        known = !strcmp(state, states[i]);
    if (!known) {
        mc_error_set(err, 400, "invalid_field", "state",
                     "state is active, completed, exited or cancelled");
        return NULL;
    }
    json_t *trigger = trigger_get(conn, id, err);
    if (!trigger) return NULL;
    json_decref(trigger);
    char id_text[32];
    snprintf(id_text, sizeof id_text, "%lld", id);
    const char *params[] = {id_text, state};
    return db_keyset_page(conn, ENROLLMENT_PAGE_SQL, ENROLLMENT_COUNT_SQL, 2, params, after, limit,
                          with_total, err);
}
