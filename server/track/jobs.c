/* The worker's jobs of this folder: the bounce rules for bounces other folders record (the
 * queue's SMTP-time refusals), and the bounce mailbox's poll. */
#include "track/bounce_rules.h"

#include "core/log.h"
#include "db/query.h"
#include "track/bounce_mailbox.h"

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

void track_register_jobs(app_jobs *jobs, const config_t *cfg)
{
    /* every round: a campaign started next must find the bounced addresses blocklisted */
    app_jobs_add(jobs, "bounce rules", 0, 0, apply_rules);
    if (cfg->bounces_imap_url[0])
        app_jobs_add(jobs, "bounce mailbox", cfg->bounces_poll_seconds, 0, poll_mailbox);
}
