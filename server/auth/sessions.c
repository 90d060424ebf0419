/* Session rows keyed by the SHA-256 of the cookie value. */
#include "auth/sessions.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/secret.h"
#include "db/query.h"

int session_create(PGconn *conn, long long user_id, unsigned hours, const char *remote_addr,
                   char token[SESSION_TOKEN_MAX], char csrf[SESSION_TOKEN_MAX], mc_error *err)
{
    secret_random_token("", 32, token, SESSION_TOKEN_MAX);
    secret_random_token("", 24, csrf, SESSION_TOKEN_MAX);
    char key[SECRET_KEY_TEXT], user[32], ttl[32];
    secret_token_key(token, key);
    snprintf(user, sizeof user, "%lld", user_id);
    snprintf(ttl, sizeof ttl, "%u hours", hours);
    const char *params[] = {key, csrf, user, ttl, remote_addr};
    /* expired sessions are pruned here too, so the table stays small without a worker */
    mc_error ignored;
    session_prune(conn, &ignored);
    return db_exec(conn,
                   "INSERT INTO sessions (token_hash, csrf_token, user_id, expires_at, remote_addr)"
                   " VALUES ($1::bytea, $2, $3, now() + $4::interval, $5)",
                   5, params, err);
}

int session_lookup(PGconn *conn, const char *token, long long *user_id, mc_role *role,
                   char csrf[SESSION_TOKEN_MAX], mc_error *err)
{
    char key[SECRET_KEY_TEXT];
    secret_token_key(token, key);
    const char *params[] = {key};
    PGresult *res = db_query(conn,
                             "SELECT s.user_id, s.csrf_token, u.role FROM sessions s"
                             " JOIN users u ON u.id = s.user_id"
                             " WHERE s.token_hash = $1::bytea AND s.expires_at > now()",
                             1, params, err);
    if (!res) return -1;
    int found = PQntuples(res) == 1;
    if (found) {
        *user_id = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
        snprintf(csrf, SESSION_TOKEN_MAX, "%s", PQgetvalue(res, 0, 1));
        /* the user's role as it is now: a change of role applies to open sessions at once */
        if (role_parse(PQgetvalue(res, 0, 2), "role", role, err) < 0) *role = ROLE_VIEWER;
    }
    PQclear(res);
    return found ? 0 : 1;
}

int session_delete(PGconn *conn, const char *token, mc_error *err)
{
    char key[SECRET_KEY_TEXT];
    secret_token_key(token, key);
    const char *params[] = {key};
    return db_exec(conn, "DELETE FROM sessions WHERE token_hash = $1::bytea", 1, params, err);
}

int session_prune(PGconn *conn, mc_error *err)
{
    return db_exec(conn, "DELETE FROM sessions WHERE expires_at < now()", 0, NULL, err);
}
