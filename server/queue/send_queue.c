/* Queue statements. The claim follows STACK-NOTES: UPDATE ... WHERE id IN (SELECT ... FOR
 * UPDATE SKIP LOCKED) over a partial index of claimable rows: one for mail outside campaigns,
 * one ordered per campaign. */
#include "queue/send_queue.h"

#include <stdio.h>
#include <stdlib.h>

#include "audience/subscriber_json.h"
#include "db/query.h"
#include "queue/message_state.h"

int send_queue_reclaim(PGconn *conn, mc_error *err)
{
    /* A message of a campaign cancelled meanwhile ends here: it would never be claimed again.
     * The progress rows of loops that hold nothing go (those of the loops reclaimed from now,
     * whose rows this statement still sees sending, at the next run). */
    PGresult *res =
        db_query(conn,
                 "WITH r AS (SELECT m.id, c.state = 'cancelled' AS cancelled,"
                 " COALESCE(m.id <= p.handed_until, false) AS handed FROM messages m"
                 " LEFT JOIN campaigns c ON c.id = m.campaign_id"
                 " LEFT JOIN send_progress p ON p.owner = m.lease_owner"
                 " WHERE m.state = " MESSAGE_SENDING_SQL
                 " AND m.lease_expires_at < now() FOR UPDATE OF m SKIP LOCKED),"
                 " idle AS (DELETE FROM send_progress p WHERE NOT EXISTS (SELECT 1 FROM messages m"
                 " WHERE m.lease_owner = p.owner AND m.state = " MESSAGE_SENDING_SQL "))"
                 " UPDATE messages m SET state = CASE WHEN r.cancelled THEN " MESSAGE_CANCELLED_SQL
                 " ELSE " MESSAGE_DEFERRED_SQL
                 " END, reason = CASE WHEN r.cancelled THEN 'campaign cancelled' ELSE m.reason END,"
                 " run_at = now(), lease_owner = NULL, lease_expires_at = NULL,"
                 " possible_duplicate = m.possible_duplicate OR r.handed,"
                 " updated_at = now() FROM r WHERE m.id = r.id",
                 0, NULL, err);
    if (!res) return -1;
    int n = atoi(PQcmdTuples(res));
    PQclear(res);
    return n;
}

PGresult *send_queue_sendable_campaigns(PGconn *conn, mc_error *err)
{
    /* a window whose end is before its start runs over midnight */
    return db_query(conn,
                    "SELECT c.id FROM campaigns c WHERE c.state = 'running'"
                    " AND (c.window_start IS NULL OR CASE WHEN c.window_start <= c.window_end"
                    " THEN (now() AT TIME ZONE c.timezone)::time BETWEEN c.window_start"
                    " AND c.window_end ELSE (now() AT TIME ZONE c.timezone)::time >="
                    " c.window_start OR (now() AT TIME ZONE c.timezone)::time <= c.window_end"
                    " END) ORDER BY c.id",
                    0, NULL, err);
}

/* The claim with the rows to pick spliced in as `picked` (id, and gone: the recipient may no
 * longer get it): an UPDATE of their ids (an id array, so that it is index lookups whatever
 * the statistics say) returning each row with its subscriber's render data (a lateral subquery
 * on the key, which its LIMIT keeps from being turned into a join the planner might hash, for
 * the same reason); the rows gone end cancelled instead, never handed to SMTP. */
#define CLAIM_SQL(picked)                                                                          \
    "WITH picked AS (" picked "),"                                                                 \
    " gone AS (UPDATE messages m SET state = " MESSAGE_CANCELLED_SQL                               \
    ", reason = 'the recipient unsubscribed',"                                                     \
    " updated_at = now() WHERE m.id = ANY(ARRAY(SELECT id FROM picked WHERE gone))),"              \
    " claimed AS (UPDATE messages m SET state = " MESSAGE_SENDING_SQL ", lease_owner = $1,"        \
    " lease_expires_at = now() + $3::integer * interval '1 second',"                               \
    " updated_at = now() WHERE m.id = ANY(ARRAY(SELECT id FROM picked WHERE NOT gone))"            \
    " RETURNING m.id, m.campaign_id, m.subscriber_id, m.email, COALESCE(m.data, '{}')::text,"      \
    " m.template_id, m.subject, m.test_of, m.trigger_id, m.ab_variant)"                            \
    " SELECT c.*, p.* FROM claimed c LEFT JOIN LATERAL (SELECT " SUBSCRIBER_RENDER_COLUMNS(        \
        "s") " FROM subscribers s WHERE s.id = c.subscriber_id LIMIT 1) p ON true ORDER BY c.id"

/* A campaign's message whose recipient unsubscribed since the snapshot: from everything (or
 * was blocklisted), or from every list of the campaign they are on (as the snapshot leaves out
 * a segment match who unsubscribed from one of its lists). Two primary-key lookups per
 * claimed row, in the claim itself: no query per message. */
