/* Browser sessions: a random token in an HttpOnly cookie, and a CSRF token the dashboard
 * echoes in X-CSRF-Token on every state-changing request. */
#ifndef MC_AUTH_SESSIONS_H
#define MC_AUTH_SESSIONS_H

#include <libpq-fe.h>

#include "auth/roles.h"
#include "core/error.h"

#define SESSION_TOKEN_MAX 64
#define SESSION_COOKIE    "mailcast_session"

/* Creates a session for user_id lasting hours. Fills token and csrf (SESSION_TOKEN_MAX bytes
 * each). returns 0 or -1 with err set. */
int session_create(PGconn *conn, long long user_id, unsigned hours, const char *remote_addr,
                   char token[SESSION_TOKEN_MAX], char csrf[SESSION_TOKEN_MAX], mc_error *err);
/* Finds a live session. returns 0 with *user_id, the user's current *role and csrf filled, 1
 * when there is none (or it expired), -1 with err on a database error. */
int session_lookup(PGconn *conn, const char *token, long long *user_id, mc_role *role,
                   char csrf[SESSION_TOKEN_MAX], mc_error *err);
/* Ends the session with this token. returns 0 or -1 with err set. */
int session_delete(PGconn *conn, const char *token, mc_error *err);
/* Deletes the sessions that expired. returns 0 or -1 with err set. */
int session_prune(PGconn *conn, mc_error *err);

#endif
