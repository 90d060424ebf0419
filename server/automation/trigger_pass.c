/* The pass reads a batch of events, finds once per batch the triggers those names concern
 * (entry, exit, a newer entry event) and each trigger's events whose properties pass its
 * conditions, then applies the events one by one in id order: a cart update followed by an
 * order of the same subscriber in one batch enters, then exits. */
#include "automation/trigger_pass.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audience/segment_compile.h"
#include "automation/enrollment.h"
#include "core/alloc.h"
#include "core/buf.h"
#include "core/log.h"
#include "db/listen.h"
#include "db/query.h"

/* the pass's advisory lock: a key space of its own, one key */
#define PASS_LOCK_SQL "1635021568, 1"

static const char BATCH_SQL[] = "SELECT id, subscriber_id, name FROM events WHERE NOT handled"
                                " ORDER BY id LIMIT $1::integer FOR UPDATE SKIP LOCKED";

/* The enabled triggers an event of the batch ($1, its ids) enters: id, conditions on the
 * properties, whether it names a segment, and that segment's rule (NULL when it is gone). */
static const char TRIGGERS_SQL[] =
    "SELECT t.id, t.entry_event, t.definition->'entry'->'where',"
    " jsonb_typeof(t.definition->'segment') = 'number',"
    " (SELECT g.rule FROM segments g WHERE g.id = (CASE WHEN jsonb_typeof(t.definition->"
    "'segment') = 'number' THEN (t.definition->>'segment')::bigint END)) FROM triggers t"
    " WHERE t.enabled AND t.entry_kind = 'event' AND t.entry_event IN (SELECT name FROM events"
    " WHERE id = ANY($1::bigint[])) ORDER BY t.id";

/* The names of the batch that end enrollments ('x') or replace their entry event ('e'), in any
 * version a subscriber may be on: an event of no such name is only marked handled. */
static const char NAMES_SQL[] =
    "WITH n AS (SELECT DISTINCT name FROM events WHERE id = ANY($1::bigint[]))"
    " SELECT DISTINCT 'x', x FROM trigger_versions v, jsonb_array_elements_text(CASE WHEN"
    " jsonb_typeof(v.definition->'exit_on') = 'array' THEN v.definition->'exit_on' ELSE '[]'"
    " END) x WHERE x IN (SELECT name FROM n) UNION SELECT DISTINCT 'e', v.definition->'entry'->>"
    "'event' FROM trigger_versions v WHERE v.definition->'entry'->>'event' IN (SELECT name FROM n)";

/* Ends the active enrollments of subscriber $1 whose version has $2 among its exit events:
 * their pending steps never run. */
static const char EXIT_SQL[] =
    "UPDATE trigger_enrollments en SET state = 'exited', ended_at = now(), end_reason = 'event:'"
    " || $2 FROM trigger_versions v WHERE en.subscriber_id = $1::bigint AND en.state = 'active'"
    " AND v.trigger_id = en.trigger_id AND v.version = en.version AND v.definition->'exit_on' ? $2";

/* A newer event $3 of the name $2 that entered subscriber $1 into a trigger it is still in
 * becomes the event its mail shows, and the wait it is in (the step before the next) starts
 * again: the reminder comes that long after the last cart change, not the first. A wait until
 * a time of day keeps its time. */
static const char REPLACE_SQL[] =
    "UPDATE trigger_enrollments en SET event_id = $3::bigint, due_at = CASE WHEN en.step > 0 AND"
    " jsonb_typeof(v.definition->'steps'->(en.step - 1)->'seconds') = 'number' THEN now() +"
    " (v.definition->'steps'->(en.step - 1)->>'seconds')::bigint * interval '1 second' ELSE"
    " en.due_at END FROM trigger_versions v WHERE en.subscriber_id = $1::bigint AND en.state ="
    " 'active' AND v.trigger_id = en.trigger_id AND v.version = en.version AND"
    " v.definition->'entry'->>'event' = $2 AND en.event_id IS DISTINCT FROM $3::bigint";

static const char HANDLED_SQL[] = "UPDATE events SET handled = true WHERE id = ANY($1::bigint[])";

typedef struct {
    long long id;
    long long *matched; /* the batch's events that pass its conditions, ascending */
    size_t matched_count;
    sql_builder insert; /* enters $2 (subscriber) with event $3 */
} pass_trigger;

static int compare_ids(const void *a, const void *b)
{
    long long x = *(const long long *)a, y = *(const long long *)b;
    return (x > y) - (x < y);
}

static bool has_id(const pass_trigger *t, long long id)
{
    return bsearch(&id, t->matched, t->matched_count, sizeof id, compare_ids) != NULL;
}

/* Fills t->matched with the events of batch (rows: id, subscriber, name) named name whose
 * properties pass where (NULL or [] for none). The conditions compile as a segment rule's
 * event node, run against a stand-in for events in which each event of the batch is its own
 * subscriber (subscriber_id is the event's id), so that the rule counts that one event.
 * returns 0, or -1 with err on a database error (a rule that no longer compiles matches no
 * event, logged). */
