/* The campaign state machine: each action is a named transition from a set of states to one
 * state, applied with its log row in one transaction while the campaign row is locked, so two
 * concurrent actions cannot both pass the state check. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "campaign/campaign_counts.h"
#include "campaign/campaign_materialize.h"
#include "campaign/campaigns.h"
#include "campaign/complaint_guard.h"
#include "core/log.h"
#include "db/listen.h"
#include "db/query.h"
#include "queue/enqueue.h"
#include "queue/message_state.h"

/* a queue grown by this many rows gets its statistics renewed at once */
#define ANALYZE_AFTER_ROWS 10000

typedef struct {
    const char *action;
    const char *from[5]; /* NULL-terminated */
    const char *to;
    const char *refusal; /* why it is refused in another state */
    bool by_worker;      /* done by the send loop alone, never asked for by name */
} transition;

static const transition TRANSITIONS[] = {
    {"schedule", {"draft", NULL}, "scheduled", "only a draft can be scheduled", false},
    {"send",
     {"draft", "scheduled", NULL},
     "running",
     "only a draft or scheduled campaign can be sent",
     false},
    {"start", {"scheduled", NULL}, "running", "only a scheduled campaign can start", false},
    {"pause", {"running", NULL}, "paused", "only a running campaign can be paused", false},
    {"resume", {"paused", NULL}, "running", "only a paused campaign can be resumed", false},
    {"cancel",
     {"draft", "scheduled", "running", "paused", NULL},
     "cancelled",
     "a finished or cancelled campaign cannot be cancelled",
     false},
    /* nothing left to send (campaign_finish_sent), or nobody to send to at all */
    {"finish", {"running", NULL}, "finished", "only a running campaign finishes", true},
};

static const transition *find_transition(const char *action)
{
    for (size_t i = 0; i < sizeof TRANSITIONS / sizeof TRANSITIONS[0]; i++)
        if (!strcmp(TRANSITIONS[i].action, action)) return &TRANSITIONS[i];
    return NULL;
}

static bool allowed_from(const transition *t, const char *state)
{
    for (size_t i = 0; t->from[i]; i++)
        if (!strcmp(t->from[i], state)) return true;
    return false;
}

/* Sets the state and writes the log row; a campaign that ends gets its final counts, in the
 * transaction that ends it. total is the recipients queued, or NULL to keep. A pause stores
 * by->reason as the campaign's paused_reason; any other state clears it. */
static int record(PGconn *conn, const char *id, const char *action, const char *from,
                  const char *to, const char *total, const campaign_actor *by, mc_error *err)
{
    char user_text[32], token_text[32];
    snprintf(user_text, sizeof user_text, "%lld", by->user_id);
    snprintf(token_text, sizeof token_text, "%lld", by->token_id);
    const char *params[] = {id,
                            to,
                            total,
                            action,
                            from,
                            by->user_id ? user_text : NULL,
                            by->token_id ? token_text : NULL,
                            by->actor,
                            by->reason};
    if (db_exec(conn,
                "WITH c AS (UPDATE campaigns SET state = $2, updated_at = now(),"
                " total = COALESCE($3::bigint, total),"
                " started_at = CASE WHEN $2 = 'running' THEN COALESCE(started_at, now())"
                " ELSE started_at END,"
                " finished_at = CASE WHEN $2 IN ('finished', 'cancelled') THEN now()"
                " ELSE finished_at END, paused_reason = CASE WHEN $2 = 'paused' THEN $9::jsonb"
                " END WHERE id = $1::bigint RETURNING id)"
                " INSERT INTO campaign_transitions (campaign_id, action, from_state,"
                " to_state, user_id, token_id, actor, reason)"
                " SELECT id, $4, $5, $2, $6::bigint, $7::bigint, $8, $9::jsonb FROM c",
                9, params, err) < 0)
        return -1;
    if (strcmp(to, "finished") && strcmp(to, "cancelled")) return 0;
    return db_exec(conn, "UPDATE campaigns c SET " CAMPAIGN_FINAL_COUNTS_SET " WHERE c.id = $1", 1,
                   params, err);
}

/* Wakes the workers when the transition commits, so that they start, stop, resume or
 * reschedule the campaign without waiting for their next look. returns 0 or -1 with err. */
static int notify_workers(PGconn *conn, const char *id_text, const char *action, mc_error *err)
{
    char what[80];
    snprintf(what, sizeof what, "campaign %s %s", id_text, action);
    return db_notify(conn, DB_WORK_CHANNEL, what, err);
}

/* The advisory lock a batch on the wire holds shared and a pause or cancel takes exclusively:
 * a key space of its own (the first number) and the campaign's id folded into the second;
 * two campaigns that share a key only wait for each other's batches. */
