/* The scheduler job of campaigns, registered with the worker. */
#include "campaign/jobs.h"

#include "campaign/campaigns.h"

static int start_due(app_t *app, PGconn *conn, const bool *stop, mc_error *err)
{
    campaign_env env = {app->config.templates_dir, app->secret, &app->mail.relays};
    return campaign_start_due(conn, &env, err) < 0 ? -1 : 0;
}

void campaign_register_jobs(app_jobs *jobs)
{
    app_jobs_add(jobs, "scheduled campaigns", 0, 0, start_due);
}
