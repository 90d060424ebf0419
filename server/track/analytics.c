/* Analytics queries, each one statement building its JSON in PostgreSQL. */
#include "track/analytics.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/buf.h"
#include "db/json_rows.h"
#include "db/query.h"
#include "queue/message_state.h"

/* $1: campaign ids. sent and failed are the campaign's stored counts once it ended (its
 * messages may be gone by then), else counted through the (campaign_id, state) index.
 * delivered: sent less the sent messages that bounced afterwards (a bounce at SMTP time is a
 * failed message, already out of sent). unsubscribes and complaints: people, once each. */
static const char STATS_SQL[] =
    "SELECT x.ord, json_build_object('id', c.id, 'name', c.name, 'recipients', c.total,"
    " 'sent', n.sent, 'failed', n.failed, 'delivered', greatest(n.sent - b.bounced_after, 0),"
    " 'bounces', json_build_object('hard', b.hard, 'soft', b.soft),"
    " 'opens', json_build_object('unique_human', COALESCE(e.unique_opens_human, 0),"
    " 'total_human', COALESCE(e.opens_human, 0), 'unique_machine',"
    " COALESCE(e.unique_opens_machine, 0), 'total_machine', COALESCE(e.opens_machine, 0)),"
    " 'clicks', json_build_object('unique_human', COALESCE(e.unique_clicks_human, 0),"
    " 'total_human', COALESCE(e.clicks_human, 0), 'unique_machine',"
    " COALESCE(e.unique_clicks_machine, 0), 'total_machine', COALESCE(e.clicks_machine, 0)),"
    " 'click_to_open', CASE WHEN COALESCE(e.unique_opens_human, 0) > 0 THEN"
    " round(e.unique_clicks_human::numeric / e.unique_opens_human, 4) ELSE 0 END,"
    " 'links', COALESCE((SELECT json_agg(json_build_object('id', l.id, 'url', l.url,"
    " 'unique_human', COALESCE(k.unique_human, 0), 'total', COALESCE(k.clicks, 0),"
    " 'total_human', COALESCE(k.clicks_human, 0)) ORDER BY COALESCE(k.unique_human, 0) DESC,"
    " COALESCE(k.clicks, 0) DESC, l.id) FROM tracked_links l LEFT JOIN campaign_link_counts k"
    " ON k.link_id = l.id WHERE l.campaign_id = c.id), '[]'),"
    " 'unsubscribes', (SELECT count(DISTINCT u.subscriber_id) FROM consents u"
    " WHERE u.campaign_id = c.id AND u.action = 'unsubscribe'),"
    " 'complaints', b.complaints,"
    " 'series', COALESCE((SELECT json_agg(json_build_object('hour', mc_rfc3339(h.hour),"
    " 'opens_human', h.opens_human, 'clicks_human', h.clicks_human, 'opens_machine',"
    " h.opens_machine, 'clicks_machine', h.clicks_machine) ORDER BY h.hour)"
    " FROM campaign_engagement_hours h WHERE h.campaign_id = c.id), '[]'))::text"
    " FROM unnest($1::bigint[]) WITH ORDINALITY AS x(id, ord) JOIN campaigns c ON c.id = x.id"
    " LEFT JOIN campaign_engagement_counts e ON e.campaign_id = c.id"
    " CROSS JOIN LATERAL (SELECT COALESCE(c.sent_count, (SELECT count(*) FROM messages m"
    " WHERE m.campaign_id = c.id AND m.state = " MESSAGE_SENT_SQL ")) AS sent,"
    " COALESCE(c.failed_count, (SELECT count(*) FROM messages m WHERE m.campaign_id = c.id"
    " AND m.state = " MESSAGE_FAILED_SQL ")) AS failed) n"
    " CROSS JOIN LATERAL (SELECT count(*) FILTER (WHERE kind = 'hard') AS hard,"
    " count(*) FILTER (WHERE kind = 'soft') AS soft,"
    " count(DISTINCT subscriber_id) FILTER (WHERE kind = 'complaint') AS complaints,"
    " count(DISTINCT COALESCE(message_id, -id)) FILTER (WHERE kind IN ('hard', 'soft')"
    " AND source <> 'smtp') AS bounced_after FROM bounces WHERE campaign_id = c.id) b"
    " ORDER BY x.ord";

/* Runs a read-only statement with JIT off: the plans here are priced for the subplans they
 * skip (the counts of a running campaign's messages, the whole membership of a list) and run
 * in milliseconds, while compiling them took 190 ms at 1,000,000 recipients. returns the
 * result (caller frees with PQclear()), or NULL with err. */
