/* automation's jobs in the worker loop. (The webhook fan-out runs on a thread of its own,
 * automation/webhook_sender.h, so that reading a long backlog never holds the loop.) */
#include "automation/jobs.h"

#include "automation/webhooks.h"

/* the log is pruned in batches, so that no statement holds many rows locked */
#define PRUNE_BATCH 5000

static int webhook_log_retention(app_t *app, PGconn *conn, const bool *stop, long long *wake_ms,
                                 mc_error *err)
{
    (void)wake_ms;
    long long n;
    do
        n = webhook_log_prune(conn, app->config.webhooks_log_days, PRUNE_BATCH, err);
    while (n == PRUNE_BATCH && !__atomic_load_n(stop, __ATOMIC_RELAXED));
    return n < 0 ? -1 : 0;
}

void automation_register_jobs(app_jobs *jobs, const config_t *cfg)
{
    (void)cfg;
    app_jobs_add(jobs, "webhook log retention", 60, 0, webhook_log_retention);
}
