/* One INSERT ... SELECT per trigger, inside PostgreSQL: no subscriber row travels to the
 * worker. The entry_key of each enrollment (the membership, the local day) and its unique
 * index make a second look at the same membership or day enter nobody twice, so the looks can
 * overlap: each goes back a minute before the last one, for memberships whose transaction
 * committed after that look began, but never before the trigger was created: its list's
 * members from before do not enter. */
#include "automation/trigger_entries.h"

#include <stdlib.h>
#include <string.h>

#include "audience/sql_builder.h"
#include "automation/enrollment.h"
#include "db/listen.h"
#include "db/query.h"

/* The list and date triggers to look at now (a date trigger about once a minute, or at once
 * when never looked at since its last edit; a paused list trigger too, so that its look moves
 * past the members who join while it is paused, entering none of them): id, kind, whether it
 * names a segment, the segment's rule (NULL when gone). */
static const char TRIGGERS_SQL[] =
    "SELECT t.id, t.entry_kind, jsonb_typeof(t.definition->'segment') = 'number',"
    " (SELECT g.rule FROM segments g WHERE g.id = (CASE WHEN jsonb_typeof(t.definition->"
    "'segment') = 'number' THEN (t.definition->>'segment')::bigint END)) FROM triggers t"
    " WHERE t.entry_kind = 'list' OR (t.enabled AND t.entry_kind = 'date' AND"
    " (t.entry_checked_at IS NULL OR t.entry_checked_at <= t.updated_at OR t.entry_checked_at <"
    " now() - interval '1 minute')) ORDER BY t.id";

/* Members of the trigger's list ($1) since its last look: confirmed, or unconfirmed on a
 * single opt-in list (a double opt-in member enters when confirming). The trigger row is
 * locked (FOR NO KEY UPDATE: a step queueing the trigger's mail holds its key, and does not
 * keep the look from running): two workers do not look at once. */
static const char LIST_SQL[] =
    "INSERT INTO trigger_enrollments (trigger_id, version, subscriber_id, entry_key, due_at,"
    " entered_at) SELECT t.id, t.version, s.id, 'list:' || m.list_id || ':' ||"
    " floor(extract(epoch FROM m.created_at))::bigint, now(), now() FROM (SELECT * FROM"
    " triggers WHERE id = $1::bigint AND enabled FOR NO KEY UPDATE SKIP LOCKED) t JOIN lists l ON"
    " l.id = t.entry_list_id JOIN list_subscribers m ON m.list_id = t.entry_list_id JOIN"
    " subscribers s ON"
    " s.id = m.subscriber_id WHERE (m.status = 'confirmed' OR (m.status = 'unconfirmed' AND"
    " l.optin = 'single')) AND COALESCE(m.confirmed_at, m.created_at) > greatest(COALESCE("
    "t.entry_checked_at, t.created_at) - interval '1 minute', t.created_at) AND s.status ="
    " 'active' AND ";

/* Subscribers whose date attribute's month and day, plus the offset, are today in their time
 * zone ($2: the default one). */
static const char DATE_SQL[] =
    "WITH dz AS (SELECT COALESCE((SELECT name FROM pg_timezone_names WHERE name = $2), 'UTC')"
    " AS name) INSERT INTO trigger_enrollments (trigger_id, version, subscriber_id, entry_key,"
    " due_at, entered_at) SELECT t.id, t.version, s.id, 'date:' || to_char(d.today,"
    " 'YYYY-MM-DD'), now(), now() FROM (SELECT * FROM triggers WHERE id = $1::bigint AND enabled"
    " FOR NO KEY UPDATE SKIP LOCKED) t JOIN subscribers s ON s.attributes ? t.entry_date_attribute"
    " LEFT JOIN pg_timezone_names z ON z.name = s.attributes->>'timezone' CROSS JOIN LATERAL"
    " (SELECT (now() AT TIME ZONE COALESCE(z.name, (SELECT name FROM dz)))::date AS today) d"
    " WHERE s.status = 'active' AND s.attributes->>t.entry_date_attribute ~"
    " '^([0-9]{4}-)?[0-9]{2}-[0-9]{2}$' AND right(s.attributes->>t.entry_date_attribute, 5) ="
    " to_char(d.today - COALESCE((t.definition->'entry'->>'offset_days')::integer, 0), 'MM-DD')"
    " AND ";

static const char CHECKED_SQL[] =
    "UPDATE triggers SET entry_checked_at = now() WHERE id = $1::bigint";

/* Looks at trigger row `row` of triggers in a transaction of its own. returns the number
 * entered or -1 with err. */
static int look(PGconn *conn, const config_t *cfg, PGresult *triggers, int row, mc_error *err)
{
    const char *id = PQgetvalue(triggers, row, 0);
    bool date = !strcmp(PQgetvalue(triggers, row, 1), "date");
    sql_builder b = SQL_BUILDER_INIT;
    sql_builder_bind(&b, id);
    if (date) sql_builder_bind(&b, cfg->automation_default_timezone);
    sql_builder_add(&b, date ? DATE_SQL : LIST_SQL);
    sql_builder_add(&b, ENROLLMENT_ALLOWED_SQL("s.id"));
    json_t *rule =
        PQgetisnull(triggers, row, 3) ? NULL : json_loads(PQgetvalue(triggers, row, 3), 0, NULL);
    enrollment_add_segment(&b, strtoll(id, NULL, 10), PQgetvalue(triggers, row, 2)[0] == 't', rule);
    json_decref(rule);
    sql_builder_add(&b, " ON CONFLICT DO NOTHING");
    const char *params[] = {id};
    int entered = -1;
    if (db_begin(conn, err) == 0) {
        PGresult *res = db_query(conn, sql_builder_text(&b), b.count, sql_builder_params(&b), err);
        if (res) entered = atoi(PQcmdTuples(res));
        PQclear(res);
        if (entered >= 0 && db_exec(conn, CHECKED_SQL, 1, params, err) < 0) entered = -1;
        /* the step runner of every worker: the new enrollments are due now */
        if (entered > 0 && db_notify(conn, DB_WORK_CHANNEL, "trigger", err) < 0) entered = -1;
        if (entered >= 0 && db_commit(conn, err) < 0) entered = -1;
        if (entered < 0) db_rollback(conn);
    }
    sql_builder_free(&b);
    return entered;
}

int trigger_entries_run(PGconn *conn, const config_t *cfg, mc_error *err)
{
    PGresult *triggers = db_query(conn, TRIGGERS_SQL, 0, NULL, err);
    if (!triggers) return -1;
    int total = 0;
    for (int i = 0; i < PQntuples(triggers) && total >= 0; i++) {
        int n = look(conn, cfg, triggers, i, err);
        total = n < 0 ? -1 : total + n;
    }
    PQclear(triggers);
    return total;
}
