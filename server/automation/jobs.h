/* automation's work in the worker loop: the pass that applies new events to the triggers
 * (entries, exits, a newer cart), the entries from list memberships and date attributes, the
 * steps that come due, and the outgoing webhooks (their fan-out and their deliveries). */
#ifndef MC_AUTOMATION_JOBS_H
#define MC_AUTOMATION_JOBS_H

#include "app/jobs.h"
#include "core/config.h"

void automation_register_jobs(app_jobs *jobs, const config_t *cfg);

#endif
