/* GET /api/v1/subscribers/export: CSV of the subscribers matching the listing's filters,
 * streamed. The request's database connection moves to the stream and goes back to the pool
 * when the body is done or the client leaves. */
#include <stdlib.h>

#include "core/alloc.h"

#include "api/internal.h"
#include "audience/export.h"
#include "http/stream.h"

typedef struct {
    subscriber_export *export;
    db_pool *pool;
    PGconn *conn;
} export_stream;

static ssize_t export_read(void *ctx, char *out, size_t cap)
{
    export_stream *s = ctx;
    return subscriber_export_read(s->export, out, cap);
}

static void export_free(void *ctx)
{
    export_stream *s = ctx;
    subscriber_export_free(s->export);
    db_pool_release(s->pool, s->conn);
    free(s);
}

void api_subscribers_export(http_request *req, void *ctx)
{
    api_context *api = ctx;
    mc_error err;
    subscriber_filter filter;
    if (api_subscriber_filter_parse(req, &filter, &err) < 0) {
        http_respond_error(req, &err);
        return;
    }
    PGconn *conn = api_db(req, api);
    if (!conn) return;
    subscriber_export *export = subscriber_export_new(conn, &filter, &err);
    if (!export) {
        http_respond_error(req, &err);
        return;
    }
    export_stream *s = xmalloc(sizeof *s);
    *s = (export_stream){export, api->app->pool, conn};
    req->local = NULL; /* the stream gives the connection back */
    http_add_header(req, "Content-Disposition", "attachment; filename=\"subscribers.csv\"");
    http_add_header(req, "Cache-Control", "no-store");
    http_respond_stream(req, 200, "text/csv; charset=utf-8", export_read, s, export_free);
}
