/* GET /healthz and GET /metrics: for load balancers and Prometheus, no credentials. */
#include <string.h>

#include "api/internal.h"
#include "campaign/complaint_guard.h"
#include "core/buf.h"
#include "core/log.h"
#include "queue/queue_depth.h"
#include "queue/warmup.h"
#include "track/tracker.h"

void api_healthz(http_request *req, void *ctx)
{
    api_context *api = ctx;
    mc_error err;
    PGconn *conn = db_pool_acquire(api->app->pool, 2000, &err);
    PGresult *res = conn ? PQexec(conn, "SELECT 1") : NULL;
    bool ok = res && PQresultStatus(res) == PGRES_TUPLES_OK;
    PQclear(res);
    if (conn) db_pool_release(api->app->pool, conn);
    if (ok)
        http_respond_json(req, 200, json_pack("{s:s, s:s}", "status", "ok", "database", "ok"));
    else
        http_respond_json(req, 503,
                          json_pack("{s:s, s:s}", "status", "unavailable", "database", "down"));
}

void api_metrics(http_request *req, void *ctx)
{
    api_context *api = ctx;
    buf_t out = BUF_INIT;
    http_metrics_render(api->metrics, api->router, &out);
    app_metrics_render(&api->app->metrics, &out);
    tracker_render_metrics(api->app->tracker, &out);
    /* a database that does not answer leaves the gauge out rather than failing the scrape */
    mc_error err;
    queue_depth depth;
    PGconn *conn = db_pool_acquire(api->app->pool, 2000, &err);
    if (conn && queue_depth_read(conn, &depth, &err) == 0)
        queue_depth_render(&depth, &out);
    else
        log_warn("metrics: queue depth: %s", err.message);
    if (conn && warmup_render_metrics(conn, &api->app->mail.warmup, &out, &err) < 0)
        log_warn("metrics: warm-up: %s", err.message);
    if (conn && complaint_guard_render_metrics(conn, &api->app->config, &out, &err) < 0)
        log_warn("metrics: complaint guard: %s", err.message);
    if (conn) db_pool_release(api->app->pool, conn);
    db_pool_stats stats;
    db_pool_get_stats(api->app->pool, &stats);
    buf_appendf(&out,
                "# HELP mailcast_db_pool_connections Database connections by state.\n"
                "# TYPE mailcast_db_pool_connections gauge\n"
                "mailcast_db_pool_connections{state=\"size\"} %u\n"
                "mailcast_db_pool_connections{state=\"open\"} %u\n"
                "mailcast_db_pool_connections{state=\"in_use\"} %u\n"
                "# HELP mailcast_db_pool_waits_total Takes that waited for a free connection.\n"
                "# TYPE mailcast_db_pool_waits_total counter\n"
                "mailcast_db_pool_waits_total %llu\n"
                "# HELP mailcast_db_pool_connect_errors_total Failed connection attempts.\n"
                "# TYPE mailcast_db_pool_connect_errors_total counter\n"
                "mailcast_db_pool_connect_errors_total %llu\n",
                stats.size, stats.open, stats.in_use, stats.waits, stats.errors);
    http_respond(req, 200, "text/plain; version=0.0.4; charset=utf-8", out.p, out.n);
    buf_free(&out);
}
