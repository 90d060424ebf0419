/* track's work in the worker loop: moving opens and clicks from the inbox into the history and
 * its counts, keeping the history's monthly partitions (ahead of time, and retention), and adding
 * each day that ended to the lists' growth rollup. */
#ifndef MC_TRACK_JOBS_H
#define MC_TRACK_JOBS_H

#include "app/jobs.h"

void track_register_jobs(app_jobs *jobs);

#endif
