/* auth's work in the worker loop: expired sessions and old login failures are deleted once a
 * minute, so those tables stay small without a cron job. */
#ifndef MC_AUTH_JOBS_H
#define MC_AUTH_JOBS_H

#include "app/jobs.h"

void auth_register_jobs(app_jobs *jobs);

#endif
