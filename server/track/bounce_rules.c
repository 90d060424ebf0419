/* One row at a time: a complaint needs its own message for the consent rows, and the counts
 * of a subscriber include every bounce of theirs, applied or not. */
#include "track/bounce_rules.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audience/membership.h"
#include "core/buf.h"
#include "db/query.h"

static const char PENDING_SQL[] =
    "SELECT id, subscriber_id, kind, COALESCE(message_id, 0) FROM bounces"
    " WHERE applied_at IS NULL ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED";

/* whether the subscriber's bounces reach a limit: hard ones ever, soft ones in the window */
static const char OVER_LIMIT_SQL[] =
    "SELECT count(*) FILTER (WHERE kind = 'hard') >= $2::bigint OR count(*) FILTER (WHERE kind ="
    " 'soft' AND created_at > now() - make_interval(days => $4::int)) >= $3::bigint"
    " FROM bounces WHERE subscriber_id = $1";

static int apply_one(PGconn *conn, const config_t *cfg, const char *subscriber, const char *kind,
                     long long message_id, mc_error *err)
{
    if (!strcmp(kind, "complaint"))
        return membership_unsubscribe_everything(conn, strtoll(subscriber, NULL, 10), "complaint",
                                                 NULL, message_id, err);
    char hard[16], soft[16], days[16];
    snprintf(hard, sizeof hard, "%u", cfg->bounces_hard_limit);
    snprintf(soft, sizeof soft, "%u", cfg->bounces_soft_limit);
    snprintf(days, sizeof days, "%u", cfg->bounces_soft_window_days);
    const char *params[] = {subscriber, hard, soft, days};
    /* two bounces of one subscriber applied at once in two transactions: the second waits
     * here, then counts the first */
    if (db_exec(conn, "SELECT 1 FROM subscribers WHERE id = $1 FOR UPDATE", 1, params, err) < 0)
        return -1;
    PGresult *res = db_query(conn, OVER_LIMIT_SQL, 4, params, err);
    if (!res) return -1;
    bool over = PQgetvalue(res, 0, 0)[0] == 't';
    PQclear(res);
    if (!over) return 0;
    char ids[40];
    snprintf(ids, sizeof ids, "{%s}", subscriber);
    return membership_blocklist(conn, ids, err) < 0 ? -1 : 0;
}

long long bounce_rules_apply(PGconn *conn, const config_t *cfg, int max_rows, mc_error *err)
{
    char limit[16];
    snprintf(limit, sizeof limit, "%d", max_rows);
    const char *params[] = {limit};
    PGresult *res = db_query(conn, PENDING_SQL, 1, params, err);
    if (!res) return -1;
    int n = PQntuples(res);
    buf_t ids = BUF_INIT;
    buf_putc(&ids, '{');
    int rc = 0;
    for (int i = 0; i < n && rc == 0; i++) {
        rc = apply_one(conn, cfg, PQgetvalue(res, i, 1), PQgetvalue(res, i, 2),
                       strtoll(PQgetvalue(res, i, 3), NULL, 10), err);
        buf_appendf(&ids, "%s%s", i ? "," : "", PQgetvalue(res, i, 0));
    }
    buf_putc(&ids, '}');
    PQclear(res);
    if (rc == 0 && n > 0) {
        const char *done[] = {buf_cstr(&ids)};
        rc = db_exec(conn, "UPDATE bounces SET applied_at = now() WHERE id = ANY($1::bigint[])", 1,
                     done, err);
    }
    buf_free(&ids);
    return rc < 0 ? -1 : n;
}
