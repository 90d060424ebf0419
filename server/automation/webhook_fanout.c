/* Reading the sources by time with a cursor each. A row may commit after rows with a later
 * time (its transaction started earlier): the cursor only moves up to the horizon, the start
 * of the oldest transaction still writing (pg_stat_activity), and each pass reads again from
 * a margin before it; rows read twice are skipped by their event key, which is unique per
 * webhook. Opens and clicks carry the time of the request, and reach the history after a
 * delay: their horizon is also the oldest event still waiting in the inbox. */
#include "automation/webhook_fanout.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "db/query.h"
#include "queue/message_state.h"

/* re-read before the cursor: covers a transaction that read a while before its first write,
 * and the tracking flusher's batch still in memory */
#define MARGIN_SQL "interval '10 seconds'"
/* the most of a source's time one pass reads */
#define WINDOW_SQL "interval '10 minutes'"

typedef struct {
    const char *name;          /* the cursor's row */
    const char *const *events; /* what it can tell, NULL-terminated */
    const char *sql;           /* $1 source, $2 limit, $3 wanted events, $4 horizon */
    bool engagement_horizon;   /* bounded by the inbox too */
} fanout_source;

/* lo: from the cursor, or from when the first webhook wanting these events subscribed when
 * that is later (no history before a subscription), less the margin; hi: at most WINDOW_SQL
 * later, so that a pass after a long pause reads a slice of the backlog, not all of it.
 * src(ts, at, event, key, data): at most $2 rows after lo up to hi not yet delivered to anyone,
 * oldest first. The deliveries go to each enabled webhook that wants the event and had
 * subscribed by then; the cursor moves to the horizon (or hi, when sooner) when every row was
 * read, else to the last row's time. The answer: deliveries queued, rows read, and whether the
 * slice ended before the horizon (more to read at once). */
#define FANOUT_SQL(SRC)                                                                            \
    "WITH lo AS (SELECT greatest((SELECT scanned_until FROM webhook_cursors WHERE source = $1),"   \
    " (SELECT min(subscribed_at) FROM webhooks WHERE enabled AND events && $3::text[])) -"         \
    " " MARGIN_SQL " AS t),"                                                                       \
    " hi AS (SELECT (SELECT t FROM lo) + " WINDOW_SQL " AS t),"                                    \
    " src AS (" SRC "),"                                                                           \
    " ins AS (INSERT INTO webhook_deliveries (webhook_id, event, event_key, payload, occurred_at)" \
    " SELECT w.id, s.event, s.key, jsonb_build_object('id', s.key, 'event', s.event,"              \
    " 'occurred_at', mc_rfc3339(s.at), 'data', s.data), s.at"                                      \
    " FROM src s JOIN webhooks w ON w.enabled AND s.event = ANY (w.events)"                        \
    " AND s.ts >= w.subscribed_at ORDER BY w.id, s.key"                                            \
    " ON CONFLICT (event_key, webhook_id) DO NOTHING RETURNING 1),"                                \
    " n AS (SELECT count(*) AS rows, max(ts) AS last FROM src),"                                   \
    " cur AS (INSERT INTO webhook_cursors AS c (source, scanned_until)"                            \
    " SELECT $1, CASE WHEN n.rows < $2 THEN least($4::timestamptz, (SELECT t FROM hi))"            \
    " ELSE least($4::timestamptz, n.last) END FROM n"                                              \
    " ON CONFLICT (source) DO UPDATE SET scanned_until ="                                          \
    " greatest(c.scanned_until, excluded.scanned_until))"                                          \
    " SELECT (SELECT count(*) FROM ins), (SELECT rows FROM n),"                                    \
    " (SELECT t FROM hi) < $4::timestamptz"

/* followed by a key expression and ")": no webhook got that yet */
#define UNDELIVERED " NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.event_key = "

static const char *const SUBSCRIBER_EVENTS[] = {"subscriber.created", NULL};
static const char SUBSCRIBERS_SQL[] = FANOUT_SQL(
    "SELECT s.created_at AS ts, s.created_at AS at, 'subscriber.created' AS event,"
    " 'subscriber.created:' || s.id AS key,"
    " jsonb_build_object('subscriber_id', s.id, 'email', s.email, 'name', s.name, 'status',"
    " s.status, 'attributes', s.attributes) AS data"
    " FROM subscribers s WHERE s.created_at > (SELECT t FROM lo)"
    " AND s.created_at <= (SELECT t FROM hi)"
    " AND" UNDELIVERED "'subscriber.created:' || s.id)"
    " ORDER BY s.created_at LIMIT $2");

