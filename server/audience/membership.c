/* One statement per change: the upsert, its consent rows and the count travel together, so a
 * failure leaves neither memberships without consent nor consent without memberships. */
#include "audience/membership.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/query.h"

/* The campaign and message a change came from, given the message id parameter p (NULL or 0:
 * none). The campaign is looked up while the message row is still there; the message id stays
 * even after retention has deleted the row. */
#define CONSENT_ORIGIN_SQL(p)                                                                      \
    "(SELECT m.campaign_id FROM messages m WHERE m.id = NULLIF(" p "::bigint, 0)), NULLIF(" p      \
    "::bigint, 0)"

/* message_id as a parameter: NULL for none */
static const char *message_param(long long message_id, char buf[32])
{
    if (message_id <= 0) return NULL;
    snprintf(buf, 32, "%lld", message_id);
    return buf;
}

int membership_check_ids(PGconn *conn, bool which_lists, const char *ids, const char *field,
                         mc_error *err)
{
    const char *params[] = {ids};
    PGresult *res = db_query(conn,
                             which_lists ? "SELECT x FROM unnest($1::bigint[]) x WHERE NOT EXISTS"
                                           " (SELECT 1 FROM lists WHERE id = x) LIMIT 1"
                                         : "SELECT x FROM unnest($1::bigint[]) x WHERE NOT EXISTS"
                                           " (SELECT 1 FROM subscribers WHERE id = x) LIMIT 1",
                             1, params, err);
    if (!res) return -1;
    int rc = 0;
    if (PQntuples(res) > 0)
        rc = mc_error_set(err, 400, "invalid_field", field, "no %s has the id %s",
                          which_lists ? "list" : "subscriber", PQgetvalue(res, 0, 0));
    PQclear(res);
    return rc;
}

static const char *const SET_SQL =
    "WITH pairs AS ("
    " SELECT l.id AS list_id, s.id AS subscriber_id,"
    "  COALESCE($3, CASE WHEN l.optin = 'double' THEN 'unconfirmed' ELSE 'confirmed' END) AS status"
    " FROM unnest($1::bigint[]) AS s(id) CROSS JOIN lists l WHERE l.id = ANY($2::bigint[])),"
    " changed AS ("
    " INSERT INTO list_subscribers AS m (list_id, subscriber_id, status, confirmed_at,"
    "  unsubscribed_at)"
    " SELECT list_id, subscriber_id, status, CASE WHEN status = 'confirmed' THEN now() END,"
    "  CASE WHEN status = 'unsubscribed' THEN now() END FROM pairs"
    " ON CONFLICT (list_id, subscriber_id) DO UPDATE SET status = EXCLUDED.status,"
    "  updated_at = now(),"
    "  confirmed_at = CASE WHEN EXCLUDED.status = 'confirmed' THEN now() ELSE m.confirmed_at END,"
    "  unsubscribed_at = CASE WHEN EXCLUDED.status = 'unsubscribed' THEN now()"
    "   ELSE m.unsubscribed_at END"
    " WHERE m.status IS DISTINCT FROM EXCLUDED.status"
    " RETURNING m.list_id, m.subscriber_id, m.status),"
    " consent AS ("
    " INSERT INTO consents (subscriber_id, list_id, action, source, remote_addr, campaign_id,"
    "  message_id)"
    " SELECT subscriber_id, list_id, CASE status WHEN 'unsubscribed' THEN 'unsubscribe'"
    "  ELSE 'subscribe' END, $4, $5, " CONSENT_ORIGIN_SQL("$6") " FROM changed)"
                                                                " SELECT count(*) FROM changed";

/* Runs sql, whose one row holds a count. returns the count or -1 with err. */
static long long run_count(PGconn *conn, const char *sql, int nparams, const char *const *params,
                           mc_error *err)
{
    PGresult *res = db_query(conn, sql, nparams, params, err);
    if (!res) return -1;
    long long n = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
    PQclear(res);
    return n;
}

long long membership_set(PGconn *conn, const char *subscriber_ids, const char *list_ids,
                         const char *status, const char *source, const char *remote_addr,
                         mc_error *err)
{
    return membership_set_from(conn, subscriber_ids, list_ids, status, source, remote_addr, 0, err);
}

