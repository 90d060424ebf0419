/* Each enrollment runs in a transaction of its own, locked FOR UPDATE SKIP LOCKED: everything
 * a step does (the message it queues, the enrollment's next step and due time) commits with
 * the trigger_step_runs row that records it, whose primary key (enrollment, step) refuses a
 * second run. A worker killed half-way leaves nothing done, and the step runs again whole. */
#include "automation/trigger_runner.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audience/segment_compile.h"
#include "audience/suppression.h"
#include "core/alloc.h"
#include "core/log.h"
#include "db/query.h"
#include "queue/trigger_mail.h"

/* the per-subscriber cap's advisory lock: a key space of its own and the subscriber's id */
#define CAP_LOCK_SQL "1952672104, ($1::bigint & 2147483647)::integer"

static const char DUE_SQL[] =
    "SELECT en.id FROM trigger_enrollments en JOIN triggers t ON t.id = en.trigger_id"
    " WHERE en.state = 'active' AND en.due_at <= now() AND t.enabled ORDER BY en.due_at, en.id"
    " LIMIT 200";
_Static_assert(TRIGGER_RUNNER_BATCH == 200, "the LIMIT of DUE_SQL");

/* The enrollment $1 when it is still active, due and not held by another worker: its trigger,
 * subscriber, step, entry time, the definition of its version, the subscriber's time zone. */
static const char LOCK_SQL[] =
    "SELECT en.trigger_id, en.subscriber_id, en.step, en.entered_at, v.definition::text,"
    " s.attributes->>'timezone' FROM trigger_enrollments en JOIN triggers t ON t.id ="
    " en.trigger_id JOIN trigger_versions v ON v.trigger_id = en.trigger_id AND v.version ="
    " en.version JOIN subscribers s ON s.id = en.subscriber_id WHERE en.id = $1::bigint"
    " AND en.state = 'active' AND en.due_at <= now() AND t.enabled FOR UPDATE OF en SKIP LOCKED";

static const char NEXT_DUE_SQL[] =
    "SELECT ceil(extract(epoch FROM en.due_at - clock_timestamp()) * 1000)::bigint"
    " FROM trigger_enrollments en JOIN triggers t ON t.id = en.trigger_id AND t.enabled"
    " WHERE en.state = 'active' ORDER BY en.due_at LIMIT 1";

/* One enrollment being run. */
typedef struct {
    app_t *app;
    PGconn *conn;
    const char *id, *trigger, *subscriber, *entered_at, *timezone;
    json_t *definition;
} run_ctx;

typedef enum { STEP_NEXT, STEP_STOP } step_flow;

/* Records that step ran with outcome (message: the message it queued, or NULL). A step that
 * ran already fails here (the primary key), and the transaction with it. */
static int record(run_ctx *r, int step, const char *outcome, const char *message, mc_error *err)
{
    char step_text[16];
    snprintf(step_text, sizeof step_text, "%d", step);
    const char *params[] = {r->id, step_text, outcome, message};
    return db_exec(r->conn,
                   "INSERT INTO trigger_step_runs (enrollment_id, step, outcome, message_id)"
                   " VALUES ($1::bigint, $2::integer, $3, $4::bigint)",
                   4, params, err);
}

/* Ends the enrollment in state ("completed", "exited") with reason, at step. */
static int end(run_ctx *r, int step, const char *state, const char *reason, mc_error *err)
{
    char step_text[16];
    snprintf(step_text, sizeof step_text, "%d", step);
    const char *params[] = {r->id, step_text, state, reason};
    return db_exec(r->conn,
                   "UPDATE trigger_enrollments SET step = $2::integer, state = $3, ended_at ="
                   " now(), end_reason = $4 WHERE id = $1::bigint",
                   4, params, err);
}

/* Waits step `step` (a {"wait", "seconds"} or {"wait_until": "HH:MM"}): the next step is due
 * that many seconds from now, or at the next such time of day in the subscriber's time zone
 * (an unknown one: [automation] default_timezone; an unknown default: UTC). */
