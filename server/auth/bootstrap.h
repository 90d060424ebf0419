/* The first admin: on a database with no users, `mailcast serve` creates admin@localhost with
 * a random password, prints it once and keeps it in <data_dir>/initial-admin-password (mode
 * 0600) until the admin deletes that file. */
#ifndef MC_AUTH_BOOTSTRAP_H
#define MC_AUTH_BOOTSTRAP_H

#include <libpq-fe.h>
#include <stdbool.h>

#include "core/error.h"

#define BOOTSTRAP_ADMIN_EMAIL  "admin@localhost"
#define BOOTSTRAP_PASSWORD_MAX 64

/* Creates the first admin when there is no user. *created tells whether it did; password gets
 * the new password then. returns 0 or -1 with err set. */
int admin_bootstrap(PGconn *conn, const char *data_dir, bool *created,
                    char password[BOOTSTRAP_PASSWORD_MAX], mc_error *err);

#endif
