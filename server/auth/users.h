/* Admin users: the people who log in to the dashboard and the API. */
#ifndef MC_AUTH_USERS_H
#define MC_AUTH_USERS_H

#include <jansson.h>
#include <libpq-fe.h>

#include "core/error.h"

/* Creates a user. returns 0 with *id, or -1 with err (400 bad email or password,
 * 409 when the address exists). */
int user_create(PGconn *conn, const char *email, const char *password, long long *id,
                mc_error *err);
/* returns the number of users, or -1 with err set */
long long user_count(PGconn *conn, mc_error *err);
/* Checks an email and password. returns 0 with *id when they match, 1 when they do not,
 * -1 with err on a database error. Takes as long for an unknown address as for a known one. */
int user_check_password(PGconn *conn, const char *email, const char *password, long long *id,
                        mc_error *err);
/* returns the user as {"id", "email", "created_at", "last_login_at"} (caller frees with
 * json_decref()), or NULL with err (404 when there is none) */
json_t *user_get(PGconn *conn, long long id, mc_error *err);

#endif
