/* One loop: claim what is due while there is room, let curl move every transfer, record what
 * ended, wait on curl's sockets until something happens or the next look for due deliveries. */
#include "automation/webhook_sender.h"

#include <netdb.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "automation/webhook_address.h"
#include "automation/webhook_fanout.h"
#include "automation/webhook_sign.h"
#include "core/alloc.h"
#include "core/buf.h"
#include "core/log.h"
#include "core/utf8.h"
#include "db/query.h"
#include "track/curl_setup.h"

/* transfers in flight in one process, and per webhook over every process (one slow receiver
 * keeps at most this many of the slots, the others go on) */
#define MAX_IN_FLIGHT   16
#define MAX_PER_WEBHOOK 4
/* how often an idle thread looks for due deliveries */
#define CLAIM_INTERVAL_MS    500
#define RETRY_AFTER_ERROR_MS 5000
/* kept of an answer's body for the log */
#define ANSWER_KEEP 200
/* a fan-out pass reads at most this many rows of each source; a longer backlog goes on at
 * once, else the next pass comes after the interval */
#define FANOUT_BATCH       2000
#define FANOUT_INTERVAL_MS 1000
#define DB_WAIT_MS         5000

typedef struct {
    CURL *curl;
    struct curl_slist *headers;
    long long delivery_id;
    int attempt;
    char *body;
    double started;    /* monotonic seconds */
    time_t started_at; /* wall clock, for the attempt log */
    char refusal[200]; /* why the guard refused an address, empty when it did not */
    char answer[ANSWER_KEEP + 1];
    size_t answer_len;
    char curl_error[CURL_ERROR_SIZE];
    bool allow_private;
} transfer;

struct webhook_sender {
    app_t *app;
    char *user_agent;
    char owner[128];
    pthread_t thread;
    pthread_t fanout_thread;
    pthread_mutex_t lock; /* with wake: the fan-out thread's wait, cut short by a stop */
    pthread_cond_t wake;
    CURLM *multi;
    bool stopping;
    bool fanout_running;
    transfer *slots[MAX_IN_FLIGHT];
    int in_flight;
};

static double monotonic_seconds(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)now.tv_sec + (double)now.tv_nsec / 1e9;
}

/* Expired leases (a process that died during an attempt) make their deliveries due again;
 * then the oldest due deliveries of each enabled webhook with room, oldest first overall. */
static const char RECLAIM_SQL[] =
    "UPDATE webhook_deliveries SET state = 'pending', next_attempt_at = now(), lease_owner = NULL,"
    " lease_expires_at = NULL WHERE state = 'delivering' AND lease_expires_at < now()";

static const char CLAIM_SQL[] =
    "WITH w AS (SELECT w.id, greatest(0, $3::int - (SELECT count(*) FROM webhook_deliveries d"
    " WHERE d.webhook_id = w.id AND d.state = 'delivering'))::int AS room"
    " FROM webhooks w WHERE w.enabled),"
    " picked AS (SELECT d.id, d.next_attempt_at FROM w CROSS JOIN LATERAL"
    " (SELECT d.id, d.next_attempt_at FROM webhook_deliveries d WHERE d.webhook_id = w.id"
    " AND d.state = 'pending' AND d.next_attempt_at <= now() ORDER BY d.next_attempt_at"
    " LIMIT w.room FOR UPDATE SKIP LOCKED) d ORDER BY d.next_attempt_at LIMIT $2)"
    " UPDATE webhook_deliveries d SET state = 'delivering', lease_owner = $1,"
    " lease_expires_at = now() + make_interval(secs => $4::int), attempts = d.attempts + 1,"
    " last_attempt_at = now() FROM picked, webhooks w"
    " WHERE d.id = picked.id AND w.id = d.webhook_id"
    " RETURNING d.id, d.attempts, d.event, d.payload::text, w.url, w.secret";

/* $1 delivery, $2 attempt, $3 status (NULL: no answer), $4 error, $5 milliseconds, $6 start
 * (Unix seconds), $7 delivered, $8 retry hours, $9 first pause in seconds, $10 owner. A failed
 * attempt waits base * 2^(attempt - 1) seconds, at most an hour, give or take a quarter (so
 * that the deliveries of one outage do not all come back together); past the retry hours
 * since the delivery was queued it fails for good. */
