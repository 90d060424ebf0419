/* track's work in the worker loop: moving opens and clicks from the inbox into the history and
 * its counts, and keeping the history's monthly partitions (ahead of time, and retention). */
#ifndef MC_TRACK_JOBS_H
#define MC_TRACK_JOBS_H

#include "app/jobs.h"

void track_register_jobs(app_jobs *jobs);

#endif
