/* The pool keeps idle connections on a stack; waiting threads sleep on a condition. */
#include "db/pool.h"

#include <errno.h>
#include <stdbool.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/alloc.h"
#include "core/log.h"

struct db_pool {
    char *dsn;
    pthread_mutex_t lock;
    pthread_cond_t available;
    PGconn **idle; /* NULL entries are slots not connected yet */
    unsigned idle_count;
    db_pool_stats stats;
};

/* PostgreSQL's warnings go to the log; its NOTICE and lower ("relation ... already exists,
 * skipping" from the idempotent parts of migrations) say nothing an operator must act on, and
 * printed on stderr they look like errors in every CLI command's output. */
static void log_notice(void *arg, const PGresult *res)
{
    (void)arg;
    const char *severity = PQresultErrorField(res, PG_DIAG_SEVERITY_NONLOCALIZED);
    if (!severity || strcmp(severity, "WARNING")) return;
    const char *message = PQresultErrorMessage(res);
    size_t n = strlen(message);
    while (n && message[n - 1] == '\n')
        n--;
    log_warn("postgresql: %.*s", (int)n, message);
}

PGconn *db_connect(const char *dsn, mc_error *err)
{
    PGconn *conn = PQconnectdb(dsn);
    if (PQstatus(conn) != CONNECTION_OK) {
        const char *msg = PQerrorMessage(conn);
        size_t n = strlen(msg);
        while (n && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
            n--;
        mc_error_set(err, 503, "db_unavailable", "", "cannot connect to PostgreSQL: %.*s", (int)n,
                     msg);
        PQfinish(conn);
        return NULL;
    }
    PQsetNoticeReceiver(conn, log_notice, NULL);
    /* timestamps leave the database in UTC whatever the server's setting */
    PGresult *res = PQexec(conn, "SET TIME ZONE 'UTC'");
    PQclear(res);
    return conn;
}

db_pool *db_pool_new(const char *dsn, unsigned size, mc_error *err)
{
    PGconn *first = db_connect(dsn, err);
    if (!first) return NULL;
    db_pool *pool = xcalloc(1, sizeof *pool);
    pool->dsn = xstrdup(dsn);
    pthread_mutex_init(&pool->lock, NULL);
    pthread_cond_init(&pool->available, NULL);
    pool->idle = xcalloc(size, sizeof *pool->idle);
    pool->idle[0] = first;
    pool->idle_count = size;
    pool->stats.size = size;
    pool->stats.open = 1;
    return pool;
}

void db_pool_free(db_pool *pool)
{
    if (!pool) return;
    for (unsigned i = 0; i < pool->idle_count; i++)
        if (pool->idle[i]) PQfinish(pool->idle[i]);
    if (pool->stats.in_use)
        log_warn("database pool closed with %u connections still taken", pool->stats.in_use);
    free(pool->idle);
    pthread_mutex_destroy(&pool->lock);
    pthread_cond_destroy(&pool->available);
    free(pool->dsn);
    free(pool);
}

PGconn *db_pool_acquire(db_pool *pool, int timeout_ms, mc_error *err)
{
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += timeout_ms / 1000;
    deadline.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (deadline.tv_nsec >= 1000000000L) {
        deadline.tv_sec++;
        deadline.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&pool->lock);
    bool waited = false;
    while (pool->idle_count == 0) {
        waited = true;
        if (pthread_cond_timedwait(&pool->available, &pool->lock, &deadline) == ETIMEDOUT &&
            pool->idle_count == 0) {
            pthread_mutex_unlock(&pool->lock);
            mc_error_set(err, 503, "db_busy", "", "all %u database connections are busy",
                         pool->stats.size);
            return NULL;
        }
    }
    if (waited) pool->stats.waits++;
    PGconn *conn = pool->idle[--pool->idle_count];
    pool->stats.in_use++;
    pthread_mutex_unlock(&pool->lock);

    if (conn && PQstatus(conn) != CONNECTION_OK) {
        log_warn("database connection lost; reconnecting");
        PQfinish(conn);
        conn = NULL;
        pthread_mutex_lock(&pool->lock);
        pool->stats.open--;
        pthread_mutex_unlock(&pool->lock);
    }
    if (!conn) {
        conn = db_connect(pool->dsn, err);
        pthread_mutex_lock(&pool->lock);
        if (conn) {
            pool->stats.open++;
        } else {
            /* hand the empty slot back so the next take tries again */
            pool->stats.errors++;
            pool->stats.in_use--;
            pool->idle[pool->idle_count++] = NULL;
            pthread_cond_signal(&pool->available);
        }
        pthread_mutex_unlock(&pool->lock);
    }
    return conn;
}

void db_pool_release(db_pool *pool, PGconn *conn)
{
    if (!conn) return;
    /* a connection left inside a transaction (an error path) must not leak it to the next user */
    if (PQstatus(conn) == CONNECTION_OK && PQtransactionStatus(conn) != PQTRANS_IDLE) {
        PGresult *res = PQexec(conn, "ROLLBACK");
        PQclear(res);
    }
    pthread_mutex_lock(&pool->lock);
    pool->idle[pool->idle_count++] = conn;
    pool->stats.in_use--;
    pthread_cond_signal(&pool->available);
    pthread_mutex_unlock(&pool->lock);
}

void db_pool_get_stats(db_pool *pool, db_pool_stats *out)
{
    pthread_mutex_lock(&pool->lock);
    *out = pool->stats;
    pthread_mutex_unlock(&pool->lock);
}

const char *db_pool_dsn(const db_pool *pool)
{
    return pool->dsn;
}
