/* Token rows. A token's prefix (its first characters) is kept to tell tokens apart in lists. */
#include "auth/tokens.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/secret.h"
#include "core/str.h"
#include "core/utf8.h"
#include "db/json_rows.h"
#include "db/query.h"

#define TOKEN_PREFIX_CHARS 7

/* a token as the API shows it, as JSON text */
#define TOKEN_JSON                                                                                 \
    "json_build_object('id', id, 'name', name, 'prefix', prefix, 'role', role, 'created_at',"      \
    " mc_rfc3339(created_at), 'last_used_at', mc_rfc3339(last_used_at))::text"

json_t *token_create(PGconn *conn, const char *name, mc_role role, long long created_by,
                     mc_error *err)
{
    str_t trimmed = str_trim(str_from_cstr(name));
    if (trimmed.n == 0 || utf8_count(trimmed.p, trimmed.n) > 200) {
        mc_error_set(err, 400, "invalid_field", "name",
                     "a token needs a name of 1 to 200 characters");
        return NULL;
    }
    char token[TOKEN_MAX], key[SECRET_KEY_TEXT], prefix[16], by[32];
    secret_random_token("mc_", 32, token, sizeof token);
    secret_token_key(token, key);
    snprintf(prefix, sizeof prefix, "%.*s", TOKEN_PREFIX_CHARS, token);
    snprintf(by, sizeof by, "%lld", created_by);
    char *clean = strndup(trimmed.p, trimmed.n);
    const char *params[] = {clean, key, prefix, created_by > 0 ? by : NULL, role_name(role)};
    PGresult *res = db_query(conn,
                             "INSERT INTO api_tokens (name, token_hash, prefix, created_by, role) "
                             "VALUES ($1, $2::bytea, $3, $4, $5) RETURNING " TOKEN_JSON,
                             5, params, err);
    free(clean);
    if (!res) return NULL;
    json_t *t = json_loads(PQgetvalue(res, 0, 0), 0, NULL);
    PQclear(res);
    json_object_set_new(t, "token", json_string(token));
    return t;
}

int token_lookup(PGconn *conn, const char *token, long long *token_id, mc_role *role,
                 long long *created_by, mc_error *err)
{
    char key[SECRET_KEY_TEXT];
    secret_token_key(token, key);
    const char *params[] = {key};
    /* last_used_at is updated at most once a minute to keep lookups cheap */
    PGresult *res = db_query(conn,
                             "WITH t AS (SELECT id, role, created_by FROM api_tokens"
                             " WHERE token_hash = $1::bytea AND revoked_at IS NULL),"
                             " touched AS (UPDATE api_tokens SET last_used_at = now()"
                             " WHERE id = (SELECT id FROM t) AND (last_used_at IS NULL OR"
                             " last_used_at < now() - interval '1 minute'))"
                             " SELECT t.id, t.role, t.created_by, u.role FROM t"
                             " LEFT JOIN users u ON u.id = t.created_by",
                             1, params, err);
    if (!res) return -1;
    int found = PQntuples(res) == 1;
    if (found) {
        *token_id = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
        *created_by = PQgetisnull(res, 0, 2) ? 0 : strtoll(PQgetvalue(res, 0, 2), NULL, 10);
        mc_role own = ROLE_VIEWER, creator = ROLE_ADMIN;
        mc_error ignored; /* the CHECK constraints keep both names valid */
        role_parse(PQgetvalue(res, 0, 1), "role", &own, &ignored);
        /* a token never does more than the user who made it can do today, so demoting a
         * user demotes the tokens they made */
        if (!PQgetisnull(res, 0, 3)) role_parse(PQgetvalue(res, 0, 3), "role", &creator, &ignored);
        *role = own < creator ? own : creator;
    }
    PQclear(res);
    return found ? 0 : 1;
}

json_t *token_list(PGconn *conn, long long owner, long long after, int limit, bool with_total,
                   mc_error *err)
{
    char owner_text[32];
    snprintf(owner_text, sizeof owner_text, "%lld", owner);
    const char *params[] = {owner_text};
    return db_keyset_page(conn,
                          "SELECT id, " TOKEN_JSON " FROM api_tokens"
                          " WHERE revoked_at IS NULL AND ($3::bigint < 0 OR created_by = $3)"
                          " AND id > $1 ORDER BY id LIMIT $2",
                          "SELECT count(*) FROM api_tokens WHERE revoked_at IS NULL"
                          " AND ($1::bigint < 0 OR created_by = $1)",
                          1, params, after, limit, with_total, err);
}

int token_revoke(PGconn *conn, long long owner, long long id, mc_error *err)
{
    char id_text[32], owner_text[32];
    snprintf(id_text, sizeof id_text, "%lld", id);
    snprintf(owner_text, sizeof owner_text, "%lld", owner);
    const char *params[] = {id_text, owner_text};
    PGresult *res = db_query(conn,
                             "UPDATE api_tokens SET revoked_at = now()"
                             " WHERE id = $1 AND revoked_at IS NULL"
                             " AND ($2::bigint < 0 OR created_by = $2) RETURNING id",
                             2, params, err);
    if (!res) return -1;
    int updated = PQntuples(res);
    PQclear(res);
    if (!updated) return mc_error_set(err, 404, "not_found", "id", "no token has the id %lld", id);
    return 0;
}
