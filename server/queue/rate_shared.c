/* The shared token bucket: refill by elapsed time, cap at one second's worth (at least one
 * message, so that a rate under one a second still sends), grant what the
 * bucket and the hour and day counters allow, all in one statement. */
#include "queue/rate_shared.h"

#include <stdio.h>
#include <stdlib.h>

#include "core/alloc.h"
#include "db/query.h"

/* how long acquire waits for a pooled connection */
#define RATE_DB_WAIT_MS 5000

typedef struct {
    rate_limiter base;
    db_pool *pool;
} shared_limiter;

static bool budget_limits(const rate_budget *b)
{
    return b->rate > 0 || b->per_hour || b->per_day;
}

/* Takes up to want messages from b's key. returns the number granted (0..want), or -1 with
 * err. The row is locked until the statement's transaction ends. */
static long long take(PGconn *conn, const rate_budget *b, long long want, mc_error *err)
{
    char rate_text[32], hour_text[16], day_text[16], want_text[32];
    snprintf(rate_text, sizeof rate_text, "%.6f", b->rate);
    snprintf(hour_text, sizeof hour_text, "%u", b->per_hour);
    snprintf(day_text, sizeof day_text, "%u", b->per_day);
    snprintf(want_text, sizeof want_text, "%lld", want);
    const char *params[] = {b->key, rate_text, hour_text, day_text, want_text};
    /* a new key starts with a full bucket */
    if (db_exec(conn,
                "INSERT INTO relay_rates (relay, tokens) VALUES ($1, $2::float8)"
                " ON CONFLICT (relay) DO NOTHING",
                2, params, err) < 0)
        return -1;
    PGresult *res = db_query(
        conn,
        "WITH cur AS (SELECT * FROM relay_rates WHERE relay = $1 FOR UPDATE),"
        " calc AS (SELECT CASE WHEN $2::float8 > 0 THEN least(greatest($2::float8, 1), tokens +"
        " $2::float8 *"
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

static long long shared_acquire(rate_limiter *l, const rate_budget *budgets, size_t count, size_t n,
                                mc_error *err)
{
    shared_limiter *sl = (shared_limiter *)l;
    bool limited = false;
    for (size_t i = 0; i < count; i++)
        limited = limited || budget_limits(&budgets[i]);
    if (n == 0 || !limited) return (long long)n;
    PGconn *conn = db_pool_acquire(sl->pool, RATE_DB_WAIT_MS, err);
    if (!conn) return -1;
    long long allowed = (long long)n;
    for (size_t i = 0; i < count && allowed > 0; i++)
        if (budget_limits(&budgets[i])) allowed = take(conn, &budgets[i], allowed, err);
    db_pool_release(sl->pool, conn);
    return allowed;
}

static void shared_free(rate_limiter *l)
{
    free(l);
}

static const rate_limiter_ops SHARED_LIMITER_OPS = {shared_acquire, shared_free};

rate_limiter *rate_shared_new(db_pool *pool)
{
    shared_limiter *sl = xcalloc(1, sizeof *sl);
    sl->base.ops = &SHARED_LIMITER_OPS;
    sl->pool = pool;
    return &sl->base;
}
