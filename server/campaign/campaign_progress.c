/* Progress in one statement: the counts scan the campaign's rows through the (campaign_id,
 * state) index, or come from the campaign once it ended (its messages may have been deleted by
 * retention since); the last errors are the ten most recent failed or deferred messages. */
#include "campaign/campaign_progress.h"

#include <stdio.h>

#include "campaign/campaign_ab.h"
#include "db/query.h"
#include "queue/message_state.h"

static const char PROGRESS_SQL[] =
    "WITH c AS (SELECT * FROM campaigns WHERE id = $1),"
    " n AS (SELECT count(*) FILTER (WHERE state = " MESSAGE_QUEUED_SQL ") AS queued,"
    " count(*) FILTER (WHERE state = " MESSAGE_SENDING_SQL ") AS sending,"
    " count(*) FILTER (WHERE state = " MESSAGE_SENT_SQL ") AS sent,"
    " count(*) FILTER (WHERE state = " MESSAGE_DEFERRED_SQL ") AS deferred,"
    " count(*) FILTER (WHERE state = " MESSAGE_FAILED_SQL ") AS failed,"
    " count(*) FILTER (WHERE state = " MESSAGE_CANCELLED_SQL ") AS cancelled,"
    " count(*) FILTER (WHERE state = " MESSAGE_SENT_SQL " AND sent_at > now() - interval"
    " '60 seconds') AS recent FROM messages WHERE campaign_id = $1 AND (SELECT sent_count FROM"
    " c) IS NULL),"
    " e AS (SELECT id, email, state, smtp_code, smtp_enhanced, smtp_text, reason, updated_at"
    " FROM messages WHERE campaign_id = $1 AND state IN (" MESSAGE_FAILED_SQL
    ", " MESSAGE_DEFERRED_SQL ")"
    " ORDER BY updated_at DESC, id DESC LIMIT 10),"
    " r AS (SELECT CASE WHEN c.state = 'running' THEN n.recent / greatest(1, least(60,"
    " extract(epoch FROM now() - c.started_at))) ELSE 0 END AS rate FROM c, n)"
    " SELECT json_build_object('state', c.state, 'total', c.total, 'queued', n.queued,"
    " 'sending', n.sending, 'sent', COALESCE(c.sent_count, n.sent), 'deferred', n.deferred,"
    " 'failed', COALESCE(c.failed_count, n.failed), 'cancelled', COALESCE(c.cancelled_count,"
    " n.cancelled), 'rate_per_s', round(r.rate::numeric, 1), 'paused_reason', c.paused_reason,"
    " 'eta_s', CASE WHEN r.rate > 0 THEN ceil((n.queued + n.sending + n.deferred) / r.rate)"
    " END, 'last_errors', COALESCE((SELECT json_agg(json_build_object('message_id', e.id,"
    " 'email', e.email, 'state', e.state, 'smtp_code', e.smtp_code, 'smtp_enhanced',"
    " e.smtp_enhanced, 'smtp_text', e.smtp_text, 'reason', e.reason, 'at',"
    " mc_rfc3339(e.updated_at)) ORDER BY e.updated_at DESC, e.id DESC) FROM e), '[]'),"
    /* pacing per destination group: the limit now (null: none) and what the campaign met */
    " 'destinations', COALESCE((SELECT json_agg(json_build_object('name', d.name,"
    " 'rate_per_minute', round(COALESCE(p.rate_per_minute, p.configured_per_minute)::numeric,"
    " 1), 'configured_per_minute', round(p.configured_per_minute::numeric, 1), 'state',"
    " CASE WHEN p.rate_per_minute IS NULL THEN 'normal' ELSE 'slowed' END, 'sent', d.sent,"
    " 'throttled_replies', d.throttle_replies, 'deferred', d.deferred) ORDER BY d.name)"
    " FROM destination_campaign_stats d LEFT JOIN destination_pacing p ON p.name = d.name"
    " WHERE d.campaign_id = $1), '[]'))::text"
    " FROM c, n, r";

json_t *campaign_progress(PGconn *conn, long long id, mc_error *err)
{
    char id_text[32];
    snprintf(id_text, sizeof id_text, "%lld", id);
    const char *params[] = {id_text};
    PGresult *res = db_query(conn, PROGRESS_SQL, 1, params, err);
    if (!res) return NULL;
    json_t *obj = NULL;
    if (PQntuples(res) == 1)
        obj = json_loads(PQgetvalue(res, 0, 0), 0, NULL);
    else
        mc_error_set(err, 404, "not_found", "id", "no campaign has the id %lld", id);
    PQclear(res);
    /* the A/B test's phase and counts per variant (campaign_ab.h), null without a test */
    json_t *ab = obj ? campaign_ab_progress(conn, id, err) : NULL;
    if (obj && !ab) {
        json_decref(obj);
        return NULL;
    }
    if (obj) json_object_set_new(obj, "ab_test", ab);
    return obj;
}
