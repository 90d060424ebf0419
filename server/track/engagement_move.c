/* The move from the inbox to the history: one statement reads and locks a batch, the rules of
 * track/classify.c judge it in C, and one statement deletes the batch from the inbox and
 * writes the history, the first-open and first-click markers and every count from it. */
#include "track/engagement_move.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "db/query.h"
#include "track/classify.h"

/* Oldest first, then sorted by message and time for the classification. The link count of
 * the campaign is for the rule "every link at once". */
static const char TAKE_SQL[] =
    "SELECT i.id, i.kind, i.method, i.user_agent, i.client_hint, i.message_id,"
    " COALESCE(i.link_id, 0), extract(epoch FROM i.occurred_at)::float8,"
    " COALESCE(extract(epoch FROM m.sent_at)::float8, -1),"
    " (SELECT count(*) FROM tracked_links l WHERE l.campaign_id = i.campaign_id)"
    " FROM engagement_inbox i LEFT JOIN messages m ON m.id = i.message_id"
    " WHERE i.id IN (SELECT id FROM engagement_inbox WHERE occurred_at < now() -"
    " make_interval(secs => $2::int) ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED)"
    " ORDER BY i.message_id, i.occurred_at, i.id";

enum {
    TAKE_ID,
    TAKE_KIND,
    TAKE_METHOD,
    TAKE_AGENT,
    TAKE_HINT,
    TAKE_MESSAGE,
    TAKE_LINK,
    TAKE_AT,
    TAKE_SENT_AT,
    TAKE_LINKS,
};

/* $1 inbox ids, $2 machine, $3 reason, in the same order.
 * t: the batch with the ids of campaigns, subscribers and links that still exist (a token may
 * name a campaign deleted since, or a subscriber erased since); a test send's opens and clicks
 * name no campaign (its token names the campaign it tests, for its links), so that they count
 * for nobody's stats.
 * cand/nf: the first open and click of each message, human and machine; a message with a
 * human click and no human open gets a human open, at the click ("a click implies an open"),
 * and nf holds the markers that were new, each one a unique count.
 * ev: the events, with the implied opens whose marker was new; they go into the history and
 * every count. Each upsert takes its rows in key order, as every worker does. */
