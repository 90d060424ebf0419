/* The list growth rollup: one scan of the memberships (and the hard bounces) created, ended or
 * received since the last day added, grouped by list and day. Workers take turns on the
 * progress row, so a day is added once. */
#include "track/list_growth.h"

#include <stdbool.h>

#include "db/query.h"

/* true when there are days to add: yesterday (UTC) is after the last day added */
static const char DUE_SQL[] =
    "SELECT done_through IS DISTINCT FROM (now() AT TIME ZONE 'UTC')::date - 1"
    " FROM list_growth_progress FOR UPDATE";

/* the days in [done_through + 1, today) (all days before today on the first run), the same
 * counts as the growth route's live part (track/analytics.c) */
static const char ADD_SQL[] =
    "WITH r AS (SELECT COALESCE((done_through + 1)::timestamp AT TIME ZONE 'UTC',"
    " '-infinity') AS lo, date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS hi"
    " FROM list_growth_progress),"
    " x AS (SELECT m.list_id, (m.created_at AT TIME ZONE 'UTC')::date AS day, 1 AS s, 0 AS u,"
    " 0 AS b FROM list_subscribers m, r WHERE m.created_at >= r.lo AND m.created_at < r.hi"
    " UNION ALL SELECT m.list_id, (m.unsubscribed_at AT TIME ZONE 'UTC')::date, 0, 1, 0"
    " FROM list_subscribers m, r WHERE m.unsubscribed_at >= r.lo AND m.unsubscribed_at < r.hi"
    " UNION ALL SELECT m.list_id, d.day, 0, 0, 1 FROM (SELECT DISTINCT b.subscriber_id,"
    " (b.created_at AT TIME ZONE 'UTC')::date AS day FROM bounces b, r WHERE b.kind = 'hard'"
    " AND b.created_at >= r.lo AND b.created_at < r.hi) d JOIN list_subscribers m"
    " ON m.subscriber_id = d.subscriber_id),"
    " added AS (INSERT INTO list_growth_days (list_id, day, subscribed, unsubscribed, bounced)"
    " SELECT list_id, day, sum(s), sum(u), sum(b) FROM x GROUP BY 1, 2"
    " ON CONFLICT (list_id, day) DO UPDATE SET subscribed = excluded.subscribed,"
    " unsubscribed = excluded.unsubscribed, bounced = excluded.bounced)"
    " UPDATE list_growth_progress SET done_through = (now() AT TIME ZONE 'UTC')::date - 1";

int track_list_growth_rollup(PGconn *conn, mc_error *err)
{
    if (db_begin(conn, err) < 0) return -1;
    PGresult *res = db_query(conn, DUE_SQL, 0, NULL, err);
    if (!res) goto fail;
    bool due = PQntuples(res) == 1 && PQgetvalue(res, 0, 0)[0] == 't';
    PQclear(res);
    if (due && db_exec(conn, ADD_SQL, 0, NULL, err) < 0) goto fail;
    if (db_commit(conn, err) < 0) goto fail;
    return due ? 1 : 0;
fail:
    db_rollback(conn);
    return -1;
}
