/* A campaign's A/B test: its report (GET /api/v1/campaigns/{id}/ab) and a person's choice of
 * the winner (POST /api/v1/campaigns/{id}/ab/winner). The test's settings come and go with the
 * campaign (api/campaigns.c). */
#include "api/internal.h"
#include "audience/input.h"
#include "automation/ab_results.h"

void api_campaigns_ab_report(http_request *req, void *ctx)
{
    mc_error err;
    long long id;
    PGconn *conn = api_id_and_db(req, ctx, &id);
    if (!conn) return;
    api_respond_object(req, 200, ab_report(conn, id, &err), &err);
}

void api_campaigns_ab_winner(http_request *req, void *ctx)
{
    static const char *const fields[] = {"variant", NULL};
    long long id;
    json_t *body;
    PGconn *conn = api_id_body_and_db(req, ctx, &id, &body);
    if (!conn) return;
    mc_error err;
    json_t *variant = json_object_get(body, "variant");
    json_t *report = NULL;
    if (input_known_fields(body, fields, &err) == 0) {
        if (!json_is_integer(variant) || json_integer_value(variant) < 0 ||
            json_integer_value(variant) > 3)
            mc_error_set(&err, 400, "invalid_field", "variant",
                         "variant must be the index of one of the test's variants (0 for A)");
        else if (ab_choose_winner(conn, id, (int)json_integer_value(variant), req->user_id, &err) ==
                 0)
            report = ab_report(conn, id, &err);
    }
    json_decref(body);
    api_respond_object(req, 200, report, &err);
}
