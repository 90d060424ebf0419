/* mailcast serve: the HTTP server, plus the worker loop unless --no-worker. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api/api.h"
#include "app/app.h"
#include "auth/bootstrap.h"
#include "automation/webhook_sender.h"
#include "cli/cli.h"
#include "cli/options.h"
#include "cli/signals.h"
#include "core/log.h"
#include "http/server.h"
#include "sender/worker.h"
#include "track/tracker.h"

#define SHUTDOWN_GRACE_MS 10000
/* CSV imports are streamed to disk; this only stops a runaway client from filling it */
#define MAX_UPLOAD_BYTES ((size_t)4 << 30)

static int announce_admin(app_t *app, mc_error *err)
{
    PGconn *conn = db_pool_acquire(app->pool, 10000, err);
    if (!conn) return -1;
    bool created;
    char password[BOOTSTRAP_PASSWORD_MAX];
    int rc = admin_bootstrap(conn, app->config.data_dir, &created, password, err);
    db_pool_release(app->pool, conn);
    if (rc < 0) return -1;
    char path[4096];
    snprintf(path, sizeof path, "%s/initial-admin-password", app->config.data_dir);
    if (created)
        printf("Admin login: %s  password: %s\n(also saved in %s; delete that file once you "
               "have changed or noted it)\n",
               BOOTSTRAP_ADMIN_EMAIL, password, path);
    else if (access(path, F_OK) == 0)
        printf("Admin login: %s  (initial password in %s)\n", BOOTSTRAP_ADMIN_EMAIL, path);
    return 0;
}

static void wake_worker(void *worker)
{
    worker_wake(worker);
}

int cli_serve(int argc, char **argv)
{
    const char *config_path = NULL;
    bool no_worker = false;
    const cli_option options[] = {
        CLI_OPTION_CONFIG(&config_path),
        {"no-worker", NULL, "do not run the worker loop in this process", NULL, &no_worker},
        CLI_OPTIONS_END};
    const cli_spec spec = {"mailcast serve [--config FILE] [--no-worker]",
                           "Runs the HTTP server (API, dashboard, tracking) and, unless "
                           "--no-worker, the worker loop.",
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
    app.tracker = tracker_new(&app);
    if (announce_admin(&app, &err) < 0 || tracker_start_events(app.tracker, &err) < 0) {
        tracker_free(app.tracker);
        app_close(&app);
        return app_report_error(&err);
    }

    http_router router = {0};
    api_routes_register(&router);
    http_metrics metrics;
    http_metrics_init(&metrics, router.count);
    worker_t worker = {0};
    cli_worker_jobs(&worker.jobs, &app.config);
    api_context ctx = {&app, &router, &metrics, NULL, NULL, api_track_pixel_new()};
    if (!no_worker) {
        ctx.job_queued = wake_worker;
        ctx.job_queued_arg = &worker;
    }
    char upload_dir[1024];
    snprintf(upload_dir, sizeof upload_dir, "%s/uploads", app.config.data_dir);
    if (mkdir(upload_dir, 0700) < 0 && errno != EEXIST)
        log_warn("cannot create %s: %s; uploads will fail", upload_dir, strerror(errno));
    http_server_options opts = {.listen = app.config.listen,
                                .threads = app.config.threads,
                                .max_body_bytes = app.config.max_body_bytes,
                                .router = &router,
                                .metrics = &metrics,
                                .ctx = &ctx,
                                .authorize = api_authorize,
                                .fallback = api_dashboard,
                                .after = api_after,
                                .upload_dir = upload_dir,
                                .max_upload_bytes = MAX_UPLOAD_BYTES};
    http_server *server = http_server_start(&opts, &err);
    if (server && !no_worker && worker_start(&worker, &app, &err) < 0) {
        http_server_stop(server, 0);
        server = NULL;
    }
    if (!server) {
        http_metrics_free(&metrics);
        http_router_free(&router);
        http_shared_response_free(ctx.pixel);
        tracker_free(app.tracker);
        app_close(&app);
        return app_report_error(&err);
    }
    char host[256];
    snprintf(host, sizeof host, "%s", app.config.listen);
    char *colon = strrchr(host, ':');
    if (colon) *colon = '\0';
    log_info("listening on %s:%u%s", host, http_server_port(server),
             no_worker ? "" : " with the worker loop");
    printf("Dashboard: %s/\n", app.config.public_url);
    fflush(stdout);
    /* outgoing webhooks are delivered where the worker loop runs */
    webhook_sender *hooks =
        no_worker ? NULL : webhook_sender_start(&app, "mailcast/" MAILCAST_VERSION, &err);
    if (!no_worker && !hooks) log_warn("%s", err.message);

    int sig = cli_wait_for_shutdown(&signals);
    log_info("received signal %d; finishing requests in flight and shutting down", sig);
    http_server_stop(server, SHUTDOWN_GRACE_MS);
    webhook_sender_stop(hooks);
    worker_stop(&worker);
    /* every open and click answered is in the batch now: written before the process ends */
    tracker_free(app.tracker);
    http_shared_response_free(ctx.pixel);
    http_metrics_free(&metrics);
    http_router_free(&router);
    app_close(&app);
    log_info("stopped");
    return 0;
}