#define SENDING_LOCK_SQL(id) "1835622771, (" id " & 2147483647)::integer"

PGresult *campaign_hold_for_sending(PGconn *conn, const char *ids, mc_error *err)
{
    const char *params[] = {ids};
    /* locked first, read after: the read sees a pause that committed while the lock waited */
    if (db_exec(conn,
                "SELECT pg_advisory_lock_shared(" SENDING_LOCK_SQL(
                    "id") ")"
                          " FROM unnest($1::bigint[]) id",
                1, params, err) < 0)
        return NULL;
    PGresult *res = db_query(conn, "SELECT id, state FROM campaigns WHERE id = ANY($1::bigint[])",
                             1, params, err);
    if (!res) campaign_release_sending(conn, ids);
    return res;
}

void campaign_release_sending(PGconn *conn, const char *ids)
{
    const char *params[] = {ids};
    mc_error err;
    if (db_exec(conn,
                "SELECT pg_advisory_unlock_shared(" SENDING_LOCK_SQL(
                    "id") ")"
                          " FROM unnest($1::bigint[]) id",
                1, params, &err) < 0)
        log_warn("send: cannot let go of campaigns %s: %s", ids, err.message);
}

/* Waits, inside the transition's transaction, until no batch of campaign id is on the wire. */
static int wait_for_batches(PGconn *conn, const char *id_text, mc_error *err)
{
    const char *params[] = {id_text};
    return db_exec(conn, "SELECT pg_advisory_xact_lock(" SENDING_LOCK_SQL("$1::bigint") ")", 1,
                   params, err);
}

/* The work a transition does besides changing the state. *to may change (a send with no
 * recipient finishes at once). returns 0 or -1 with err. */
static int apply(PGconn *conn, const campaign_env *env, long long id, const char *id_text,
                 const transition *t, const char *from, bool has_send_at, const campaign_actor *by,
                 mc_error *err)
{
    if (!strcmp(t->action, "schedule") && !has_send_at)
        return mc_error_set(err, 400, "invalid_field", "send_at",
                            "set send_at before scheduling the campaign");
    /* send (by a person) and start (by the scheduler at send_at) do the same work */
    if (!strcmp(t->action, "send") || !strcmp(t->action, "start")) {
        long long count;
        if (campaign_materialize(conn, id, env->secret, &count, err) < 0) return -1;
        char total[32];
        snprintf(total, sizeof total, "%lld", count);
        if (record(conn, id_text, t->action, from, "running", total, by, err) < 0) return -1;
        /* Fresh statistics for the claim: with the queue's growth unknown to the planner it
         * sorts every queued row for each batch instead of reading the claim index in order.
         * Inside the transaction ANALYZE counts the rows just inserted. */
        if (count >= ANALYZE_AFTER_ROWS && db_exec(conn, "ANALYZE messages", 0, NULL, err) < 0)
            return -1;
        /* nobody to send to: nothing will ever finish it, so it finishes now */
        if (count == 0) {
            const transition *finish = find_transition("finish");
            campaign_actor worker = {0, 0, "worker", NULL, false};
            return record(conn, id_text, finish->action, finish->from[0], finish->to, NULL, &worker,
                          err);
        }
        return notify_workers(conn, id_text, t->action, err);
    }
    /* a campaign the complaint guard paused resumes only below the threshold, or overridden */
    if (!strcmp(t->action, "resume") && env->config &&
        complaint_guard_resume(conn, env->config, id_text, by->override_complaint_guard, err) < 0)
        return -1;
    /* a batch on the wire ends first, and the next one reads the new state */
    if (!strcmp(from, "running") && wait_for_batches(conn, id_text, err) < 0) return -1;
    if (!strcmp(t->action, "cancel")) {
        if (queue_cancel_campaign(conn, id_text, err) < 0) return -1;
    }
    if (record(conn, id_text, t->action, from, t->to, NULL, by, err) < 0) return -1;
    return notify_workers(conn, id_text, t->action, err);
}