static const char *const CONSENT_EVENTS[] = {"subscriber.unsubscribed", NULL};
static const char CONSENTS_SQL[] = FANOUT_SQL(
    "SELECT c.created_at AS ts, c.created_at AS at, 'subscriber.unsubscribed' AS event,"
    " 'subscriber.unsubscribed:' || c.id AS key,"
    " jsonb_build_object('subscriber_id', c.subscriber_id, 'email', s.email, 'list_id',"
    " c.list_id, 'campaign_id', c.campaign_id, 'message_id', c.message_id, 'source', c.source)"
    " AS data"
    " FROM consents c JOIN subscribers s ON s.id = c.subscriber_id"
    " WHERE c.action = 'unsubscribe' AND c.created_at > (SELECT t FROM lo)"
    " AND c.created_at <= (SELECT t FROM hi)"
    " AND" UNDELIVERED "'subscriber.unsubscribed:' || c.id)"
    " ORDER BY c.created_at LIMIT $2");

/* Sent messages through the index of ended messages, in its order, per campaign that may have
 * sent since (running or paused, or ended lately) and for the messages of no campaign
 * (transactional, system, triggered), each branch stopping at the batch size so that a
 * backlog is read a batch at a time; test sends are left out. */
#define SENT_COLUMNS                                                                               \
    "m.id, m.kind, m.subscriber_id, m.email, m.campaign_id, m.trigger_id, m.sent_at, m.updated_at"
#define SENT_KEYS "ANY (ARRAY['message.sent:' || m.id, 'trigger.sent:' || m.id])"
#define SENT_SINCE_LO                                                                              \
    " AND m.state = " MESSAGE_SENT_SQL " AND m.updated_at > (SELECT t FROM lo)"                    \
    " AND m.updated_at <= (SELECT t FROM hi)"                                                      \
    " AND" UNDELIVERED SENT_KEYS ") ORDER BY m.updated_at LIMIT $2"
static const char *const MESSAGE_EVENTS[] = {"message.sent", "trigger.sent", NULL};
static const char MESSAGES_SQL[] = FANOUT_SQL(
    "SELECT m.updated_at AS ts, COALESCE(m.sent_at, m.updated_at) AS at, ev.event,"
    " ev.event || ':' || m.id AS key,"
    " jsonb_build_object('message_id', m.id, 'kind', m.kind, 'subscriber_id',"
    " m.subscriber_id, 'email', m.email, 'campaign_id', m.campaign_id, 'trigger_id',"
    " m.trigger_id) AS data"
    " FROM (SELECT * FROM (SELECT " SENT_COLUMNS " FROM campaigns c CROSS JOIN LATERAL"
    " (SELECT " SENT_COLUMNS " FROM messages m WHERE m.campaign_id = c.id" SENT_SINCE_LO ") m"
    " WHERE c.state IN ('running', 'paused')"
    " OR c.finished_at > (SELECT t FROM lo) - interval '1 hour'"
    " UNION ALL (SELECT " SENT_COLUMNS " FROM messages m WHERE m.campaign_id IS NULL"
    " AND m.test_of IS NULL" SENT_SINCE_LO ")) m"
    " ORDER BY m.updated_at LIMIT $2) m"
    " CROSS JOIN LATERAL (VALUES ('message.sent'), ('trigger.sent')) ev (event)"
    " WHERE ev.event = ANY ($3::text[])"
    " AND (ev.event = 'message.sent' OR m.kind = 'trigger')");

static const char *const BOUNCE_EVENTS[] = {"message.bounced", "message.complained", NULL};
#define BOUNCE_KEY "b.event || ':' || b.id"
static const char BOUNCES_SQL[] =
    FANOUT_SQL("SELECT b.created_at AS ts, b.created_at AS at, b.event, " BOUNCE_KEY " AS key,"
               " jsonb_build_object('bounce_id', b.id, 'message_id', b.message_id, 'subscriber_id',"
               " b.subscriber_id, 'email', s.email, 'campaign_id',"
               " COALESCE(b.campaign_id, m.campaign_id), 'trigger_id', m.trigger_id, 'source',"
               " b.source, 'reason', b.reason, 'smtp_code', b.smtp_code, 'smtp_text', b.smtp_text)"
               " || CASE WHEN b.kind = 'complaint' THEN '{}'::jsonb"
               " ELSE jsonb_build_object('kind', b.kind) END AS data"
               " FROM (SELECT b.*, CASE WHEN b.kind = 'complaint' THEN 'message.complained'"
               " ELSE 'message.bounced' END AS event FROM bounces b"
               " WHERE b.created_at > (SELECT t FROM lo) AND b.created_at <= (SELECT t FROM hi)) b"
               " JOIN subscribers s ON s.id = b.subscriber_id"
               " LEFT JOIN messages m ON m.id = b.message_id"
               " WHERE b.event = ANY ($3::text[]) AND" UNDELIVERED BOUNCE_KEY ")"
               " ORDER BY b.created_at LIMIT $2");

