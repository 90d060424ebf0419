/* CSV imports as background jobs. The API checks the options and the header, stores the file
 * and queues a job; the worker loop runs it (import_work_once). A job's state is named and kept
 * in PostgreSQL: queued -> running -> finished | failed. A running job whose process died is
 * resumed after its last merged batch, or failed with the reason after three attempts. */
#ifndef MC_AUDIENCE_IMPORT_H
#define MC_AUDIENCE_IMPORT_H

#include <jansson.h>
#include <libpq-fe.h>
#include <stdbool.h>
#include <sys/types.h>

#include "app/metrics.h"
#include "core/error.h"
#include "db/pool.h"

/* Checks options (JSON text, may be NULL) and the header of the CSV at path. returns 0, or -1
 * with a 400 naming the option or the header problem. */
int import_check(const char *path, const char *options, mc_error *err);
/* Queues an import of the file at stored_path (already moved to its final place; the job owns
 * it from now on). returns {"id", "state"} (caller frees with json_decref()), or NULL with err. */
json_t *import_queue(PGconn *conn, const char *stored_path, const char *file_name,
                     const char *options, long long user_id, mc_error *err);
/* returns {"id", "state", "file_name", "rows_total", "rows_done", "rows_failed", "errors":
 * [{"row", "message"}] (the first 20), "failure", "created_at", "started_at", "finished_at"}
 * (caller frees with json_decref()), or NULL with err (404). */
json_t *import_get(PGconn *conn, long long id, mc_error *err);
/* Lists imports, newest first by id < before (0: from the newest). returns {"items",
 * "next_cursor"}; caller frees with json_decref(). */
json_t *import_list(PGconn *conn, long long before, int limit, mc_error *err);

/* The error report as CSV "row,message", read in batches through conn (borrowed). */
typedef struct import_report import_report;
/* returns the report (caller frees with import_report_free()), or NULL with err (404) */
import_report *import_report_new(PGconn *conn, long long id, mc_error *err);
/* Writes up to cap bytes into out. returns how many, 0 at the end, -1 on error. */
ssize_t import_report_read(import_report *r, char *out, size_t cap);
void import_report_free(import_report *r);

/* Runs at most one import job: claims the oldest queued one (or one whose process is gone) and
 * runs it to the end, or until *stop becomes true (the job then stays running and is resumed
 * later), adding the rows of each committed batch to metrics (borrowed; NULL: not counted).
 * returns 1 when a job ran, 0 when there was none, -1 with err on a database error. */
int import_work_once(db_pool *pool, const unsigned char secret[32], app_metrics *metrics,
                     const bool *stop, mc_error *err);

#endif
