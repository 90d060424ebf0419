/* Import job rows: queueing, status, the error report, and claiming jobs for the worker.
 * A job is locked by "host:pid"; a job locked by a process of this host that no longer exists
 * is taken over at once, one whose lock is older than LOCK_STALE elsewhere after that. */
#include "audience/import.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audience/csv_reader.h"
#include "audience/import_options.h"
#include "audience/import_run.h"
#include "audience/membership.h"
#include "core/alloc.h"
#include "core/buf.h"
#include "core/log.h"
#include "db/json_rows.h"
#include "db/listen.h"
#include "db/query.h"

#define MAX_ATTEMPTS   3
#define ERRORS_SHOWN   20
#define REPORT_BATCH   5000
#define LOCK_STALE_SQL "interval '2 minutes'"

typedef struct {
    import_options *options;
    mc_error *err;
    int rc;
} header_check;

static int check_header(void *ctx, long long row, const str_t *fields, int count)
{
    (void)row;
    header_check *h = ctx;
    h->rc = import_plan(h->options, fields, count, h->err);
    return h->rc < 0 ? -1 : 1; /* the header is all this needs */
}

static int header_unreadable(void *ctx, long long row, const char *message)
{
    (void)row;
    header_check *h = ctx;
    h->rc = mc_error_set(h->err, 400, "invalid_field", "file", "the header row cannot be read: %s",
                         message);
    return -1;
}

int import_check(const char *path, const char *options, mc_error *err)
{
    import_options o;
    if (import_options_parse(options, &o, err) < 0) {
        import_options_free(&o);
        return -1;
    }
    FILE *f = fopen(path, "rb");
    header_check h = {&o, err, 1};
    int rc = f ? csv_read(f, check_header, header_unreadable, &h, err) : -1;
    if (!f) mc_error_set(err, 500, "storage", "file", "the upload cannot be read");
    if (f) fclose(f);
    if (rc == 0 && h.rc == 1)
        rc = mc_error_set(err, 400, "invalid_field", "file", "the file is empty");
    import_options_free(&o);
    return rc < 0 || h.rc < 0 ? -1 : 0;
}

json_t *import_queue(PGconn *conn, const char *stored_path, const char *file_name,
                     const char *options, long long user_id, mc_error *err)
{
    import_options o;
    int rc = import_options_parse(options, &o, err);
    if (rc == 0) rc = membership_check_ids(conn, true, buf_cstr(&o.lists), "lists", err);
    import_options_free(&o);
    if (rc < 0) return NULL;
    char user[32];
    snprintf(user, sizeof user, "%lld", user_id);
    const char *params[] = {stored_path, file_name ? file_name : "",
                            options && options[0] ? options : "{}", user_id > 0 ? user : NULL};
    /* workers in other processes are woken when it commits */
    PGresult *res =
        db_query_notify(conn,
                        "INSERT INTO imports (file_path, file_name, options, created_by)"
                        " VALUES ($1, $2, $3::jsonb, $4) RETURNING id, state",
                        4, params, DB_WORK_CHANNEL, "import", err);
    if (!res) return NULL;
    json_t *obj =
        json_pack("{s:I, s:s}", "id", (json_int_t)strtoll(PQgetvalue(res, 0, 0), NULL, 10), "state",
                  PQgetvalue(res, 0, 1));
    PQclear(res);
    return obj;
}

#define IMPORT_JSON                                                                                \
    "json_build_object('id', i.id, 'state', i.state, 'file_name', i.file_name,"                    \
    " 'rows_total', i.rows_total, 'rows_done', i.rows_done, 'rows_failed', i.rows_failed,"         \
    " 'failure', i.failure, 'created_at', mc_rfc3339(i.created_at), 'started_at',"                 \
    " mc_rfc3339(i.started_at), 'finished_at', mc_rfc3339(i.finished_at))"

json_t *import_get(PGconn *conn, long long id, mc_error *err)
{
    char id_text[32], shown[16];
    snprintf(id_text, sizeof id_text, "%lld", id);
    snprintf(shown, sizeof shown, "%d", ERRORS_SHOWN);
    const char *params[] = {id_text, shown};
    PGresult *res =
        db_query(conn,
                 "SELECT (" IMPORT_JSON "::jsonb || jsonb_build_object('errors', COALESCE((SELECT"
                 " jsonb_agg(jsonb_build_object('row', e.row_number, 'message', e.message) ORDER BY"
                 " e.row_number) FROM (SELECT * FROM import_errors WHERE import_id = i.id ORDER BY"
                 " row_number LIMIT $2) e), '[]'::jsonb)))::text FROM imports i WHERE i.id = $1",
                 2, params, err);
    if (!res) return NULL;
    json_t *obj = NULL;
    if (PQntuples(res) == 1)
        obj = json_loads(PQgetvalue(res, 0, 0), 0, NULL);
    else
        mc_error_set(err, 404, "not_found", "id", "no import has the id %lld", id);
    PQclear(res);
    return obj;
}

