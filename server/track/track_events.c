/* Two arrays: requests append to the filling one under a mutex (a copy, no allocation once
 * it has grown), the flusher swaps it for the empty one and writes that outside the mutex.
 * The bound counts both, so a batch that keeps failing holds its rows and new events are
 * dropped rather than piling up. */
#include "track/track_events.h"

#include <arpa/inet.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "core/alloc.h"
#include "core/log.h"
#include "core/utf8.h"
#include "db/pool.h"

#define FLUSH_EVERY_MS 200
#define FIRST_CAP      1024
/* rows per COPY at most, and the count that wakes the flusher before its 200 ms */
#define FLUSH_ROWS_MAX 20000

/* An event as the batch holds it: its texts in the array's pool, where a user agent or client
 * hint seen lately is stored once (a mail proxy sends the same ones all day), so that a full
 * batch of 100,000 events takes a few megabytes. */
typedef struct {
    int64_t at_us;
    long long message_id, campaign_id, subscriber_id, link_id;
    uint32_t user_agent_at, client_hint_at; /* offsets into the pool */
    uint16_t user_agent_len;
    unsigned char client_hint_len;
    char kind;
    bool head;
} stored_event;

#define INTERN_SLOTS 64

typedef struct {
    stored_event *items;
    size_t n, cap;
    buf_t pool;
    struct {
        uint64_t hash;
        uint32_t at, len;
    } intern[INTERN_SLOTS]; /* len 0: empty */
} event_array;

struct track_events {
    char *dsn;
    size_t capacity, flush_rows;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    event_array filling, writing; /* writing: the flusher's, rows not yet written */
    size_t writing_n;             /* writing.n, as the bound reads it under the lock */
    bool started, stopping;
    int grace_ms;
    pthread_t thread;
    PGconn *conn; /* the flusher's own connection */
    unsigned long long recorded, dropped, written, flushes, failures;
};

static const char COPY_SQL[] =
    "COPY engagement_inbox (occurred_at, kind, message_id, campaign_id, subscriber_id, link_id,"
    " method, user_agent, client_hint) FROM STDIN";

track_events *track_events_new(const char *dsn, size_t capacity)
{
    track_events *ev = xcalloc(1, sizeof *ev);
    ev->dsn = xstrdup(dsn ? dsn : "");
    ev->capacity = capacity ? capacity : 1;
    ev->flush_rows = ev->capacity / 4 < FLUSH_ROWS_MAX ? ev->capacity / 4 : FLUSH_ROWS_MAX;
    if (ev->flush_rows == 0) ev->flush_rows = 1;
    pthread_mutex_init(&ev->lock, NULL);
    pthread_cond_init(&ev->wake, NULL);
    return ev;
}

/* returns the offset of s in a's pool, stored there unless it was lately */
static uint32_t intern(event_array *a, const char *s, size_t n)
{
    if (n == 0) return 0;
    uint64_t h = 14695981039346656037ULL;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
    size_t slot = h % INTERN_SLOTS;
    if (a->intern[slot].len == n && a->intern[slot].hash == h &&
        !memcmp(a->pool.p + a->intern[slot].at, s, n))
        return a->intern[slot].at;
    uint32_t at = (uint32_t)a->pool.n;
    buf_append(&a->pool, s, n);
    a->intern[slot].hash = h;
    a->intern[slot].at = at;
    a->intern[slot].len = (uint32_t)n;
    return at;
}

static void array_clear(event_array *a)
{
    a->n = 0;
    buf_reset(&a->pool);
    memset(a->intern, 0, sizeof a->intern);
}

bool track_events_put(track_events *ev, const track_event *e)
{
    pthread_mutex_lock(&ev->lock);
    bool room = ev->filling.n + ev->writing_n < ev->capacity;
    if (room) {
        event_array *a = &ev->filling;
        if (a->n == a->cap) {
            size_t cap = a->cap ? a->cap * 2 : FIRST_CAP;
            if (cap > ev->capacity) cap = ev->capacity;
            a->items = xrealloc(a->items, cap * sizeof *a->items);
            a->cap = cap;
        }
        size_t hint_len = strlen(e->client_hint);
        a->items[a->n++] = (stored_event){
            .at_us = e->at_us,
            .message_id = e->message_id,
            .campaign_id = e->campaign_id,
            .subscriber_id = e->subscriber_id,
            .link_id = e->link_id,
            .user_agent_at = intern(a, e->user_agent, e->user_agent_len),
            .client_hint_at = intern(a, e->client_hint, hint_len),
            .user_agent_len = e->user_agent_len,
            .client_hint_len = (unsigned char)hint_len,
            .kind = e->kind,
            .head = e->head,
        };
        ev->recorded++;
        if (a->n == ev->flush_rows) pthread_cond_signal(&ev->wake);
    } else {
        ev->dropped++;
    }
    pthread_mutex_unlock(&ev->lock);
    return room;
}

