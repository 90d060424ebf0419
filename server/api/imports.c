/* POST /api/v1/imports (multipart upload), GET /api/v1/imports[/{id}[/errors]] */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api/internal.h"
#include "audience/import.h"
#include "core/alloc.h"
#include "core/log.h"
#include "core/secret.h"
#include "http/upload.h"

/* Moves the uploaded file to <data_dir>/imports/<random>.csv, where the job will read it.
 * returns the new path (caller frees with free()), or NULL with err. */
static char *store_file(http_request *req, api_context *api, mc_error *err)
{
    char dir[1024], name[64];
    snprintf(dir, sizeof dir, "%s/imports", api->app->config.data_dir);
    if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
        log_error("imports: cannot create %s", dir);
        mc_error_set(err, 500, "storage", "", "the server cannot store the upload");
        return NULL;
    }
    secret_random_token("", 18, name, sizeof name);
    buf_t path = BUF_INIT;
    buf_appendf(&path, "%s/%s.csv", dir, name);
    if (http_upload_claim(req, "file", buf_cstr(&path), err) < 0) {
        buf_free(&path);
        return NULL;
    }
    return buf_detach(&path, NULL);
}

void api_imports_create(http_request *req, void *ctx)
{
    api_context *api = ctx;
    mc_error err;
    if (http_upload_status(req, &err) < 0) {
        http_respond_error(req, &err);
        return;
    }
    const char *file_name = NULL;
    const char *temp = http_upload_file(req, "file", &file_name);
    const char *options = http_upload_field(req, "options");
    if (!temp) {
        http_respond_error_with(req, 400, "invalid_field", "file", "the form needs a file part");
        return;
    }
    if (import_check(temp, options, &err) < 0) {
        http_respond_error(req, &err);
        return;
    }
    PGconn *conn = api_db(req, api);
    if (!conn) return;
    char *stored = store_file(req, api, &err);
    json_t *job =
        stored ? import_queue(conn, stored, file_name, options, req->user_id, &err) : NULL;
    if (!job && stored) unlink(stored);
    free(stored);
    if (job && api->job_queued) api->job_queued(api->job_queued_arg);
    api_respond_object(req, 202, job, &err);
}

void api_imports_list(http_request *req, void *ctx)
{
    api_page page;
    PGconn *conn = api_page_and_db(req, ctx, &page);
    if (!conn) return;
    mc_error err;
    api_respond_object(req, 200, import_list(conn, page.after, page.limit, &err), &err);
}

void api_imports_get(http_request *req, void *ctx)
{
    mc_error err;
    long long id;
    PGconn *conn = api_id_and_db(req, ctx, &id);
    if (!conn) return;
    api_respond_object(req, 200, import_get(conn, id, &err), &err);
}

static ssize_t report_read(void *ctx, char *out, size_t cap)
{
    return import_report_read(ctx, out, cap);
}

static void report_free(void *ctx)
{
    import_report_free(ctx);
}

void api_imports_errors(http_request *req, void *ctx)
{
    api_context *api = ctx;
    mc_error err;
    long long id;
    PGconn *conn = api_id_and_db(req, api, &id);
    if (!conn) return;
    import_report *report = import_report_new(conn, id, &err);
    if (!report) {
        http_respond_error(req, &err);
        return;
    }
    char disposition[96];
    snprintf(disposition, sizeof disposition, "attachment; filename=\"import-%lld-errors.csv\"",
             id);
    http_add_header(req, "Content-Disposition", disposition);
    api_respond_stream_with_db(req, api, "text/csv; charset=utf-8", report_read, report,
                               report_free);
}
