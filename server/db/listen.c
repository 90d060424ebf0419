/* The LISTEN connection of a loop, waited on with poll() together with a pipe that other
 * threads of the process write to, and the NOTIFY side. The connection is not the pool's: a
 * LISTEN belongs to one session, which must stay open for as long as the loop waits on it. */
#include "db/listen.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/log.h"
#include "db/pool.h"
#include "db/query.h"

/* how often a lost connection is tried again while PostgreSQL is away */
#define RETRY_MS 1000

struct db_listener {
    char *dsn;
    char *channel;
    PGconn *conn; /* NULL while not connected */
    int pipe[2];  /* pokes: written by db_listener_poke(), drained by the wait */
    long long last_attempt_ms;
    bool lost; /* the connection broke and the loss was logged */
};

static long long now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

db_listener *db_listener_new(const char *dsn, const char *channel)
{
    db_listener *l = xcalloc(1, sizeof *l);
    l->dsn = xstrdup(dsn);
    l->channel = xstrdup(channel);
    if (pipe(l->pipe) < 0) {
        /* without it a poke is lost and the wait ends at its timeout: slower, still correct */
        log_warn("listen: cannot create a pipe: %s", strerror(errno));
        l->pipe[0] = l->pipe[1] = -1;
    }
    for (int i = 0; i < 2; i++)
        if (l->pipe[i] >= 0) fcntl(l->pipe[i], F_SETFL, fcntl(l->pipe[i], F_GETFL) | O_NONBLOCK);
    l->last_attempt_ms = now_ms() - RETRY_MS;
    return l;
}

void db_listener_free(db_listener *l)
{
    if (!l) return;
    if (l->conn) PQfinish(l->conn);
    for (int i = 0; i < 2; i++)
        if (l->pipe[i] >= 0) close(l->pipe[i]);
    free(l->dsn);
    free(l->channel);
    free(l);
}

void db_listener_poke(db_listener *l)
{
    char byte = 1;
    /* a full pipe already holds a poke: nothing is lost */
    if (l->pipe[1] >= 0 && write(l->pipe[1], &byte, 1) < 0 && errno != EAGAIN)
        log_warn("listen: cannot poke: %s", strerror(errno));
}

/* Opens the connection and LISTENs. returns 0, or -1 (logged once per outage). */
static int connect_and_listen(db_listener *l)
{
    mc_error err;
    l->last_attempt_ms = now_ms();
    PGconn *conn = db_connect(l->dsn, &err);
    if (!conn) {
        if (!l->lost) log_warn("listen: %s; looking for work at each poll", err.message);
        l->lost = true;
        return -1;
    }
    char *name = PQescapeIdentifier(conn, l->channel, strlen(l->channel));
    char sql[200];
    snprintf(sql, sizeof sql, "LISTEN %s", name ? name : "");
    PQfreemem(name);
    if (db_exec(conn, sql, 0, NULL, &err) < 0) {
        if (!l->lost) log_warn("listen: %s; looking for work at each poll", err.message);
        l->lost = true;
        PQfinish(conn);
        return -1;
    }
    if (l->lost) log_info("listen: listening on %s again", l->channel);
    l->lost = false;
    l->conn = conn;
    return 0;
}

static void drop(db_listener *l)
{
    const char *why = PQerrorMessage(l->conn);
    if (!l->lost)
        log_warn("listen: the connection was lost (%.*s); looking for work at each poll until "
                 "it is back",
                 (int)strcspn(why, "\n"), why);
    l->lost = true;
    PQfinish(l->conn);
    l->conn = NULL;
    /* the server may be back already (a restart): try at once, then every RETRY_MS */
    l->last_attempt_ms = now_ms() - RETRY_MS;
}

/* Takes the notifications libpq has read. returns true when there was one. */
static bool take_notifications(db_listener *l, char *what, size_t what_size)
{
    bool any = false;
    PGnotify *n;
    while ((n = PQnotifies(l->conn)) != NULL) {
        if (what && what_size) snprintf(what, what_size, "%s", n->extra);
        PQfreemem(n);
        any = true;
    }
    return any;
}

static bool drain_pokes(db_listener *l)
{
    char bytes[64];
    bool any = false;
    while (l->pipe[0] >= 0 && read(l->pipe[0], bytes, sizeof bytes) > 0)
        any = true;
    return any;
}

db_wake db_listener_wait(db_listener *l, int timeout_ms, char *what, size_t what_size)
{
    if (what && what_size) what[0] = '\0';
    long long deadline = now_ms() + (timeout_ms > 0 ? timeout_ms : 0);
    for (;;) {
        long long now = now_ms();
        if (!l->conn && now - l->last_attempt_ms >= RETRY_MS && connect_and_listen(l) == 0)
            return DB_WAKE_RECONNECTED;
        if (drain_pokes(l)) return DB_WAKE_POKED;
        if (l->conn && take_notifications(l, what, what_size)) return DB_WAKE_NOTIFIED;
        now = now_ms();
        if (now >= deadline) return DB_WAKE_TIMEOUT;
        long long wait = deadline - now;
        if (!l->conn && l->last_attempt_ms + RETRY_MS - now < wait)
            wait = l->last_attempt_ms + RETRY_MS - now;
        struct pollfd fds[2] = {{.fd = l->pipe[0], .events = POLLIN},
                                {.fd = l->conn ? PQsocket(l->conn) : -1, .events = POLLIN}};
        int rc = poll(fds, 2, wait > 0 ? (int)wait : 0);
        if (rc < 0 && errno != EINTR) {
            log_warn("listen: poll: %s", strerror(errno));
            return DB_WAKE_TIMEOUT;
        }
        /* input, a hang-up or an error: libpq reads what came, and a closed socket breaks it */
        if (rc > 0 && l->conn && fds[1].revents &&
            ((fds[1].revents & (POLLHUP | POLLERR | POLLNVAL)) || !PQconsumeInput(l->conn) ||
             PQstatus(l->conn) != CONNECTION_OK))
            drop(l);
    }
}

int db_notify(PGconn *conn, const char *channel, const char *payload, mc_error *err)
{
    const char *params[] = {channel, payload};
    return db_exec(conn, "SELECT pg_notify($1, $2)", 2, params, err);
}

PGresult *db_query_notify(PGconn *conn, const char *sql, int nparams, const char *const *params,
                          const char *channel, const char *payload, mc_error *err)
{
    bool own = PQtransactionStatus(conn) == PQTRANS_IDLE;
    if (own && db_begin(conn, err) < 0) return NULL;
    PGresult *res = db_query(conn, sql, nparams, params, err);
    if (res && (db_notify(conn, channel, payload, err) < 0 || (own && db_commit(conn, err) < 0))) {
        PQclear(res);
        res = NULL;
    }
    if (!res && own) db_rollback(conn);
    return res;
}
