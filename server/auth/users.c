/* User rows and password checks. */
#include "auth/users.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/password.h"
#include "core/str.h"
#include "core/utf8.h"
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

int user_create(PGconn *conn, const char *email, const char *password, long long *id, mc_error *err)
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
    const char *params[] = {clean, hash};
    PGresult *res =
        db_query(conn, "INSERT INTO users (email, password_hash) VALUES ($1, $2) RETURNING id", 2,
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
    PGresult *res = db_query(conn,
                             "SELECT id, email, mc_rfc3339(created_at), mc_rfc3339(last_login_at) "
                             "FROM users WHERE id = $1",
                             1, params, err);
    if (!res) return NULL;
    if (PQntuples(res) != 1) {
        PQclear(res);
        mc_error_set(err, 404, "not_found", "id", "no user has the id %lld", id);
        return NULL;
    }
    json_t *user = json_pack("{s:I, s:s, s:s}", "id", (json_int_t)id, "email",
                             PQgetvalue(res, 0, 1), "created_at", PQgetvalue(res, 0, 2));
    json_object_set_new(user, "last_login_at",
                        PQgetisnull(res, 0, 3) ? json_null() : json_string(PQgetvalue(res, 0, 3)));
    PQclear(res);
    return user;
}
