/* The analytics routes: a campaign's stats, several side by side, a subscriber's activity and
 * a list's growth. Parsing here; the queries are track/analytics.c's. */
#include "api/internal.h"
#include "http/request.h"
#include "track/analytics.h"

void api_campaigns_stats(http_request *req, void *ctx)
{
    mc_error err;
    long long id;
    PGconn *conn = api_id_and_db(req, ctx, &id);
    if (!conn) return;
    json_t *stats = track_campaign_stats(conn, &id, 1, "id", &err);
    json_t *one = stats ? json_incref(json_array_get(stats, 0)) : NULL;
    json_decref(stats);
    api_respond_object(req, 200, one, &err);
}

void api_campaigns_stats_compare(http_request *req, void *ctx)
{
    mc_error err;
    long long ids[TRACK_COMPARE_MAX];
    int n = track_parse_ids(http_query(req, "ids"), ids, "ids", &err);
    if (n < 0) {
        http_respond_error(req, &err);
        return;
    }
    PGconn *conn = api_db(req, ctx);
    if (!conn) return;
    json_t *items = track_campaign_stats(conn, ids, n, "ids", &err);
    api_respond_object(req, 200, items ? json_pack("{s:o}", "items", items) : NULL, &err);
}

void api_subscribers_activity(http_request *req, void *ctx)
{
    mc_error err;
    long long id;
    api_page page;
    if (api_page_parse(req, &page, &err) < 0) {
        http_respond_error(req, &err);
        return;
    }
    PGconn *conn = api_id_and_db(req, ctx, &id);
    if (!conn) return;
    api_respond_object(req, 200, track_subscriber_activity(conn, id, page.after, page.limit, &err),
                       &err);
}

void api_lists_growth(http_request *req, void *ctx)
{
    mc_error err;
    track_growth_query q;
    if (track_growth_parse(http_query(req, "from"), http_query(req, "to"),
                           http_query(req, "interval"), &q, &err) < 0) {
        http_respond_error(req, &err);
        return;
    }
    long long id;
    PGconn *conn = api_id_and_db(req, ctx, &id);
    if (!conn) return;
    api_respond_object(req, 200, track_list_growth(conn, id, &q, &err), &err);
}
