/* Login throttling: after too many failures within a minute for one account or one client
 * address, further tries are refused with 429 until the minute has passed. Kept in PostgreSQL
 * so that it holds across every mailcast process. */
#ifndef MC_AUTH_THROTTLE_H
#define MC_AUTH_THROTTLE_H

#include <libpq-fe.h>

#include "core/error.h"

/* returns 0 when a login for email from remote_addr may be tried, or -1 with err (429 with
 * the seconds to wait in the message, or a database error). */
int login_throttle_check(PGconn *conn, const char *email, const char *remote_addr,
                         unsigned max_per_minute, mc_error *err);
/* Records a failed login for the account and the address. */
void login_throttle_record_failure(PGconn *conn, const char *email, const char *remote_addr);
/* Forgets the failures of an account after a successful login. */
void login_throttle_clear(PGconn *conn, const char *email);
/* Forgets failures older than an hour. returns 0 or -1 with err set. */
int login_throttle_prune(PGconn *conn, mc_error *err);

#endif
