/* /api/v1/lists and /api/v1/lists/{id}/subscribers */
#include "api/internal.h"
#include "audience/lists.h"

void api_lists_list(http_request *req, void *ctx)
{
    api_page page;
    PGconn *conn = api_page_and_db(req, ctx, &page);
    if (!conn) return;
    mc_error err;
    json_t *list =
        list_list(conn, http_query(req, "visibility"), page.after, page.limit, page.total, &err);
    api_respond_object(req, 200, list, &err);
}

void api_lists_create(http_request *req, void *ctx)
{
    json_t *body;
    PGconn *conn = api_body_and_db(req, ctx, &body);
    if (!conn) return;
    mc_error err;
    json_t *obj = list_create(conn, body, &err);
    json_decref(body);
    api_respond_object(req, 201, obj, &err);
}

void api_lists_get(http_request *req, void *ctx)
{
    mc_error err;
    long long id;
    PGconn *conn = api_id_and_db(req, ctx, &id);
    if (!conn) return;
    api_respond_object(req, 200, list_get(conn, id, &err), &err);
}

/* The shape of every handler that takes an id and a body. */
typedef json_t *(*list_body_fn)(http_request *req, api_context *ctx, PGconn *conn, long long id,
                                json_t *body, mc_error *err);

static void with_id_and_body(http_request *req, void *ctx, list_body_fn fn)
{
    mc_error err;
    long long id;
    json_t *body;
    PGconn *conn = api_id_body_and_db(req, ctx, &id, &body);
    if (!conn) return;
    json_t *obj = fn(req, ctx, conn, id, body, &err);
    json_decref(body);
    api_respond_object(req, 200, obj, &err);
}

static json_t *do_put(http_request *req, api_context *ctx, PGconn *conn, long long id, json_t *body,
                      mc_error *err)
{
    return list_update(conn, id, body, true, err);
}

static json_t *do_patch(http_request *req, api_context *ctx, PGconn *conn, long long id,
                        json_t *body, mc_error *err)
{
    return list_update(conn, id, body, false, err);
}

static json_t *do_members_put(http_request *req, api_context *ctx, PGconn *conn, long long id,
                              json_t *body, mc_error *err)
{
    audience_origin origin;
    api_audience_origin(req, ctx, &origin);
    return list_members_put(conn, id, body, &origin, err);
}

static json_t *do_members_delete(http_request *req, api_context *ctx, PGconn *conn, long long id,
                                 json_t *body, mc_error *err)
{
    return list_members_delete(conn, id, body, err);
}

void api_lists_put(http_request *req, void *ctx)
{
    with_id_and_body(req, ctx, do_put);
}

void api_lists_patch(http_request *req, void *ctx)
{
    with_id_and_body(req, ctx, do_patch);
}

void api_lists_members_put(http_request *req, void *ctx)
{
    with_id_and_body(req, ctx, do_members_put);
}

void api_lists_members_delete(http_request *req, void *ctx)
{
    with_id_and_body(req, ctx, do_members_delete);
}

void api_lists_delete(http_request *req, void *ctx)
{
    mc_error err;
    long long id;
    PGconn *conn = api_id_and_db(req, ctx, &id);
    if (!conn) return;
    if (list_delete(conn, id, &err) < 0)
        http_respond_error(req, &err);
    else
        http_respond(req, 204, NULL, "", 0);
}
