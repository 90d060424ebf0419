/* Failures are rows keyed "account:<lowercased email>" and "addr:<ip>". */
#include "auth/throttle.h"

#include <stdio.h>
#include <stdlib.h>

#include "db/query.h"

int login_throttle_check(PGconn *conn, const char *email, const char *remote_addr,
                         unsigned max_per_minute, mc_error *err)
{
    char max_text[32];
    snprintf(max_text, sizeof max_text, "%u", max_per_minute);
    const char *params[] = {email, remote_addr, max_text};
    PGresult *res =
        db_query(conn,
                 "SELECT coalesce(max(ceil(extract(epoch FROM (oldest + interval '1 minute' - "
                 "now()))))::int, 0) FROM ("
                 " SELECT key, min(failed_at) AS oldest, count(*) AS n FROM login_failures"
                 " WHERE key IN ('account:' || lower(btrim($1)), 'addr:' || $2)"
                 " AND failed_at > now() - interval '1 minute'"
                 " GROUP BY key HAVING count(*) >= $3::int) blocked",
                 3, params, err);
    if (!res) return -1;
    int wait = atoi(PQgetvalue(res, 0, 0));
    PQclear(res);
    if (wait > 0)
        return mc_error_set(err, 429, "too_many_attempts", "email",
                            "too many failed logins; try again in %d seconds", wait);
    return 0;
}

void login_throttle_record_failure(PGconn *conn, const char *email, const char *remote_addr)
{
    const char *params[] = {email, remote_addr};
    mc_error ignored;
    db_exec(conn,
            "WITH pruned AS (DELETE FROM login_failures WHERE failed_at < now() - interval "
            "'1 hour')"
            " INSERT INTO login_failures (key) VALUES ('account:' || lower(btrim($1))),"
            " ('addr:' || $2)",
            2, params, &ignored);
}

void login_throttle_clear(PGconn *conn, const char *email)
{
    const char *params[] = {email};
    mc_error ignored;
    db_exec(conn, "DELETE FROM login_failures WHERE key = 'account:' || lower(btrim($1))", 1,
            params, &ignored);
}

int login_throttle_prune(PGconn *conn, mc_error *err)
{
    return db_exec(conn, "DELETE FROM login_failures WHERE failed_at < now() - interval '1 hour'",
                   0, NULL, err);
}
