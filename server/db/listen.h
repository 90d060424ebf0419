/* LISTEN/NOTIFY: a connection of its own on which a loop sleeps until work is announced,
 * and the NOTIFY that announces it. Work is announced on one channel whatever it is; the
 * payload only says what it was, for the logs. */
#ifndef MC_DB_LISTEN_H
#define MC_DB_LISTEN_H

#include <libpq-fe.h>
#include <stddef.h>

#include "core/error.h"

/* The channel on which queued work (a message, an import, a campaign's change) is announced */
#define DB_WORK_CHANNEL "mailcast_work"

typedef struct db_listener db_listener;

typedef enum {
    DB_WAKE_TIMEOUT,     /* nothing happened within the timeout */
    DB_WAKE_NOTIFIED,    /* a notification arrived on the channel */
    DB_WAKE_POKED,       /* db_listener_poke() was called */
    DB_WAKE_RECONNECTED, /* the connection was made again: notifications may have been missed */
} db_wake;

/* returns a listener for channel on dsn (both copied). It holds one connection outside any
 * pool for its whole life, made on the first wait. Caller frees with db_listener_free(). */
db_listener *db_listener_new(const char *dsn, const char *channel);
void db_listener_free(db_listener *l);
/* Sleeps up to timeout_ms until a notification on the channel or a poke. Notifications that
 * arrived while the caller was busy end the wait at once, all of them together. While the
 * connection is down (PostgreSQL restarting) it is tried again every second and the wait
 * ends at its timeout, so a caller that looks for work after each wait keeps polling. what
 * gets the payload of the last notification ("" otherwise; cut to what_size). */
db_wake db_listener_wait(db_listener *l, int timeout_ms, char *what, size_t what_size);
/* Makes the current or the next db_listener_wait() return at once. Safe from any thread. */
void db_listener_poke(db_listener *l);

/* Sends payload on channel; PostgreSQL delivers it when conn's transaction commits, or at once
 * outside a transaction. returns 0 or -1 with err. */
int db_notify(PGconn *conn, const char *channel, const char *payload, mc_error *err);
/* Runs sql like db_query() and sends payload on channel in the same transaction: listeners
 * wake only once the rows are committed and visible to them. Inside the caller's transaction
 * when one is open, else in one of its own. returns the result (caller frees with PQclear())
 * or NULL with err, having notified nobody. */
PGresult *db_query_notify(PGconn *conn, const char *sql, int nparams, const char *const *params,
                          const char *channel, const char *payload, mc_error *err);

#endif
