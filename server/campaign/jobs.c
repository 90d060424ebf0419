/* The jobs of campaigns, registered with the worker: the scheduler, and the queue's retention,
 * which marks each campaign whose messages it has deleted. */
#include "campaign/jobs.h"

#include <stdlib.h>

#include "campaign/campaigns.h"
#include "campaign/complaint_guard.h"
#include "db/query.h"
#include "queue/jobs.h"
#include "queue/message_state.h"

#define RETENTION_SECONDS 60

static int start_due(app_t *app, PGconn *conn, const bool *stop, long long *wake_ms, mc_error *err)
{
    campaign_env env = {app->config.templates_dir, app->secret, &app->mail.relays, &app->config};
    int started = campaign_start_due(conn, &env, err);
    if (started < 0) return -1;
    if (started > 0) {
        *wake_ms = 0; /* it starts a few at a time: more may be due */
        return 0;
    }
    return campaign_next_due_ms(conn, wake_ms, err);
}

/* retention_emptied_fn: checked again rather than inferred from a short chunk: a skipped row is
 * still there, and the campaign is then looked at again next time. */
static long long mark_messages_pruned(PGconn *conn, const char *campaign_id, mc_error *err)
{
    const char *params[] = {campaign_id};
    PGresult *res = db_query(conn,
                             "UPDATE campaigns c SET messages_pruned_at = now() WHERE c.id ="
                             " $1::bigint AND NOT EXISTS (SELECT 1 FROM messages m WHERE"
                             " m.campaign_id = c.id AND m.state IN " MESSAGE_ENDED_SQL ")",
                             1, params, err);
    if (!res) return -1;
    long long n = strtoll(PQcmdTuples(res), NULL, 10);
    PQclear(res);
    return n;
}

static int prune_messages(app_t *app, PGconn *conn, const bool *stop, long long *wake_ms,
                          mc_error *err)
{
    (void)wake_ms;
    return queue_retention_run(app, conn, stop, mark_messages_pruned, err);
}

/* Every second: a campaign pauses within seconds of the complaint that takes it over the
 * threshold, whichever process recorded the complaint. */
static int guard_complaints(app_t *app, PGconn *conn, const bool *stop, long long *wake_ms,
                            mc_error *err)
{
    (void)stop;
    (void)wake_ms;
    return complaint_guard_run(conn, &app->config, err) < 0 ? -1 : 0;
}

void campaign_register_jobs(app_jobs *jobs)
{
    app_jobs_add(jobs, "retention", RETENTION_SECONDS, 0, prune_messages);
    app_jobs_add(jobs, "scheduled campaigns", 0, 0, start_due);
    app_jobs_add(jobs, "complaint guard", 1, 0, guard_complaints);
}
