/* /api/v1/triggers: definitions (with their versions), pause and resume, the subscribers on a
 * trigger and its numbers. */
#include "api/internal.h"
#include "automation/trigger_defs.h"

void api_triggers_list(http_request *req, void *ctx)
{
    api_page page;
    PGconn *conn = api_page_and_db(req, ctx, &page);
    if (!conn) return;
    mc_error err;
    api_respond_object(req, 200, trigger_list(conn, page.after, page.limit, page.total, &err),
                       &err);
}

void api_triggers_create(http_request *req, void *ctx)
{
    api_context *api = ctx;
    json_t *body;
    PGconn *conn = api_body_and_db(req, api, &body);
    if (!conn) return;
    mc_error err;
    json_t *obj = trigger_create(conn, body, api->app->config.templates_dir, &err);
    json_decref(body);
    api_respond_object(req, 201, obj, &err);
}

void api_triggers_get(http_request *req, void *ctx)
{
    mc_error err;
    long long id;
    PGconn *conn = api_id_and_db(req, ctx, &id);
    if (!conn) return;
    api_respond_object(req, 200, trigger_get(conn, id, &err), &err);
}

static void update(http_request *req, api_context *api, bool replace)
{
    long long id;
    json_t *body;
    PGconn *conn = api_id_body_and_db(req, api, &id, &body);
    if (!conn) return;
    mc_error err;
    json_t *obj = trigger_update(conn, id, body, replace, api->app->config.templates_dir, &err);
    json_decref(body);
    api_respond_object(req, 200, obj, &err);
}

void api_triggers_put(http_request *req, void *ctx)
{
    update(req, ctx, true);
}

void api_triggers_patch(http_request *req, void *ctx)
{
    update(req, ctx, false);
}

void api_triggers_delete(http_request *req, void *ctx)
{
    mc_error err;
    long long id;
    PGconn *conn = api_id_and_db(req, ctx, &id);
    if (!conn) return;
    if (trigger_delete(conn, id, &err) < 0)
        http_respond_error(req, &err);
    else
        http_respond(req, 204, NULL, "", 0);
}

static void set_enabled(http_request *req, void *ctx, bool enabled)
{
    mc_error err;
    long long id;
    PGconn *conn = api_id_and_db(req, ctx, &id);
    if (!conn) return;
    api_respond_object(req, 200, trigger_set_enabled(conn, id, enabled, &err), &err);
}

void api_triggers_pause(http_request *req, void *ctx)
{
    set_enabled(req, ctx, false);
}

void api_triggers_resume(http_request *req, void *ctx)
{
    set_enabled(req, ctx, true);
}

void api_triggers_stats(http_request *req, void *ctx)
{
    mc_error err;
    long long id;
    PGconn *conn = api_id_and_db(req, ctx, &id);
    if (!conn) return;
    api_respond_object(req, 200, trigger_stats(conn, id, &err), &err);
}

void api_triggers_enrollments(http_request *req, void *ctx)
{
    mc_error err;
    long long id;
    if (http_param_id(req, 0, &id, &err) < 0) {
        http_respond_error(req, &err);
        return;
    }
    api_page page;
    PGconn *conn = api_page_and_db(req, ctx, &page);
    if (!conn) return;
    api_respond_object(req, 200,
                       trigger_enrollments(conn, id, http_query(req, "state"), page.after,
                                           page.limit, page.total, &err),
                       &err);
}