static PGresult *read_without_jit(PGconn *conn, const char *sql, int nparams,
                                  const char *const *params, mc_error *err)
{
    if (db_begin_without_jit(conn, err) < 0) return NULL;
    PGresult *res = db_query(conn, sql, nparams, params, err);
    if (res && db_commit(conn, err) == 0) return res;
    PQclear(res);
    db_rollback(conn);
    return NULL;
}

int track_parse_ids(const char *text, long long *ids, const char *field, mc_error *err)
{
    int n = 0;
    const char *p = text ? text : "";
    while (*p >= '0' && *p <= '9') {
        char *end;
        errno = 0;
        long long id = strtoll(p, &end, 10);
        if (id < 1 || errno || (*end && *end != ',')) break;
        for (int i = 0; i < n; i++)
            if (ids[i] == id)
                return mc_error_set(err, 400, "invalid_field", field,
                                    "%s names campaign %lld twice", field, id);
        if (n == TRACK_COMPARE_MAX)
            return mc_error_set(err, 400, "invalid_field", field,
                                "%s compares at most %d campaigns", field, TRACK_COMPARE_MAX);
        ids[n++] = id;
        if (!*end) return n;
        p = end + 1;
    }
    return mc_error_set(err, 400, "invalid_field", field,
                        "%s must be campaign ids separated by commas, e.g. 1,2,3", field);
}

json_t *track_campaign_stats(PGconn *conn, const long long *ids, int n, const char *field,
                             mc_error *err)
{
    buf_t array = BUF_INIT;
    buf_putc(&array, '{');
    for (int i = 0; i < n; i++)
        buf_appendf(&array, "%s%lld", i ? "," : "", ids[i]);
    buf_putc(&array, '}');
    const char *params[] = {buf_cstr(&array)};
    PGresult *res = read_without_jit(conn, STATS_SQL, 1, params, err);
    buf_free(&array);
    if (!res) return NULL;
    json_t *out = json_array();
    int row = 0;
    for (int i = 0; i < n; i++) {
        /* rows come in the order asked; a missing one is a campaign that does not exist */
        if (row < PQntuples(res) && strtoll(PQgetvalue(res, row, 0), NULL, 10) == i + 1) {
            json_array_append_new(out, json_loads(PQgetvalue(res, row, 1), 0, NULL));
            row++;
            continue;
        }
        mc_error_set(err, 404, "not_found", field, "no campaign has the id %lld", ids[i]);
        json_decref(out);
        out = NULL;
        break;
    }
    PQclear(res);
    return out;
}

/* The keyset of the timeline: one bigint ordering items newest first, from the time in
 * milliseconds, then the low bits of the row's id and the kind of item, so that items of the
 * same millisecond keep one order across pages. */
#define ACTIVITY_KEY(at, id, kind)                                                                 \
    "((floor(extract(epoch FROM " at ") * 1000)::bigint << 20) | ((" id " & 131071) << 3) | "      \
    "(" kind "))"
#define KEY_SENT ACTIVITY_KEY("m.sent_at", "m.id", "0")
#define KEY_ENGAGED                                                                                \
    ACTIVITY_KEY("e.occurred_at", "e.id", "CASE WHEN e.kind = 'open' THEN 1 ELSE 2 END")
#define KEY_BOUNCED      ACTIVITY_KEY("b.created_at", "b.id", "3")
#define KEY_UNSUBSCRIBED ACTIVITY_KEY("u.created_at", "u.id", "4")
#define KEY_EVENT        ACTIVITY_KEY("ev.occurred_at", "ev.id", "5")

static const char ACTIVITY_SQL[] =
    "SELECT key, obj::text FROM ("
    " SELECT " KEY_SENT " AS key, json_build_object('type', 'sent', 'at',"
    " mc_rfc3339(m.sent_at), 'message_id', m.id, 'campaign_id', m.campaign_id,"
    " 'campaign_name', c.name, 'template_id', m.template_id, 'subject', COALESCE(m.subject,"
    " c.subject)) AS obj FROM messages m LEFT JOIN campaigns c ON c.id = m.campaign_id"
    " WHERE m.subscriber_id = $3 AND m.state = " MESSAGE_SENT_SQL " AND m.sent_at IS NOT NULL"
    " UNION ALL SELECT " KEY_ENGAGED ","
    " json_build_object('type', CASE WHEN e.kind = 'open' THEN 'opened' ELSE 'clicked' END,"
    " 'at', mc_rfc3339(e.occurred_at), 'message_id', e.message_id, 'campaign_id',"
    " e.campaign_id, 'url', e.url, 'machine', e.machine, 'reason', NULLIF(e.reason, ''))"
    " FROM message_engagements e WHERE e.subscriber_id = $3"
    " UNION ALL SELECT " KEY_BOUNCED ","
    " json_build_object('type', 'bounced', 'at', mc_rfc3339(b.created_at), 'kind', b.kind,"
    " 'message_id', b.message_id, 'campaign_id', b.campaign_id, 'source', b.source,"
    " 'smtp_code', b.smtp_code, 'reason', COALESCE(b.reason, b.smtp_text))"
    " FROM bounces b WHERE b.subscriber_id = $3"
    " UNION ALL SELECT " KEY_UNSUBSCRIBED ","
    " json_build_object('type', 'unsubscribed', 'at', mc_rfc3339(u.created_at), 'list_id',"
    " u.list_id, 'list_name', l.name, 'source', u.source, 'campaign_id', u.campaign_id)"
    " FROM consents u LEFT JOIN lists l ON l.id = u.list_id"
    " WHERE u.subscriber_id = $3 AND u.action = 'unsubscribe'"
    " UNION ALL SELECT " KEY_EVENT ","
    " json_build_object('type', 'event', 'at', mc_rfc3339(ev.occurred_at), 'name', ev.name,"
    " 'properties', ev.properties) FROM events ev WHERE ev.subscriber_id = $3"
    ") a WHERE $1::bigint = 0 OR key < $1::bigint ORDER BY key DESC LIMIT $2";

