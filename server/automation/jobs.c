/* automation's jobs in the worker loop. */
#include "automation/jobs.h"

#include "automation/webhook_fanout.h"

/* a pass reads at most this many rows of each source; a longer backlog goes on at once */
#define FANOUT_BATCH 2000

static int webhook_fanout(app_t *app, PGconn *conn, const bool *stop, long long *wake_ms,
                          mc_error *err)
{
    (void)app;
    (void)stop;
    bool more;
    if (webhook_fanout_run(conn, FANOUT_BATCH, &more, err) < 0) return -1;
    if (more) *wake_ms = 0;
    return 0;
}

void automation_register_jobs(app_jobs *jobs, const config_t *cfg)
{
    (void)cfg;
    /* every round: what happened reaches the webhooks within about a second */
    app_jobs_add(jobs, "webhook fan-out", 0, 0, webhook_fanout);
}