static const char WRITE_SQL[] =
    "WITH k AS (SELECT * FROM unnest($1::bigint[], $2::boolean[], $3::text[])"
    " AS k(id, machine, reason)),"
    " d AS (DELETE FROM engagement_inbox i USING k WHERE i.id = k.id RETURNING i.occurred_at,"
    " i.kind, i.message_id, i.campaign_id, i.subscriber_id, i.link_id, i.method,"
    " i.user_agent, i.client_hint, k.machine, k.reason),"
    " t AS (SELECT d.occurred_at, d.kind, d.message_id,"
    " CASE WHEN m.test_of IS NULL THEN c.id END AS campaign_id,"
    " s.id AS subscriber_id, l.id AS link_id, l.url, d.machine, d.reason, d.method,"
    " d.user_agent, d.client_hint FROM d"
    " LEFT JOIN campaigns c ON c.id = d.campaign_id"
    " LEFT JOIN messages m ON m.id = d.message_id"
    " LEFT JOIN subscribers s ON s.id = d.subscriber_id"
    " LEFT JOIN tracked_links l ON l.id = d.link_id),"
    " cand AS ((SELECT DISTINCT ON (message_id, kind, machine) message_id, kind, machine,"
    " false AS implied, occurred_at FROM t ORDER BY message_id, kind, machine, occurred_at)"
    " UNION ALL SELECT message_id, 'open', false, true,"
    " min(occurred_at) FILTER (WHERE kind = 'click' AND NOT machine) FROM t GROUP BY message_id"
    " HAVING bool_or(kind = 'click' AND NOT machine)"
    " AND NOT bool_or(kind = 'open' AND NOT machine)),"
    " nf AS (INSERT INTO engagement_firsts (message_id, kind, machine, implied, occurred_at)"
    " SELECT message_id, kind, machine, implied, occurred_at FROM cand"
    " ORDER BY message_id, kind, machine ON CONFLICT DO NOTHING"
    " RETURNING message_id, kind, machine, implied, occurred_at),"
    " who AS (SELECT DISTINCT ON (message_id) message_id, campaign_id, subscriber_id FROM t"
    " ORDER BY message_id),"
    " ev AS (SELECT occurred_at, kind, message_id, campaign_id, subscriber_id, link_id, url,"
    " machine, reason, method, user_agent, client_hint FROM t UNION ALL SELECT nf.occurred_at,"
    " 'open', nf.message_id, w.campaign_id, w.subscriber_id, NULL, NULL, false,"
    " 'implied_by_click', NULL, NULL, NULL FROM nf JOIN who w USING (message_id)"
    " WHERE nf.implied),"
    " hist AS (INSERT INTO message_engagements (occurred_at, kind, message_id, campaign_id,"
    " subscriber_id, link_id, url, machine, reason, method, user_agent, client_hint)"
    " SELECT * FROM ev),"
    " hours AS (INSERT INTO campaign_engagement_hours AS h (campaign_id, hour, opens_human,"
    " opens_machine, clicks_human, clicks_machine) SELECT campaign_id,"
    " date_trunc('hour', occurred_at, 'UTC'),"
    " count(*) FILTER (WHERE kind = 'open' AND NOT machine),"
    " count(*) FILTER (WHERE kind = 'open' AND machine),"
    " count(*) FILTER (WHERE kind = 'click' AND NOT machine),"
    " count(*) FILTER (WHERE kind = 'click' AND machine)"
    " FROM ev WHERE campaign_id IS NOT NULL GROUP BY 1, 2 ORDER BY 1, 2"
    " ON CONFLICT (campaign_id, hour) DO UPDATE SET"
    " opens_human = h.opens_human + excluded.opens_human,"
    " opens_machine = h.opens_machine + excluded.opens_machine,"
    " clicks_human = h.clicks_human + excluded.clicks_human,"
    " clicks_machine = h.clicks_machine + excluded.clicks_machine),"
    " lf AS (INSERT INTO engagement_link_firsts (message_id, link_id)"
    " SELECT DISTINCT message_id, link_id FROM ev WHERE kind = 'click' AND NOT machine"
    " AND link_id IS NOT NULL ORDER BY 1, 2 ON CONFLICT DO NOTHING RETURNING link_id),"
    " links AS (INSERT INTO campaign_link_counts AS k (link_id, campaign_id, clicks,"
    " clicks_human, unique_human) SELECT e.link_id, min(e.campaign_id), count(*),"
    " count(*) FILTER (WHERE NOT e.machine), (SELECT count(*) FROM lf WHERE lf.link_id ="
    " e.link_id) FROM ev e WHERE e.kind = 'click' AND e.link_id IS NOT NULL"
    " AND e.campaign_id IS NOT NULL GROUP BY e.link_id ORDER BY 1"
    " ON CONFLICT (link_id) DO UPDATE SET clicks = k.clicks + excluded.clicks,"
    " clicks_human = k.clicks_human + excluded.clicks_human,"
    " unique_human = k.unique_human + excluded.unique_human),"
    " per AS (SELECT campaign_id, count(*) FILTER (WHERE kind = 'open' AND NOT machine) AS oh,"
    " count(*) FILTER (WHERE kind = 'open' AND machine) AS om,"
    " count(*) FILTER (WHERE kind = 'click' AND NOT machine) AS ch,"
    " count(*) FILTER (WHERE kind = 'click' AND machine) AS cm,"
    " 0 AS uoh, 0 AS uom, 0 AS uch, 0 AS ucm FROM ev WHERE campaign_id IS NOT NULL GROUP BY 1"
    " UNION ALL SELECT w.campaign_id, 0, 0, 0, 0,"
    " count(*) FILTER (WHERE nf.kind = 'open' AND NOT nf.machine),"
    " count(*) FILTER (WHERE nf.kind = 'open' AND nf.machine),"
    " count(*) FILTER (WHERE nf.kind = 'click' AND NOT nf.machine),"
    " count(*) FILTER (WHERE nf.kind = 'click' AND nf.machine)"
    " FROM nf JOIN who w USING (message_id) WHERE w.campaign_id IS NOT NULL GROUP BY 1)"
    " INSERT INTO campaign_engagement_counts AS c (campaign_id, opens_human, opens_machine,"
    " clicks_human, clicks_machine, unique_opens_human, unique_opens_machine,"
    " unique_clicks_human, unique_clicks_machine)"
    " SELECT campaign_id, sum(oh), sum(om), sum(ch), sum(cm), sum(uoh), sum(uom), sum(uch),"
    " sum(ucm) FROM per GROUP BY campaign_id ORDER BY campaign_id"
    " ON CONFLICT (campaign_id) DO UPDATE SET opens_human = c.opens_human + excluded.opens_human,"
    " opens_machine = c.opens_machine + excluded.opens_machine,"
    " clicks_human = c.clicks_human + excluded.clicks_human,"
    " clicks_machine = c.clicks_machine + excluded.clicks_machine,"
    " unique_opens_human = c.unique_opens_human + excluded.unique_opens_human,"
    " unique_opens_machine = c.unique_opens_machine + excluded.unique_opens_machine,"
    " unique_clicks_human = c.unique_clicks_human + excluded.unique_clicks_human,"
    " unique_clicks_machine = c.unique_clicks_machine + excluded.unique_clicks_machine";