#define CLAIM_GONE_SQL                                                                             \
    "(EXISTS (SELECT 1 FROM subscribers s WHERE s.id = m.subscriber_id AND s.status <> 'active')"  \
    " OR COALESCE((SELECT bool_and(u.status = 'unsubscribed') FROM list_subscribers u"             \
    " WHERE u.subscriber_id = m.subscriber_id AND u.list_id = ANY((SELECT c.lists FROM campaigns"  \
    " c WHERE c.id = $4::bigint)::bigint[])), false))"

/* A triggered message whose recipient unsubscribed from everything (or was blocklisted) since
 * the step queued it; transactional mail goes whatever the status. */
#define CLAIM_TRIGGER_GONE_SQL                                                                     \
    "(m.kind = 'trigger' AND EXISTS (SELECT 1 FROM subscribers s WHERE s.id = m.subscriber_id"     \
    " AND s.status <> 'active'))"

PGresult *send_queue_claim(PGconn *conn, const char *owner, const char *campaign_id, unsigned limit,
                           unsigned lease_seconds, mc_error *err)
{
    char limit_text[16], lease_text[16];
    snprintf(limit_text, sizeof limit_text, "%u", limit);
    snprintf(lease_text, sizeof lease_text, "%u", lease_seconds);
    const char *params[] = {owner, limit_text, lease_text, campaign_id};
    /* each reads its own partial index in order, so rows that cannot go now (a paused
     * campaign's million) are never walked over */
    if (!campaign_id)
        return db_query(conn,
                        CLAIM_SQL("SELECT m.id, " CLAIM_TRIGGER_GONE_SQL " AS gone FROM messages m"
                                  " WHERE m.campaign_id IS NULL"
                                  " AND m.state IN " MESSAGE_WAITING_SQL " AND m.run_at <= now()"
                                  " ORDER BY m.priority, m.run_at, m.id LIMIT $2"
                                  " FOR UPDATE SKIP LOCKED"),
                        3, params, err);
    return db_query(conn,
                    CLAIM_SQL("SELECT m.id, " CLAIM_GONE_SQL " AS gone FROM messages m"
                              " WHERE m.campaign_id = $4::bigint"
                              " AND m.state IN " MESSAGE_WAITING_SQL " AND m.run_at <= now()"
                              " ORDER BY m.run_at, m.id LIMIT $2 FOR UPDATE SKIP LOCKED"),
                    4, params, err);
}

int send_queue_give_back(PGconn *conn, const char *ids, const char *owner, mc_error *err)
{
    const char *params[] = {ids, owner};
    return db_exec(
        conn,
        "UPDATE messages m SET state = CASE WHEN c.state = 'paused' THEN " MESSAGE_QUEUED_SQL
        " ELSE " MESSAGE_CANCELLED_SQL " END, reason = CASE WHEN c.state = 'paused' THEN NULL"
        " ELSE 'campaign ' || c.state END, lease_owner = NULL, lease_expires_at = NULL,"
        " updated_at = now() FROM campaigns c WHERE m.id = ANY($1::bigint[])"
        " AND m.campaign_id = c.id AND c.state <> 'running' AND m.lease_owner = $2"
        " AND m.state = " MESSAGE_SENDING_SQL,
        2, params, err);
}

int send_queue_renew(PGconn *conn, const char *ids, const char *owner, unsigned lease_seconds,
                     mc_error *err)
{
    char lease_text[16];
    snprintf(lease_text, sizeof lease_text, "%u", lease_seconds);
    const char *params[] = {ids, owner, lease_text};
    return db_exec(conn,
                   "UPDATE messages SET lease_expires_at = now() + $3::integer * interval"
                   " '1 second' WHERE id = ANY($1::bigint[]) AND lease_owner = $2"
                   " AND state = " MESSAGE_SENDING_SQL,
                   3, params, err);
}

/* A message is young enough to retry while its age, less the time a warm-up held it (a
 * "held" result waits for the next UTC day), is under [queue] max_age_hours ($5). */
#define RECORD_YOUNG_SQL                                                                           \
    "(m.created_at + m.held_seconds * interval '1 second' > now() - $5::integer * interval"        \
    " '1 hour')"
/* results that were not a reply to the message itself */
#define KEEPS_REPLY_SQL                                                                            \
    "(r.outcome IN ('throttled', 'held') OR (r.outcome = 'deferred' AND r.code = 0))"

/* Moves owner $2's progress up to message $3 (none when empty), then records the results of $1
 * for the rows $2 still leases. A "held" result (a warm-up's cap is used up) waits until its
 * hold_until without counting an attempt. */
