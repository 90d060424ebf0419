/* The retention job of the messages ledger, registered with the worker. */
#include "queue/jobs.h"

#include "core/log.h"
#include "queue/retention.h"

#define RETENTION_SECONDS 60
/* Sending waits while messages are deleted: a backlog (retention just turned on) goes over
 * many minutes rather than holding up the queue. */
#define RETENTION_BUDGET_MS 3000

static int prune_messages(app_t *app, PGconn *conn, const bool *stop, long long *wake_ms,
                          mc_error *err)
{
    unsigned days = app->config.queue_retention_days;
    if (days == 0) return 0;
    retention_counts counts = {0};
    int rc = retention_prune(conn, days, RETENTION_BUDGET_MS, stop, &counts, err);
    if (counts.campaign_messages || counts.other_messages)
        log_info("worker: retention deleted %lld messages of campaigns that ended more than %u "
                 "days ago and %lld other messages%s",
                 counts.campaign_messages, days, counts.other_messages,
                 rc == 1 ? "; more next time" : "");
    return rc < 0 ? -1 : 0;
}

void queue_register_jobs(app_jobs *jobs)
{
    app_jobs_add(jobs, "retention", RETENTION_SECONDS, 0, prune_messages);
}
