/* The loop runs the jobs the folders registered (pruning, imports, the scheduler: each at its
 * own interval) and sends due messages. Between looks it sleeps on its LISTEN connection:
 * queued work wakes it at once, and it looks anyway every [queue] poll_interval_ms, or sooner
 * when a job asked to be woken (a scheduled campaign coming due). */
#include "sender/worker.h"

#include <time.h>

#include "core/log.h"
#include "db/listen.h"
#include "queue/warmup.h"
#include "sender/send_loop.h"

/* A failed look for messages (the database was restarting) is tried again this soon, not at
 * the next poll: the pool has replaced the broken connection by then. */
#define SEND_RETRY_MS 1000

/* How long the loop sends batch after batch before the jobs get their turn again: during a
 * long campaign, the steps of triggers that come due still run within about this much. */
#define SEND_TURN_SECONDS 1.0

static double monotonic_seconds(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)now.tv_sec + (double)now.tv_nsec / 1e9;
}

/* Sends batches while messages are due (sender/send_loop.c owns them), for up to
 * SEND_TURN_SECONDS. returns -1 when the last look failed, 1 when batches were still coming
 * at the end of the turn, 0 when nothing more is due. */
static int run_sends(worker_t *w, send_loop *sender)
{
    mc_error err;
    int rc = 0;
    double started = monotonic_seconds();
    /* the clock is read once per batch, never a query: sending is as fast as before */
    while (!__atomic_load_n(&w->stopping, __ATOMIC_RELAXED) &&
           (rc = send_loop_once(sender, &err)) == 1) {
        if (monotonic_seconds() - started >= SEND_TURN_SECONDS) return 1;
    }
    if (rc < 0) log_warn("worker: send: %s", err.message);
    return rc < 0 ? -1 : 0;
}

static void *worker_main(void *arg)
{
    worker_t *w = arg;
    send_loop sender;
    send_loop_init(&sender, w->app);
    while (!__atomic_load_n(&w->stopping, __ATOMIC_RELAXED)) {
        long long due_ms = app_jobs_run_due(&w->jobs, w->app, &w->stopping);
        int sent = run_sends(w, &sender);
        if (sent == 1) continue; /* more to send, after the jobs' turn */
        bool sent_ok = sent == 0;
        long long timeout = w->app->config.queue_poll_interval_ms;
        if (due_ms >= 0 && due_ms < timeout) timeout = due_ms;
        if (!sent_ok && timeout > SEND_RETRY_MS) timeout = SEND_RETRY_MS;
        /* a stop, a poke or a notification that came while the loop was busy ends this wait
         * at once; so does a new LISTEN connection, as work may have come while it was down */
        db_listener_wait(w->listener, (int)timeout, NULL, 0);
    }
    send_loop_free(&sender);
    return NULL;
}

/* Makes the messages a warm-up holds due again, so that a schedule changed in the
 * configuration applies at once; those still over today's cap are held again. */
static void release_held(app_t *app)
{
    mc_error err;
    PGconn *conn = db_pool_acquire(app->pool, 5000, &err);
    int n = conn ? warmup_release_held(conn, &err) : -1;
    if (conn) db_pool_release(app->pool, conn);
    if (n < 0)
        log_warn("worker: cannot release the messages held by warm-up: %s", err.message);
    else if (n > 0)
        log_info("worker: %d messages held by warm-up are due again", n);
}

int worker_start(worker_t *w, app_t *app, mc_error *err)
{
    release_held(app);
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
