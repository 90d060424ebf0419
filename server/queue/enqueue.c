/* Statements that add campaign mail to the ledger or take it out: the audience snapshot's
 * INSERT, test sends, cancelling a campaign's waiting messages and an erased address's mail. */
#include "queue/enqueue.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "db/listen.h"
#include "db/query.h"
#include "queue/message_state.h"

#define CAMPAIGN_PRIORITY "100" /* after system (0) and transactional (10) mail */

int queue_enqueue_campaign_audience(PGconn *conn, long long campaign_id,
                                    const char *recipients_with, int nparams,
                                    const char *const *params, const queue_ab_split *split,
                                    long long *count, mc_error *err)
{
    char id_text[32], variants[16], percent[16];
    snprintf(id_text, sizeof id_text, "%lld", campaign_id);
    bool ab = split && split->variants > 0;
    snprintf(variants, sizeof variants, "%d", ab ? split->variants : 0);
    snprintf(percent, sizeof percent, "%d", ab ? split->test_percent : 0);
    const char **all = xcalloc((size_t)nparams + 3, sizeof *all);
    for (int i = 0; i < nparams; i++)
        all[i] = params[i];
    all[nparams] = id_text;
    all[nparams + 1] = variants;
    all[nparams + 2] = percent;
    buf_t sql = BUF_INIT;
    buf_append_cstr(&sql, recipients_with);
    if (!ab)
        buf_appendf(&sql,
                    " INSERT INTO messages (kind, priority, campaign_id, subscriber_id, email)"
                    " SELECT 'campaign', " CAMPAIGN_PRIORITY ", $%d::bigint, subscriber_id, email"
                    " FROM recipients",
                    nparams + 1);
    else
        /* k: the recipient's place in a random order, fixed by the snapshot; t: the test's
         * size. The first t are dealt to the variants in turn, the rest held. */
        buf_appendf(&sql,
                    " INSERT INTO messages (kind, priority, campaign_id, subscriber_id, email,"
                    " ab_variant, run_at) SELECT 'campaign', " CAMPAIGN_PRIORITY ", $%d::bigint,"
                    " subscriber_id, email, CASE WHEN k < t THEN (k %% $%d::integer)::smallint END,"
                    " CASE WHEN k < t THEN now() ELSE 'infinity' END FROM (SELECT subscriber_id,"
                    " email, row_number() OVER (ORDER BY random()) - 1 AS k,"
                    " round(count(*) OVER () * $%d::integer / 100.0) AS t FROM recipients) r",
                    nparams + 1, nparams + 2, nparams + 3);
    PGresult *res = db_query(conn, buf_cstr(&sql), nparams + (ab ? 3 : 1), all, err);
    buf_free(&sql);
    free(all);
    if (!res) return -1;
    *count = strtoll(PQcmdTuples(res), NULL, 10);
    PQclear(res);
    return 0;
}

json_t *queue_enqueue_test_sends(PGconn *conn, long long campaign_id, long long subscriber_id,
                                 const char *addresses, const char *subject_prefix, mc_error *err)
{
    char id_text[32], subscriber_text[32];
    snprintf(id_text, sizeof id_text, "%lld", campaign_id);
    snprintf(subscriber_text, sizeof subscriber_text, "%lld", subscriber_id);
    const char *params[] = {id_text, subscriber_id ? subscriber_text : NULL, addresses,
                            subject_prefix};
    PGresult *res = db_query_notify(
        conn,
        "WITH ins AS (INSERT INTO messages (kind, priority, test_of, subscriber_id, email,"
        " subject) SELECT 'system', 0, c.id, COALESCE($2::bigint, (SELECT s.id FROM subscribers s"
        " WHERE lower(s.email) = lower(a))), a, $4 || c.subject FROM campaigns c,"
        " jsonb_array_elements_text($3::jsonb) a WHERE c.id = $1::bigint AND ($2::bigint IS NULL"
        " OR EXISTS (SELECT 1 FROM subscribers WHERE id = $2::bigint)) RETURNING id)"
        " SELECT (SELECT count(*) FROM campaigns WHERE id = $1::bigint),"
        " (SELECT count(*) FROM subscribers WHERE id = $2::bigint),"
        " (SELECT json_agg(id ORDER BY id) FROM ins)::text",
        4, params, DB_WORK_CHANNEL, "test", err);
    if (!res) return NULL;
    json_t *out = NULL;
    if (!strcmp(PQgetvalue(res, 0, 0), "0"))
        mc_error_set(err, 404, "not_found", "id", "no campaign has the id %lld", campaign_id);
    else if (subscriber_id && !strcmp(PQgetvalue(res, 0, 1), "0"))
        mc_error_set(err, 404, "not_found", "subscriber_id", "no subscriber has the id %lld",
                     subscriber_id);
    else
        out = json_pack("{s:o}", "message_ids", json_loads(PQgetvalue(res, 0, 2), 0, NULL));
    PQclear(res);
    return out;
}

int queue_cancel_campaign(PGconn *conn, const char *campaign_id, mc_error *err)
{
    const char *params[] = {campaign_id};
    return db_exec(conn,
                   "UPDATE messages SET state = " MESSAGE_CANCELLED_SQL
                   ", reason = 'campaign cancelled', updated_at = now() WHERE campaign_id = $1"
                   " AND state IN " MESSAGE_WAITING_SQL,
                   1, params, err);
}

int queue_release_held(PGconn *conn, const char *campaign_id, long long *count, mc_error *err)
{
    const char *params[] = {campaign_id};
    PGresult *res = db_query(conn,
                             "UPDATE messages SET run_at = now(), updated_at = now()"
                             " WHERE campaign_id = $1::bigint AND state = " MESSAGE_QUEUED_SQL
                             " AND run_at = 'infinity' AND ab_variant IS NULL",
                             1, params, err);
    if (!res) return -1;
    *count = strtoll(PQcmdTuples(res), NULL, 10);
    PQclear(res);
    return 0;
}

int queue_forget_address(PGconn *conn, const char *email, mc_error *err)
{
    const char *params[] = {email};
    return db_exec(conn,
                   "DELETE FROM messages WHERE subscriber_id IS NULL AND lower(email) = lower($1)",
                   1, params, err);
}
