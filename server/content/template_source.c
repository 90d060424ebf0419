/* Loading parents and partials for the template compiler: stored layouts, then built-in files. */
#include "content/template_source.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "db/query.h"

/* A built-in file name: words separated by single slashes, never a path out of the folder. */
static bool safe_builtin_name(str_t name)
{
    if (name.n == 0 || name.n > 200 || name.p[0] == '/' || name.p[name.n - 1] == '/') return false;
    for (size_t i = 0; i < name.n; i++) {
        char c = name.p[i];
        bool word = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '-';
        if (!word && !(c == '/' && name.p[i - 1] != '/')) return false;
    }
    return true;
}

static bool load_builtin(const char *dir, str_t name, buf_t *out)
{
    if (!dir || !safe_builtin_name(name)) return false;
    char path[4096];
    snprintf(path, sizeof path, "%s/%.*s.mustache", dir, (int)name.n, name.p);
    FILE *f = fopen(path, "rb");
    if (!f) return false;
    char chunk[8192];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        buf_append(out, chunk, n);
    fclose(f);
    return true;
}

/* Partials and parents: a stored layout of that name, else a built-in file. */
static bool load_partial(void *ctx, str_t name, buf_t *out)
{
    template_source *src = ctx;
    char *key = strndup(name.p, name.n);
    const char *params[] = {key};
    mc_error err;
    PGresult *res =
        db_query(src->conn, "SELECT body FROM templates WHERE kind = 'layout' AND name = $1", 1,
                 params, &err);
    free(key);
    bool found = res && PQntuples(res) == 1;
    if (found) buf_append_cstr(out, PQgetvalue(res, 0, 0));
    PQclear(res);
    return found || load_builtin(src->templates_dir, name, out);
}

template_loader template_source_loader(const template_source *src)
{
    return (template_loader){load_partial, NULL, (void *)src};
}

int template_source_compile(const template_source *src, const char *field, const char *text,
                            template_t **out, mc_error *err)
{
    return template_source_compile_at(src, field, text, out, err, NULL);
}

/* The compiler names the place as field "L:C"; its message starts "line " only when the place
 * is in the text itself, not in a partial or parent (template_compile()). */
static void error_place(const mc_error *cerr, template_error_at *at)
{
    unsigned line = 0, column = 0;
    if (!strncmp(cerr->message, "line ", 5) && sscanf(cerr->field, "%u:%u", &line, &column) == 2) {
        at->line = line;
        at->column = column;
    }
}

int template_source_compile_at(const template_source *src, const char *field, const char *text,
                               template_t **out, mc_error *err, template_error_at *at)
{
    template_loader loader = template_source_loader(src);
    mc_error cerr;
    template_t *t = NULL;
    if (at) *at = (template_error_at){0, 0};
    if (template_compile_strict(str_from_cstr(text), &loader, &t, &cerr) < 0) {
        if (at) error_place(&cerr, at);
        return mc_error_set(err, 400, "invalid_template", field, "%s: %s", field, cerr.message);
    }
    if (out)
        *out = t;
    else
        template_free(t);
    return 0;
}
