/* The public pages' HTML, rendered with the template engine from templates_dir/public.
 * Pages are compiled per request: they are small and rarely asked for, and an edited
 * template shows without a restart. */
#include <stdio.h>
#include <string.h>

#include "api/internal.h"
#include "audience/public_flows.h"
#include "core/file.h"
#include "core/log.h"
#include "http/page_headers.h"

#define PAGE_MAX_BYTES (1024 * 1024)
#include "template/template.h"

/* Partials are NAME.html beside the page; names are plain words, never paths. */
static bool load_partial(void *dir, str_t name, buf_t *out)
{
    for (size_t i = 0; i < name.n; i++)
        if (!(name.p[i] == '_' || name.p[i] == '-' || (name.p[i] >= 'a' && name.p[i] <= 'z')))
            return false;
    buf_t path = BUF_INIT;
    buf_appendf(&path, "%s/%.*s.html", (const char *)dir, (int)name.n, name.p);
    bool ok = file_read_all(buf_cstr(&path), PAGE_MAX_BYTES, out) == 0;
    buf_free(&path);
    return ok;
}

void api_public_page(http_request *req, api_context *ctx, const char *lang, int status,
                     const char *name, json_t *context)
{
    catalog_add_words(&ctx->app->catalogs, lang, context);
    buf_t dir = BUF_INIT, path = BUF_INIT, text = BUF_INIT, out = BUF_INIT;
    buf_appendf(&dir, "%s/public", ctx->app->config.templates_dir);
    buf_appendf(&path, "%s/%s", buf_cstr(&dir), name);
    template_loader loader = {load_partial, NULL, (void *)buf_cstr(&dir)};
    template_t *page = NULL;
    mc_error err;
    if (file_read_all(buf_cstr(&path), PAGE_MAX_BYTES, &text) < 0) {
        log_error("public page: cannot read %s", buf_cstr(&path));
    } else if (template_compile(buf_view(&text), &loader, &page, &err) < 0 ||
               template_render(page, context, &out, NULL, &err) < 0) {
        log_error("public page %s: %s", buf_cstr(&path), err.message);
    } else {
        http_add_header(req, "Cache-Control", "no-store");
        http_page_headers(req, HTTP_CSP_PUBLIC_PAGE);
        http_respond(req, status, "text/html; charset=utf-8", buf_cstr(&out), out.n);
    }
    if (!req->answered) http_respond(req, 500, "text/plain; charset=utf-8", "page missing\n", 13);
    template_free(page);
    json_decref(context);
    buf_free(&dir);
    buf_free(&path);
    buf_free(&text);
    buf_free(&out);
}

void api_public_message(http_request *req, api_context *ctx, const char *lang, int status,
                        const char *key, json_t *items)
{
    const catalog_set *words = &ctx->app->catalogs;
    char title[128], message[128];
    snprintf(title, sizeof title, "%s.title", key);
    snprintf(message, sizeof message, "%s.message", key);
    json_t *page = json_pack("{s:s, s:s}", "title", catalog_word(words, lang, title), "message",
                             catalog_word(words, lang, message));
    if (items) {
        json_object_set_new(page, "has_items", json_boolean(json_array_size(items) > 0));
        json_object_set_new(page, "items", items);
    }
    api_public_page(req, ctx, lang, status, "message.html", page);
}

const char *api_public_language(http_request *req, api_context *ctx, PGconn *conn,
                                long long subscriber)
{
    const catalog_set *words = &ctx->app->catalogs;
    const char *lang = NULL;
    if (conn && subscriber > 0) {
        buf_t tag = BUF_INIT;
        mc_error err;
        /* a failed look-up costs only the subscriber's language */
        if (public_subscriber_language(conn, subscriber, &tag, &err) == 0)
            lang = catalog_language(words, buf_cstr(&tag));
        buf_free(&tag);
    }
    if (!lang) lang = catalog_accept_language(words, http_header(req, "Accept-Language"));
    return lang ? lang : CATALOG_DEFAULT;
}

/* GET /public/style.css: the public pages' stylesheet, templates_dir/public/style.css */
void api_public_stylesheet(http_request *req, void *ctx)
{
    api_context *api = ctx;
    buf_t path = BUF_INIT, text = BUF_INIT;
    buf_appendf(&path, "%s/public/style.css", api->app->config.templates_dir);
    if (file_read_all(buf_cstr(&path), PAGE_MAX_BYTES, &text) < 0) {
        log_error("public page: cannot read %s", buf_cstr(&path));
        http_respond(req, 404, "text/plain; charset=utf-8", "not found\n", 10);
    } else {
        /* not a hashed name: an edited file shows within the hour */
        http_add_header(req, "Cache-Control", "public, max-age=3600");
        http_respond(req, 200, "text/css; charset=utf-8", text.p ? text.p : "", text.n);
    }
    buf_free(&path);
    buf_free(&text);
}
