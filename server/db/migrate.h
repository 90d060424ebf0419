/* Schema migrations: numbered SQL files (0001_init.sql, ...) applied in order, each in its
 * own transaction, recorded in schema_migrations, under an advisory lock so that processes
 * starting together never apply one twice. */
#ifndef MC_DB_MIGRATE_H
#define MC_DB_MIGRATE_H

#include <libpq-fe.h>

#include "core/error.h"

/* Applies every migration in dir not yet recorded. *applied (when not NULL) gets how many
 * this call applied. returns 0, or -1 with err naming the file, line and PostgreSQL's message;
 * a failed migration leaves the schema as it was before that file. */
int db_migrate(PGconn *conn, const char *dir, int *applied, mc_error *err);

#endif
