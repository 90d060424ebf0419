/* Statements of the destination_pacing, destination_slots and destination_campaign_stats
 * tables (migration 0026). */
#include "queue/destination_pacing.h"

#include <stdio.h>
#include <stdlib.h>

#include "db/query.h"

int destination_pacing_read(PGconn *conn, const char *name, destination_state *st, mc_error *err)
{
    const char *params[] = {name};
    PGresult *res = db_query(
        conn,
        "SELECT COALESCE(rate_per_minute, 0), COALESCE(ceiling_per_minute, 0),"
        " extract(epoch FROM now() - changed_at),"
        " CASE WHEN window_start > now() - interval '60 seconds' THEN prev_sent"
        " WHEN window_start > now() - interval '120 seconds' THEN window_sent ELSE 0 END,"
        " CASE WHEN window_start > now() - interval '60 seconds' THEN window_sent ELSE 0 END,"
        " CASE WHEN window_start > now() - interval '60 seconds'"
        " THEN extract(epoch FROM now() - window_start) ELSE 0 END"
        " FROM destination_pacing WHERE name = $1",
        1, params, err);
    if (!res) return -1;
    *st = (destination_state){.seconds_since_change = 1e9};
    if (PQntuples(res) == 1) {
        st->rate_per_minute = strtod(PQgetvalue(res, 0, 0), NULL);
        st->ceiling_per_minute = strtod(PQgetvalue(res, 0, 1), NULL);
        st->seconds_since_change = strtod(PQgetvalue(res, 0, 2), NULL);
        st->prev_sent = strtod(PQgetvalue(res, 0, 3), NULL);
        st->window_sent = strtod(PQgetvalue(res, 0, 4), NULL);
        st->window_age_seconds = strtod(PQgetvalue(res, 0, 5), NULL);
    }
    PQclear(res);
    return 0;
}

int destination_pacing_change(PGconn *conn, const char *name, double expected, double rate,
                              double ceiling, double min_gap_seconds, bool *changed, mc_error *err)
{
    char expected_text[32], rate_text[32], ceiling_text[32], gap_text[32];
    snprintf(expected_text, sizeof expected_text, "%.17g", expected);
    snprintf(rate_text, sizeof rate_text, "%.17g", rate);
    snprintf(ceiling_text, sizeof ceiling_text, "%.17g", ceiling);
    snprintf(gap_text, sizeof gap_text, "%.3f", min_gap_seconds);
    const char *params[] = {name, expected_text, rate_text, ceiling_text, gap_text};
    /* the row is made on first use, normal and changed long ago */
    if (db_exec(conn,
                "INSERT INTO destination_pacing (name, changed_at) VALUES ($1, 'epoch')"
                " ON CONFLICT (name) DO NOTHING",
                1, params, err) < 0)
        return -1;
    PGresult *res =
        db_query(conn,
                 "UPDATE destination_pacing SET rate_per_minute = NULLIF($3::float8, 0),"
                 " ceiling_per_minute = NULLIF($4::float8, 0), changed_at = now() WHERE name = $1"
                 " AND abs(COALESCE(rate_per_minute, 0) - $2::float8) < 1e-9"
                 " AND changed_at <= now() - $5::float8 * interval '1 second'",
                 5, params, err);
    if (!res) return -1;
    *changed = atoi(PQcmdTuples(res)) > 0;
    PQclear(res);
    return 0;
}

int destination_pacing_note(PGconn *conn, const char *name, double configured,
                            const char *campaign_id, long long sent, long long throttle_replies,
                            long long deferred, mc_error *err)
{
    char configured_text[32], sent_text[24], replies_text[24], deferred_text[24];
    snprintf(configured_text, sizeof configured_text, "%.17g", configured);
    snprintf(sent_text, sizeof sent_text, "%lld", sent);
    snprintf(replies_text, sizeof replies_text, "%lld", throttle_replies);
    snprintf(deferred_text, sizeof deferred_text, "%lld", deferred);
    const char *params[] = {name,         configured_text, sent_text,
                            replies_text, deferred_text,   campaign_id};
    /* a window of a minute: when it is over, it becomes the previous one (or nothing, when
     * another minute passed without mail) and a new one starts now */
    return db_exec(
        conn,
        "WITH d AS (INSERT INTO destination_pacing AS d (name, configured_per_minute, changed_at,"
        " window_sent, throttle_replies, deferred) VALUES ($1, NULLIF($2::float8, 0),"
        " 'epoch', $3::bigint, $4::bigint, $5::bigint) ON CONFLICT (name) DO UPDATE SET"
        " configured_per_minute = excluded.configured_per_minute,"
        " prev_sent = CASE WHEN d.window_start > now() - interval '60 seconds' THEN d.prev_sent"
        " WHEN d.window_start > now() - interval '120 seconds' THEN d.window_sent ELSE 0 END,"
        " window_sent = CASE WHEN d.window_start > now() - interval '60 seconds'"
        " THEN d.window_sent ELSE 0 END + excluded.window_sent,"
        " window_start = CASE WHEN d.window_start > now() - interval '60 seconds'"
        " THEN d.window_start ELSE now() END,"
        " throttle_replies = d.throttle_replies + excluded.throttle_replies,"
        " deferred = d.deferred + excluded.deferred RETURNING 1)"
        " INSERT INTO destination_campaign_stats AS s (campaign_id, name, sent, throttle_replies,"
        " deferred) SELECT c.id, $1, $3::bigint, $4::bigint, $5::bigint FROM campaigns c"
        " WHERE $6::text <> '' AND c.id = NULLIF($6::text, '')::bigint"
        " ON CONFLICT (campaign_id, name) DO UPDATE SET sent = s.sent + excluded.sent,"
        " throttle_replies = s.throttle_replies + excluded.throttle_replies,"
        " deferred = s.deferred + excluded.deferred",
        6, params, err);
}

int destination_slot_take(PGconn *conn, const char *name, unsigned max, const char *owner,
                          unsigned lease_seconds, int *slot, mc_error *err)
{
    char max_text[16], lease_text[16];
    snprintf(max_text, sizeof max_text, "%u", max);
    snprintf(lease_text, sizeof lease_text, "%u", lease_seconds);
    const char *params[] = {name, max_text, owner, lease_text};
    /* two workers may pick the same free slot: one gets it, the other none this time (its
     * messages wait a second) rather than a second statement */
    PGresult *res = db_query(
        conn,
        "INSERT INTO destination_slots AS d (name, slot, owner, expires_at)"
        " SELECT $1, s, $3, now() + $4::integer * interval '1 second'"
        " FROM generate_series(1, $2::integer) s WHERE NOT EXISTS (SELECT 1 FROM"
        " destination_slots h WHERE h.name = $1 AND h.slot = s AND h.expires_at >= now())"
        " ORDER BY s LIMIT 1 ON CONFLICT (name, slot) DO UPDATE SET owner = excluded.owner,"
        " expires_at = excluded.expires_at WHERE d.expires_at < now() RETURNING slot",
        4, params, err);
    if (!res) return -1;
    *slot = PQntuples(res) ? atoi(PQgetvalue(res, 0, 0)) : 0;
    PQclear(res);
    return 0;
}

int destination_slot_give(PGconn *conn, const char *name, int slot, const char *owner,
                          mc_error *err)
{
    char slot_text[16];
    snprintf(slot_text, sizeof slot_text, "%d", slot);
    const char *params[] = {name, slot_text, owner};
    return db_exec(conn,
                   "DELETE FROM destination_slots WHERE name = $1 AND slot = $2::integer"
                   " AND owner = $3",
                   3, params, err);
}