static const char *const ENGAGEMENT_EVENTS[] = {"message.opened", "message.clicked", NULL};
#define ENGAGEMENT_KEY "e.event || ':' || e.id"
static const char ENGAGEMENTS_SQL[] = FANOUT_SQL(
    "SELECT e.occurred_at AS ts, e.occurred_at AS at, e.event, " ENGAGEMENT_KEY " AS key,"
    " jsonb_build_object('message_id', e.message_id, 'subscriber_id', e.subscriber_id,"
    " 'email', COALESCE(s.email, m.email), 'campaign_id', e.campaign_id, 'trigger_id',"
    " m.trigger_id, 'machine', e.machine) || CASE WHEN e.kind = 'click'"
    " THEN jsonb_build_object('url', e.url) ELSE '{}'::jsonb END AS data"
    " FROM (SELECT e.*, CASE WHEN e.kind = 'open' THEN 'message.opened'"
    " ELSE 'message.clicked' END AS event FROM message_engagements e"
    " WHERE e.occurred_at > (SELECT t FROM lo) AND e.occurred_at <= (SELECT t FROM hi)) e"
    " LEFT JOIN subscribers s ON s.id = e.subscriber_id"
    " LEFT JOIN messages m ON m.id = e.message_id"
    " WHERE e.event = ANY ($3::text[]) AND" UNDELIVERED ENGAGEMENT_KEY ")"
    " ORDER BY e.occurred_at LIMIT $2");

static const char *const CAMPAIGN_EVENTS[] = {"campaign.finished", NULL};
static const char CAMPAIGNS_SQL[] =
    FANOUT_SQL("SELECT t.created_at AS ts, t.created_at AS at, 'campaign.finished' AS event,"
               " 'campaign.finished:' || t.id AS key,"
               " jsonb_build_object('campaign_id', c.id, 'name', c.name, 'sent', c.sent_count,"
               " 'failed', c.failed_count, 'cancelled', c.cancelled_count, 'finished_at',"
               " mc_rfc3339(c.finished_at)) AS data"
               " FROM campaign_transitions t JOIN campaigns c ON c.id = t.campaign_id"
               " WHERE t.action = 'finish' AND t.created_at > (SELECT t FROM lo)"
               " AND t.created_at <= (SELECT t FROM hi)"
               " AND" UNDELIVERED "'campaign.finished:' || t.id)"
               " ORDER BY t.created_at LIMIT $2");

/* every pause, by a person (reason null) or by the complaint guard (its reason) */
static const char *const PAUSE_EVENTS[] = {"campaign.paused", NULL};
static const char PAUSES_SQL[] =
    FANOUT_SQL("SELECT t.created_at AS ts, t.created_at AS at, 'campaign.paused' AS event,"
               " 'campaign.paused:' || t.id AS key,"
               " jsonb_build_object('campaign_id', c.id, 'name', c.name, 'actor', t.actor,"
               " 'reason', t.reason, 'paused_at', mc_rfc3339(t.created_at)) AS data"
               " FROM campaign_transitions t JOIN campaigns c ON c.id = t.campaign_id"
               " WHERE t.action = 'pause' AND t.created_at > (SELECT t FROM lo)"
               " AND t.created_at <= (SELECT t FROM hi)"
               " AND" UNDELIVERED "'campaign.paused:' || t.id)"
               " ORDER BY t.created_at LIMIT $2");

static const fanout_source SOURCES[] = {
    {"subscribers", SUBSCRIBER_EVENTS, SUBSCRIBERS_SQL, false},
    {"consents", CONSENT_EVENTS, CONSENTS_SQL, false},
    {"messages", MESSAGE_EVENTS, MESSAGES_SQL, false},
    {"bounces", BOUNCE_EVENTS, BOUNCES_SQL, false},
    {"engagements", ENGAGEMENT_EVENTS, ENGAGEMENTS_SQL, true},
    {"campaigns", CAMPAIGN_EVENTS, CAMPAIGNS_SQL, false},
    {"campaign pauses", PAUSE_EVENTS, PAUSES_SQL, false},
};