static int wait_step(run_ctx *r, int step, json_t *s, mc_error *err)
{
    if (record(r, step, "waited", NULL, err) < 0) return -1;
    char next[16], seconds[32];
    snprintf(next, sizeof next, "%d", step + 1);
    snprintf(seconds, sizeof seconds, "%lld",
             (long long)json_integer_value(json_object_get(s, "seconds")));
    const char *until = json_string_value(json_object_get(s, "wait_until"));
    if (!until) {
        const char *params[] = {r->id, next, seconds};
        return db_exec(r->conn,
                       "UPDATE trigger_enrollments SET step = $2::integer, due_at = now() +"
                       " $3::bigint * interval '1 second' WHERE id = $1::bigint",
                       3, params, err);
    }
    const char *params[] = {r->id, next, until, r->timezone,
                            r->app->config.automation_default_timezone};
    return db_exec(
        r->conn,
        "WITH z AS (SELECT COALESCE((SELECT name FROM pg_timezone_names WHERE name = $4),"
        " (SELECT name FROM pg_timezone_names WHERE name = $5), 'UTC') AS tz),"
        " d AS (SELECT tz, (now() AT TIME ZONE tz)::date + $3::time AS local_at FROM z)"
        " UPDATE trigger_enrollments SET step = $2::integer, due_at = (SELECT CASE WHEN"
        " local_at AT TIME ZONE tz > now() THEN local_at AT TIME ZONE tz ELSE (local_at +"
        " interval '1 day') AT TIME ZONE tz END FROM d) WHERE id = $1::bigint",
        5, params, err);
}

/* A check: its rule for the subscriber, events counted since the entry where it says so.
 * Held: passed, on to the next step; else failed, and the subscriber exits ("else": "exit")
 * or goes on all the same ("continue"). A rule that no longer compiles fails. */
static int check_step(run_ctx *r, int step, json_t *s, step_flow *flow, mc_error *err)
{
    sql_builder b = SQL_BUILDER_INIT;
    int p = sql_builder_bind(&b, r->subscriber);
    sql_builder_add(&b, "SELECT ");
    mc_error why;
    bool held = false;
    int rc = 0;
    if (segment_compile_at(json_object_get(s, "if"), &b, r->entered_at, &why) < 0) {
        log_warn("automation: enrollment %s: the check of step %d no longer compiles (%s: %s)",
                 r->id, step, why.field, why.message);
    } else {
        char from[64];
        snprintf(from, sizeof from, " FROM subscribers s WHERE s.id = $%d::bigint", p);
        sql_builder_add(&b, from);
        PGresult *res =
            db_query(r->conn, sql_builder_text(&b), b.count, sql_builder_params(&b), err);
        if (!res) rc = -1;
        held = res && PQntuples(res) == 1 && PQgetvalue(res, 0, 0)[0] == 't';
        PQclear(res);
    }
    sql_builder_free(&b);
    if (rc < 0 || record(r, step, held ? "passed" : "failed", NULL, err) < 0) return -1;
    const char *otherwise = json_string_value(json_object_get(s, "else"));
    *flow = held || (otherwise && !strcmp(otherwise, "continue")) ? STEP_NEXT : STEP_STOP;
    return *flow == STEP_STOP ? end(r, step + 1, "exited", "check failed", err) : 0;
}

/* Why the send step cannot send: "unsubscribed" when the subscriber may not get marketing
 * mail (unsubscribed from everything, blocklisted, or the address is suppressed), "template
 * gone" when its template was deleted since the trigger was saved; "" when it can send. NULL
 * with err. */
static const char *cannot_send(run_ctx *r, const char *template_id, mc_error *err)
{
    char ipad[SUPPRESSION_PAD_TEXT], opad[SUPPRESSION_PAD_TEXT];
    suppression_pads(r->app->secret, ipad, opad);
    const char *params[] = {r->subscriber, ipad, opad, template_id};
    PGresult *res =
        db_query(r->conn,
                 "SELECT s.status <> 'active' OR EXISTS (SELECT 1 FROM suppressions x WHERE"
                 " x.email_hash = " SUPPRESSION_KEY_SQL(
                     "s.email", "$2", "$3") "), NOT EXISTS (SELECT 1"
                                            " FROM templates t WHERE t.id = $4::bigint) FROM "
                                            "subscribers s WHERE s.id = $1::bigint",
                 4, params, err);
    if (!res) return NULL;
    const char *why = PQntuples(res) != 1 || PQgetvalue(res, 0, 0)[0] == 't' ? "unsubscribed"
                      : PQgetvalue(res, 0, 1)[0] == 't'                      ? "template gone"
                                                                             : "";
    PQclear(res);
    return why;
}

