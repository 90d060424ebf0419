/* /api/v1/templates: CRUD, previews of stored and unsaved templates, and the frame that shows
 * a preview (GET /preview/{key}). */
#include <string.h>

#include "api/internal.h"
#include "content/preview_frame.h"
#include "content/template_store.h"
#include "http/page_headers.h"

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

/* Adds "frame_url" to a preview: its HTML stored behind a new key. returns preview, or NULL
 * (preview released) with err. */
static json_t *with_frame(PGconn *conn, json_t *preview, mc_error *err)
{
    if (!preview) return NULL;
    char key[PREVIEW_FRAME_KEY_SIZE], url[64];
    if (preview_frame_store(conn, json_string_value(json_object_get(preview, "html")), key, err) <
        0) {
        json_decref(preview);
        return NULL;
    }
    snprintf(url, sizeof url, "/preview/%s", key);
    json_object_set_new(preview, "frame_url", json_string(url));
    return preview;
}

/* The request's JSON body; an empty body is an empty object (a preview with no data). */
static int body_or_empty(http_request *req, json_t **body)
{
    mc_error err;
    *body = req->body.n ? NULL : json_object();
    if (!*body && http_json_body(req, body, &err) < 0) {
        http_respond_error(req, &err);
        return -1;
    }
    return 0;
}

void api_templates_preview(http_request *req, void *ctx)
{
    api_context *api = ctx;
    long long id;
    PGconn *conn = api_id_and_db(req, api, &id);
    if (!conn) return;
    mc_error err;
    json_t *body;
    if (body_or_empty(req, &body) < 0) return;
    const config_t *cfg = &api->app->config;
    template_footer footer = {cfg->sender_name, cfg->postal_address, &api->app->catalogs};
    json_t *obj = template_store_preview(conn, id, body, cfg->templates_dir, &footer, &err);
    json_decref(body);
    api_respond_object(req, 200, with_frame(conn, obj, &err), &err);
}

void api_templates_preview_source(http_request *req, void *ctx)
{
    api_context *api = ctx;
    json_t *body;
    PGconn *conn = api_body_and_db(req, api, &body);
    if (!conn) return;
    mc_error err;
    template_error_at at;
    const config_t *cfg = &api->app->config;
    template_footer footer = {cfg->sender_name, cfg->postal_address, &api->app->catalogs};
    json_t *obj = template_store_preview_source(conn, body, cfg->templates_dir, &footer, &at, &err);
    /* An editor previews as the person types, so most drafts it sends are unfinished: with
     * "diagnose" a draft that does not compile is the answer's subject, not a failed request
     * (which the browser would log as an error at every keystroke). */
    bool diagnose = json_is_true(json_object_get(body, "diagnose"));
    json_decref(body);
    if (!obj && (at.line || (diagnose && strcmp(err.code, "invalid_template") == 0))) {
        /* an editor marks the place: the error object gets it as numbers */
        json_t *error = json_pack("{s:s, s:s, s:s}", "code", err.code, "message", err.message,
                                  "field", err.field);
        if (at.line) {
            json_object_set_new(error, "line", json_integer((json_int_t)at.line));
            json_object_set_new(error, "column", json_integer((json_int_t)at.column));
        }
        if (diagnose)
            http_respond_json(req, 200, json_pack("{s:o}", "invalid", error));
        else
            http_respond_json(req, err.status, json_pack("{s:o}", "error", error));
        return;
    }
    api_respond_object(req, 200, with_frame(conn, obj, &err), &err);
}

void api_preview_frame(http_request *req, void *ctx)
{
    char key[PREVIEW_FRAME_KEY_SIZE + 1];
    str_t p = req->params[0];
    /* a key of another length is unknown: preview_frame_read() refuses it without a query */
    size_t n = p.n < sizeof key - 1 ? p.n : sizeof key - 1;
    if (n) memcpy(key, p.p, n);
    key[n] = '\0';
    PGconn *conn = api_db(req, ctx);
    if (!conn) return;
    mc_error err;
    buf_t html = BUF_INIT;
    if (preview_frame_read(conn, key, &html, &err) < 0) {
        /* the frame's own headers, so that the dashboard's frame shows the sentence */
        http_page_headers(req, HTTP_CSP_EMAIL_FRAME);
        http_add_header(req, "Cache-Control", "no-store");
        const char *text = err.status == 404 ? "This preview has expired. Open it again from the "
                                               "dashboard.\n"
                                             : "This preview cannot be read now.\n";
        http_respond(req, err.status == 404 ? 404 : 500, "text/plain; charset=utf-8", text,
                     strlen(text));
    } else {
        http_respond_email_frame(req, buf_cstr(&html), html.n);
    }
    buf_free(&html);
}
