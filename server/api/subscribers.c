/* /api/v1/subscribers: listing with filters, create, bulk actions, and one subscriber. */
#include <stdlib.h>
#include <string.h>

#include "api/internal.h"
#include "audience/subscribers.h"
#include "track/bounce_store.h"

/* Reads a query-string id (list=, segment=). returns 0 with *id (0 when absent) or -1. */
static int query_id(http_request *req, const char *name, long long *id, mc_error *err)
{
    const char *text = http_query(req, name);
    *id = 0;
    if (!text || !text[0]) return 0;
    char *end;
    long long v = strtoll(text, &end, 10);
    if (*end || v <= 0)
        return mc_error_set(err, 400, "invalid_field", name, "%s must be a positive id", name);
    *id = v;
    return 0;
}

int api_subscriber_filter_parse(http_request *req, subscriber_filter *f, mc_error *err)
{
    memset(f, 0, sizeof *f);
    f->query = http_query(req, "query");
    f->status = http_query(req, "status");
    f->list_status = http_query(req, "list_status");
    if (f->status && !f->status[0]) f->status = NULL;
    if (f->list_status && !f->list_status[0]) f->list_status = NULL;
    if (query_id(req, "list", &f->list_id, err) < 0 ||
        query_id(req, "segment", &f->segment_id, err) < 0)
        return -1;
    return subscriber_filter_check(f, err);
}

void api_subscribers_list(http_request *req, void *ctx)
{
    mc_error err;
    api_page page;
    subscriber_filter filter;
    if (api_page_parse(req, &page, &err) < 0 ||
        api_subscriber_filter_parse(req, &filter, &err) < 0) {
        http_respond_error(req, &err);
        return;
    }
    PGconn *conn = api_db(req, ctx);
    if (!conn) return;
    json_t *list = subscriber_list(conn, &filter, page.after, page.limit, page.total, &err);
    api_respond_object(req, 200, list, &err);
}

/* Adds the summary of the subscriber's bounces and complaints to obj (GET only: the other
 * routes answer what they changed). Takes over obj. returns obj, or NULL with err. */
static json_t *with_bounces(PGconn *conn, json_t *obj, mc_error *err)
{
    json_t *bounces = bounce_summary(conn, json_integer_value(json_object_get(obj, "id")), err);
    if (!bounces) {
        json_decref(obj);
        return NULL;
    }
    json_object_set_new(obj, "bounces", bounces);
    return obj;
}

void api_subscribers_create(http_request *req, void *ctx)
{
    json_t *body;
    PGconn *conn = api_body_and_db(req, ctx, &body);
    if (!conn) return;
    mc_error err;
    audience_origin origin;
    long long existing = 0;
    api_audience_origin(req, ctx, &origin);
    json_t *obj = subscriber_create(conn, body, &origin, &existing, &err);
    json_decref(body);
    if (obj)
        http_respond_json(req, 201, obj);
    else
        api_respond_error_with_id(req, &err, existing);
}

void api_subscribers_bulk(http_request *req, void *ctx)
{
    json_t *body;
    PGconn *conn = api_body_and_db(req, ctx, &body);
    if (!conn) return;
    mc_error err;
    audience_origin origin;
    api_audience_origin(req, ctx, &origin);
    json_t *result = subscriber_bulk(conn, body, &origin, &err);
    json_decref(body);
    api_respond_object(req, 200, result, &err);
}

void api_subscribers_get(http_request *req, void *ctx)
{
    mc_error err;
    long long id;
    PGconn *conn = api_id_and_db(req, ctx, &id);
    if (!conn) return;
    json_t *obj = subscriber_get(conn, id, &err);
    api_respond_object(req, 200, obj ? with_bounces(conn, obj, &err) : NULL, &err);
}

static void update(http_request *req, void *ctx, bool replace)
{
    mc_error err;
    long long id;
    json_t *body;
    PGconn *conn = api_id_body_and_db(req, ctx, &id, &body);
    if (!conn) return;
    audience_origin origin;
    long long existing = 0;
    api_audience_origin(req, ctx, &origin);
    json_t *obj = subscriber_update(conn, id, body, replace, &origin, &existing, &err);
    json_decref(body);
    if (obj)
        http_respond_json(req, 200, obj);
    else
        api_respond_error_with_id(req, &err, existing);
}

void api_subscribers_put(http_request *req, void *ctx)
{
    update(req, ctx, true);
}

void api_subscribers_patch(http_request *req, void *ctx)
{
    update(req, ctx, false);
}

void api_subscribers_delete(http_request *req, void *ctx)
{
    mc_error err;
    long long id;
    PGconn *conn = api_id_and_db(req, ctx, &id);
    if (!conn) return;
    if (subscriber_delete(conn, id, &err) < 0)
        http_respond_error(req, &err);
    else
        http_respond(req, 204, NULL, "", 0);
}
