/* The loop prunes expired sessions, old login failures and, with [queue] retention_days, old
 * messages once a minute, so those tables stay small without a cron job, runs queued CSV
 * imports, starts scheduled campaigns whose time has come and sends due messages, looking for
 * work every second. */
#include "sender/worker.h"

#include <time.h>

#include "audience/import.h"
#include "audience/public_flows.h"
#include "campaign/campaigns.h"
#include "core/log.h"
#include "db/query.h"
#include "queue/retention.h"
#include "sender/send_loop.h"

#define HOUSEKEEPING_SECONDS 60
#define IMPORT_POLL_SECONDS  1
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

/* Starts scheduled campaigns whose time has come (campaign/ owns the transition). */
static void start_due_campaigns(app_t *app)
{
    mc_error err;
    PGconn *conn = db_pool_acquire(app->pool, 5000, &err);
    if (!conn) {
        log_warn("worker: %s", err.message);
        return;
    }
    campaign_env env = {app->config.templates_dir, app->secret, &app->mail.relays};
    if (campaign_start_due(conn, &env, &err) < 0)
        log_warn("worker: scheduled campaigns: %s", err.message);
    db_pool_release(app->pool, conn);
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
    pthread_mutex_lock(&w->lock);
    while (!w->stopping) {
        pthread_mutex_unlock(&w->lock);
        if (time(NULL) - last_housekeeping >= HOUSEKEEPING_SECONDS) {
            housekeeping(w);
            last_housekeeping = time(NULL);
        }
        run_imports(w);
        start_due_campaigns(w->app);
        run_sends(w, &sender);
        pthread_mutex_lock(&w->lock);
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += IMPORT_POLL_SECONDS;
        while (!w->stopping && !w->woken &&
               pthread_cond_timedwait(&w->wake, &w->lock, &until) == 0) {
        }
        w->woken = false;
    }
    pthread_mutex_unlock(&w->lock);
    send_loop_free(&sender);
    return NULL;
}

int worker_start(worker_t *w, app_t *app, mc_error *err)
{
    w->app = app;
    w->stopping = false;
    w->woken = false;
    pthread_mutex_init(&w->lock, NULL);
    pthread_cond_init(&w->wake, NULL);
    if (pthread_create(&w->thread, NULL, worker_main, w) != 0)
        return mc_error_set(err, 500, "worker", "", "cannot start the worker thread");
    __atomic_store_n(&w->running, true, __ATOMIC_RELEASE); /* read by worker_wake() */
    return 0;
}

void worker_wake(worker_t *w)
{
    if (!__atomic_load_n(&w->running, __ATOMIC_ACQUIRE)) return;
    pthread_mutex_lock(&w->lock);
    w->woken = true;
    pthread_cond_broadcast(&w->wake);
    pthread_mutex_unlock(&w->lock);
}

void worker_stop(worker_t *w)
{
    if (!w->running) return;
    pthread_mutex_lock(&w->lock);
    __atomic_store_n(&w->stopping, true, __ATOMIC_RELAXED); /* read by a running import */
    pthread_cond_broadcast(&w->wake);
    pthread_mutex_unlock(&w->lock);
    pthread_join(w->thread, NULL);
    pthread_mutex_destroy(&w->lock);
    pthread_cond_destroy(&w->wake);
    w->running = false;
}