/* Runs sql ("SELECT 1 FROM <table> WHERE id = $1") for id_text. returns 0 when a row came
 * back, else -1 with err: a 404 saying "no <what> has the id <id>". */
static int must_exist(PGconn *conn, const char *sql, const char *id_text, const char *what,
                      mc_error *err)
{
    const char *params[] = {id_text};
    PGresult *res = db_query(conn, sql, 1, params, err);
    if (!res) return -1;
    int found = PQntuples(res);
    PQclear(res);
    if (found) return 0;
    return mc_error_set(err, 404, "not_found", "id", "no %s has the id %s", what, id_text);
}

json_t *track_subscriber_activity(PGconn *conn, long long subscriber_id, long long after, int limit,
                                  mc_error *err)
{
    char id_text[32];
    snprintf(id_text, sizeof id_text, "%lld", subscriber_id);
    if (must_exist(conn, "SELECT 1 FROM subscribers WHERE id = $1", id_text, "subscriber", err) < 0)
        return NULL;
    const char *params[] = {id_text};
    if (db_begin_without_jit(conn, err) < 0) return NULL;
    json_t *page = db_keyset_page(conn, ACTIVITY_SQL, NULL, 1, params, after, limit, false, err);
    if (page && db_commit(conn, err) == 0) return page;
    json_decref(page);
    db_rollback(conn);
    return NULL;
}

static const char *const INTERVALS[] = {"day", "week", "month"};

static bool parse_date(const char *s, int out[3])
{
    if (strlen(s) != 10 || s[4] != '-' || s[7] != '-') return false;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9')) return false;
    out[0] = atoi(s);
    out[1] = atoi(s + 5);
    out[2] = atoi(s + 8);
    if (out[0] < 1970 || out[0] > 9999 || out[1] < 1 || out[1] > 12 || out[2] < 1) return false;
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (out[0] % 4 == 0 && out[0] % 100 != 0) || out[0] % 400 == 0;
    return out[2] <= days[out[1] - 1] + (out[1] == 2 && leap);
}

static time_t date_time(const int d[3])
{
    struct tm tm = {.tm_year = d[0] - 1900, .tm_mon = d[1] - 1, .tm_mday = d[2]};
    return timegm(&tm);
}

static void time_date(time_t t, int d[3])
{
    struct tm tm;
    gmtime_r(&t, &tm);
    d[0] = tm.tm_year + 1900;
    d[1] = tm.tm_mon + 1;
    d[2] = tm.tm_mday;
}

/* the most intervals one answer holds */
#define GROWTH_MAX_POINTS 1000

int track_growth_parse(const char *from, const char *to, const char *interval,
                       track_growth_query *q, mc_error *err)
{
    q->interval = TRACK_DAY;
    if (interval) {
        int found = -1;
        for (int i = 0; i < 3; i++)
            if (!strcmp(interval, INTERVALS[i])) found = i;
        if (found < 0)
            return mc_error_set(err, 400, "invalid_field", "interval",
                                "interval is day, week or month");
        q->interval = (track_interval)found;
    }
    if (to) {
        if (!parse_date(to, q->to))
            return mc_error_set(err, 400, "invalid_field", "to", "to is a date: YYYY-MM-DD");
    } else
        time_date(time(NULL), q->to);
    static const int default_days[] = {29, 7 * 11, 365};
    if (from) {
        if (!parse_date(from, q->from))
            return mc_error_set(err, 400, "invalid_field", "from", "from is a date: YYYY-MM-DD");
    } else
        time_date(date_time(q->to) - (time_t)default_days[q->interval] * 86400, q->from);
    double days = difftime(date_time(q->to), date_time(q->from)) / 86400;
    if (days < 0) return mc_error_set(err, 400, "invalid_field", "from", "from is after to");
    static const double days_per_point[] = {1, 7, 28};
    if (days / days_per_point[q->interval] >= GROWTH_MAX_POINTS)
        return mc_error_set(
            err, 400, "invalid_field", "from",
            "at most %d intervals at once: choose a later from or a longer interval",
            GROWTH_MAX_POINTS);
    return 0;
}

