/* /api/v1/campaigns: CRUD (PUT replaces, PATCH changes the fields given), duplicate, and the
 * lifecycle actions schedule, send, pause, resume and cancel, and the count of an audience
 * before it is saved. */
#include "api/internal.h"
#include "campaign/campaign_input.h"
#include "campaign/campaign_materialize.h"
#include "campaign/campaign_test_send.h"
#include "campaign/campaigns.h"

static campaign_env env_of(api_context *api)
{
    return (campaign_env){api->app->config.templates_dir, api->app->secret, &api->app->mail.relays,
                          &api->app->config};
}

static campaign_actor actor_of(http_request *req)
{
    return (campaign_actor){req->user_id, req->token_id, "api", NULL, false};
}

/* Answers obj, or err; a 409 caused by the campaign's state carries the state, so a client
 * knows where the campaign stands without asking again. */
static void respond(http_request *req, int status, json_t *obj, const mc_error *err,
                    const char *state)
{
    if (obj || err->status != 409 || !state[0]) {
        api_respond_object(req, status, obj, err);
        return;
    }
    json_t *error = json_pack("{s:s, s:s, s:s, s:s}", "code", err->code, "message", err->message,
                              "field", err->field, "state", state);
    http_respond_json(req, 409, json_pack("{s:o}", "error", error));
}

void api_campaigns_list(http_request *req, void *ctx)
{
    api_page page;
    PGconn *conn = api_page_and_db(req, ctx, &page);
    if (!conn) return;
    mc_error err;
    api_respond_object(
        req, 200,
        campaign_list(conn, http_query(req, "state"), page.after, page.limit, page.total, &err),
        &err);
}

void api_campaigns_create(http_request *req, void *ctx)
{
    api_context *api = ctx;
    json_t *body;
    PGconn *conn = api_body_and_db(req, api, &body);
    if (!conn) return;
    mc_error err;
    campaign_env env = env_of(api);
    campaign_actor by = actor_of(req);
    json_t *obj = campaign_create(conn, &env, body, &by, &err);
    json_decref(body);
    api_respond_object(req, 201, obj, &err);
}

void api_campaigns_get(http_request *req, void *ctx)
{
    mc_error err;
    long long id;
    PGconn *conn = api_id_and_db(req, ctx, &id);
    if (!conn) return;
    api_respond_object(req, 200, campaign_get(conn, id, &err), &err);
}

typedef json_t *(*edit_fn)(PGconn *conn, const campaign_env *env, long long id, json_t *body,
                           char state[CAMPAIGN_STATE_MAX], mc_error *err);

static void edit(http_request *req, api_context *api, edit_fn apply)
{
    long long id;
    json_t *body;
    PGconn *conn = api_id_body_and_db(req, api, &id, &body);
    if (!conn) return;
    mc_error err;
    campaign_env env = env_of(api);
    char state[CAMPAIGN_STATE_MAX] = "";
    json_t *obj = apply(conn, &env, id, body, state, &err);
    json_decref(body);
    respond(req, 200, obj, &err, state);
}

void api_campaigns_put(http_request *req, void *ctx)
{
    edit(req, ctx, campaign_replace);
}

void api_campaigns_patch(http_request *req, void *ctx)
{
    edit(req, ctx, campaign_update);
}

void api_campaigns_delete(http_request *req, void *ctx)
{
    mc_error err;
    long long id;
    PGconn *conn = api_id_and_db(req, ctx, &id);
    if (!conn) return;
    char state[CAMPAIGN_STATE_MAX] = "";
    if (campaign_delete(conn, id, state, &err) < 0)
        respond(req, 0, NULL, &err, state);
    else
        http_respond(req, 204, NULL, "", 0);
}

void api_campaigns_duplicate(http_request *req, void *ctx)
{
    mc_error err;
    long long id;
    PGconn *conn = api_id_and_db(req, ctx, &id);
    if (!conn) return;
    campaign_actor by = actor_of(req);
    api_respond_object(req, 201, campaign_duplicate(conn, id, &by, &err), &err);
}

/* override: a resume goes ahead against the complaint guard */
static void act_with(http_request *req, api_context *api, const char *action, bool override)
{
    long long id;
    PGconn *conn = api_id_and_db(req, api, &id);
    if (!conn) return;
    mc_error err;
    campaign_env env = env_of(api);
    campaign_actor by = actor_of(req);
    by.override_complaint_guard = override;
    char state[CAMPAIGN_STATE_MAX] = "";
    json_t *obj = campaign_transition(conn, &env, id, action, &by, state, &err);
    respond(req, 200, obj, &err, state);
}

static void act(http_request *req, api_context *api, const char *action)
{
    act_with(req, api, action, false);
}

void api_campaigns_schedule(http_request *req, void *ctx)
{
    act(req, ctx, "schedule");
}

void api_campaigns_send(http_request *req, void *ctx)
{
    act(req, ctx, "send");
}

void api_campaigns_pause(http_request *req, void *ctx)
{
    act(req, ctx, "pause");
}

/* The body is optional: {"override_complaint_guard": true} resumes a campaign the complaint
 * guard paused although its rate is still over the threshold. */
void api_campaigns_resume(http_request *req, void *ctx)
{
    bool override = false;
    if (req->body.n) {
        json_t *body;
        mc_error err;
        if (http_json_body(req, &body, &err) < 0) {
            http_respond_error(req, &err);
            return;
        }
        json_t *v = json_object_get(body, "override_complaint_guard");
        if (v && !json_is_boolean(v)) {
            json_decref(body);
            mc_error_set(&err, 400, "invalid_field", "override_complaint_guard",
                         "override_complaint_guard must be true or false");
            http_respond_error(req, &err);
            return;
        }
        override = json_is_true(v);
        json_decref(body);
    }
    act_with(req, ctx, "resume", override);
}

void api_campaigns_cancel(http_request *req, void *ctx)
{
    act(req, ctx, "cancel");
}

void api_campaigns_test(http_request *req, void *ctx)
{
    long long id;
    json_t *body;
    PGconn *conn = api_id_body_and_db(req, ctx, &id, &body);
    if (!conn) return;
    mc_error err;
    json_t *obj = campaign_test_send(conn, id, body, &err);
    json_decref(body);
    api_respond_object(req, 202, obj, &err);
}

void api_campaigns_audience(http_request *req, void *ctx)
{
    api_context *api = ctx;
    json_t *body;
    PGconn *conn = api_body_and_db(req, api, &body);
    if (!conn) return;
    mc_error err;
    char *audience[CAMPAIGN_AUDIENCE_MEMBERS];
    long long count = 0;
    int rc = campaign_audience_parse(conn, body, audience, &err);
    if (rc == 0)
        rc = campaign_audience_count(conn, api->app->secret, (const char *const *)audience, &count,
                                     &err);
    for (int i = 0; i < CAMPAIGN_AUDIENCE_MEMBERS; i++)
        free(audience[i]);
    json_decref(body);
    api_respond_object(req, 200, rc < 0 ? NULL : json_pack("{s:I}", "count", (json_int_t)count),
                       &err);
}