/* returns 1 when the subscriber has had [automation] subscriber_cap triggered messages within
 * cap_window_hours (from any trigger), 0 when not, -1 with err. Holds the subscriber's cap
 * lock until the transaction ends, so that two workers cannot both pass the cap. */
static int capped(run_ctx *r, mc_error *err)
{
    const config_t *cfg = &r->app->config;
    if (!cfg->automation_subscriber_cap || !cfg->automation_cap_window_hours) return 0;
    char cap[16], hours[16];
    snprintf(cap, sizeof cap, "%u", cfg->automation_subscriber_cap);
    snprintf(hours, sizeof hours, "%u", cfg->automation_cap_window_hours);
    const char *params[] = {r->subscriber, hours, cap};
    if (db_exec(r->conn, "SELECT pg_advisory_xact_lock(" CAP_LOCK_SQL ")", 1, params, err) < 0)
        return -1;
    PGresult *res = db_query(r->conn,
                             "SELECT count(*) >= $3::bigint FROM messages WHERE subscriber_id ="
                             " $1::bigint AND kind = 'trigger' AND state <> 'cancelled' AND"
                             " created_at > now() - $2::integer * interval '1 hour'",
                             3, params, err);
    if (!res) return -1;
    int over = PQgetvalue(res, 0, 0)[0] == 't';
    PQclear(res);
    return over;
}

/* The data of the step's message (caller frees): the entry event as `event` (none for list
 * and date entries), the version's settings, and the trigger's id and name. NULL with err. */
static char *message_data(run_ctx *r, mc_error *err)
{
    json_t *settings = json_object_get(r->definition, "settings");
    char *settings_text =
        json_is_object(settings) ? json_dumps(settings, JSON_COMPACT) : xstrdup("{}");
    const char *name = json_string_value(json_object_get(r->definition, "name"));
    const char *params[] = {r->id, settings_text, r->trigger, name ? name : ""};
    PGresult *res = db_query(
        r->conn,
        "SELECT (jsonb_build_object('settings', $2::jsonb, 'trigger', jsonb_build_object('id',"
        " $3::bigint, 'name', $4::text)) || COALESCE((SELECT jsonb_build_object('event',"
        " jsonb_build_object('name', e.name, 'occurred_at', e.occurred_at, 'properties',"
        " e.properties)) FROM trigger_enrollments en JOIN events e ON e.id = en.event_id"
        " WHERE en.id = $1::bigint), '{}'))::text",
        4, params, err);
    free(settings_text);
    if (!res) return NULL;
    char *data = xstrdup(PQgetvalue(res, 0, 0));
    PQclear(res);
    return data;
}

/* A send: skipped (and the subscriber exits) when it may not get marketing mail or the
 * template is gone, capped (on to the next step) over the cap, else the template's message
 * queued, once per step whatever happens (its idempotency key names the enrollment and the
 * step). */
static int send_step(run_ctx *r, int step, json_t *s, step_flow *flow, mc_error *err)
{
    *flow = STEP_NEXT;
    long long template_id = json_integer_value(json_object_get(s, "send"));
    char template_text[32];
    snprintf(template_text, sizeof template_text, "%lld", template_id);
    const char *why = cannot_send(r, template_text, err);
    if (!why) return -1;
    if (why[0]) {
        /* the subscriber leaves: neither comes back by waiting */
        *flow = STEP_STOP;
        if (record(r, step, "skipped", NULL, err) < 0) return -1;
        return end(r, step + 1, "exited", why, err);
    }
    int over = capped(r, err);
    if (over < 0) return -1;
    if (over) return record(r, step, "capped", NULL, err);
    char *data = message_data(r, err);
    if (!data) return -1;
    char key[64];
    snprintf(key, sizeof key, "trigger:%s:%d", r->id, step);
    long long message = trigger_mail_enqueue(
        r->conn, strtoll(r->trigger, NULL, 10), template_id, strtoll(r->subscriber, NULL, 10), data,
        json_string_value(json_object_get(s, "subject")), key, err);
    free(data);
    if (message < 0) return -1;
    char message_text[32];
    snprintf(message_text, sizeof message_text, "%lld", message);
    return record(r, step, "sent", message_text, err);
}

