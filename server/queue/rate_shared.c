/* The shared token bucket: refill by elapsed time, cap at one second's worth, grant what the
 * bucket and the hour and day counters allow, all in one statement. */
#include "queue/rate_shared.h"

#include <stdio.h>
#include <stdlib.h>

#include "db/query.h"

long long rate_shared_take(PGconn *conn, const char *key, double rate, unsigned per_hour,
                           unsigned per_day, long long want, mc_error *err)
{
    if (rate <= 0 && per_hour == 0 && per_day == 0) return want;
    char rate_text[32], hour_text[16], day_text[16], want_text[32];
    snprintf(rate_text, sizeof rate_text, "%.6f", rate);
    snprintf(hour_text, sizeof hour_text, "%u", per_hour);
    snprintf(day_text, sizeof day_text, "%u", per_day);
    snprintf(want_text, sizeof want_text, "%lld", want);
    const char *params[] = {key, rate_text, hour_text, day_text, want_text};
    /* a new key starts with a full bucket */
    if (db_exec(conn,
                "INSERT INTO relay_rates (relay, tokens) VALUES ($1, $2::float8)"
                " ON CONFLICT (relay) DO NOTHING",
                2, params, err) < 0)
        return -1;
    PGresult *res = db_query(
        conn,
        "WITH cur AS (SELECT * FROM relay_rates WHERE relay = $1 FOR UPDATE),"
        " calc AS (SELECT CASE WHEN $2::float8 > 0 THEN least($2::float8, tokens + $2::float8 *"
        " extract(epoch FROM clock_timestamp() - refilled_at)) ELSE $5::float8 END AS avail,"
        " CASE WHEN hour_start = date_trunc('hour', now()) THEN hour_count ELSE 0 END AS hc,"
        " CASE WHEN day_start = date_trunc('day', now()) THEN day_count ELSE 0 END AS dc"
        " FROM cur),"
        " g AS (SELECT greatest(0, least($5::bigint, floor(avail)::bigint,"
        " CASE WHEN $3::bigint > 0 THEN $3::bigint - hc ELSE $5::bigint END,"
        " CASE WHEN $4::bigint > 0 THEN $4::bigint - dc ELSE $5::bigint END)) AS n, avail, hc,"
        " dc FROM calc)"
        " UPDATE relay_rates r SET tokens = g.avail - g.n, refilled_at = clock_timestamp(),"
        " hour_start = date_trunc('hour', now()), hour_count = g.hc + g.n,"
        " day_start = date_trunc('day', now()), day_count = g.dc + g.n"
        " FROM g WHERE r.relay = $1 RETURNING g.n",
        5, params, err);
    if (!res) return -1;
    long long granted = PQntuples(res) ? strtoll(PQgetvalue(res, 0, 0), NULL, 10) : 0;
    PQclear(res);
    return granted;
}
