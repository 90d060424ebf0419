/* PQexecParams wrappers with one mapping from SQLSTATE to mc_error. */
#include "db/query.h"

#include <string.h>

#include "core/log.h"

static int error_from_result(PGconn *conn, PGresult *res, const char *sql, mc_error *err)
{
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    const char *primary = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    const char *constraint = res ? PQresultErrorField(res, PG_DIAG_CONSTRAINT_NAME) : NULL;
    if (!primary) primary = PQerrorMessage(conn);
    if (state && !strcmp(state, "23505"))
        return mc_error_set(err, 409, "conflict", constraint ? constraint : "",
                            "that value is already taken");
    if (state && (!strcmp(state, "23514") || !strcmp(state, "23503") || !strcmp(state, "23502") ||
                  !strcmp(state, "22P02")))
        return mc_error_set(err, 400, "invalid_field", constraint ? constraint : "", "%s", primary);
    if (PQstatus(conn) != CONNECTION_OK) {
        log_error("database connection failed: %s", PQerrorMessage(conn));
        return mc_error_set(err, 503, "db_unavailable", "", "the database is not reachable");
    }
    int len = (int)strcspn(sql, "\n");
    log_error("database error %s: %s (in: %.*s)", state ? state : "?", primary, len, sql);
    return mc_error_set(err, 500, "db_error", "", "a database error occurred");
}

PGresult *db_query(PGconn *conn, const char *sql, int nparams, const char *const *params,
                   mc_error *err)
{
    PGresult *res = PQexecParams(conn, sql, nparams, NULL, params, NULL, NULL, 0);
    ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
    if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK) return res;
    error_from_result(conn, res, sql, err);
    PQclear(res);
    return NULL;
}

int db_exec(PGconn *conn, const char *sql, int nparams, const char *const *params, mc_error *err)
{
    PGresult *res = db_query(conn, sql, nparams, params, err);
    if (!res) return -1;
    PQclear(res);
    return 0;
}

int db_send(PGconn *conn, const char *sql, int nparams, const char *const *params, mc_error *err)
{
    if (PQsendQueryParams(conn, sql, nparams, NULL, params, NULL, NULL, 0)) return 0;
    return error_from_result(conn, NULL, sql, err);
}

int db_prepare_once(PGconn *conn, const char *name, const char *sql, int nparams, mc_error *err)
{
    PGresult *res = PQdescribePrepared(conn, name);
    bool known = res && PQresultStatus(res) == PGRES_COMMAND_OK;
    PQclear(res);
    if (known) return 0;
    res = PQprepare(conn, name, sql, nparams, NULL);
    int rc =
        res && PQresultStatus(res) == PGRES_COMMAND_OK ? 0 : error_from_result(conn, res, sql, err);
    PQclear(res);
    return rc;
}

int db_send_prepared(PGconn *conn, const char *name, const char *sql, int nparams,
                     const char *const *params, mc_error *err)
{
    if (PQsendQueryPrepared(conn, name, nparams, params, NULL, NULL, 0)) return 0;
    return error_from_result(conn, NULL, sql, err);
}

PGresult *db_query_prepared(PGconn *conn, const char *name, const char *sql, int nparams,
                            const char *const *params, mc_error *err)
{
    PGresult *res = PQexecPrepared(conn, name, nparams, params, NULL, NULL, 0);
    ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
    if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK) return res;
    error_from_result(conn, res, sql, err);
    PQclear(res);
    return NULL;
}

bool db_busy(PGconn *conn)
{
    return PQconsumeInput(conn) && PQisBusy(conn);
}

int db_wait(PGconn *conn, const char *sql, mc_error *err)
{
    int rc = 0;
    PGresult *res;
    while ((res = PQgetResult(conn)) != NULL) {
        ExecStatusType st = PQresultStatus(res);
        if (rc == 0 && st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
            rc = error_from_result(conn, res, sql, err);
        PQclear(res);
    }
    return rc;
}

int db_begin(PGconn *conn, mc_error *err)
{
    return db_exec(conn, "BEGIN", 0, NULL, err);
}

int db_begin_without_jit(PGconn *conn, mc_error *err)
{
    if (db_begin(conn, err) < 0) return -1;
    if (db_exec(conn, "SET LOCAL jit = off", 0, NULL, err) == 0) return 0;
    db_rollback(conn);
    return -1;
}

int db_commit(PGconn *conn, mc_error *err)
{
    return db_exec(conn, "COMMIT", 0, NULL, err);
}

void db_rollback(PGconn *conn)
{
    if (PQtransactionStatus(conn) == PQTRANS_IDLE) return;
    PGresult *res = PQexec(conn, "ROLLBACK");
    if (PQresultStatus(res) != PGRES_COMMAND_OK)
        log_warn("rollback failed: %s", PQerrorMessage(conn));
    PQclear(res);
}

bool db_result_is_unique_violation(const mc_error *err)
{
    return err->status == 409 && !strcmp(err->code, "conflict");
}
