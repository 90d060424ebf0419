/* The scheduler job of campaigns, registered with the worker. */
#include "campaign/jobs.h"

#include "campaign/campaigns.h"

static int start_due(app_t *app, PGconn *conn, const bool *stop, long long *wake_ms, mc_error *err)
{
    campaign_env env = {app->config.templates_dir, app->secret, &app->mail.relays};
    int started = campaign_start_due(conn, &env, err);
    if (started < 0) return -1;
    if (started > 0) {
        *wake_ms = 0; /* it starts a few at a time: more may be due */
        return 0;
    }
    return campaign_next_due_ms(conn, wake_ms, err);
}

void campaign_register_jobs(app_jobs *jobs)
{
    app_jobs_add(jobs, "scheduled campaigns", 0, 0, start_due);
}
