/* Each state is counted with a LIMIT over indexes that hold it, so a scrape reads at most
 * QUEUE_DEPTH_CAP rows per state however long the queue is; the sent history is never read. */
#include "queue/queue_depth.h"

#include <stdio.h>
#include <stdlib.h>

#include "core/metrics.h"
#include "db/query.h"

/* Rows of a state up to $1: those outside campaigns from the partial index of claimable (or
 * leased) rows, a campaign's through its (campaign_id, state) index, one probe per campaign. */
#define CAPPED(state)                                                                              \
    "(SELECT count(*) FROM (SELECT 1 FROM messages WHERE state = '" state "'"                      \
    " AND campaign_id IS NULL UNION ALL SELECT 1 FROM campaigns k CROSS JOIN LATERAL (SELECT 1"    \
    " FROM messages m WHERE m.campaign_id = k.id AND m.state = '" state "' LIMIT $1) x"            \
    " LIMIT $1) c)"

/* Past the cap, the planner's estimate (rows in the table times the state's share, as of the
 * last ANALYZE) when it is higher. */
#define OR_ESTIMATE(state)                                                                         \
    "CASE WHEN " state " < $1 THEN " state " ELSE greatest(" state ", (SELECT e.n FROM e"          \
    " WHERE e.state = '" state "')) END"

static const char *DEPTH_SQL =
    "WITH e AS (SELECT s.state, (r.reltuples * s.share)::bigint AS n FROM pg_class r, pg_stats t,"
    " unnest(t.most_common_vals::text::text[], t.most_common_freqs) AS s(state, share)"
    " WHERE r.oid = 'messages'::regclass AND t.schemaname = current_schema()"
    " AND t.tablename = 'messages' AND t.attname = 'state'),"
    " c AS MATERIALIZED (SELECT " CAPPED("queued") " AS queued, " CAPPED(
        "deferred") " AS deferred,"
                    " " CAPPED("sending") " AS sending)"
                                          " SELECT " OR_ESTIMATE("queued") ", " OR_ESTIMATE(
                                              "deferred") ", " OR_ESTIMATE("sending") " FROM c";

int queue_depth_read(PGconn *conn, queue_depth *out, mc_error *err)
{
    char cap[16];
    snprintf(cap, sizeof cap, "%d", QUEUE_DEPTH_CAP);
    const char *params[] = {cap};
    /* the planner's cost of the capped scans is that of whole ones, high enough for JIT, which
     * takes five times as long as the statement: off for this transaction only */
    if (db_begin(conn, err) < 0) return -1;
    PGresult *res = NULL;
    if (db_exec(conn, "SET LOCAL jit = off", 0, NULL, err) == 0)
        res = db_query(conn, DEPTH_SQL, 1, params, err);
    if (!res || db_commit(conn, err) < 0) {
        PQclear(res);
        db_rollback(conn);
        return -1;
    }
    out->queued = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
    out->deferred = strtoll(PQgetvalue(res, 0, 1), NULL, 10);
    out->sending = strtoll(PQgetvalue(res, 0, 2), NULL, 10);
    PQclear(res);
    return 0;
}

void queue_depth_render(const queue_depth *d, buf_t *out)
{
    metric_write_family(
        out, "mailcast_queue_messages", "gauge",
        "Messages waiting to be sent, by state (exact up to 10000, then estimated).");
    metric_write_sample(out, "mailcast_queue_messages", "state=\"queued\"", (uint64_t)d->queued);
    metric_write_sample(out, "mailcast_queue_messages", "state=\"deferred\"",
                        (uint64_t)d->deferred);
    metric_write_sample(out, "mailcast_queue_messages", "state=\"sending\"", (uint64_t)d->sending);
}
