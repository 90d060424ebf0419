/* /api/v1/templates: CRUD and POST /api/v1/templates/{id}/preview */
#include "api/internal.h"
#include "content/template_store.h"

void api_templates_list(http_request *req, void *ctx)
{
    api_page page;
    PGconn *conn = api_page_and_db(req, ctx, &page);
    if (!conn) return;
    mc_error err;
    api_respond_object(req, 200,
                       template_store_list(conn, http_query(req, "kind"), page.after, page.limit,
                                           page.total, &err),
                       &err);
}

void api_templates_create(http_request *req, void *ctx)
{
    api_context *api = ctx;
    json_t *body;
    PGconn *conn = api_body_and_db(req, api, &body);
    if (!conn) return;
    mc_error err;
    json_t *obj = template_store_create(conn, body, api->app->config.templates_dir, &err);
    json_decref(body);
    api_respond_object(req, 201, obj, &err);
}

void api_templates_get(http_request *req, void *ctx)
{
    mc_error err;
    long long id;
    PGconn *conn = api_id_and_db(req, ctx, &id);
    if (!conn) return;
    api_respond_object(req, 200, template_store_get(conn, id, &err), &err);
}

static void update(http_request *req, api_context *api, bool replace)
{
    long long id;
    json_t *body;
    PGconn *conn = api_id_body_and_db(req, api, &id, &body);
    if (!conn) return;
    mc_error err;
    json_t *obj =
        template_store_update(conn, id, body, replace, api->app->config.templates_dir, &err);
    json_decref(body);
    api_respond_object(req, 200, obj, &err);
}

void api_templates_put(http_request *req, void *ctx)
{
    update(req, ctx, true);
}

void api_templates_patch(http_request *req, void *ctx)
{
    update(req, ctx, false);
}

void api_templates_delete(http_request *req, void *ctx)
{
    mc_error err;
    long long id;
    PGconn *conn = api_id_and_db(req, ctx, &id);
    if (!conn) return;
    if (template_store_delete(conn, id, &err) < 0)
        http_respond_error(req, &err);
    else
        http_respond(req, 204, NULL, "", 0);
}

void api_templates_preview(http_request *req, void *ctx)
{
    api_context *api = ctx;
    long long id;
    PGconn *conn = api_id_and_db(req, api, &id);
    if (!conn) return;
    mc_error err;
    /* an empty body previews with no data */
    json_t *body = req->body.n ? NULL : json_object();
    if (!body && http_json_body(req, &body, &err) < 0) {
        http_respond_error(req, &err);
        return;
    }
    const config_t *cfg = &api->app->config;
    template_footer footer = {cfg->sender_name, cfg->postal_address, &api->app->catalogs};
    json_t *obj = template_store_preview(conn, id, body, cfg->templates_dir, &footer, &err);
    json_decref(body);
    api_respond_object(req, 200, obj, &err);
}