long long membership_set_from(PGconn *conn, const char *subscriber_ids, const char *list_ids,
                              const char *status, const char *source, const char *remote_addr,
                              long long message_id, mc_error *err)
{
    char message[32];
    const char *params[] = {subscriber_ids,
                            list_ids,
                            status,
                            source,
                            remote_addr && remote_addr[0] ? remote_addr : NULL,
                            message_param(message_id, message)};
    return run_count(conn, SET_SQL, 6, params, err);
}

long long membership_remove(PGconn *conn, const char *subscriber_ids, const char *list_ids,
                            mc_error *err)
{
    const char *params[] = {subscriber_ids, list_ids};
    PGresult *res = db_query(conn,
                             "DELETE FROM list_subscribers WHERE subscriber_id = ANY($1::bigint[])"
                             " AND list_id = ANY($2::bigint[])",
                             2, params, err);
    if (!res) return -1;
    long long n = strtoll(PQcmdTuples(res), NULL, 10);
    PQclear(res);
    return n;
}

/* Only active and unsubscribed subscribers change: a blocklisted one stays blocklisted. */
static const char SUBSCRIBED_SQL[] =
    "WITH changed AS (UPDATE subscribers SET status = $2, updated_at = now()"
    " WHERE id = ANY($1::bigint[]) AND status IN ('active', 'unsubscribed') AND status <> $2"
    " RETURNING id),"
    " consent AS (INSERT INTO consents (subscriber_id, list_id, action, source, remote_addr,"
    "  campaign_id, message_id)"
    " SELECT id, NULL, CASE WHEN $2 = 'unsubscribed' THEN 'unsubscribe' ELSE 'subscribe' END,"
    " $3, $4, " CONSENT_ORIGIN_SQL("$5") " FROM changed)"
                                         " SELECT count(*) FROM changed";

long long membership_set_subscribed(PGconn *conn, const char *subscriber_ids, bool subscribed,
                                    const char *source, const char *remote_addr, mc_error *err)
{
    return membership_set_subscribed_from(conn, subscriber_ids, subscribed, source, remote_addr, 0,
                                          err);
}

long long membership_set_subscribed_from(PGconn *conn, const char *subscriber_ids, bool subscribed,
                                         const char *source, const char *remote_addr,
                                         long long message_id, mc_error *err)
{
    char message[32];
    const char *params[] = {subscriber_ids, subscribed ? "active" : "unsubscribed", source,
                            remote_addr && remote_addr[0] ? remote_addr : NULL,
                            message_param(message_id, message)};
    return run_count(conn, SUBSCRIBED_SQL, 5, params, err);
}

int membership_unsubscribe_everything(PGconn *conn, long long subscriber_id, const char *source,
                                      const char *remote_addr, long long message_id, mc_error *err)
{
    char ids[40];
    snprintf(ids, sizeof ids, "{%lld}", subscriber_id);
    const char *params[] = {ids};
    PGresult *res =
        db_query(conn,
                 "SELECT COALESCE(array_agg(list_id), '{}')::text FROM list_subscribers"
                 " WHERE subscriber_id = ANY($1::bigint[]) AND status <> 'unsubscribed'",
                 1, params, err);
    if (!res) return -1;
    char *lists = strdup(PQgetvalue(res, 0, 0));
    PQclear(res);
    int rc = 0;
    if (strcmp(lists, "{}") && membership_set_from(conn, ids, lists, "unsubscribed", source,
                                                   remote_addr, message_id, err) < 0)
        rc = -1;
    free(lists);
    if (rc == 0 &&
        membership_set_subscribed_from(conn, ids, false, source, remote_addr, message_id, err) < 0)
        rc = -1;
    return rc;
}

/* Blocklisting is not the person's choice: no consent row, and nothing else changes. */
long long membership_blocklist(PGconn *conn, const char *subscriber_ids, mc_error *err)
{
    const char *params[] = {subscriber_ids};
    return run_count(conn,
                     "WITH changed AS (UPDATE subscribers SET status = 'blocklisted', updated_at ="
                     " now() WHERE id = ANY($1::bigint[]) AND status <> 'blocklisted' RETURNING id)"
                     " SELECT count(*) FROM changed",
                     1, params, err);
}
