/* libFuzzer target: compiles and renders arbitrary input. The input is cut at NUL bytes into
 * the template, the JSON context, and partials named a, b and c. Any crash, leak, undefined
 * behaviour, or broken promise of the API (an error without line:column, output left behind
 * by a failed render) is a finding. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "template/template.h"

typedef struct {
    str_t parts[5];
    size_t count;
} pieces;

static bool load(void *ctx, str_t name, buf_t *out)
{
    const pieces *p = ctx;
    if (name.n != 1 || name.p[0] < 'a' || name.p[0] > 'c') return false;
    size_t index = 2 + (size_t)(name.p[0] - 'a');
    if (index >= p->count) return false;
    buf_append(out, p->parts[index].p, p->parts[index].n);
    return true;
}

static void list(void *ctx, void (*each)(void *acc, str_t name), void *acc)
{
    const pieces *p = ctx;
    static const char *names[] = {"a", "b", "c"};
    for (size_t i = 2; i < p->count; i++)
        each(acc, str_from_cstr(names[i - 2]));
}

static bool is_line_column(const char *field)
{
    unsigned line, column;
    char rest;
    return sscanf(field, "%u:%u%c", &line, &column, &rest) == 2 && line > 0 && column > 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    pieces p = {{{0}}, 0};
    const char *at = (const char *)data, *end = at + size;
    while (p.count < 5) {
        const char *nul = memchr(at, '\0', (size_t)(end - at));
        const char *stop = nul ? nul : end;
        p.parts[p.count++] = (str_t){at, (size_t)(stop - at)};
        if (!nul) break;
        at = nul + 1;
    }
    json_t *context = NULL;
    if (p.count > 1) context = json_loadb(p.parts[1].p, p.parts[1].n, 0, NULL);
    template_loader loader = {load, list, &p};
    template_t *t = NULL;
    mc_error err = {0};
    if (template_compile(p.parts[0], &loader, &t, &err) < 0) {
        if (t || !err.message[0] || !is_line_column(err.field)) abort();
    } else {
        template_limits limits = {.max_output = 1 << 20, .max_depth = 50};
        buf_t out = BUF_INIT;
        buf_append(&out, "x", 1);
        if (template_render(t, context, &out, &limits, &err) < 0 && (out.n != 1 || !err.message[0]))
            abort();
        buf_free(&out);
        template_free(t);
    }
    json_decref(context);
    return 0;
}