json_t *import_list(PGconn *conn, long long before, int limit, mc_error *err)
{
    /* newest first: the cursor is the last id seen, and the first page starts above any id */
    return db_keyset_page(conn,
                          "SELECT i.id, " IMPORT_JSON "::text FROM imports i WHERE i.id < $1"
                          " ORDER BY i.id DESC LIMIT $2",
                          NULL, 0, NULL, before > 0 ? before : (1LL << 62), limit, false, err);
}

/* ---- the error report ---- */

struct import_report {
    PGconn *conn;
    char id[32];
    long long after;
    buf_t pending;
    size_t offset;
    bool finished;
};

import_report *import_report_new(PGconn *conn, long long id, mc_error *err)
{
    char id_text[32];
    snprintf(id_text, sizeof id_text, "%lld", id);
    const char *params[] = {id_text};
    PGresult *res = db_query(conn, "SELECT 1 FROM imports WHERE id = $1", 1, params, err);
    if (!res) return NULL;
    int found = PQntuples(res);
    PQclear(res);
    if (!found) {
        mc_error_set(err, 404, "not_found", "id", "no import has the id %lld", id);
        return NULL;
    }
    import_report *r = xcalloc(1, sizeof *r);
    r->conn = conn;
    memcpy(r->id, id_text, sizeof r->id);
    buf_append_cstr(&r->pending, "row,message\r\n");
    return r;
}

static int report_batch(import_report *r)
{
    char after[32], limit[16];
    snprintf(after, sizeof after, "%lld", r->after);
    snprintf(limit, sizeof limit, "%d", REPORT_BATCH);
    const char *params[] = {r->id, after, limit};
    mc_error err;
    PGresult *res = db_query(r->conn,
                             "SELECT row_number, message FROM import_errors WHERE import_id = $1"
                             " AND row_number > $2 ORDER BY row_number LIMIT $3",
                             3, params, &err);
    if (!res) return -1;
    buf_reset(&r->pending);
    r->offset = 0;
    int rows = PQntuples(res);
    for (int i = 0; i < rows; i++) {
        const char *message = PQgetvalue(res, i, 1);
        buf_appendf(&r->pending, "%s,\"", PQgetvalue(res, i, 0));
        for (const char *p = message; *p; p++) {
            if (*p == '"') buf_putc(&r->pending, '"');
            buf_putc(&r->pending, *p);
        }
        buf_append(&r->pending, "\"\r\n", 3);
    }
    if (rows) r->after = strtoll(PQgetvalue(res, rows - 1, 0), NULL, 10);
    if (rows < REPORT_BATCH) r->finished = true;
    PQclear(res);
    return 0;
}

ssize_t import_report_read(import_report *r, char *out, size_t cap)
{
    while (r->offset == r->pending.n) {
        if (r->finished) return 0;
        if (report_batch(r) < 0) return -1;
    }
    size_t n = r->pending.n - r->offset;
    if (n > cap) n = cap;
    memcpy(out, r->pending.p + r->offset, n);
    r->offset += n;
    return (ssize_t)n;
}

void import_report_free(import_report *r)
{
    if (!r) return;
    buf_free(&r->pending);
    free(r);
}

/* ---- the worker's side ---- */

static void this_locker(char *out, size_t cap, char *host, size_t host_cap)
{
    if (gethostname(host, host_cap) != 0) snprintf(host, host_cap, "localhost");
    host[host_cap - 1] = '\0';
    snprintf(out, cap, "%s:%ld", host, (long)getpid());
}