/* $1 list, $2 interval, $3 from, $4 to. Periods start at midnight UTC (weeks on Monday); the
 * counts cover whole periods, the first one starting on or before from. Days up to the
 * rollup's done_through come from list_growth_days (track/list_growth.c), the later ones
 * (today, or more when the worker is behind) from the memberships and bounces themselves, the
 * same way: memberships created, memberships ended, members whose address bounced hard once a
 * day. All times here are UTC wall clock (timestamp without time zone). */
static const char GROWTH_SQL[] =
    "WITH p AS (SELECT g AS start FROM generate_series(date_trunc($2, $3::date::timestamp),"
    " $4::date::timestamp, ('1 ' || $2)::interval) g),"
    " r AS (SELECT min(start) AS lo, max(start) + ('1 ' || $2)::interval AS hi,"
    " greatest(min(start), COALESCE((SELECT done_through FROM list_growth_progress) + 1,"
    " min(start))::timestamp) AS live FROM p),"
    " d AS (SELECT g.day::timestamp AS day, g.subscribed AS s, g.unsubscribed AS u,"
    " g.bounced AS b FROM list_growth_days g, r WHERE g.list_id = $1 AND g.day >= r.lo"
    " AND g.day < least(r.live, r.hi)"
    " UNION ALL SELECT date_trunc('day', m.created_at AT TIME ZONE 'UTC'), count(*), 0, 0"
    " FROM list_subscribers m, r WHERE m.list_id = $1 AND m.created_at >= r.live AT TIME ZONE"
    " 'UTC' AND m.created_at < r.hi AT TIME ZONE 'UTC' GROUP BY 1"
    " UNION ALL SELECT date_trunc('day', m.unsubscribed_at AT TIME ZONE 'UTC'), 0, count(*), 0"
    " FROM list_subscribers m, r WHERE m.list_id = $1 AND m.unsubscribed_at >= r.live AT TIME"
    " ZONE 'UTC' AND m.unsubscribed_at < r.hi AT TIME ZONE 'UTC' GROUP BY 1"
    " UNION ALL SELECT date_trunc('day', x.created_at AT TIME ZONE 'UTC'), 0, 0,"
    " count(DISTINCT x.subscriber_id) FROM bounces x JOIN list_subscribers m"
    " ON m.subscriber_id = x.subscriber_id AND m.list_id = $1, r WHERE x.kind = 'hard'"
    " AND x.created_at >= r.live AT TIME ZONE 'UTC' AND x.created_at < r.hi AT TIME ZONE 'UTC'"
    " GROUP BY 1),"
    " t AS (SELECT date_trunc($2, day) AS start, sum(s) AS s, sum(u) AS u, sum(b) AS b FROM d"
    " GROUP BY 1)"
    " SELECT json_build_object('list_id', $1::bigint, 'interval', $2::text, 'from', $3::text,"
    " 'to', $4::text, 'series', COALESCE(json_agg(json_build_object('start',"
    " to_char(p.start, 'YYYY-MM-DD'), 'subscribed', COALESCE(t.s, 0), 'unsubscribed',"
    " COALESCE(t.u, 0), 'bounced', COALESCE(t.b, 0)) ORDER BY p.start), '[]'))::text"
    " FROM p LEFT JOIN t USING (start)";

json_t *track_list_growth(PGconn *conn, long long list_id, const track_growth_query *q,
                          mc_error *err)
{
    char id_text[32], from[16], to[16];
    snprintf(id_text, sizeof id_text, "%lld", list_id);
    snprintf(from, sizeof from, "%04d-%02d-%02d", q->from[0], q->from[1], q->from[2]);
    snprintf(to, sizeof to, "%04d-%02d-%02d", q->to[0], q->to[1], q->to[2]);
    if (must_exist(conn, "SELECT 1 FROM lists WHERE id = $1", id_text, "list", err) < 0)
        return NULL;
    const char *params[] = {id_text, INTERVALS[q->interval], from, to};
    PGresult *res = read_without_jit(conn, GROWTH_SQL, 4, params, err);
    if (!res) return NULL;
    return db_json_one(res, "list", list_id, err);
}
