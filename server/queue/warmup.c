/* The shared state of warm-up schedules. Days are UTC days, read from PostgreSQL's clock so
 * that every worker counts the same day. */
#include "queue/warmup.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/metrics.h"
#include "db/query.h"
#include "queue/message_state.h"

/* the most schedules one message can fall under: its relay's and its domain's */
#define WARMUP_MATCH_MAX  4
#define WARMUP_DB_WAIT_MS 5000

/* A schedule's day as PostgreSQL sees it. */
typedef struct {
    long today;     /* UTC day number */
    long start;     /* day number of day 1 */
    long day;       /* day index of today */
    long long cap;  /* today's cap, -1 after the last day */
    long long sent; /* let through today */
} warmup_day;

/* Reads today and w's start; when w has no configured start and never sent, day 1 is today,
 * recorded when record is true (the schedule is sending now). returns 0 or -1 with err. */
static int read_day(PGconn *conn, const warmup_schedule *w, bool record, warmup_day *d,
                    mc_error *err)
{
    const char *params[] = {w->name, NULL};
    PGresult *res = db_query(conn,
                             "SELECT (now() AT TIME ZONE 'UTC')::date - DATE '1970-01-01',"
                             " (SELECT first_day - DATE '1970-01-01' FROM warmup_starts"
                             " WHERE name = $1),"
                             " (SELECT sent FROM warmup_days WHERE name = $1"
                             " AND day = (now() AT TIME ZONE 'UTC')::date)",
                             1, params, err);
    if (!res) return -1;
    d->today = strtol(PQgetvalue(res, 0, 0), NULL, 10);
    bool started = !PQgetisnull(res, 0, 1);
    d->start = started ? strtol(PQgetvalue(res, 0, 1), NULL, 10) : d->today;
    d->sent = strtoll(PQgetvalue(res, 0, 2), NULL, 10);
    PQclear(res);
    if (w->start_day != WARMUP_NO_START) {
        d->start = w->start_day;
    } else if (!started && record) {
        /* the first worker's day wins; the others read it back */
        char today[16];
        snprintf(today, sizeof today, "%ld", d->today);
        params[1] = today;
        if (db_exec(conn,
                    "INSERT INTO warmup_starts (name, first_day) VALUES ($1, DATE '1970-01-01' +"
                    " $2::integer) ON CONFLICT (name) DO NOTHING",
                    2, params, err) < 0)
            return -1;
        res = db_query(conn,
                       "SELECT first_day - DATE '1970-01-01' FROM warmup_starts WHERE name = $1", 1,
                       params, err);
        if (!res) return -1;
        if (PQntuples(res)) d->start = strtol(PQgetvalue(res, 0, 0), NULL, 10);
        PQclear(res);
    }
    d->day = warmup_day_index(d->start, d->today);
    d->cap = warmup_cap(w->daily, w->days, d->day);
    return 0;
}

/* Takes up to want from today's count of w. returns the grant, or -1 with err. */
static long long take(PGconn *conn, const warmup_schedule *w, const warmup_day *d, long long want,
                      mc_error *err)
{
    if (d->cap < 0) return want;
    char day[16], want_text[32], cap_text[32];
    snprintf(day, sizeof day, "%ld", d->today);
    snprintf(want_text, sizeof want_text, "%lld", want);
    snprintf(cap_text, sizeof cap_text, "%lld", d->cap);
    const char *params[] = {w->name, day, want_text, cap_text};
    PGresult *res = db_query(conn,
                             "INSERT INTO warmup_days (name, day, sent) VALUES ($1, DATE"
                             " '1970-01-01' + $2::integer, least($3::bigint, $4::bigint))"
                             " ON CONFLICT (name, day) DO NOTHING RETURNING sent",
                             4, params, err);
    if (!res) return -1;
    long long granted = -1;
    if (PQntuples(res)) granted = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
    PQclear(res);
    if (granted >= 0) return granted;
    /* the row is locked for the statement: two workers never both take the last of a cap */
    res = db_query(conn,
                   "WITH cur AS (SELECT sent FROM warmup_days WHERE name = $1 AND day = DATE"
                   " '1970-01-01' + $2::integer FOR UPDATE),"
                   " g AS (SELECT least($3::bigint, greatest(0, $4::bigint - sent)) AS n FROM cur)"
                   " UPDATE warmup_days w SET sent = w.sent + g.n FROM g WHERE w.name = $1"
                   " AND w.day = DATE '1970-01-01' + $2::integer RETURNING g.n",
                   4, params, err);
    if (!res) return -1;
    granted = PQntuples(res) ? strtoll(PQgetvalue(res, 0, 0), NULL, 10) : 0;
    PQclear(res);
    return granted;
}

/* RFC 3339 of the start of UTC day number day */
static void midnight(long day, char out[32])
{
    char date[11];
    warmup_format_date(day, date);
    snprintf(out, 32, "%sT00:00:00Z", date);
}

long long warmup_allow(db_pool *pool, const warmup_set *s, const char *relay, const char *from,
                       long long want, warmup_hold *hold, mc_error *err)
{
    memset(hold, 0, sizeof *hold);
    const warmup_schedule *matched[WARMUP_MATCH_MAX];
    size_t n = warmup_set_match(s, relay, from, matched, WARMUP_MATCH_MAX);
    if (n == 0 || want <= 0) return want;
    PGconn *conn = db_pool_acquire(pool, WARMUP_DB_WAIT_MS, err);
    if (!conn) return -1;
    long long allowed = want;
    for (size_t i = 0; i < n && allowed > 0; i++) {
        warmup_day d;
        if (read_day(conn, matched[i], true, &d, err) < 0) {
            allowed = -1;
            break;
        }
        long long got = take(conn, matched[i], &d, allowed, err);
        if (got < 0) {
            allowed = -1;
            break;
        }
        if (got < allowed && !hold->held_by[0]) {
            snprintf(hold->held_by, sizeof hold->held_by, "%s", matched[i]->name);
            midnight(d.today + 1, hold->until);
            snprintf(hold->reason, sizeof hold->reason,
                     "warm-up %s: today's cap of %lld (day %ld of %zu) is used up; waits until %s",
                     matched[i]->name, d.cap, d.day, matched[i]->days, hold->until);
        }
        allowed = got;
    }
    db_pool_release(pool, conn);
    /* an earlier schedule's grant that a later one refused stays counted: a cap is never
     * exceeded, at worst used a little early */
    if (allowed >= 0) hold->count = (size_t)(want - allowed);
    return allowed;
}