/* Puts back in the queue the running jobs of processes of this host that are gone. */
static int requeue_orphans(PGconn *conn, const char *host, mc_error *err)
{
    PGresult *res =
        db_query(conn, "SELECT id, locked_by FROM imports WHERE state = 'running'", 0, NULL, err);
    if (!res) return -1;
    size_t host_len = strlen(host);
    for (int i = 0; i < PQntuples(res); i++) {
        const char *locker = PQgetvalue(res, i, 1);
        if (strncmp(locker, host, host_len) || locker[host_len] != ':') continue;
        long pid = strtol(locker + host_len + 1, NULL, 10);
        if (pid <= 0 || pid == (long)getpid() || kill((pid_t)pid, 0) == 0 || errno != ESRCH)
            continue;
        const char *params[] = {PQgetvalue(res, i, 0), locker};
        log_info("import %s: the process that ran it (%s) is gone; resuming it",
                 PQgetvalue(res, i, 0), locker);
        if (db_exec(conn,
                    "UPDATE imports SET state = 'queued', locked_by = NULL"
                    " WHERE id = $1 AND locked_by = $2 AND state = 'running'",
                    2, params, err) < 0) {
            PQclear(res);
            return -1;
        }
    }
    PQclear(res);
    return 0;
}

static void finish(PGconn *conn, long long id, const char *locker, const char *state,
                   const char *failure)
{
    char id_text[32];
    snprintf(id_text, sizeof id_text, "%lld", id);
    const char *params[] = {id_text, state, failure, locker};
    mc_error err;
    if (db_exec(conn,
                "UPDATE imports SET state = $2, failure = $3, finished_at = now(), locked_by = NULL"
                " WHERE id = $1 AND locked_by = $4",
                4, params, &err) < 0)
        log_error("import %lld: cannot record its end: %s", id, err.message);
}

int import_work_once(db_pool *pool, const unsigned char secret[32], app_metrics *metrics,
                     const bool *stop, mc_error *err)
{
    char locker[300], host[256];
    this_locker(locker, sizeof locker, host, sizeof host);
    PGconn *conn = db_pool_acquire(pool, 5000, err);
    if (!conn) return -1;
    int ran = -1;
    if (requeue_orphans(conn, host, err) < 0) goto done;
    const char *params[] = {locker};
    PGresult *res = db_query(
        conn,
        "UPDATE imports SET state = 'running', locked_by = $1, heartbeat_at = now(),"
        " attempts = attempts + 1, started_at = COALESCE(started_at, now())"
        " WHERE id = (SELECT id FROM imports WHERE state = 'queued' OR (state = 'running' AND"
        " heartbeat_at < now() - " LOCK_STALE_SQL ") ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED)"
        " RETURNING id, file_path, options::text, resume_row, rows_done, rows_failed, attempts",
        1, params, err);
    if (!res) goto done;
    if (PQntuples(res) == 0) {
        PQclear(res);
        ran = 0;
        goto done;
    }
    char *path = xstrdup(PQgetvalue(res, 0, 1));
    char *options = xstrdup(PQgetvalue(res, 0, 2));
    import_job job = {.id = strtoll(PQgetvalue(res, 0, 0), NULL, 10),
                      .file_path = path,
                      .options = options,
                      .locker = locker,
                      .resume_row = strtoll(PQgetvalue(res, 0, 3), NULL, 10),
                      .rows_done = strtoll(PQgetvalue(res, 0, 4), NULL, 10),
                      .rows_failed = strtoll(PQgetvalue(res, 0, 5), NULL, 10),
                      .secret = secret,
                      .stop = stop,
                      .metrics = metrics};
    int attempts = atoi(PQgetvalue(res, 0, 6));
    PQclear(res);
    ran = 1;
    if (attempts > MAX_ATTEMPTS) {
        char failure[200];
        snprintf(failure, sizeof failure,
                 "the import was interrupted %d times; it stopped after row %lld", MAX_ATTEMPTS,
                 job.resume_row);
        finish(conn, job.id, locker, "failed", failure);
        unlink(path);
    } else {
        log_info("import %lld: %s at row %lld", job.id, job.resume_row ? "resuming" : "starting",
                 job.resume_row + 1);
        mc_error run_err;
        int rc = import_run(conn, &job, &run_err);
        if (rc == 0) {
            finish(conn, job.id, locker, "finished", NULL);
            unlink(path);
            log_info("import %lld: finished, %lld rows imported, %lld refused", job.id,
                     job.rows_done, job.rows_failed);
        } else if (rc < 0 && strcmp(run_err.code, "lost_lock") != 0) {
            finish(conn, job.id, locker, "failed", run_err.message);
            unlink(path);
            log_warn("import %lld: failed: %s", job.id, run_err.message);
        }
    }
    free(path);
    free(options);
done:
    db_pool_release(pool, conn);
    return ran;
}
