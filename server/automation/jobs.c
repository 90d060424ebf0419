/* automation's jobs in the worker loop. */
#include "automation/jobs.h"

#include "automation/webhook_fanout.h"
#include "automation/webhooks.h"

/* a pass reads at most this many rows of each source; a longer backlog goes on at once */
#define FANOUT_BATCH 2000
#define PRUNE_BATCH  5000

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

static int webhook_log_retention(app_t *app, PGconn *conn, const bool *stop, long long *wake_ms,
                                 mc_error *err)
{
    (void)wake_ms;
    long long n;
    /* in batches, so that no statement holds many rows locked */
    do
        n = webhook_log_prune(conn, app->config.webhooks_log_days, PRUNE_BATCH, err);
    while (n == PRUNE_BATCH && !__atomic_load_n(stop, __ATOMIC_RELAXED));
    return n < 0 ? -1 : 0;
}

void automation_register_jobs(app_jobs *jobs, const config_t *cfg)
{
    (void)cfg;
    /* every round: what happened reaches the webhooks within about a second */
    app_jobs_add(jobs, "webhook fan-out", 0, 0, webhook_fanout);
    app_jobs_add(jobs, "webhook log retention", 60, 0, webhook_log_retention);
}