void track_event_set_user_agent(track_event *e, const char *ua)
{
    e->user_agent_len = 0;
    if (!ua) return;
    size_t n = strlen(ua);
    /* a client may send anything: bytes that are not UTF-8 become '?', so that the text
     * column takes every row of a COPY */
    size_t out = 0;
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        size_t len = utf8_decode(ua + i, n - i, &cp);
        if (len == 0 || cp < 0x20 || cp == 0x7f) {
            if (out + 1 > TRACK_USER_AGENT_MAX) break;
            e->user_agent[out++] = '?';
            i += len ? len : 1;
            continue;
        }
        if (out + len > TRACK_USER_AGENT_MAX) break;
        memcpy(e->user_agent + out, ua + i, len);
        out += len;
        i += len;
    }
    e->user_agent_len = (unsigned short)out;
}

void track_client_hint(const struct sockaddr *addr, char out[TRACK_CLIENT_HINT_MAX])
{
    out[0] = '\0';
    if (!addr) return;
    char text[INET6_ADDRSTRLEN];
    if (addr->sa_family == AF_INET) {
        struct in_addr a = ((const struct sockaddr_in *)addr)->sin_addr;
        unsigned char *b = (unsigned char *)&a.s_addr;
        b[3] = 0;
        inet_ntop(AF_INET, &a, text, sizeof text);
        snprintf(out, TRACK_CLIENT_HINT_MAX, "%s/24", text);
    } else if (addr->sa_family == AF_INET6) {
        struct in6_addr a = ((const struct sockaddr_in6 *)addr)->sin6_addr;
        if (IN6_IS_ADDR_V4MAPPED(&a)) {
            struct in_addr v4;
            memcpy(&v4, a.s6_addr + 12, 4);
            ((unsigned char *)&v4.s_addr)[3] = 0;
            inet_ntop(AF_INET, &v4, text, sizeof text);
            snprintf(out, TRACK_CLIENT_HINT_MAX, "%s/24", text);
            return;
        }
        memset(a.s6_addr + 6, 0, 10);
        inet_ntop(AF_INET6, &a, text, sizeof text);
        snprintf(out, TRACK_CLIENT_HINT_MAX, "%s/48", text);
    }
}

static void copy_id(buf_t *out, long long id)
{
    if (id > 0)
        buf_appendf(out, "%lld\t", id);
    else
        buf_append(out, "\\N\t", 3);
}

static void copy_line(const stored_event *e, const char *pool, buf_t *out)
{
    if (!pool) pool = ""; /* nothing was stored: every text is empty */
    time_t seconds = (time_t)(e->at_us / 1000000);
    struct tm tm;
    gmtime_r(&seconds, &tm);
    char stamp[40];
    strftime(stamp, sizeof stamp, "%Y-%m-%d %H:%M:%S", &tm);
    buf_appendf(out, "%s.%06d+00\t%s\t%lld\t", stamp, (int)(e->at_us % 1000000),
                e->kind == 'c' ? "click" : "open", e->message_id);
    copy_id(out, e->campaign_id);
    copy_id(out, e->subscriber_id);
    copy_id(out, e->link_id);
    buf_append_cstr(out, e->head ? "HEAD\t" : "GET\t");
    const char *ua = pool + e->user_agent_at;
    for (size_t i = 0; i < e->user_agent_len; i++) {
        char c = ua[i];
        if (c == '\\' || c == '\t' || c == '\n' || c == '\r') buf_putc(out, '\\');
        buf_putc(out, c == '\t' ? 't' : c == '\n' ? 'n' : c == '\r' ? 'r' : c);
    }
    buf_putc(out, '\t');
    if (e->client_hint_len)
        buf_append(out, pool + e->client_hint_at, e->client_hint_len);
    else
        buf_append(out, "\\N", 2);
    buf_putc(out, '\n');
}

