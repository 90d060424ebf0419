/* campaign's work in the worker loop: the scheduler starts scheduled campaigns whose time has
 * come (campaign_start_due()) each time the loop comes round, and has the loop wake when the
 * next one is due. */
#ifndef MC_CAMPAIGN_JOBS_H
#define MC_CAMPAIGN_JOBS_H

#include "app/jobs.h"

void campaign_register_jobs(app_jobs *jobs);

#endif
