/* Running the registered jobs: a job is due when its interval has passed since its last run;
 * a failure is logged and does not keep the others from running. */
#include "app/jobs.h"

#include <stdlib.h>
#include <time.h>

#include "core/log.h"

/* how long a job waits for a pooled connection before its run is skipped */
#define JOB_DB_WAIT_MS 5000

void app_jobs_add(app_jobs *jobs, const char *name, unsigned interval_seconds, unsigned flags,
                  app_job_fn run)
{
    if (jobs->count == APP_JOBS_MAX) {
        log_error("worker: more than %d jobs registered", APP_JOBS_MAX);
        abort();
    }
    jobs->jobs[jobs->count++] = (app_job){name, interval_seconds, flags, run, 0, 0};
}

_Static_assert(APP_JOBS_MAX <= APP_METRICS_JOBS, "a lag histogram per job");

static double monotonic_seconds(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)now.tv_sec + (double)now.tv_nsec / 1e9;
}

/* Records how long after it was due job i starts now (its first run is never late). */
static void record_lag(const app_job *job, size_t i, app_t *app)
{
    if (!job->last_run) return;
    double every = job->interval_seconds ? (double)job->interval_seconds
                                         : app->config.queue_poll_interval_ms / 1000.0;
    app_metrics_job_lag(&app->metrics, i, job->name,
                        monotonic_seconds() - (job->last_run_at + every));
}

/* returns 0 or -1 with err */
static int run_job(const app_job *job, app_t *app, const bool *stop, long long *wake_ms,
                   mc_error *err)
{
    if (job->flags & APP_JOB_OWN_CONNECTION) return job->run(app, NULL, stop, wake_ms, err);
    PGconn *conn = db_pool_acquire(app->pool, JOB_DB_WAIT_MS, err);
    if (!conn) return -1;
    int rc = job->run(app, conn, stop, wake_ms, err);
    db_pool_release(app->pool, conn);
    return rc;
}

long long app_jobs_run_due(app_jobs *jobs, app_t *app, const bool *stop)
{
    long long soonest = -1;
    for (size_t i = 0; i < jobs->count && !__atomic_load_n(stop, __ATOMIC_RELAXED); i++) {
        app_job *job = &jobs->jobs[i];
        if (job->last_run && time(NULL) - job->last_run < (time_t)job->interval_seconds) continue;
        record_lag(job, i, app);
        mc_error err;
        long long wake_ms = -1;
        if (run_job(job, app, stop, &wake_ms, &err) < 0)
            log_warn("worker: %s: %s", job->name, err.message);
        else if (wake_ms >= 0 && (soonest < 0 || wake_ms < soonest))
            soonest = wake_ms;
        job->last_run = time(NULL);
        job->last_run_at = monotonic_seconds();
    }
    return soonest;
}