void track_event_copy_line(const track_event *e, buf_t *out)
{
    event_array a = {0};
    size_t hint_len = strlen(e->client_hint);
    stored_event stored = {
        .at_us = e->at_us,
        .message_id = e->message_id,
        .campaign_id = e->campaign_id,
        .subscriber_id = e->subscriber_id,
        .link_id = e->link_id,
        .user_agent_at = intern(&a, e->user_agent, e->user_agent_len),
        .client_hint_at = intern(&a, e->client_hint, hint_len),
        .user_agent_len = e->user_agent_len,
        .client_hint_len = (unsigned char)hint_len,
        .kind = e->kind,
        .head = e->head,
    };
    copy_line(&stored, a.pool.p, out);
    buf_free(&a.pool);
}

/* Writes rows with one COPY on the flusher's connection (made again when it broke).
 * returns 0, or -1 with err and nothing written: the COPY is one statement. */
static int copy_rows(track_events *ev, const stored_event *rows, size_t n, const char *pool,
                     buf_t *text, mc_error *err)
{
    if (ev->conn && PQstatus(ev->conn) != CONNECTION_OK) {
        PQfinish(ev->conn);
        ev->conn = NULL;
    }
    if (!ev->conn) ev->conn = db_connect(ev->dsn, err);
    if (!ev->conn) return -1;
    buf_reset(text);
    for (size_t i = 0; i < n; i++)
        copy_line(&rows[i], pool, text);
    PGresult *res = PQexec(ev->conn, COPY_SQL);
    if (PQresultStatus(res) != PGRES_COPY_IN) {
        mc_error_set(err, 503, "db_unavailable", "", "COPY: %s", PQerrorMessage(ev->conn));
        PQclear(res);
        return -1;
    }
    PQclear(res);
    bool ok = PQputCopyData(ev->conn, text->p, (int)text->n) == 1;
    /* ends the COPY either way: a failed one must not leave the connection inside it */
    if (PQputCopyEnd(ev->conn, ok ? NULL : "the batch could not be sent") != 1) ok = false;
    bool failed_here = !ok;
    while ((res = PQgetResult(ev->conn))) {
        if (PQresultStatus(res) != PGRES_COMMAND_OK && ok) {
            mc_error_set(err, 503, "db_unavailable", "", "COPY: %s", PQresultErrorMessage(res));
            ok = false;
        }
        PQclear(res);
    }
    if (failed_here)
        mc_error_set(err, 503, "db_unavailable", "", "COPY: %s", PQerrorMessage(ev->conn));
    return ok ? 0 : -1;
}

/* Takes the filling array for writing when the flusher holds no unwritten rows. Under the
 * lock. */
static void take_filling(track_events *ev)
{
    if (ev->writing.n || !ev->filling.n) return;
    event_array spare = ev->writing;
    ev->writing = ev->filling;
    ev->filling = spare;
    array_clear(&ev->filling);
    ev->writing_n = ev->writing.n;
}

/* Writes the flusher's rows in COPYs of at most flush_rows. Outside the lock. returns
 * false when one failed (the rest stay for the next try). */
static bool write_taken(track_events *ev, buf_t *text)
{
    size_t done = 0;
    bool ok = true;
    while (done < ev->writing.n) {
        size_t n = ev->writing.n - done;
        if (n > FLUSH_ROWS_MAX) n = FLUSH_ROWS_MAX;
        mc_error err;
        if (copy_rows(ev, ev->writing.items + done, n, ev->writing.pool.p, text, &err) < 0) {
            log_warn("tracking: writing %zu events failed, trying again: %s", n, err.message);
            ok = false;
            break;
        }
        done += n;
    }
    /* keep the rows not written at the front */
    if (done)
        memmove(ev->writing.items, ev->writing.items + done,
                (ev->writing.n - done) * sizeof *ev->writing.items);
    pthread_mutex_lock(&ev->lock);
    ev->writing.n -= done;
    ev->writing_n = ev->writing.n;
    ev->written += done;
    ev->flushes++;
    if (!ok) ev->failures++;
    pthread_mutex_unlock(&ev->lock);
    return ok;
}

static void deadline_in(struct timespec *at, int ms)
{
    clock_gettime(CLOCK_REALTIME, at);
    at->tv_nsec += (long)(ms % 1000) * 1000000L;
    at->tv_sec += ms / 1000 + at->tv_nsec / 1000000000L;
    at->tv_nsec %= 1000000000L;
}

