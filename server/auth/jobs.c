/* The pruning job of auth's tables (sessions, login_failures), registered with the worker. */
#include "auth/jobs.h"

#include "auth/sessions.h"
#include "auth/throttle.h"

#define PRUNE_SECONDS 60

static int prune(app_t *app, PGconn *conn, const bool *stop, long long *wake_ms, mc_error *err)
{
    if (session_prune(conn, err) < 0) return -1;
    return login_throttle_prune(conn, err);
}

void auth_register_jobs(app_jobs *jobs)
{
    app_jobs_add(jobs, "sessions", PRUNE_SECONDS, 0, prune);
}
