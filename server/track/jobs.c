/* The worker's jobs of this folder: the bounce rules for bounces other folders record (the
 * queue's SMTP-time refusals), the bounce mailbox's poll, the move of opens and clicks from the
 * inbox into the engagement history, the history's partitions and retention, and the lists'
 * growth rollup. */
#include "track/jobs.h"

#include <time.h>

#include "core/log.h"
#include "db/query.h"
#include "track/bounce_mailbox.h"
#include "track/bounce_rules.h"
#include "track/engagement_history.h"
#include "track/engagement_move.h"
#include "track/list_growth.h"

/* a round applies at most this many; a longer backlog goes on at once in the next round */
#define RULES_BATCH 500

static int apply_rules(app_t *app, PGconn *conn, const bool *stop, long long *wake_ms,
                       mc_error *err)
{
    if (db_begin(conn, err) < 0) return -1;
    long long n = bounce_rules_apply(conn, &app->config, RULES_BATCH, err);
    if (n < 0 || db_commit(conn, err) < 0) {
        db_rollback(conn);
        return -1;
    }
    if (n == RULES_BATCH) *wake_ms = 0;
    return 0;
}

static int poll_mailbox(app_t *app, PGconn *conn, const bool *stop, long long *wake_ms,
                        mc_error *err)
{
    bounce_mailbox_counts counts = {0};
    int rc = bounce_mailbox_poll(app, conn, stop, &counts, err);
    if (counts.bounces || counts.complaints || counts.unsubscribes || counts.other)
        log_info("worker: bounce mailbox: %lld bounces, %lld complaints, %lld unsubscribes, %lld "
                 "other messages",
                 counts.bounces, counts.complaints, counts.unsubscribes, counts.other);
    return rc;
}

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

void track_register_jobs(app_jobs *jobs, const config_t *cfg)
{
    /* Once a second, before the scheduler starts campaigns. Not every round: that would be
     * three statements for each batch sent. A snapshot taken before a refusal is judged still
     * leaves its subscriber out (campaign_materialize.c). */
    app_jobs_add(jobs, "bounce rules", 1, 0, apply_rules);
    if (cfg->bounces_imap_url[0])
        app_jobs_add(jobs, "bounce mailbox", cfg->bounces_poll_seconds, 0, poll_mailbox);
    app_jobs_add(jobs, "engagement history", HISTORY_SECONDS, 0, keep_history);
    app_jobs_add(jobs, "engagement inbox", INBOX_SECONDS, 0, move_inbox);
    app_jobs_add(jobs, "list growth", GROWTH_SECONDS, 0, roll_up_growth);
}