static const char RECORD_SQL[] =
    "WITH a AS (INSERT INTO webhook_attempts (delivery_id, attempt, status, error, duration_ms,"
    " started_at) VALUES ($1, $2, $3, $4, $5, to_timestamp($6::bigint))"
    " ON CONFLICT DO NOTHING)"
    " UPDATE webhook_deliveries d SET state = CASE WHEN $7::boolean THEN 'delivered'"
    " WHEN now() >= d.created_at + make_interval(hours => $8::int) THEN 'failed'"
    " ELSE 'pending' END,"
    " delivered_at = CASE WHEN $7::boolean THEN now() END,"
    " next_attempt_at = CASE WHEN $7::boolean THEN d.next_attempt_at ELSE now() +"
    " make_interval(secs => least($9::int * power(2, least(d.attempts - 1, 30)), 3600)"
    " * (0.75 + random() * 0.5)) END,"
    " last_status = $3, last_error = $4, last_duration_ms = $5, lease_owner = NULL,"
    " lease_expires_at = NULL WHERE d.id = $1 AND d.state = 'delivering' AND d.lease_owner = $10";

/* deliveries abandoned at shutdown: due again at once, the attempt not counted */
static const char GIVE_BACK_SQL[] =
    "UPDATE webhook_deliveries SET state = 'pending', attempts = attempts - 1,"
    " next_attempt_at = now(), lease_owner = NULL, lease_expires_at = NULL"
    " WHERE id = $1 AND state = 'delivering' AND lease_owner = $2";

static size_t keep_answer(char *data, size_t size, size_t n, void *arg)
{
    transfer *t = arg;
    size_t len = size * n;
    size_t room = ANSWER_KEEP - t->answer_len;
    size_t take = len < room ? len : room;
    memcpy(t->answer + t->answer_len, data, take);
    t->answer_len += take;
    t->answer[t->answer_len] = '\0';
    return len;
}

/* The guard, on the address curl is about to connect to (after any DNS answer, so a name
 * that resolves to a private address is refused however often it changes). */
static curl_socket_t open_socket(void *arg, curlsocktype purpose, struct curl_sockaddr *addr)
{
    transfer *t = arg;
    (void)purpose;
    if (!t->allow_private) {
        const char *why = webhook_address_refusal(&addr->addr);
        if (why) {
            char text[64] = "?";
            getnameinfo(&addr->addr, addr->addrlen, text, sizeof text, NULL, 0, NI_NUMERICHOST);
            snprintf(t->refusal, sizeof t->refusal,
                     "refused to connect to %s: %s address ([webhooks] allow_private is false)",
                     text, why);
            return CURL_SOCKET_BAD;
        }
    }
    return socket(addr->family, addr->socktype, addr->protocol);
}

static void transfer_free(transfer *t)
{
    if (!t) return;
    curl_easy_cleanup(t->curl);
    curl_slist_free_all(t->headers);
    free(t->body);
    free(t);
}

static transfer *transfer_new(webhook_sender *s, PGresult *res, int row)
{
    const config_t *cfg = &s->app->config;
    transfer *t = xcalloc(1, sizeof *t);
    t->delivery_id = strtoll(PQgetvalue(res, row, 0), NULL, 10);
    t->attempt = atoi(PQgetvalue(res, row, 1));
    const char *event = PQgetvalue(res, row, 2);
    t->body = xstrdup(PQgetvalue(res, row, 3));
    const char *url = PQgetvalue(res, row, 4);
    const char *secret = PQgetvalue(res, row, 5);
    t->allow_private = cfg->webhooks_allow_private;
    t->started = monotonic_seconds();
    t->started_at = time(NULL);

    size_t body_len = strlen(t->body);
    char signature[WEBHOOK_SIGNATURE_SIZE];
    webhook_sign(secret, (long long)t->started_at, t->body, body_len, signature);
    char line[256];
    t->headers = curl_slist_append(t->headers, "Content-Type: application/json");
    snprintf(line, sizeof line, "User-Agent: %s", s->user_agent);
    t->headers = curl_slist_append(t->headers, line);
    snprintf(line, sizeof line, "X-Mailcast-Event: %s", event);
    t->headers = curl_slist_append(t->headers, line);
    snprintf(line, sizeof line, "X-Mailcast-Delivery: %lld", t->delivery_id);
    t->headers = curl_slist_append(t->headers, line);
    snprintf(line, sizeof line, "X-Mailcast-Timestamp: %lld", (long long)t->started_at);
    t->headers = curl_slist_append(t->headers, line);
    snprintf(line, sizeof line, "X-Mailcast-Signature: %s", signature);
    t->headers = curl_slist_append(t->headers, line);
    /* no "100 Continue" round trip before the body */
    t->headers = curl_slist_append(t->headers, "Expect:");

    CURL *c = t->curl = track_curl_new((long)cfg->webhooks_timeout_seconds * 1000L);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    /* a redirect is an answer like any other that is not 2xx: following it would reach an
     * address the guard has not seen */
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    /* a proxy would be the address connected to, not the receiver */
    curl_easy_setopt(c, CURLOPT_PROXY, "");
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, t->headers);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, t->body);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, keep_answer);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, t);
    curl_easy_setopt(c, CURLOPT_OPENSOCKETFUNCTION, open_socket);
    curl_easy_setopt(c, CURLOPT_OPENSOCKETDATA, t);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, t->curl_error);
    curl_easy_setopt(c, CURLOPT_PRIVATE, t);
    return t;
}

