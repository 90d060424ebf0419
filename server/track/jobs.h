/* track's work in the worker loop: the bounce rules for bounces recorded elsewhere, the bounce
 * mailbox's poll every [bounces] poll_seconds when imap_url is set, moving opens and clicks from
 * the inbox into the history and its counts, keeping the history's monthly partitions (ahead of
 * time, and retention), and adding each day that ended to the lists' growth rollup. */
#ifndef MC_TRACK_JOBS_H
#define MC_TRACK_JOBS_H

#include "app/jobs.h"
#include "core/config.h"

void track_register_jobs(app_jobs *jobs, const config_t *cfg);

#endif