/* Runs step `step` of the definition. returns 0 with *flow, or -1 with err. */
static int run_step(run_ctx *r, int step, json_t *s, step_flow *flow, mc_error *err)
{
    *flow = STEP_STOP;
    if (json_object_get(s, "wait") || json_object_get(s, "wait_until"))
        return wait_step(r, step, s, err);
    if (json_object_get(s, "if")) return check_step(r, step, s, flow, err);
    if (json_object_get(s, "send")) return send_step(r, step, s, flow, err);
    if (record(r, step, "exited", NULL, err) < 0) return -1;
    /* an exit step, or one this version of mailcast does not know */
    return end(r, step + 1, "exited", json_object_get(s, "exit") ? "exit step" : "unknown step",
               err);
}

/* Runs the due steps of the enrollment locked in row 0 of res. returns 0 or -1 with err. */
static int run_enrollment(run_ctx *r, PGresult *res, mc_error *err)
{
    r->trigger = PQgetvalue(res, 0, 0);
    r->subscriber = PQgetvalue(res, 0, 1);
    int step = atoi(PQgetvalue(res, 0, 2));
    r->entered_at = PQgetvalue(res, 0, 3);
    r->timezone = PQgetisnull(res, 0, 5) ? NULL : PQgetvalue(res, 0, 5);
    r->definition = json_loads(PQgetvalue(res, 0, 4), 0, NULL);
    json_t *steps = json_object_get(r->definition, "steps");
    int rc = 0;
    for (;;) {
        json_t *s = json_array_get(steps, (size_t)step);
        if (!s) {
            rc = end(r, step, "completed", "completed", err);
            break;
        }
        step_flow flow;
        if ((rc = run_step(r, step, s, &flow, err)) < 0 || flow == STEP_STOP) break;
        step++;
    }
    json_decref(r->definition);
    return rc;
}

/* Runs enrollment id in its own transaction. returns 1 when it ran, 0 when another worker
 * holds it or it is no longer due, -1 with err. */
static int run_one(app_t *app, PGconn *conn, const char *id, mc_error *err)
{
    if (db_begin(conn, err) < 0) return -1;
    const char *params[] = {id};
    PGresult *res = db_query(conn, LOCK_SQL, 1, params, err);
    int rc = res ? 0 : -1;
    bool found = res && PQntuples(res) == 1;
    if (found) {
        run_ctx r = {.app = app, .conn = conn, .id = id};
        rc = run_enrollment(&r, res, err);
    }
    PQclear(res);
    if (rc == 0) rc = db_commit(conn, err);
    if (rc < 0) db_rollback(conn);
    return rc < 0 ? -1 : found;
}

int trigger_runner_run(app_t *app, PGconn *conn, const bool *stop, long long *wake_ms,
                       mc_error *err)
{
    PGresult *due = db_query(conn, DUE_SQL, 0, NULL, err);
    if (!due) return -1;
    int ran = 0;
    for (int i = 0; i < PQntuples(due) && !__atomic_load_n(stop, __ATOMIC_RELAXED); i++) {
        mc_error why;
        int rc = run_one(app, conn, PQgetvalue(due, i, 0), &why);
        if (rc < 0 && PQstatus(conn) != CONNECTION_OK) {
            *err = why;
            PQclear(due);
            return -1;
        }
        if (rc < 0)
            log_warn("automation: enrollment %s: %s (tried again at the next run)",
                     PQgetvalue(due, i, 0), why.message);
        else
            ran += rc;
    }
    bool full = PQntuples(due) == TRIGGER_RUNNER_BATCH;
    PQclear(due);
    if (full) {
        *wake_ms = 0;
        return ran;
    }
    PGresult *next = db_query(conn, NEXT_DUE_SQL, 0, NULL, err);
    if (!next) return -1;
    /* one due already is held by another worker, or failed: the next poll looks again */
    if (PQntuples(next) == 1 && !PQgetisnull(next, 0, 0)) {
        long long ms = strtoll(PQgetvalue(next, 0, 0), NULL, 10);
        if (ms > 0) *wake_ms = ms;
    }
    PQclear(next);
    return ran;
}
