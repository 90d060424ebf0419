/* The jobs of audience/, registered with the worker: imports (audience/import.c) and the
 * pruning of public form attempts (audience/public_flows.c). */
#include "audience/jobs.h"

#include "audience/import.h"
#include "audience/public_flows.h"

#define PRUNE_SECONDS 60

static int prune_public_forms(app_t *app, PGconn *conn, const bool *stop, long long *wake_ms,
                              mc_error *err)
{
    return public_flows_prune(conn, err);
}

/* Runs queued imports one after the other; each holds its own connection for long. */
static int run_imports(app_t *app, PGconn *conn, const bool *stop, long long *wake_ms,
                       mc_error *err)
{
    int rc = 0;
    while (!__atomic_load_n(stop, __ATOMIC_RELAXED) &&
           (rc = import_work_once(app->pool, app->secret, &app->metrics, stop, err)) == 1) {
    }
    return rc < 0 ? -1 : 0;
}

void audience_register_jobs(app_jobs *jobs)
{
    app_jobs_add(jobs, "public forms", PRUNE_SECONDS, 0, prune_public_forms);
    app_jobs_add(jobs, "imports", 0, APP_JOB_OWN_CONNECTION, run_imports);
}
