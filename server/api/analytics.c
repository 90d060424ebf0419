/* The analytics routes: a campaign's stats, several side by side, a subscriber's activity and
 * a list's growth. Parsing here; the queries are track/analytics.c's. */
#include <math.h>

#include "api/internal.h"
#include "automation/conversions.h"
#include "http/request.h"
#include "track/analytics.h"

/* Adds "conversions", "revenue" and "revenue_per_recipient" (revenue over messages sent) to
 * each campaign of stats, the answer of track_campaign_stats() for ids[0..n). Takes over stats.
 * returns stats, or NULL with err. */
static json_t *with_revenue(PGconn *conn, json_t *stats, const long long *ids, int n, mc_error *err)
{
    long long conversions[TRACK_COMPARE_MAX];
    double revenue[TRACK_COMPARE_MAX];
    if (!stats) return NULL;
    if (conversion_totals(conn, ids, n, conversions, revenue, err) < 0) {
        json_decref(stats);
        return NULL;
    }
    for (int i = 0; i < n; i++) {
        json_t *campaign = json_array_get(stats, (size_t)i);
        json_int_t sent = json_integer_value(json_object_get(campaign, "sent"));
        /* to a hundredth of a cent: a few orders over many recipients stay visible */
        double per = sent > 0 ? round(revenue[i] / (double)sent * 10000) / 10000 : 0;
        json_object_set_new(campaign, "conversions", json_integer(conversions[i]));
        json_object_set_new(campaign, "revenue", json_real(revenue[i]));
        json_object_set_new(campaign, "revenue_per_recipient", json_real(per));
    }
    return stats;
}

void api_campaigns_stats(http_request *req, void *ctx)
{
    mc_error err;
    long long id;
    PGconn *conn = api_id_and_db(req, ctx, &id);
    if (!conn) return;
    json_t *stats =
        with_revenue(conn, track_campaign_stats(conn, &id, 1, "id", &err), &id, 1, &err);
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
    json_t *items =
        with_revenue(conn, track_campaign_stats(conn, ids, n, "ids", &err), ids, n, &err);
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
