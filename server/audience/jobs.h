/* audience's work in the worker loop: queued CSV imports run as soon as the loop comes round,
 * and public form attempts older than their rate limit are forgotten once a minute. */
#ifndef MC_AUDIENCE_JOBS_H
#define MC_AUDIENCE_JOBS_H

#include "app/jobs.h"

void audience_register_jobs(app_jobs *jobs);

#endif
