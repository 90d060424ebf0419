/* User rows and password checks. */
#include "auth/users.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/password.h"
#include "core/str.h"
#include "core/utf8.h"
#include "db/json_rows.h"
#include "db/query.h"

/* A hash of a password nobody has: verifying against it makes a login for an unknown address
 * cost as much as one for a known address, so timing does not reveal which exist. */
static const char DECOY_HASH[] = "$argon2id$v=19$m=65536,t=2,p=1$"
                                 "c29tZXNhbHRzb21lc2FsdA$"
                                 "1J6uZ7fdR5qU3y1mZC5vJ0aPp0eSXwZ6LQmC8ZQm0Hk";

static int check_email(const char *email, mc_error *err)
{
    size_t n = strlen(email);
    const char *at = strrchr(email, '@');
    if (n < 3 || n > 254 || !at || at == email || !at[1] || !utf8_valid(email, n, NULL) ||
        strpbrk(email, " \t\r\n<>,;\""))
        return mc_error_set(err, 400, "invalid_field", "email", "'%s' is not a valid email address",
                            email);
    return 0;
}

/* a user as the API shows it, as JSON text */
#define USER_JSON                                                                                  \
    "json_build_object('id', id, 'email', email, 'role', role, 'created_at',"                      \
    " mc_rfc3339(created_at), 'last_login_at', mc_rfc3339(last_login_at), 'language',"             \
    " language)::text"

int user_create(PGconn *conn, const char *email, const char *password, mc_role role, long long *id,
                mc_error *err)
{
    str_t trimmed = str_trim(str_from_cstr(email));
    char clean[256];
    if (trimmed.n >= sizeof clean)
        return mc_error_set(err, 400, "invalid_field", "email", "the email address is too long");
    memcpy(clean, trimmed.p, trimmed.n);
    clean[trimmed.n] = '\0';
    if (check_email(clean, err) < 0) return -1;
    char hash[PASSWORD_HASH_MAX];
    if (password_hash(password, hash, err) < 0) return -1;
    const char *params[] = {clean, hash, role_name(role)};
    PGresult *res = db_query(
        conn, "INSERT INTO users (email, password_hash, role) VALUES ($1, $2, $3) RETURNING id", 3,
        params, err);
    if (!res) {
        if (db_result_is_unique_violation(err))
            mc_error_set(err, 409, "conflict", "email", "a user with the address %s exists", clean);
        return -1;
    }
    *id = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
    PQclear(res);
    return 0;
}

long long user_count(PGconn *conn, mc_error *err)
{
    PGresult *res = db_query(conn, "SELECT count(*) FROM users", 0, NULL, err);
    if (!res) return -1;
    long long n = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
    PQclear(res);
    return n;
}

int user_check_password(PGconn *conn, const char *email, const char *password, long long *id,
                        mc_error *err)
{
    const char *params[] = {email};
    PGresult *res = db_query(conn,
                             "SELECT id, password_hash FROM users WHERE lower(email) = "
                             "lower(btrim($1))",
                             1, params, err);
    if (!res) return -1;
    bool found = PQntuples(res) == 1;
    bool match = password_verify(found ? PQgetvalue(res, 0, 1) : DECOY_HASH, password);
    if (found && match) {
        *id = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
        char id_text[32];
        snprintf(id_text, sizeof id_text, "%lld", *id);
        const char *p[] = {id_text};
        mc_error ignored;
        db_exec(conn, "UPDATE users SET last_login_at = now() WHERE id = $1", 1, p, &ignored);
    }
    PQclear(res);
    return found && match ? 0 : 1;
}

json_t *user_get(PGconn *conn, long long id, mc_error *err)
{
    char id_text[32];
    snprintf(id_text, sizeof id_text, "%lld", id);
    const char *params[] = {id_text};
    PGresult *res = db_query(conn, "SELECT " USER_JSON " FROM users WHERE id = $1", 1, params, err);
    return res ? db_json_one(res, "user", id, err) : NULL;
}

json_t *user_list(PGconn *conn, long long after, int limit, bool with_total, mc_error *err)
{
    return db_keyset_page(conn,
                          "SELECT id, " USER_JSON " FROM users WHERE id > $1 ORDER BY id LIMIT $2",
                          "SELECT count(*) FROM users", 0, NULL, after, limit, with_total, err);
}

/* Inside a transaction: locks the admins' rows, so that two admins demoting or deleting each
 * other at once cannot leave nobody, and refuses (409) when id is the only admin left. */
static int keep_an_admin(PGconn *conn, const char *id_text, const char *action, const char *field,
                         mc_error *err)
{
    PGresult *res = db_query(
        conn, "SELECT id FROM users WHERE role = 'admin' ORDER BY id FOR UPDATE", 0, NULL, err);
    if (!res) return -1;
    bool last = PQntuples(res) == 1 && !strcmp(PQgetvalue(res, 0, 0), id_text);
    PQclear(res);
    if (last)
        return mc_error_set(err, 409, "conflict", field,
                            "the last admin cannot be %s; make another user admin first", action);
    return 0;
}

int user_update(PGconn *conn, long long id, const mc_role *role, const char *password,
                mc_error *err)
{
    char hash[PASSWORD_HASH_MAX], id_text[32];
    if (password && password_hash(password, hash, err) < 0) return -1;
    snprintf(id_text, sizeof id_text, "%lld", id);
    if (db_begin(conn, err) < 0) return -1;
    if (role && *role != ROLE_ADMIN && keep_an_admin(conn, id_text, "demoted", "role", err) < 0) {
        db_rollback(conn);
        return -1;
    }
    const char *params[] = {id_text, role ? role_name(*role) : NULL, password ? hash : NULL};
    PGresult *res = db_query(conn,
                             "UPDATE users SET role = coalesce($2, role),"
                             " password_hash = coalesce($3, password_hash)"
                             " WHERE id = $1 RETURNING id",
                             3, params, err);
    if (!res) {
        db_rollback(conn);
        return -1;
    }
    int updated = PQntuples(res);
    PQclear(res);
    if (!updated) {
        db_rollback(conn);
        return mc_error_set(err, 404, "not_found", "id", "no user has the id %lld", id);
    }
    /* a new password ends the sessions opened with the old one */
    if ((password &&
         db_exec(conn, "DELETE FROM sessions WHERE user_id = $1", 1, params, err) < 0) ||
        db_commit(conn, err) < 0) {
        db_rollback(conn);
        return -1;
    }
    return 0;
}

int user_delete(PGconn *conn, long long id, mc_error *err)
{
    char id_text[32];
    snprintf(id_text, sizeof id_text, "%lld", id);
    if (db_begin(conn, err) < 0) return -1;
    if (keep_an_admin(conn, id_text, "deleted", "id", err) < 0 ||
        db_delete_by_id(conn, "DELETE FROM users WHERE id = $1 RETURNING id", "user", id, err) <
            0 ||
        db_commit(conn, err) < 0) {
        db_rollback(conn);
        return -1;
    }
    return 0;
}

int user_set_language(PGconn *conn, long long id, const char *language, mc_error *err)
{
    char id_text[32];
    snprintf(id_text, sizeof id_text, "%lld", id);
    const char *params[] = {id_text, language};
    PGresult *res =
        db_query(conn, "UPDATE users SET language = $2 WHERE id = $1 RETURNING id", 2, params, err);
    if (!res) return -1;
    int updated = PQntuples(res);
    PQclear(res);
    if (!updated) return mc_error_set(err, 404, "not_found", "id", "no user has the id %lld", id);
    return 0;
}
