/* The jobs of track, registered with the worker. */
#include "track/jobs.h"

#include "core/log.h"
#include "track/engagement_history.h"
#include "track/engagement_move.h"
#include "track/list_growth.h"

#define INBOX_SECONDS 1
#define INBOX_BATCH   2000
/* a backlog is moved over several rounds so the loop's other jobs are not held up */
#define INBOX_BUDGET_MS 2000
#define HISTORY_SECONDS 3600
/* a day is added within ten minutes of its end */
#define GROWTH_SECONDS 600

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
}

static int move_inbox(app_t *app, PGconn *conn, const bool *stop, long long *wake_ms, mc_error *err)
{
    (void)app;
    double start = now_ms();
    for (;;) {
        int moved = track_engagements_move(conn, INBOX_BATCH, err);
        if (moved < 0) return -1;
        if (moved < INBOX_BATCH) return 0;
        if (*stop) return 0;
        if (now_ms() - start > INBOX_BUDGET_MS) {
            *wake_ms = 0; /* more is waiting: come back at once */
            return 0;
        }
    }
}

static int keep_history(app_t *app, PGconn *conn, const bool *stop, long long *wake_ms,
                        mc_error *err)
{
    (void)stop;
    (void)wake_ms;
    int created = track_history_partitions(conn, err);
    if (created < 0) return -1;
    if (created > 0) log_info("worker: engagement history: %d monthly partitions created", created);
    unsigned days = app->config.tracking_event_retention_days;
    if (days == 0) return 0;
    int dropped;
    long long deleted;
    if (track_history_prune(conn, days, &dropped, &deleted, err) < 0) return -1;
    if (dropped || deleted)
        log_info("worker: engagement history: %d months dropped and %lld opens and clicks deleted"
                 " (older than %u days; the counts keep them)",
                 dropped, deleted, days);
    return 0;
}

static int roll_up_growth(app_t *app, PGconn *conn, const bool *stop, long long *wake_ms,
                          mc_error *err)
{
    (void)app;
    (void)stop;
    (void)wake_ms;
    return track_list_growth_rollup(conn, err) < 0 ? -1 : 0;
}

void track_register_jobs(app_jobs *jobs)
{
    app_jobs_add(jobs, "engagement history", HISTORY_SECONDS, 0, keep_history);
    app_jobs_add(jobs, "engagement inbox", INBOX_SECONDS, 0, move_inbox);
    app_jobs_add(jobs, "list growth", GROWTH_SECONDS, 0, roll_up_growth);
}
