/* The embedded PostgreSQL cluster: when no database URL is configured, mailcast runs a
 * private cluster under <data_dir>/pg with Debian's server binaries, reachable only through
 * a unix socket inside that folder. Several mailcast processes may share it: the first one
 * starts it, the last one to leave stops it. */
#ifndef MC_DB_EMBEDDED_H
#define MC_DB_EMBEDDED_H

#include "core/error.h"

typedef struct {
    char *dsn;    /* libpq connection string for the mailcast database */
    char *pg_dir; /* <data_dir>/pg, or where it points */
    int users_fd; /* shared lock held while this process uses the cluster */
    int start_fd; /* lock serializing start and stop */
} db_embedded;

/* Starts the cluster under data_dir (initdb on first use) or joins a running one.
 * returns 0 and fills *out (release with db_embedded_release()), or -1 with err set. */
int db_embedded_acquire(const char *data_dir, db_embedded *out, mc_error *err);
/* Leaves the cluster; stops it when no other mailcast process uses it. Frees *pg. */
void db_embedded_release(db_embedded *pg);

#endif