static int match_events(PGconn *conn, pass_trigger *t, PGresult *batch, const char *ids,
                        const char *name, json_t *where, mc_error *err)
{
    int n = PQntuples(batch);
    t->matched = xcalloc((size_t)n + 1, sizeof *t->matched);
    if (!json_is_array(where) || json_array_size(where) == 0) {
        for (int i = 0; i < n; i++)
            if (!strcmp(PQgetvalue(batch, i, 2), name))
                t->matched[t->matched_count++] = strtoll(PQgetvalue(batch, i, 0), NULL, 10);
        return 0;
    }
    sql_builder b = SQL_BUILDER_INIT;
    sql_builder_bind(&b, ids);
    sql_builder_add(&b, "WITH b AS (SELECT id, name, properties, occurred_at FROM events WHERE"
                        " id = ANY($1::bigint[])), events AS (SELECT id AS subscriber_id, name,"
                        " properties, occurred_at FROM b) SELECT s.id FROM b s WHERE ");
    json_t *rule = json_pack("{s:s, s:O}", "event", name, "where", where);
    mc_error why;
    int rc = 0;
    if (segment_compile(rule, &b, &why) < 0) {
        log_warn("automation: trigger %lld: its conditions no longer compile (%s: %s)", t->id,
                 why.field, why.message);
    } else {
        PGresult *res = db_query(conn, sql_builder_text(&b), b.count, sql_builder_params(&b), err);
        if (!res) rc = -1;
        for (int i = 0; res && i < PQntuples(res); i++)
            t->matched[t->matched_count++] = strtoll(PQgetvalue(res, i, 0), NULL, 10);
        PQclear(res);
    }
    json_decref(rule);
    sql_builder_free(&b);
    qsort(t->matched, t->matched_count, sizeof *t->matched, compare_ids);
    return rc;
}

/* Builds t->insert: enters subscriber $2 with event $3 into trigger $1 (its current version,
 * due now, entered when the event occurred) when the subscriber is active, passes the
 * trigger's segment and its re-entry rule. */
static void build_insert(pass_trigger *t, PGresult *triggers, int row)
{
    sql_builder *b = &t->insert;
    sql_builder_bind(b, PQgetvalue(triggers, row, 0));
    sql_builder_bind(b, NULL);
    sql_builder_bind(b, NULL);
    sql_builder_add(b, "INSERT INTO trigger_enrollments (trigger_id, version, subscriber_id,"
                       " event_id, due_at, entered_at) SELECT t.id, t.version, s.id, e.id, now(),"
                       " least(e.occurred_at, now()) FROM triggers t, subscribers s, events e"
                       " WHERE t.id = $1::bigint AND s.id = $2::bigint AND e.id = $3::bigint"
                       " AND s.status = 'active' AND " ENROLLMENT_ALLOWED_SQL("s.id"));
    json_t *rule =
        PQgetisnull(triggers, row, 4) ? NULL : json_loads(PQgetvalue(triggers, row, 4), 0, NULL);
    enrollment_add_segment(b, t->id, PQgetvalue(triggers, row, 3)[0] == 't', rule);
    json_decref(rule);
    /* a concurrent entry (a list entry at the same moment) wins: one active at a time */
    sql_builder_add(b, " ON CONFLICT DO NOTHING");
}

/* Enters subscriber into t with event (both decimal). returns 1 when entered, 0 when not, -1
 * with err. */
static int enter(PGconn *conn, const pass_trigger *t, const char *subscriber, const char *event,
                 mc_error *err)
{
    const char **params = xcalloc((size_t)t->insert.count, sizeof *params);
    memcpy(params, sql_builder_params(&t->insert), (size_t)t->insert.count * sizeof *params);
    params[1] = subscriber;
    params[2] = event;
    PGresult *res = db_query(conn, sql_builder_text(&t->insert), t->insert.count, params, err);
    free(params);
    if (!res) return -1;
    int entered = atoi(PQcmdTuples(res)) > 0;
    PQclear(res);
    return entered;
}

/* true when names (rows: kind, name) has kind with name */
static bool names_have(PGresult *names, char kind, const char *name)
{
    for (int i = 0; i < PQntuples(names); i++)
        if (PQgetvalue(names, i, 0)[0] == kind && !strcmp(PQgetvalue(names, i, 1), name))
            return true;
    return false;
}

/* Applies event `row` of batch. *entered counts the entries made. returns 0 or -1 with err. */
static int apply_event(PGconn *conn, PGresult *batch, int row, PGresult *names,
                       pass_trigger *triggers, size_t count, int *entered, mc_error *err)
{
    const char *id = PQgetvalue(batch, row, 0), *subscriber = PQgetvalue(batch, row, 1),
               *name = PQgetvalue(batch, row, 2);
    const char *exit_params[] = {subscriber, name};
    if (names_have(names, 'x', name) && db_exec(conn, EXIT_SQL, 2, exit_params, err) < 0) return -1;
    const char *replace_params[] = {subscriber, name, id};
    if (names_have(names, 'e', name) && db_exec(conn, REPLACE_SQL, 3, replace_params, err) < 0)
        return -1;
    long long event = strtoll(id, NULL, 10);
    for (size_t i = 0; i < count; i++) {
        if (!has_id(&triggers[i], event)) continue;
        int rc = enter(conn, &triggers[i], subscriber, id, err);
        if (rc < 0) return -1;
        *entered += rc;
    }
    return 0;
}

