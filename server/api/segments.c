/* /api/v1/segments: saved rules, their counts and previews, and counting an unsaved rule. */
#include <stdlib.h>

#include "api/internal.h"
#include "audience/segments.h"

void api_segments_list(http_request *req, void *ctx)
{
    api_page page;
    PGconn *conn = api_page_and_db(req, ctx, &page);
    if (!conn) return;
    mc_error err;
    api_respond_object(req, 200, segment_list(conn, page.after, page.limit, page.total, &err),
                       &err);
}

void api_segments_create(http_request *req, void *ctx)
{
    json_t *body;
    PGconn *conn = api_body_and_db(req, ctx, &body);
    if (!conn) return;
    mc_error err;
    json_t *obj = segment_create(conn, body, &err);
    json_decref(body);
    api_respond_object(req, 201, obj, &err);
}

void api_segments_evaluate(http_request *req, void *ctx)
{
    json_t *body;
    PGconn *conn = api_body_and_db(req, ctx, &body);
    if (!conn) return;
    mc_error err;
    long long count;
    json_t *rule = json_object_get(body, "rule");
    int rc = rule ? segment_count_rule(conn, rule, &count, &err)
                  : mc_error_set(&err, 400, "invalid_rule", "rule", "rule is required");
    json_decref(body);
    api_respond_object(req, 200, rc < 0 ? NULL : json_pack("{s:I}", "count", (json_int_t)count),
                       &err);
}

void api_segments_get(http_request *req, void *ctx)
{
    mc_error err;
    long long id;
    PGconn *conn = api_id_and_db(req, ctx, &id);
    if (!conn) return;
    api_respond_object(req, 200, segment_get(conn, id, &err), &err);
}

void api_segments_put(http_request *req, void *ctx)
{
    mc_error err;
    long long id;
    json_t *body;
    PGconn *conn = api_id_body_and_db(req, ctx, &id, &body);
    if (!conn) return;
    json_t *obj = segment_update(conn, id, body, &err);
    json_decref(body);
    api_respond_object(req, 200, obj, &err);
}

void api_segments_delete(http_request *req, void *ctx)
{
    mc_error err;
    long long id;
    PGconn *conn = api_id_and_db(req, ctx, &id);
    if (!conn) return;
    if (segment_delete(conn, id, &err) < 0)
        http_respond_error(req, &err);
    else
        http_respond(req, 204, NULL, "", 0);
}

void api_segments_count(http_request *req, void *ctx)
{
    mc_error err;
    long long id, count;
    if (http_param_id(req, 0, &id, &err) < 0) {
        http_respond_error(req, &err);
        return;
    }
    PGconn *conn = api_db(req, ctx);
    if (!conn) return;
    int rc = segment_count(conn, id, &count, &err);
    api_respond_object(req, 200, rc < 0 ? NULL : json_pack("{s:I}", "count", (json_int_t)count),
                       &err);
}

void api_segments_preview(http_request *req, void *ctx)
{
    mc_error err;
    long long id;
    if (http_param_id(req, 0, &id, &err) < 0) {
        http_respond_error(req, &err);
        return;
    }
    int limit = 20;
    const char *text = http_query(req, "limit");
    if (text) {
        char *end;
        long v = strtol(text, &end, 10);
        if (!text[0] || *end || v < 1 || v > 100) {
            mc_error_set(&err, 400, "invalid_field", "limit", "limit must be from 1 to 100");
            http_respond_error(req, &err);
            return;
        }
        limit = (int)v;
    }
    PGconn *conn = api_db(req, ctx);
    if (!conn) return;
    api_respond_object(req, 200, segment_preview(conn, id, limit, &err), &err);
}
