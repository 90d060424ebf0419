/* queue's work in the worker loop: with [queue] retention_days, messages that ended long ago
 * are deleted once a minute (queue/retention.h). */
#ifndef MC_QUEUE_JOBS_H
#define MC_QUEUE_JOBS_H

#include "app/jobs.h"

void queue_register_jobs(app_jobs *jobs);

#endif
