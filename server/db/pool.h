/* A fixed-size pool of libpq connections shared by threads. A thread takes a connection,
 * uses it alone, and gives it back; broken connections are re-established on the next take,
 * so a restarted PostgreSQL is survived without restarting mailcast. */
#ifndef MC_DB_POOL_H
#define MC_DB_POOL_H

#include <libpq-fe.h>
#include <stddef.h>

#include "core/error.h"

typedef struct db_pool db_pool;

typedef struct {
    unsigned size;             /* connections the pool may hold */
    unsigned in_use;           /* taken right now */
    unsigned open;             /* established */
    unsigned long long waits;  /* takes that had to wait for a free connection */
    unsigned long long errors; /* failed connection attempts */
} db_pool_stats;

/* returns a new pool for dsn (connections are opened lazily); caller frees with
 * db_pool_free(). Fails when a first connection cannot be made. */
db_pool *db_pool_new(const char *dsn, unsigned size, mc_error *err);
void db_pool_free(db_pool *pool);
/* returns a connection for this thread's exclusive use, waiting up to timeout_ms for one;
 * NULL with err set (503 db_unavailable) when none can be had. Give it back with
 * db_pool_release(). */
PGconn *db_pool_acquire(db_pool *pool, int timeout_ms, mc_error *err);
void db_pool_release(db_pool *pool, PGconn *conn);
/* returns a standalone connection (not counted in the pool); caller closes with PQfinish() */
PGconn *db_connect(const char *dsn, mc_error *err);
void db_pool_get_stats(db_pool *pool, db_pool_stats *out);
/* returns the pool's connection string (borrowed; lives as long as the pool), for a
 * connection that must stay outside it, such as a LISTEN */
const char *db_pool_dsn(const db_pool *pool);

#endif
