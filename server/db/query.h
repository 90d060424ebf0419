/* Running SQL with bound parameters and turning PostgreSQL errors into mc_error.
 * SQL text is always a constant; values travel only as parameters. */
#ifndef MC_DB_QUERY_H
#define MC_DB_QUERY_H

#include <libpq-fe.h>
#include <stdbool.h>

#include "core/error.h"

/* Runs sql with nparams text parameters (NULL entries are SQL NULL).
 * returns the result (caller frees with PQclear()) when it succeeded, or NULL with err set:
 * a unique violation is 409 "conflict", a check or foreign-key violation 400 "invalid_field",
 * anything else 500 "db_error" (details logged, not shown). */
PGresult *db_query(PGconn *conn, const char *sql, int nparams, const char *const *params,
                   mc_error *err);
/* Like db_query for statements whose rows are not needed. returns 0 or -1 with err set. */
int db_exec(PGconn *conn, const char *sql, int nparams, const char *const *params, mc_error *err);
/* Sends sql with params (copied) and returns without waiting for its answer; one statement
 * at a time on conn, collected with db_wait(). returns 0 or -1 with err. */
int db_send(PGconn *conn, const char *sql, int nparams, const char *const *params, mc_error *err);
/* Prepares sql as statement name on conn unless conn has it already (a pooled connection
 * keeps its prepared statements). returns 0 or -1 with err. */
int db_prepare_once(PGconn *conn, const char *name, const char *sql, int nparams, mc_error *err);
/* As db_query(), for statement name prepared from sql with db_prepare_once() (outside a
 * transaction: describing a statement the connection lacks is an error that would abort it).
 * For statements whose planning costs a noticeable part of their run. returns the result
 * (caller frees with PQclear()) or NULL with err. */
PGresult *db_query_prepared(PGconn *conn, const char *name, const char *sql, int nparams,
                            const char *const *params, mc_error *err);
/* As db_send(), for statement name prepared from sql (named in errors). */
int db_send_prepared(PGconn *conn, const char *name, const char *sql, int nparams,
                     const char *const *params, mc_error *err);
/* returns whether the statement sent last is still running; reads what has arrived, never
 * waits (a broken connection is not busy: db_wait() then says what failed) */
bool db_busy(PGconn *conn);
/* Waits for the answer of the statement sent last with db_send(sql, ...). returns 0 or -1
 * with err. */
int db_wait(PGconn *conn, const char *sql, mc_error *err);
int db_begin(PGconn *conn, mc_error *err);
/* Starts a transaction with JIT compilation off, for statements the planner prices high (for
 * plans they never run, or rows an index skips) that run in milliseconds: compiling them would
 * take longer than running them. returns 0, or -1 with err and no transaction open. */
int db_begin_without_jit(PGconn *conn, mc_error *err);
int db_commit(PGconn *conn, mc_error *err);
/* Rolls back the open transaction, if any; errors are logged, not returned. */
void db_rollback(PGconn *conn);
/* true when err came from a unique violation (the value already exists) */
bool db_result_is_unique_violation(const mc_error *err);

#endif