void warmup_hold_annotate(const warmup_hold *hold, json_t *result)
{
    json_object_set_new(result, "held_by", json_string(hold->held_by));
    json_object_set_new(result, "hold_until", json_string(hold->until));
}

int warmup_release_held(PGconn *conn, mc_error *err)
{
    PGresult *res = db_query(conn,
                             "UPDATE messages SET run_at = now(), held_by = NULL, updated_at ="
                             " now() WHERE held_by IS NOT NULL AND state IN " MESSAGE_WAITING_SQL,
                             0, NULL, err);
    if (!res) return -1;
    int n = atoi(PQcmdTuples(res));
    PQclear(res);
    return n;
}

json_t *warmup_progress(PGconn *conn, const warmup_set *s, const relay_set *relays, long long id,
                        mc_error *err)
{
    if (s->count == 0) return json_null();
    char id_text[32];
    snprintf(id_text, sizeof id_text, "%lld", id);
    const char *params[] = {id_text};
    PGresult *res = db_query(conn,
                             "SELECT c.relay, c.from_email,"
                             " (SELECT count(*) FROM messages m WHERE m.campaign_id = c.id AND"
                             " m.state IN (" MESSAGE_QUEUED_SQL ", " MESSAGE_DEFERRED_SQL
                             ", " MESSAGE_SENDING_SQL ")),"
                             " (SELECT count(*) FROM messages m WHERE m.campaign_id = c.id AND"
                             " m.held_by IS NOT NULL AND m.state IN " MESSAGE_WAITING_SQL "),"
                             " mc_rfc3339(now()) FROM campaigns c WHERE c.id = $1",
                             1, params, err);
    if (!res) return NULL;
    if (PQntuples(res) != 1) {
        PQclear(res);
        mc_error_set(err, 404, "not_found", "id", "no campaign has the id %lld", id);
        return NULL;
    }
    const char *relay = PQgetvalue(res, 0, 0);
    if (!relay[0] && relays->count == 1) relay = relays->relays[0].name;
    const warmup_schedule *w = NULL;
    warmup_set_match(s, relay, PQgetvalue(res, 0, 1), &w, 1);
    long long left = strtoll(PQgetvalue(res, 0, 2), NULL, 10);
    long long held = strtoll(PQgetvalue(res, 0, 3), NULL, 10);
    char now[40];
    snprintf(now, sizeof now, "%s", PQgetvalue(res, 0, 4));
    PQclear(res);
    if (!w) return json_null();
    warmup_day d;
    if (read_day(conn, w, false, &d, err) < 0) return NULL;
    char next[32], finish[40];
    midnight(d.today + 1, next);
    long long left_today = d.cap < 0 ? left : d.cap - d.sent;
    long k = warmup_finish_days(w->daily, w->days, d.day, left_today, left);
    if (k == 0)
        memcpy(finish, now, sizeof finish);
    else
        midnight(d.today + k, finish);
    return json_pack("{s:s, s:I, s:I, s:o, s:I, s:I, s:o, s:s}", "schedule", w->name, "day",
                     (json_int_t)d.day, "days", (json_int_t)w->days, "cap_today",
                     d.cap < 0 ? json_null() : json_integer(d.cap), "sent_today",
                     (json_int_t)d.sent, "held", (json_int_t)held, "next_release_at",
                     d.cap < 0 ? json_null() : json_string(next), "finish_estimate_at", finish);
}

int warmup_render_metrics(PGconn *conn, const warmup_set *s, buf_t *out, mc_error *err)
{
    if (s->count == 0) return 0;
    warmup_day *days = calloc(s->count, sizeof *days);
    if (!days) return mc_error_set(err, 500, "internal", "", "out of memory");
    int rc = 0;
    for (size_t i = 0; i < s->count && rc == 0; i++)
        rc = read_day(conn, &s->items[i], false, &days[i], err);
    static const struct {
        const char *name, *help;
    } FAMILIES[] = {
        {"mailcast_warmup_day", "Which day of its warm-up schedule today (UTC) is."},
        {"mailcast_warmup_cap_messages",
         "Today's cap of each warm-up schedule (UTC day); absent after its last day."},
        {"mailcast_warmup_sent_messages", "Messages each warm-up schedule let through today."},
    };
    for (size_t f = 0; f < 3 && rc == 0; f++) {
        buf_appendf(out, "# HELP %s %s\n# TYPE %s gauge\n", FAMILIES[f].name, FAMILIES[f].help,
                    FAMILIES[f].name);
        for (size_t i = 0; i < s->count; i++) {
            long long v = f == 0 ? days[i].day : f == 1 ? days[i].cap : days[i].sent;
            if (v < 0) continue;
            buf_t labels = BUF_INIT;
            metric_write_label(&labels, "schedule", s->items[i].name);
            metric_write_sample(out, FAMILIES[f].name, buf_cstr(&labels), (uint64_t)v);
            buf_free(&labels);
        }
    }
    free(days);
    return rc;
}