json_t *campaign_transition(PGconn *conn, const campaign_env *env, long long id, const char *action,
                            const campaign_actor *by, char state[CAMPAIGN_STATE_MAX], mc_error *err)
{
    const transition *t = find_transition(action);
    if (!t || t->by_worker) {
        mc_error_set(err, 404, "not_found", "action", "no campaign action '%.40s'", action);
        return NULL;
    }
    if (db_begin(conn, err) < 0) return NULL;
    char id_text[32];
    snprintf(id_text, sizeof id_text, "%lld", id);
    const char *params[] = {id_text};
    /* FOR NO KEY UPDATE, not FOR UPDATE: transitions still queue behind each other, but a
     * batch on the wire may insert rows that reference the campaign (its foreign-key check
     * takes KEY SHARE) while a pause or cancel waits for that batch (wait_for_batches()):
     * FOR UPDATE would make the two wait for each other */
    PGresult *res = db_query(conn,
                             "SELECT state, send_at IS NOT NULL FROM campaigns WHERE id = $1"
                             " FOR NO KEY UPDATE",
                             1, params, err);
    int rc = res ? 0 : -1;
    if (rc == 0 && PQntuples(res) != 1)
        rc = mc_error_set(err, 404, "not_found", "id", "no campaign has the id %lld", id);
    if (rc == 0) {
        const char *from = PQgetvalue(res, 0, 0);
        if (state) snprintf(state, CAMPAIGN_STATE_MAX, "%s", from);
        if (!allowed_from(t, from))
            rc = mc_error_set(err, 409, "invalid_state", "state", "the campaign is %s: %s", from,
                              t->refusal);
        else
            rc = apply(conn, env, id, id_text, t, from, PQgetvalue(res, 0, 1)[0] == 't', by, err);
    }
    PQclear(res);
    /* read inside the transaction: once it commits, a worker woken by its notification may
     * move the campaign on (start a scheduled one) before a read after the commit */
    json_t *campaign = rc < 0 ? NULL : campaign_get(conn, id, err);
    if (!campaign || db_commit(conn, err) < 0) {
        json_decref(campaign);
        db_rollback(conn);
        return NULL;
    }
    return campaign;
}

int campaign_start_due(PGconn *conn, const campaign_env *env, mc_error *err)
{
    PGresult *res = db_query(conn,
                             "SELECT id FROM campaigns WHERE state = 'scheduled'"
                             " AND send_at <= now() ORDER BY send_at, id LIMIT 10",
                             0, NULL, err);
    if (!res) return -1;
    int started = 0;
    campaign_actor scheduler = {0, 0, "scheduler", NULL, false};
    for (int i = 0; i < PQntuples(res); i++) {
        long long id = strtoll(PQgetvalue(res, i, 0), NULL, 10);
        mc_error terr;
        json_t *c = campaign_transition(conn, env, id, "start", &scheduler, NULL, &terr);
        /* another worker started it first (409), or it was cancelled meanwhile */
        if (c)
            started++;
        else if (terr.status != 409)
            *err = terr;
        json_decref(c);
    }
    PQclear(res);
    return started;
}

int campaign_finish_sent(PGconn *conn, const char *ids, mc_error *err)
{
    const transition *finish = find_transition("finish");
    const char *params[] = {ids, finish->action, finish->from[0], finish->to};
    /* The counts are taken in the statement that sees nothing left to send: every message
     * has its final state then, and none changes afterwards. */
    return db_exec(conn,
                   "WITH done AS (UPDATE campaigns c SET state = $4, finished_at = now(),"
                   " updated_at = now(), " CAMPAIGN_FINAL_COUNTS_SET
                   " WHERE c.id = ANY($1::bigint[]) AND c.state = $3"
                   /* each probe ordered as its partial index is, so that it is read in
                    * order and stops at the first row: as a plain NOT EXISTS it was planned
                    * as a scan of the whole queue, slow once the campaign is nearly done */
                   " AND (SELECT m.id FROM messages m WHERE m.campaign_id = c.id AND m.state IN"
                   " " MESSAGE_WAITING_SQL " ORDER BY m.campaign_id, m.run_at, m.id LIMIT 1)"
                   " IS NULL AND (SELECT m.id FROM messages m WHERE m.state = " MESSAGE_SENDING_SQL
                   " AND m.campaign_id = c.id ORDER BY m.lease_expires_at LIMIT 1) IS NULL"
                   " RETURNING c.id)"
                   " INSERT INTO campaign_transitions (campaign_id, action, from_state,"
                   " to_state, actor) SELECT id, $2, $3, $4, 'worker' FROM done",
                   4, params, err);
}

int campaign_next_due_ms(PGconn *conn, long long *ms, mc_error *err)
{
    /* Rounded up: waking a moment early would find nothing due and wait again. A campaign due
     * already but not started (its start failed) is left to the poll, not looked at in a loop. */
    PGresult *res = db_query(conn,
                             "SELECT ceil(EXTRACT(epoch FROM min(send_at) - now()) * 1000)::bigint"
                             " FROM campaigns WHERE state = 'scheduled' AND send_at > now()",
                             0, NULL, err);
    if (!res) return -1;
    *ms = -1;
    if (!PQgetisnull(res, 0, 0)) {
        long long left = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
        *ms = left > 0 ? left : 0;
    }
    PQclear(res);
    return 0;
}
