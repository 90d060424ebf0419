/* Running one import job: read the CSV, check each row, load good rows with COPY into a staging
 * table and merge them into subscribers and list memberships in SQL, batch by batch. Each batch
 * commits its rows, its errors and the job's progress together. */
#ifndef MC_AUDIENCE_IMPORT_RUN_H
#define MC_AUDIENCE_IMPORT_RUN_H

#include <libpq-fe.h>
#include <stdbool.h>

#include "app/metrics.h"
#include "core/error.h"

typedef struct {
    long long id;
    const char *file_path;
    const char *options; /* JSON text */
    const char *locker;  /* the locked_by value this process holds */
    long long resume_row;
    long long rows_done;
    long long rows_failed;
    const unsigned char *secret;
    const bool *stop;
    app_metrics *metrics; /* rows committed are counted here; NULL: not counted */
} import_job;

/* returns 0 when the file was read to the end (the caller marks the job finished), 1 when
 * stopped early on request, or -1 with err (the caller marks it failed with err's message). */
int import_run(PGconn *conn, import_job *job, mc_error *err);

#endif
