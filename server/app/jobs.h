/* The worker loop's periodic jobs: each folder that owns background work adds its own
 * (auth_register_jobs() and the like) to a table the loop runs, so the loop knows none of
 * them. The table lives in the worker, filled by the subcommand that starts it. */
#ifndef MC_APP_JOBS_H
#define MC_APP_JOBS_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "app/app.h"

/* One round of a job's work, on conn (borrowed from the pool for this run; NULL for a job added
 * with APP_JOB_OWN_CONNECTION). *stop becomes true when the process is stopping: a long job
 * returns early then. A job that knows when it has work again (a scheduled campaign's time)
 * sets *wake_ms (-1 on entry: no wish) to the milliseconds until then, and the loop's wait
 * ends by that time. returns 0, or -1 with err (the loop logs it and runs the job again at its
 * next time). */
typedef int (*app_job_fn)(app_t *app, PGconn *conn, const bool *stop, long long *wake_ms,
                          mc_error *err);

enum {
    /* the job takes its connections from app->pool itself (it holds them long, or several) */
    APP_JOB_OWN_CONNECTION = 1 << 0,
};

typedef struct {
    const char *name;          /* in the log: "worker: NAME: message" */
    unsigned interval_seconds; /* 0: every round of the loop */
    unsigned flags;            /* APP_JOB_* */
    app_job_fn run;
    time_t last_run;    /* 0 before the first run: every job runs in the loop's first round */
    double last_run_at; /* monotonic seconds of the last run's end, for the lag metric */
} app_job;

#define APP_JOBS_MAX 24

typedef struct {
    app_job jobs[APP_JOBS_MAX];
    size_t count;
} app_jobs;

/* Adds a job (name is borrowed: a literal); jobs run in the order added. More than
 * APP_JOBS_MAX is a programming error and aborts. */
void app_jobs_add(app_jobs *jobs, const char *name, unsigned interval_seconds, unsigned flags,
                  app_job_fn run);
/* Runs, in order, each job whose interval has passed since it last ran, until *stop, and
 * records in app->metrics how late each ran: a job with an interval was due that long after
 * its last run, one without (run every round) one [queue] poll_interval_ms after it. returns
 * the smallest *wake_ms a job asked for in this round, or -1 when none asked. */
long long app_jobs_run_due(app_jobs *jobs, app_t *app, const bool *stop);

#endif
