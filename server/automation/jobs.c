/* automation's jobs in the worker loop: the pass over new events and the step runner every
 * round (a due step waits at most a round), the list and date entries every few seconds, the
 * webhook log's retention every minute, A/B winners every second. (The webhook fan-out and
 * deliveries run on threads of their own, automation/webhook_sender.h, so that a long backlog
 * or a slow receiver never holds the loop.) */
#include "automation/jobs.h"

#include "automation/ab_results.h"
#include "automation/trigger_entries.h"
#include "automation/trigger_pass.h"
#include "automation/trigger_runner.h"
#include "automation/webhooks.h"

#define ENTRIES_SECONDS 5
/* the log is pruned in batches, so that no statement holds many rows locked */
#define PRUNE_BATCH 5000

static int pass(app_t *app, PGconn *conn, const bool *stop, long long *wake_ms, mc_error *err)
{
    (void)app;
    (void)stop;
    int handled = trigger_pass_run(conn, err);
    if (handled < 0) return -1;
    /* a full batch: more events are waiting */
    if (handled == TRIGGER_PASS_BATCH) *wake_ms = 0;
    return 0;
}

static int steps(app_t *app, PGconn *conn, const bool *stop, long long *wake_ms, mc_error *err)
{
    return trigger_runner_run(app, conn, stop, wake_ms, err) < 0 ? -1 : 0;
}

static int entries(app_t *app, PGconn *conn, const bool *stop, long long *wake_ms, mc_error *err)
{
    (void)stop;
    (void)wake_ms;
    return trigger_entries_run(conn, &app->config, err) < 0 ? -1 : 0;
}

static int webhook_log_retention(app_t *app, PGconn *conn, const bool *stop, long long *wake_ms,
                                 mc_error *err)
{
    (void)wake_ms;
    long long n;
    do
        n = webhook_log_prune(conn, app->config.webhooks_log_days, PRUNE_BATCH, err);
    while (n == PRUNE_BATCH && !__atomic_load_n(stop, __ATOMIC_RELAXED));
    return n < 0 ? -1 : 0;
}

/* A/B winners: a test whose wait is over gets its winner, and the loop wakes when the next
 * wait ends; the end of the test sends themselves is looked for every second. */
static int ab_winners(app_t *app, PGconn *conn, const bool *stop, long long *wake_ms, mc_error *err)
{
    (void)app;
    (void)stop;
    return ab_choose_due_winners(conn, wake_ms, err) < 0 ? -1 : 0;
}

void automation_register_jobs(app_jobs *jobs, const config_t *cfg)
{
    (void)cfg;
    /* the pass before the runner: an event's entries run their first steps in the same round */
    app_jobs_add(jobs, "trigger events", 0, 0, pass);
    app_jobs_add(jobs, "trigger entries", ENTRIES_SECONDS, 0, entries);
    app_jobs_add(jobs, "trigger steps", 0, 0, steps);
    app_jobs_add(jobs, "webhook log retention", 60, 0, webhook_log_retention);
    app_jobs_add(jobs, "A/B winners", 1, 0, ab_winners);
}
