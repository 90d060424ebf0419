/* The loop prunes expired sessions, old login failures and, with [queue] retention_days, old
 * messages once a minute, so those tables stay small without a cron job, runs queued CSV
 * imports, starts scheduled campaigns whose time has come and sends due messages. Between
 * looks it sleeps on its LISTEN connection: queued work wakes it at once, and it looks anyway
 * every [queue] poll_interval_ms, or sooner when a scheduled campaign comes due. */
#include "queue/worker.h"

#include <time.h>

#include "audience/import.h"
#include "audience/public_flows.h"
#include "campaign/campaigns.h"
#include "core/log.h"
#include "db/listen.h"
#include "db/query.h"
#include "queue/retention.h"
#include "queue/send_loop.h"

#define HOUSEKEEPING_SECONDS 60
/* Sending waits while messages are deleted: a backlog (retention just turned on) goes over
 * many minutes rather than holding up the queue. */
#define RETENTION_BUDGET_MS 3000

static void prune_messages(worker_t *w, PGconn *conn)
{
    unsigned days = w->app->config.queue_retention_days;
    if (days == 0) return;
    mc_error err;
    retention_counts counts = {0};
    int rc = retention_prune(conn, days, RETENTION_BUDGET_MS, &w->stopping, &counts, &err);
    if (counts.campaign_messages || counts.other_messages)
        log_info("worker: retention deleted %lld messages of campaigns that ended more than %u "
                 "days ago and %lld other messages%s",
                 counts.campaign_messages, days, counts.other_messages,
                 rc == 1 ? "; more next time" : "");
    if (rc < 0) log_warn("worker: retention: %s", err.message);
}

static void housekeeping(worker_t *w)
{
    mc_error err;
    PGconn *conn = db_pool_acquire(w->app->pool, 5000, &err);
    if (!conn) {
        log_warn("worker: %s", err.message);
        return;
    }
    if (db_exec(conn, "DELETE FROM sessions WHERE expires_at < now()", 0, NULL, &err) < 0 ||
        db_exec(conn, "DELETE FROM login_failures WHERE failed_at < now() - interval '1 hour'", 0,
                NULL, &err) < 0 ||
        public_flows_prune(conn, &err) < 0)
        log_warn("worker: housekeeping failed: %s", err.message);
    prune_messages(w, conn);
    db_pool_release(w->app->pool, conn);
}

/* Runs queued CSV imports one after the other (audience/import.c owns them). */
static void run_imports(worker_t *w)
{
    mc_error err;
    int rc = 0;
    while (!__atomic_load_n(&w->stopping, __ATOMIC_RELAXED) &&
           (rc = import_work_once(w->app->pool, w->app->secret, &w->stopping, &err)) == 1) {
    }
    if (rc < 0) log_warn("worker: imports: %s", err.message);
}

/* Starts scheduled campaigns whose time has come (campaign/ owns the transition). returns the
 * milliseconds until the next one is due, or -1 when none is (or on an error: the poll then
 * looks again). */
static long long start_due_campaigns(app_t *app)
{
    mc_error err;
    PGconn *conn = db_pool_acquire(app->pool, 5000, &err);
    if (!conn) {
        log_warn("worker: %s", err.message);
        return -1;
    }
    campaign_env env = {app->config.templates_dir, app->secret, &app->mail.relays};
    long long next = -1;
    int started = campaign_start_due(conn, &env, &err);
    if (started < 0)
        log_warn("worker: scheduled campaigns: %s", err.message);
    else if (started > 0)
        next = 0; /* it starts a few at a time: more may be due */
    else if (campaign_next_due_ms(conn, &next, &err) < 0)
        log_warn("worker: scheduled campaigns: %s", err.message);
    db_pool_release(app->pool, conn);
    return next;
}

/* Sends batches while messages are due (queue/send_loop.c owns them). */
static void run_sends(worker_t *w, send_loop *sender)
{
    mc_error err;
    int rc = 0;
    while (!__atomic_load_n(&w->stopping, __ATOMIC_RELAXED) &&
           (rc = send_loop_once(sender, &err)) == 1) {
    }
    if (rc < 0) log_warn("worker: send: %s", err.message);
}

static void *worker_main(void *arg)
{
    worker_t *w = arg;
    time_t last_housekeeping = 0;
    send_loop sender;
    send_loop_init(&sender, w->app);
    while (!__atomic_load_n(&w->stopping, __ATOMIC_RELAXED)) {
        if (time(NULL) - last_housekeeping >= HOUSEKEEPING_SECONDS) {
            housekeeping(w);
            last_housekeeping = time(NULL);
        }
        run_imports(w);
        long long due_ms = start_due_campaigns(w->app);
        run_sends(w, &sender);
        long long timeout = w->app->config.queue_poll_interval_ms;
        if (due_ms >= 0 && due_ms < timeout) timeout = due_ms;
        /* a stop, a poke or a notification that came while the loop was busy ends this wait
         * at once; so does a new LISTEN connection, as work may have come while it was down */
        db_listener_wait(w->listener, (int)timeout, NULL, 0);
    }
    send_loop_free(&sender);
    return NULL;
}

int worker_start(worker_t *w, app_t *app, mc_error *err)
{
    w->app = app;
    w->stopping = false;
    w->listener = db_listener_new(db_pool_dsn(app->pool), DB_WORK_CHANNEL);
    if (pthread_create(&w->thread, NULL, worker_main, w) != 0) {
        db_listener_free(w->listener);
        w->listener = NULL;
        return mc_error_set(err, 500, "worker", "", "cannot start the worker thread");
    }
    __atomic_store_n(&w->running, true, __ATOMIC_RELEASE); /* read by worker_wake() */
    return 0;
}

void worker_wake(worker_t *w)
{
    if (!__atomic_load_n(&w->running, __ATOMIC_ACQUIRE)) return;
    db_listener_poke(w->listener);
}

void worker_stop(worker_t *w)
{
    if (!w->running) return;
    __atomic_store_n(&w->stopping, true, __ATOMIC_RELAXED); /* read by a running import */
    db_listener_poke(w->listener);
    pthread_join(w->thread, NULL);
    db_listener_free(w->listener);
    w->listener = NULL;
    w->running = false;
}