/* Claims up to room deliveries and starts their transfers. returns how many, or -1. */
static int claim(webhook_sender *s, PGconn *conn, int room)
{
    const config_t *cfg = &s->app->config;
    mc_error err;
    char room_text[16], per_text[16], lease_text[16];
    snprintf(room_text, sizeof room_text, "%d", room);
    snprintf(per_text, sizeof per_text, "%d", MAX_PER_WEBHOOK);
    snprintf(lease_text, sizeof lease_text, "%u", cfg->webhooks_timeout_seconds + 60);
    const char *params[] = {s->owner, room_text, per_text, lease_text};
    if (db_exec(conn, RECLAIM_SQL, 0, NULL, &err) < 0) {
        log_warn("webhooks: %s", err.message);
        return -1;
    }
    PGresult *res = db_query(conn, CLAIM_SQL, 4, params, &err);
    if (!res) {
        log_warn("webhooks: %s", err.message);
        return -1;
    }
    int n = PQntuples(res);
    for (int i = 0; i < n; i++) {
        transfer *t = transfer_new(s, res, i);
        for (int slot = 0; slot < MAX_IN_FLIGHT; slot++)
            if (!s->slots[slot]) {
                s->slots[slot] = t;
                break;
            }
        s->in_flight++;
        curl_multi_add_handle(s->multi, t->curl);
    }
    PQclear(res);
    return n;
}

/* Appends the start of the answer's body to error, for the log: up to the first invalid UTF-8
 * (the log is text) or NUL, control characters as spaces. */
static void append_answer(buf_t *error, const transfer *t)
{
    size_t bad, n = t->answer_len;
    if (!utf8_valid(t->answer, n, &bad)) n = bad; /* also a character cut where keeping ended */
    if (!n) return;
    buf_append_cstr(error, ": ");
    for (size_t i = 0; i < n && t->answer[i]; i++)
        buf_putc(error, (unsigned char)t->answer[i] < 0x20 ? ' ' : t->answer[i]);
}

/* What an ended transfer says: delivered, or the error of the attempt. */
static bool outcome(const transfer *t, CURLcode code, unsigned timeout_seconds, long *status,
                    buf_t *error)
{
    *status = 0;
    if (t->refusal[0]) {
        buf_append_cstr(error, t->refusal);
        return false;
    }
    if (code != CURLE_OK) {
        if (code == CURLE_OPERATION_TIMEDOUT)
            buf_appendf(error, "no answer within %u s (timeout)", timeout_seconds);
        else
            buf_appendf(error, "%s%s%s", curl_easy_strerror(code), t->curl_error[0] ? ": " : "",
                        t->curl_error);
        return false;
    }
    curl_easy_getinfo(t->curl, CURLINFO_RESPONSE_CODE, status);
    if (*status >= 200 && *status < 300) return true;
    if (*status >= 300 && *status < 400) {
        char *location = NULL;
        curl_easy_getinfo(t->curl, CURLINFO_REDIRECT_URL, &location);
        buf_appendf(error, "HTTP %ld: redirect to %s not followed", *status,
                    location ? location : "(no Location)");
    } else {
        buf_appendf(error, "HTTP %ld", *status);
        append_answer(error, t);
    }
    return false;
}