/* one pass at a time over all processes: two would read and insert the same rows */
static const char LOCK_SQL[] = "SELECT pg_try_advisory_xact_lock(hashtext('mailcast:webhooks'))";

static const char WANTED_SQL[] = "SELECT DISTINCT e FROM webhooks, unnest(events) e WHERE enabled";

/* The start of the oldest transaction that has written and not ended (other than this one):
 * every row stamped before it is committed. Read once per transaction (PostgreSQL keeps its
 * view of pg_stat_activity until the end), before the sources. */
static const char HORIZON_SQL[] =
    "SELECT h::text, least(h, (SELECT min(occurred_at) FROM engagement_inbox))::text"
    " FROM (SELECT least(now(), min(xact_start)) AS h FROM pg_stat_activity"
    " WHERE datname = current_database() AND pid <> pg_backend_pid()"
    " AND backend_type = 'client backend' AND backend_xid IS NOT NULL) x";

static bool wanted(PGresult *res, const char *event)
{
    for (int i = 0; i < PQntuples(res); i++)
        if (strcmp(PQgetvalue(res, i, 0), event) == 0) return true;
    return false;
}

/* Writes the events of source that some webhook wants into out as an array literal. returns
 * how many. */
static int wanted_events(PGresult *res, const fanout_source *source, buf_t *out)
{
    int n = 0;
    buf_reset(out);
    buf_append_cstr(out, "{");
    for (const char *const *e = source->events; *e; e++) {
        if (!wanted(res, *e)) continue;
        if (n++) buf_append_cstr(out, ",");
        buf_append_cstr(out, *e);
    }
    buf_append_cstr(out, "}");
    return n;
}

static long long run_sources(PGconn *conn, PGresult *wanted_res, int limit, bool *more,
                             mc_error *err)
{
    PGresult *res = db_query(conn, HORIZON_SQL, 0, NULL, err);
    if (!res) return -1;
    char horizon[64], inbox_horizon[64];
    snprintf(horizon, sizeof horizon, "%s", PQgetvalue(res, 0, 0));
    snprintf(inbox_horizon, sizeof inbox_horizon, "%s", PQgetvalue(res, 0, 1));
    PQclear(res);
    char limit_text[16];
    snprintf(limit_text, sizeof limit_text, "%d", limit);
    buf_t events = BUF_INIT;
    long long queued = 0;
    for (size_t i = 0; i < sizeof SOURCES / sizeof SOURCES[0]; i++) {
        const fanout_source *source = &SOURCES[i];
        if (!wanted_events(wanted_res, source, &events)) continue;
        const char *params[] = {source->name, limit_text, buf_cstr(&events),
                                source->engagement_horizon ? inbox_horizon : horizon};
        res = db_query(conn, source->sql, 4, params, err);
        if (!res) {
            queued = -1;
            break;
        }
        queued += strtoll(PQgetvalue(res, 0, 0), NULL, 10);
        if (strtoll(PQgetvalue(res, 0, 1), NULL, 10) >= limit || PQgetvalue(res, 0, 2)[0] == 't')
            *more = true;
        PQclear(res);
    }
    buf_free(&events);
    return queued;
}

long long webhook_fanout_run(PGconn *conn, int limit, bool *more, mc_error *err)
{
    *more = false;
    /* no webhook wants anything: no work at all */
    PGresult *wanted_res = db_query(conn, WANTED_SQL, 0, NULL, err);
    if (!wanted_res) return -1;
    if (PQntuples(wanted_res) == 0) {
        PQclear(wanted_res);
        return 0;
    }
    long long queued = -1;
    if (db_begin(conn, err) == 0) {
        PGresult *lock = db_query(conn, LOCK_SQL, 0, NULL, err);
        bool got = lock && PQgetvalue(lock, 0, 0)[0] == 't';
        if (lock) PQclear(lock);
        queued = !lock ? -1 : got ? run_sources(conn, wanted_res, limit, more, err) : 0;
        if (queued < 0 || db_commit(conn, err) < 0) {
            db_rollback(conn);
            queued = -1;
        }
    }
    PQclear(wanted_res);
    return queued;
}