static const char *RECORD_SQL =
    "WITH mark AS (INSERT INTO send_progress (owner, handed_until) SELECT $2, NULLIF($3::text, "
    "'')::bigint"
    " WHERE $3::text <> '' ON CONFLICT (owner) DO UPDATE SET handed_until ="
    " greatest(send_progress.handed_until, excluded.handed_until), updated_at = now()),"
    " r AS (SELECT * FROM jsonb_to_recordset($1::jsonb) AS r(id bigint, outcome text,"
    " code integer, enhanced text, text text, maybe_delivered boolean, relay text,"
    " held_by text, hold_until timestamptz)),"
    " u AS (UPDATE messages m SET"
    " state = CASE WHEN r.outcome = 'sent' THEN " MESSAGE_SENT_SQL
    " WHEN r.outcome IN ('throttled', 'held') THEN " MESSAGE_QUEUED_SQL
    " WHEN r.outcome = 'deferred' THEN " MESSAGE_DEFERRED_SQL " WHEN r.outcome = 'temporary'"
    " AND m.attempts + 1 < $4::integer AND " RECORD_YOUNG_SQL " THEN " MESSAGE_DEFERRED_SQL
    " ELSE " MESSAGE_FAILED_SQL " END,"
    /* neither a rate limit, a warm-up's cap nor a receiver's request to slow down is an
     * attempt, and none ever fails a message */
    " attempts = m.attempts + CASE WHEN r.outcome IN ('throttled', 'deferred', 'held') THEN 0"
    " ELSE 1 END,"
    " run_at = CASE WHEN r.outcome = 'throttled' THEN now() + interval '1 second'"
    " WHEN r.outcome = 'held' THEN r.hold_until"
    " WHEN r.outcome = 'deferred' THEN now() + $6::float8 * (0.5 + random()) * interval"
    " '1 second'"
    " WHEN r.outcome = 'temporary' THEN now() + least($6::float8 * power(2,"
    " m.attempts), $7::float8) * (0.5 + random()) * interval '1 second' ELSE m.run_at END,"
    " reason = CASE WHEN r.outcome = 'sent' THEN NULL WHEN r.outcome = 'throttled' THEN"
    " m.reason WHEN r.outcome = 'held' THEN r.text"
    " WHEN r.outcome = 'deferred' THEN 'the receiver asked to slow down'"
    " WHEN r.outcome = 'permanent' THEN"
    " 'refused by the relay' WHEN r.outcome = 'render' THEN 'the message could not be"
    " built: ' || r.text WHEN m.attempts + 1 >= $4::integer THEN 'gave up after ' ||"
    " (m.attempts + 1) || ' attempts' WHEN NOT " RECORD_YOUNG_SQL
    " THEN 'gave up: queued too long ago' ELSE 'temporary failure' END,"
    " held_by = CASE WHEN r.outcome = 'held' THEN r.held_by END,"
    " held_seconds = m.held_seconds + CASE WHEN r.outcome = 'held' THEN greatest(0,"
    " ceil(extract(epoch FROM r.hold_until - now())))::integer ELSE 0 END,"
    " relay = NULLIF(r.relay, ''),"
    /* a throttled or held message was not offered: it keeps the reply of its last attempt; a
     * message deferred without a reply of its own (after another's in its session) too */
    " smtp_code = CASE WHEN " KEEPS_REPLY_SQL " THEN m.smtp_code ELSE NULLIF(r.code, 0) END,"
    " smtp_enhanced = CASE WHEN " KEEPS_REPLY_SQL " THEN m.smtp_enhanced"
    " ELSE NULLIF(r.enhanced, '') END,"
    " smtp_text = CASE WHEN " KEEPS_REPLY_SQL " THEN m.smtp_text ELSE NULLIF(r.text, '') END,"
    " sent_at = CASE WHEN r.outcome = 'sent' THEN now() END,"
    /* the peer may have it already: resending it may deliver it twice */
    " possible_duplicate = m.possible_duplicate OR COALESCE(r.maybe_delivered, false),"
    " lease_owner = NULL, lease_expires_at = NULL, updated_at = now()"
    " FROM r WHERE m.id = r.id AND m.lease_owner = $2 AND m.state = " MESSAGE_SENDING_SQL
    " RETURNING m.id, m.subscriber_id, m.smtp_code, m.smtp_text, r.outcome)"
    " INSERT INTO bounces (subscriber_id, message_id, kind, smtp_code, smtp_text)"
    " SELECT subscriber_id, id, 'hard', smtp_code, smtp_text FROM u"
    " WHERE outcome = 'permanent' AND subscriber_id IS NOT NULL";

int send_queue_record_send(PGconn *conn, json_t *results, const char *handed_until,
                           const char *owner, const config_t *cfg, mc_error *err)
{
    char *json = json_dumps(results, JSON_COMPACT);
    char attempts[16], age[16], base[16], cap[16];
    snprintf(attempts, sizeof attempts, "%u", cfg->queue_max_attempts);
    snprintf(age, sizeof age, "%u", cfg->queue_max_age_hours);
    snprintf(base, sizeof base, "%u", cfg->queue_retry_base_seconds);
    snprintf(cap, sizeof cap, "%u", cfg->queue_retry_max_seconds);
    const char *params[] = {json, owner, handed_until, attempts, age, base, cap};
    int rc = db_send_prepared(conn, "mc_record", RECORD_SQL, 7, params, err);
    free(json);
    return rc;
}

int send_queue_record_prepare(PGconn *conn, mc_error *err)
{
    /* a batch sends about one such statement per message, most of them small */
    return db_prepare_once(conn, "mc_record", RECORD_SQL, 7, err);
}

int send_queue_record_wait(PGconn *conn, mc_error *err)
{
    return db_wait(conn, RECORD_SQL, err);
}
