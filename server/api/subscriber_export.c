/* GET /api/v1/subscribers/export: CSV of the subscribers matching the listing's filters,
 * streamed. The request's database connection moves to the stream and goes back to the pool
 * when the body is done or the client leaves. */
#include "api/internal.h"
#include "audience/export.h"

static ssize_t export_read(void *ctx, char *out, size_t cap)
{
    return subscriber_export_read(ctx, out, cap);
}

static void export_free(void *ctx)
{
    subscriber_export_free(ctx);
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
    http_add_header(req, "Content-Disposition", "attachment; filename=\"subscribers.csv\"");
    http_add_header(req, "Cache-Control", "no-store");
    api_respond_stream_with_db(req, api, "text/csv; charset=utf-8", export_read, export,
                               export_free);
}