static void record(webhook_sender *s, PGconn *conn, transfer *t, CURLcode code)
{
    const config_t *cfg = &s->app->config;
    long status;
    buf_t error = BUF_INIT;
    bool delivered = outcome(t, code, cfg->webhooks_timeout_seconds, &status, &error);
    char id[32], attempt[16], status_text[16], ms[16], start[32], hours[16], base[16];
    snprintf(id, sizeof id, "%lld", t->delivery_id);
    snprintf(attempt, sizeof attempt, "%d", t->attempt);
    snprintf(status_text, sizeof status_text, "%ld", status);
    snprintf(ms, sizeof ms, "%d", (int)((monotonic_seconds() - t->started) * 1000));
    snprintf(start, sizeof start, "%lld", (long long)t->started_at);
    snprintf(hours, sizeof hours, "%u", cfg->webhooks_retry_hours);
    snprintf(base, sizeof base, "%u", cfg->webhooks_retry_base_seconds);
    const char *params[] = {
        id,   attempt, status ? status_text : NULL,  delivered ? NULL : buf_cstr(&error),
        ms,   start,   delivered ? "true" : "false", hours,
        base, s->owner};
    mc_error err;
    if (conn && db_exec(conn, RECORD_SQL, 10, params, &err) < 0)
        log_warn("webhooks: delivery %lld: %s", t->delivery_id, err.message);
    buf_free(&error);
}

static void remove_slot(webhook_sender *s, transfer *t)
{
    for (int slot = 0; slot < MAX_IN_FLIGHT; slot++)
        if (s->slots[slot] == t) s->slots[slot] = NULL;
    curl_multi_remove_handle(s->multi, t->curl);
    s->in_flight--;
    transfer_free(t);
}

/* Records every transfer that ended; the results wait for a connection (a lease that runs
 * out meanwhile makes the delivery due again, so nothing is lost when the database is away).
 * returns how many ended. */
static int collect(webhook_sender *s)
{
    int ended = 0;
    CURLMsg *msg;
    int left;
    PGconn *conn = NULL;
    while ((msg = curl_multi_info_read(s->multi, &left))) {
        if (msg->msg != CURLMSG_DONE) continue;
        transfer *t = NULL;
        curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&t);
        CURLcode code = msg->data.result;
        if (!conn) {
            mc_error err;
            conn = db_pool_acquire(s->app->pool, DB_WAIT_MS, &err);
            if (!conn) log_warn("webhooks: %s", err.message);
        }
        record(s, conn, t, code);
        remove_slot(s, t);
        ended++;
    }
    if (conn) db_pool_release(s->app->pool, conn);
    return ended;
}

static void give_back(webhook_sender *s)
{
    mc_error err;
    PGconn *conn = s->in_flight ? db_pool_acquire(s->app->pool, DB_WAIT_MS, &err) : NULL;
    for (int slot = 0; slot < MAX_IN_FLIGHT; slot++) {
        transfer *t = s->slots[slot];
        if (!t) continue;
        char id[32];
        snprintf(id, sizeof id, "%lld", t->delivery_id);
        const char *params[] = {id, s->owner};
        if (conn && db_exec(conn, GIVE_BACK_SQL, 2, params, &err) < 0)
            log_warn("webhooks: %s", err.message);
        remove_slot(s, t);
    }
    if (conn) db_pool_release(s->app->pool, conn);
}

