/* Helpers shared by the template unit tests: compile and render in one call, with partials
 * given as a JSON object {"name": "text"}. Included by tests/unit/test_template_*.c. */
#ifndef MC_TESTS_TEMPLATE_SUPPORT_H
#define MC_TESTS_TEMPLATE_SUPPORT_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/file.h"
#include "template/template.h"

static inline bool support_load(void *ctx, str_t name, buf_t *out)
{
    json_t *text = ctx ? json_object_getn(ctx, name.p, name.n) : NULL;
    if (!json_is_string(text)) return false;
    buf_append(out, json_string_value(text), json_string_length(text));
    return true;
}

static inline void support_list(void *ctx, void (*each)(void *acc, str_t name), void *acc)
{
    const char *key;
    json_t *value;
    if (ctx) json_object_foreach((json_t *)ctx, key, value) each(acc, str_from_cstr(key));
}

/* Loads the templates shipped in templates/ (NAME.mustache) from the source tree. */
static inline bool support_load_shipped(void *ctx, str_t name, buf_t *out)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/templates/%.*s.mustache", MAILCAST_SOURCE_DIR, (int)name.n,
             name.p);
    return file_read_all(path, (size_t)1 << 24, out) == 0;
}

/* The outcome of one compile + render: the text, or the error. */
typedef struct {
    int compile_rc, render_rc;
    mc_error err;
    char text[8192];
} outcome;

/* Renders template with data (JSON text, may be NULL) and partials (JSON object text, may be
 * NULL) under limits (may be NULL). */
static inline outcome run_limited(const char *template, const char *data, const char *partials,
                                  const template_limits *limits)
{
    outcome o;
    memset(&o, 0, sizeof o);
    json_t *context = data ? json_loads(data, 0, NULL) : NULL;
    json_t *parts = partials ? json_loads(partials, 0, NULL) : NULL;
    if (data) assert_non_null(context);
    if (partials) assert_non_null(parts);
    template_loader loader = {support_load, support_list, parts};
    template_t *t = NULL;
    o.compile_rc = template_compile(str_from_cstr(template), &loader, &t, &o.err);
    if (o.compile_rc == 0) {
        buf_t out = BUF_INIT;
        o.render_rc = template_render(t, context, &out, limits, &o.err);
        snprintf(o.text, sizeof o.text, "%s", buf_cstr(&out));
        buf_free(&out);
        template_free(t);
    } else {
        assert_null(t);
    }
    json_decref(context);
    json_decref(parts);
    return o;
}

static inline outcome run(const char *template, const char *data, const char *partials)
{
    return run_limited(template, data, partials, NULL);
}

/* Asserts that template renders to expected with data. */
#define assert_renders(template, data, expected)                                                   \
    do {                                                                                           \
        outcome o_ = run((template), (data), NULL);                                                \
        if (o_.compile_rc || o_.render_rc) fail_msg("unexpected error: %s", o_.err.message);       \
        assert_string_equal(o_.text, (expected));                                                  \
    } while (0)

/* Asserts that template fails to compile with the error at field ("line:column") and a
 * message containing needle. */
#define assert_compile_error(template, field_, needle)                                             \
    do {                                                                                           \
        outcome o_ = run((template), NULL, NULL);                                                  \
        assert_int_equal(o_.compile_rc, -1);                                                       \
        assert_string_equal(o_.err.field, (field_));                                               \
        if (!strstr(o_.err.message, (needle)))                                                     \
            fail_msg("message '%s' lacks '%s'", o_.err.message, (needle));                         \
    } while (0)

#endif
