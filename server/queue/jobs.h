/* queue's work in the worker loop: with [queue] retention_days, messages that ended long ago
 * are deleted (queue/retention.h). The job is registered by campaign_register_jobs(), which
 * owns the campaigns a pass empties. */
#ifndef MC_QUEUE_JOBS_H
#define MC_QUEUE_JOBS_H

#include "app/jobs.h"
#include "queue/retention.h"

/* One retention pass within the worker's time budget, logged; emptied marks each campaign left
 * without messages. Does nothing when [queue] retention_days is 0. returns 0 or -1 with err. */
int queue_retention_run(app_t *app, PGconn *conn, const bool *stop, retention_emptied_fn emptied,
                        mc_error *err);

#endif
