/* Users: the people who log in to the dashboard and the API, each with a role. */
#ifndef MC_AUTH_USERS_H
#define MC_AUTH_USERS_H

#include <jansson.h>
#include <libpq-fe.h>
#include <stdbool.h>

#include "auth/roles.h"
#include "core/error.h"

/* Creates a user with role. returns 0 with *id, or -1 with err (400 bad email or password,
 * 409 when the address exists). */
int user_create(PGconn *conn, const char *email, const char *password, mc_role role, long long *id,
                mc_error *err);
/* returns the number of users, or -1 with err set */
long long user_count(PGconn *conn, mc_error *err);
/* Checks an email and password. returns 0 with *id when they match, 1 when they do not,
 * -1 with err on a database error. Takes as long for an unknown address as for a known one. */
int user_check_password(PGconn *conn, const char *email, const char *password, long long *id,
                        mc_error *err);
/* returns the user as {"id", "email", "role", "created_at", "last_login_at", "language"} (caller
 * frees with json_decref()), or NULL with err (404 when there is none) */
json_t *user_get(PGconn *conn, long long id, mc_error *err);
/* Lists users with id > after, at most limit, oldest first. returns {"items", "next_cursor"}
 * plus "total" when with_total (caller frees with json_decref()), or NULL with err. */
json_t *user_list(PGconn *conn, long long after, int limit, bool with_total, mc_error *err);
/* Changes a user's role (when role is not NULL) and password (when not NULL; this ends the
 * user's sessions), together or not at all. returns 0, or -1 with err (400 bad password, 404,
 * 409 when it would demote the last admin). */
int user_update(PGconn *conn, long long id, const mc_role *role, const char *password,
                mc_error *err);
/* Deletes a user (their sessions go; what they made stays, without its maker). returns 0, or
 * -1 with err (404, 409 for the last admin). */
int user_delete(PGconn *conn, long long id, mc_error *err);
/* Sets the language the user chose for the dashboard (a catalog code the caller checked;
 * NULL: none, the browser's). returns 0, or -1 with err (404). */
int user_set_language(PGconn *conn, long long id, const char *language, mc_error *err);

#endif
