/* The retention pass of the messages ledger, run by the worker every minute. */
#include "queue/jobs.h"

#include "core/log.h"

/* Sending waits while messages are deleted: a backlog (retention just turned on) goes over
 * many minutes rather than holding up the queue. */
#define RETENTION_BUDGET_MS 3000

int queue_retention_run(app_t *app, PGconn *conn, const bool *stop, retention_emptied_fn emptied,
                        mc_error *err)
{
    unsigned days = app->config.queue_retention_days;
    if (days == 0) return 0;
    retention_counts counts = {0};
    int rc = retention_prune(conn, days, RETENTION_BUDGET_MS, stop, emptied, &counts, err);
    if (counts.campaign_messages || counts.other_messages)
        log_info("worker: retention deleted %lld messages of campaigns that ended more than %u "
                 "days ago and %lld other messages%s",
                 counts.campaign_messages, days, counts.other_messages,
                 rc == 1 ? "; more next time" : "");
    return rc < 0 ? -1 : 0;
}
