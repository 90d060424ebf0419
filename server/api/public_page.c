/* The public pages' HTML: a template file from [paths] templates_dir with {{key}} slots
 * (replaced by the HTML-escaped value) and {{{key}}} slots (replaced by HTML the caller built
 * from escaped parts). Deliberately tiny: these pages have a few fixed slots each. */
#include <stdio.h>
#include <string.h>

#include "api/internal.h"
#include "core/log.h"

void api_html_escape(buf_t *out, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '&':
            buf_append_cstr(out, "&amp;");
            break;
        case '<':
            buf_append_cstr(out, "&lt;");
            break;
        case '>':
            buf_append_cstr(out, "&gt;");
            break;
        case '"':
            buf_append_cstr(out, "&quot;");
            break;
        case '\'':
            buf_append_cstr(out, "&#39;");
            break;
        default:
            buf_putc(out, *s);
        }
    }
}

static const char *lookup(const char *const *vars, const char *key, size_t n)
{
    for (size_t i = 0; vars[i]; i += 2)
        if (strlen(vars[i]) == n && !memcmp(vars[i], key, n)) return vars[i + 1];
    return "";
}

static bool read_file(const char *path, buf_t *out)
{
    FILE *f = fopen(path, "rb");
    if (!f) return false;
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        buf_append(out, chunk, n);
    fclose(f);
    return true;
}

void api_public_page(http_request *req, api_context *ctx, int status, const char *name,
                     const char *const *vars)
{
    buf_t path = BUF_INIT, page = BUF_INIT, out = BUF_INIT;
    buf_appendf(&path, "%s/public/%s", ctx->app->config.templates_dir, name);
    if (!read_file(buf_cstr(&path), &page)) {
        log_error("public page: cannot read %s", buf_cstr(&path));
        http_respond(req, 500, "text/plain; charset=utf-8", "page missing\n", 13);
        buf_free(&path);
        return;
    }
    const char *p = buf_cstr(&page), *end = p + page.n;
    while (p < end) {
        const char *open = strstr(p, "{{");
        if (!open) {
            buf_append(&out, p, (size_t)(end - p));
            break;
        }
        buf_append(&out, p, (size_t)(open - p));
        bool raw = open[2] == '{';
        const char *key = open + (raw ? 3 : 2);
        const char *close = strstr(key, raw ? "}}}" : "}}");
        if (!close) {
            buf_append(&out, open, (size_t)(end - open));
            break;
        }
        const char *value = lookup(vars, key, (size_t)(close - key));
        if (raw)
            buf_append_cstr(&out, value);
        else
            api_html_escape(&out, value);
        p = close + (raw ? 3 : 2);
    }
    http_add_header(req, "Cache-Control", "no-store");
    http_add_header(req, "Content-Security-Policy",
                    "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'");
    http_respond(req, status, "text/html; charset=utf-8", out.p ? out.p : "", out.n);
    buf_free(&path);
    buf_free(&page);
    buf_free(&out);
}
