/* mailcast worker: the worker loop alone, for scaling out on more machines. */
#include <stdio.h>

#include "app/app.h"
#include "audience/jobs.h"
#include "auth/jobs.h"
#include "automation/jobs.h"
#include "automation/webhook_sender.h"
#include "campaign/jobs.h"
#include "cli/cli.h"
#include "cli/options.h"
#include "cli/signals.h"
#include "core/log.h"
#include "sender/worker.h"
#include "track/jobs.h"
#include "track/tracker.h"

void cli_worker_jobs(app_jobs *jobs, const config_t *cfg)
{
    auth_register_jobs(jobs);
    audience_register_jobs(jobs);
    /* before the campaigns: a campaign started in a round finds that round's bounces applied */
    track_register_jobs(jobs, cfg);
    campaign_register_jobs(jobs);
    automation_register_jobs(jobs, cfg);
}

int cli_worker(int argc, char **argv)
{
    const char *config_path = NULL;
    const cli_option options[] = {CLI_OPTION_CONFIG(&config_path), CLI_OPTIONS_END};
    const cli_spec spec = {"mailcast worker [--config FILE]",
                           "Runs the worker loop without the HTTP server. Start as many as you "
                           "like, on any machine that reaches the database.",
                           options, 0, 0};
    int count;
    int rc = cli_parse(&spec, argc, argv, NULL, &count);
    if (rc) return rc == 1 ? 0 : rc;
    sigset_t signals;
    cli_block_shutdown_signals(&signals);
    app_t app;
    mc_error err;
    if (app_open(&app, config_path, APP_MIGRATE, &err) < 0) return app_report_error(&err);
    mail_setup_warn(&app.config);
    /* the links of the mail it sends; opens and clicks reach `mailcast serve` */
    app.tracker = tracker_new(&app);
    worker_t worker = {0};
    cli_worker_jobs(&worker.jobs, &app.config);
    if (worker_start(&worker, &app, &err) < 0) {
        tracker_free(app.tracker);
        app_close(&app);
        return app_report_error(&err);
    }
    webhook_sender *hooks = webhook_sender_start(&app, "mailcast/" MAILCAST_VERSION, &err);
    if (!hooks) log_warn("%s", err.message);
    log_info("worker running");
    int sig = cli_wait_for_shutdown(&signals);
    log_info("received signal %d; stopping the worker", sig);
    webhook_sender_stop(hooks);
    worker_stop(&worker);
    tracker_free(app.tracker);
    app_close(&app);
    return 0;
}
