/* A trigger's numbers, read from its enrollments, the steps they ran, the messages it sent and
 * the orders attributed to them. Steps are counted by position, whatever the version: the
 * kind shown is that of the current definition. */
#include <stdio.h>

#include "automation/trigger_defs.h"
#include "db/query.h"

/* $1: the trigger; $2: the number of steps of its current definition. Revenue per recipient is
 * the attributed revenue over the distinct subscribers who were sent one of its messages. */
static const char STATS_SQL[] =
    "WITH e AS (SELECT id, state, step FROM trigger_enrollments WHERE trigger_id = $1),"
    " r AS (SELECT r.step, r.outcome, count(*) AS n FROM trigger_step_runs r"
    "   JOIN e ON e.id = r.enrollment_id GROUP BY r.step, r.outcome),"
    " s AS (SELECT generate_series(0, greatest($2::int - 1, (SELECT max(step) FROM r),"
    "   (SELECT max(step) FROM e WHERE state = 'active'))) AS step),"
    " m AS (SELECT count(*) AS sent, count(DISTINCT subscriber_id) AS recipients FROM messages"
    "   WHERE trigger_id = $1 AND state = 'sent'),"
    " c AS (SELECT count(*) AS n, COALESCE(sum(revenue), 0) AS revenue FROM conversions"
    "   WHERE trigger_id = $1)"
    " SELECT json_build_object("
    " 'entered', (SELECT count(*) FROM e),"
    " 'active', (SELECT count(*) FROM e WHERE state = 'active'),"
    " 'completed', (SELECT count(*) FROM e WHERE state = 'completed'),"
    " 'exited', (SELECT count(*) FROM e WHERE state = 'exited'),"
    " 'cancelled', (SELECT count(*) FROM e WHERE state = 'cancelled'),"
    " 'steps', (SELECT COALESCE(json_agg(json_build_object('step', s.step,"
    "   'waiting', (SELECT count(*) FROM e WHERE e.state = 'active' AND e.step = s.step),"
    "   'ran', (SELECT COALESCE(sum(n), 0) FROM r WHERE r.step = s.step),"
    "   'outcomes', (SELECT COALESCE(json_object_agg(r.outcome, r.n ORDER BY r.outcome), '{}')"
    "     FROM r WHERE r.step = s.step)) ORDER BY s.step), '[]') FROM s),"
    " 'sent', m.sent, 'recipients', m.recipients, 'conversions', c.n, 'revenue', c.revenue,"
    " 'revenue_per_recipient',"
    "   CASE WHEN m.recipients > 0 THEN round(c.revenue / m.recipients, 2) ELSE 0 END)::text"
    " FROM m, c";

json_t *trigger_stats(PGconn *conn, long long id, mc_error *err)
{
    json_t *trigger = trigger_get(conn, id, err);
    if (!trigger) return NULL;
    json_t *steps = json_object_get(trigger, "steps");
    char id_text[32], count_text[32];
    snprintf(id_text, sizeof id_text, "%lld", id);
    snprintf(count_text, sizeof count_text, "%zu", json_array_size(steps));
    const char *params[] = {id_text, count_text};
    PGresult *res = db_query(conn, STATS_SQL, 2, params, err);
    json_t *stats = NULL;
    if (res) {
        stats = json_loads(PQgetvalue(res, 0, 0), 0, NULL);
        PQclear(res);
        size_t i;
        json_t *row;
        json_array_foreach(json_object_get(stats, "steps"), i, row)
        {
            static const char *const kinds[] = {"wait", "wait_until", "if", "send", "exit"};
            json_t *step = json_array_get(steps, i);
            const char *kind = NULL;
            for (int k = 0; k < 5 && !kind; k++)
                if (json_object_get(step, kinds[k])) kind = kinds[k];
            /* a step past the current definition's last one: only an older version had it */
            json_object_set_new(row, "kind", kind ? json_string(kind) : json_null());
        }
    }
    json_decref(trigger);
    return stats;
}