/* Applies the events of batch (ids: their array literal). returns 0 or -1 with err. */
static int apply_batch(PGconn *conn, PGresult *batch, const char *ids, mc_error *err)
{
    const char *params[] = {ids};
    PGresult *found = db_query(conn, TRIGGERS_SQL, 1, params, err);
    PGresult *names = found ? db_query(conn, NAMES_SQL, 1, params, err) : NULL;
    if (!names) {
        PQclear(found);
        return -1;
    }
    size_t count = (size_t)PQntuples(found);
    pass_trigger *triggers = xcalloc(count + 1, sizeof *triggers);
    int rc = 0;
    for (size_t i = 0; i < count && rc == 0; i++) {
        pass_trigger *t = &triggers[i];
        t->id = strtoll(PQgetvalue(found, (int)i, 0), NULL, 10);
        t->insert = SQL_BUILDER_INIT;
        json_t *where = json_loads(PQgetvalue(found, (int)i, 2), 0, NULL);
        rc = match_events(conn, t, batch, ids, PQgetvalue(found, (int)i, 1), where, err);
        json_decref(where);
        build_insert(t, found, (int)i);
    }
    int entered = 0;
    for (int row = 0; rc == 0 && row < PQntuples(batch); row++)
        rc = apply_event(conn, batch, row, names, triggers, count, &entered, err);
    /* the step runner of every worker: the new enrollments are due now */
    if (rc == 0 && entered > 0) rc = db_notify(conn, DB_WORK_CHANNEL, "trigger", err);
    for (size_t i = 0; i < count; i++) {
        free(triggers[i].matched);
        sql_builder_free(&triggers[i].insert);
    }
    free(triggers);
    PQclear(names);
    PQclear(found);
    return rc;
}

/* The pass over up to limit events; with skip, the events are only marked handled. returns
 * the number handled or -1 with err. */
static int pass(PGconn *conn, int limit, bool skip, mc_error *err)
{
    char limit_text[16];
    snprintf(limit_text, sizeof limit_text, "%d", limit);
    const char *limit_params[] = {limit_text};
    if (db_begin(conn, err) < 0) return -1;
    PGresult *locked =
        db_query(conn, "SELECT pg_try_advisory_xact_lock(" PASS_LOCK_SQL ")", 0, NULL, err);
    PGresult *batch = NULL;
    if (locked && PQgetvalue(locked, 0, 0)[0] == 't')
        batch = db_query(conn, BATCH_SQL, 1, limit_params, err);
    else if (locked) {
        /* another worker's pass is running: it takes these events */
        PQclear(locked);
        db_rollback(conn);
        return 0;
    }
    PQclear(locked);
    if (!batch) {
        db_rollback(conn);
        return -1;
    }
    int n = PQntuples(batch);
    buf_t ids = BUF_INIT;
    buf_putc(&ids, '{');
    for (int i = 0; i < n; i++)
        buf_appendf(&ids, "%s%s", i ? "," : "", PQgetvalue(batch, i, 0));
    buf_putc(&ids, '}');
    const char *params[] = {buf_cstr(&ids)};
    int rc = n == 0 || skip ? 0 : apply_batch(conn, batch, buf_cstr(&ids), err);
    if (rc == 0 && n > 0) rc = db_exec(conn, HANDLED_SQL, 1, params, err);
    if (rc == 0) rc = db_commit(conn, err);
    if (rc < 0) db_rollback(conn);
    buf_free(&ids);
    PQclear(batch);
    return rc < 0 ? -1 : n;
}

int trigger_pass_run(PGconn *conn, mc_error *err)
{
    int n = pass(conn, TRIGGER_PASS_BATCH, false, err);
    if (n >= 0 || PQstatus(conn) != CONNECTION_OK) return n;
    /* An event the database refuses to apply (a condition it cannot evaluate on these
     * properties) would stop every pass after it: the events are taken one by one up to it,
     * and it is marked handled without effect, so that the others go on. */
    int handled = 0;
    while (handled < TRIGGER_PASS_BATCH) {
        mc_error why;
        int one = pass(conn, 1, false, &why);
        if (one == 0) break;
        if (one > 0) {
            handled++;
            continue;
        }
        if (PQstatus(conn) != CONNECTION_OK) {
            *err = why;
            return -1;
        }
        log_warn("automation: an event could not be applied to the triggers and is skipped: %s",
                 why.message);
        if (pass(conn, 1, true, err) < 0) return -1;
        /* the rest is a batch again, at once */
        return TRIGGER_PASS_BATCH;
    }
    return handled;
}