static int write_batch(PGconn *conn, PGresult *batch, const track_event *events, mc_error *err)
{
    int n = PQntuples(batch);
    buf_t ids = BUF_INIT, machine = BUF_INIT, reasons = BUF_INIT;
    buf_putc(&ids, '{');
    buf_putc(&machine, '{');
    buf_putc(&reasons, '{');
    for (int i = 0; i < n; i++) {
        const char *sep = i ? "," : "";
        buf_appendf(&ids, "%s%s", sep, PQgetvalue(batch, i, TAKE_ID));
        buf_appendf(&machine, "%s%c", sep, events[i].machine ? 't' : 'f');
        /* reasons are the rules' own names: letters and underscores */
        buf_appendf(&reasons, "%s\"%s\"", sep, events[i].reason);
    }
    buf_putc(&ids, '}');
    buf_putc(&machine, '}');
    buf_putc(&reasons, '}');
    const char *params[] = {buf_cstr(&ids), buf_cstr(&machine), buf_cstr(&reasons)};
    int rc = db_exec(conn, WRITE_SQL, 3, params, err);
    buf_free(&ids);
    buf_free(&machine);
    buf_free(&reasons);
    return rc;
}

int track_engagements_move(PGconn *conn, int limit, mc_error *err)
{
    char limit_text[16], settle_text[16];
    snprintf(limit_text, sizeof limit_text, "%d", limit);
    snprintf(settle_text, sizeof settle_text, "%d", TRACK_INBOX_SETTLE_SECONDS);
    const char *params[] = {limit_text, settle_text};
    if (db_begin(conn, err) < 0) return -1;
    PGresult *batch = db_query(conn, TAKE_SQL, 2, params, err);
    if (!batch) {
        db_rollback(conn);
        return -1;
    }
    int n = PQntuples(batch);
    if (n == 0) {
        PQclear(batch);
        return db_commit(conn, err) < 0 ? -1 : 0;
    }
    track_event *events = calloc((size_t)n, sizeof *events);
    if (!events) abort();
    for (int i = 0; i < n; i++) {
        track_event *e = &events[i];
        e->kind = strcmp(PQgetvalue(batch, i, TAKE_KIND), "click") ? TRACK_OPEN : TRACK_CLICK;
        e->head = !strcmp(PQgetvalue(batch, i, TAKE_METHOD), "HEAD");
        e->user_agent = PQgetvalue(batch, i, TAKE_AGENT);
        e->client_hint = PQgetisnull(batch, i, TAKE_HINT) ? NULL : PQgetvalue(batch, i, TAKE_HINT);
        e->message_id = strtoll(PQgetvalue(batch, i, TAKE_MESSAGE), NULL, 10);
        e->link_id = strtoll(PQgetvalue(batch, i, TAKE_LINK), NULL, 10);
        e->at = strtod(PQgetvalue(batch, i, TAKE_AT), NULL);
        e->sent_at = strtod(PQgetvalue(batch, i, TAKE_SENT_AT), NULL);
        e->campaign_links = atoi(PQgetvalue(batch, i, TAKE_LINKS));
    }
    track_classify_batch(events, (size_t)n);
    int rc = write_batch(conn, batch, events, err);
    free(events);
    PQclear(batch);
    if (rc < 0 || db_commit(conn, err) < 0) {
        db_rollback(conn);
        return -1;
    }
    return n;
}