static void *flusher(void *arg)
{
    track_events *ev = arg;
    buf_t text = BUF_INIT;
    pthread_mutex_lock(&ev->lock);
    while (!ev->stopping) {
        struct timespec at;
        deadline_in(&at, FLUSH_EVERY_MS);
        /* rows that failed to go wait the full interval before the next try */
        while (!ev->stopping && (ev->filling.n < ev->flush_rows || ev->writing.n > 0) &&
               pthread_cond_timedwait(&ev->wake, &ev->lock, &at) == 0) {
        }
        take_filling(ev);
        bool any = ev->writing.n > 0;
        pthread_mutex_unlock(&ev->lock);
        if (any) write_taken(ev, &text);
        pthread_mutex_lock(&ev->lock);
    }
    /* shutdown: everything answered so far is written, unless the database stays away */
    int waited = 0;
    while (ev->writing.n || ev->filling.n) {
        take_filling(ev);
        pthread_mutex_unlock(&ev->lock);
        bool ok = write_taken(ev, &text);
        pthread_mutex_lock(&ev->lock);
        if (ok) continue;
        if (waited >= ev->grace_ms) {
            log_error("tracking: %zu events could not be written before shutdown",
                      ev->writing.n + ev->filling.n);
            break;
        }
        pthread_mutex_unlock(&ev->lock);
        struct timespec pause = {0, FLUSH_EVERY_MS * 1000000L};
        nanosleep(&pause, NULL);
        waited += FLUSH_EVERY_MS;
        pthread_mutex_lock(&ev->lock);
    }
    pthread_mutex_unlock(&ev->lock);
    buf_free(&text);
    return NULL;
}

int track_events_start(track_events *ev, mc_error *err)
{
    if (pthread_create(&ev->thread, NULL, flusher, ev) != 0)
        return mc_error_set(err, 500, "internal_error", "", "cannot start the tracking flusher");
    ev->started = true;
    return 0;
}

void track_events_free(track_events *ev, int grace_ms)
{
    if (!ev) return;
    if (ev->started) {
        pthread_mutex_lock(&ev->lock);
        ev->stopping = true;
        ev->grace_ms = grace_ms;
        pthread_cond_signal(&ev->wake);
        pthread_mutex_unlock(&ev->lock);
        pthread_join(ev->thread, NULL);
    }
    if (ev->conn) PQfinish(ev->conn);
    free(ev->filling.items);
    free(ev->writing.items);
    buf_free(&ev->filling.pool);
    buf_free(&ev->writing.pool);
    pthread_cond_destroy(&ev->wake);
    pthread_mutex_destroy(&ev->lock);
    free(ev->dsn);
    free(ev);
}

void track_events_render_metrics(track_events *ev, buf_t *out)
{
    pthread_mutex_lock(&ev->lock);
    unsigned long long recorded = ev->recorded, dropped = ev->dropped, written = ev->written,
                       flushes = ev->flushes, failures = ev->failures;
    size_t waiting = ev->filling.n + ev->writing_n;
    pthread_mutex_unlock(&ev->lock);
    buf_appendf(out,
                "# HELP mailcast_tracking_events_recorded_total Opens and clicks put into the "
                "batch.\n"
                "# TYPE mailcast_tracking_events_recorded_total counter\n"
                "mailcast_tracking_events_recorded_total %llu\n"
                "# HELP mailcast_tracking_events_dropped_total Opens and clicks answered but not "
                "recorded because the batch was full.\n"
                "# TYPE mailcast_tracking_events_dropped_total counter\n"
                "mailcast_tracking_events_dropped_total %llu\n"
                "# HELP mailcast_tracking_events_written_total Opens and clicks written to the "
                "database.\n"
                "# TYPE mailcast_tracking_events_written_total counter\n"
                "mailcast_tracking_events_written_total %llu\n"
                "# HELP mailcast_tracking_flushes_total Writes of the batch, and those that "
                "failed and were tried again.\n"
                "# TYPE mailcast_tracking_flushes_total counter\n"
                "mailcast_tracking_flushes_total{result=\"ok\"} %llu\n"
                "mailcast_tracking_flushes_total{result=\"failed\"} %llu\n"
                "# HELP mailcast_tracking_events_waiting Opens and clicks in memory, not yet "
                "written.\n"
                "# TYPE mailcast_tracking_events_waiting gauge\n"
                "mailcast_tracking_events_waiting %zu\n",
                recorded, dropped, written, flushes - failures, failures, waiting);
}
