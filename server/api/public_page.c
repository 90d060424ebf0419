/* The public pages' HTML, rendered with the template engine from templates_dir/public.
 * Pages are compiled per request: they are small and rarely asked for, and an edited
 * template shows without a restart. */
#include <stdio.h>
#include <string.h>

#include "api/internal.h"
#include "core/file.h"
#include "core/log.h"

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

void api_public_page(http_request *req, api_context *ctx, int status, const char *name,
                     json_t *context)
{
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
        http_add_header(req, "Content-Security-Policy",
                        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'");
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