static void *sender_main(void *arg)
{
    webhook_sender *s = arg;
    double next_claim = 0;
    while (!__atomic_load_n(&s->stopping, __ATOMIC_ACQUIRE)) {
        double now = monotonic_seconds();
        if (s->in_flight < MAX_IN_FLIGHT && now >= next_claim) {
            int room = MAX_IN_FLIGHT - s->in_flight;
            mc_error err;
            PGconn *conn = db_pool_acquire(s->app->pool, DB_WAIT_MS, &err);
            int n = conn ? claim(s, conn, room) : -1;
            if (conn) db_pool_release(s->app->pool, conn);
            if (!conn) log_warn("webhooks: %s", err.message);
            /* a full claim: more may be due, look again as soon as a slot frees; after a
             * failure (the database away), again in a while */
            next_claim = n == room ? now
                         : n < 0   ? now + RETRY_AFTER_ERROR_MS / 1000.0
                                   : now + CLAIM_INTERVAL_MS / 1000.0;
        }
        int running;
        curl_multi_perform(s->multi, &running);
        /* a slot that frees is filled at once: a webhook with a backlog goes at the pace of
         * its receiver, not of the claim interval */
        if (collect(s) > 0 && next_claim > monotonic_seconds()) next_claim = monotonic_seconds();
        /* until a transfer moves (curl's sockets and timers), the next look for due
         * deliveries when there is room, or a stop (curl_multi_wakeup) */
        int wait_ms = CLAIM_INTERVAL_MS;
        if (s->in_flight < MAX_IN_FLIGHT) {
            double until_ms = (next_claim - monotonic_seconds()) * 1000;
            if (until_ms < wait_ms) wait_ms = until_ms > 0 ? (int)until_ms : 0;
        }
        curl_multi_poll(s->multi, NULL, 0, wait_ms, NULL);
    }
    give_back(s);
    return NULL;
}

/* The fan-out (automation/webhook_fanout.h) on a thread of its own: reading a large backlog
 * (a big import, for subscriber.created) takes a while, and neither the worker loop, which
 * sends, nor the transfers in flight wait for it. A pass a second, or at once while a source
 * has more than a batch to read. */
static void *fanout_main(void *arg)
{
    webhook_sender *s = arg;
    pthread_mutex_lock(&s->lock);
    while (!s->stopping) {
        pthread_mutex_unlock(&s->lock);
        bool more = false;
        mc_error err;
        PGconn *conn = db_pool_acquire(s->app->pool, DB_WAIT_MS, &err);
        if (!conn || webhook_fanout_run(conn, FANOUT_BATCH, &more, &err) < 0)
            log_warn("webhooks: fan-out: %s", err.message);
        if (conn) db_pool_release(s->app->pool, conn);
        pthread_mutex_lock(&s->lock);
        if (!more && !s->stopping) {
            struct timespec until;
            clock_gettime(CLOCK_MONOTONIC, &until);
            until.tv_sec += FANOUT_INTERVAL_MS / 1000;
            pthread_cond_timedwait(&s->wake, &s->lock, &until);
        }
    }
    pthread_mutex_unlock(&s->lock);
    return NULL;
}

webhook_sender *webhook_sender_start(app_t *app, const char *user_agent, mc_error *err)
{
    webhook_sender *s = xcalloc(1, sizeof *s);
    s->app = app;
    s->user_agent = xstrdup(user_agent);
    char host[64] = "";
    gethostname(host, sizeof host - 1);
    snprintf(s->owner, sizeof s->owner, "%s:%d:webhooks", host, (int)getpid());
    curl_easy_cleanup(track_curl_new(1000)); /* curl's global set-up, before the thread */
    pthread_mutex_init(&s->lock, NULL);
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&s->wake, &attr);
    pthread_condattr_destroy(&attr);
    s->multi = curl_multi_init();
    if (!s->multi || pthread_create(&s->thread, NULL, sender_main, s) != 0) {
        if (s->multi) curl_multi_cleanup(s->multi);
        pthread_cond_destroy(&s->wake);
        pthread_mutex_destroy(&s->lock);
        free(s->user_agent);
        free(s);
        mc_error_set(err, 500, "internal", "", "cannot start the webhook delivery thread");
        return NULL;
    }
    if (pthread_create(&s->fanout_thread, NULL, fanout_main, s) != 0) {
        webhook_sender_stop(s);
        mc_error_set(err, 500, "internal", "", "cannot start the webhook fan-out thread");
        return NULL;
    }
    s->fanout_running = true;
    return s;
}

void webhook_sender_stop(webhook_sender *s)
{
    if (!s) return;
    pthread_mutex_lock(&s->lock);
    __atomic_store_n(&s->stopping, true, __ATOMIC_RELEASE);
    pthread_cond_broadcast(&s->wake);
    pthread_mutex_unlock(&s->lock);
    curl_multi_wakeup(s->multi);
    pthread_join(s->thread, NULL);
    if (s->fanout_running) pthread_join(s->fanout_thread, NULL);
    curl_multi_cleanup(s->multi);
    pthread_cond_destroy(&s->wake);
    pthread_mutex_destroy(&s->lock);
    free(s->user_agent);
    free(s);
}
