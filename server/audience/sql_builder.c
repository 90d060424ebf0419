/* Parameter lists grow by doubling; each value is copied so callers may pass temporaries. */
#include "audience/sql_builder.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"

void sql_builder_add(sql_builder *b, const char *fragment)
{
    buf_append_cstr(&b->sql, fragment);
}

static int bind(sql_builder *b, char *copy)
{
    if (b->count == b->cap) {
        b->cap = b->cap ? b->cap * 2 : 8;
        b->params = xrealloc(b->params, (size_t)b->cap * sizeof *b->params);
    }
    b->params[b->count++] = copy;
    return b->count;
}

static int push(sql_builder *b, char *copy)
{
    int n = bind(b, copy);
    buf_appendf(&b->sql, "$%d", n);
    return n;
}

int sql_builder_bind(sql_builder *b, const char *value)
{
    return bind(b, value ? xstrdup(value) : NULL);
}

int sql_builder_param(sql_builder *b, const char *value)
{
    return push(b, value ? xstrdup(value) : NULL);
}

int sql_builder_param_n(sql_builder *b, const char *value, size_t len)
{
    return push(b, xstrndup(value, len));
}

int sql_builder_param_int(sql_builder *b, long long v)
{
    char text[32];
    snprintf(text, sizeof text, "%lld", v);
    return push(b, xstrdup(text));
}

void sql_builder_ref(sql_builder *b, int n)
{
    buf_appendf(&b->sql, "$%d", n);
}

const char *sql_builder_text(const sql_builder *b)
{
    return buf_cstr(&b->sql);
}

const char *const *sql_builder_params(const sql_builder *b)
{
    return (const char *const *)b->params;
}

void sql_builder_free(sql_builder *b)
{
    for (int i = 0; i < b->count; i++)
        free(b->params[i]);
    free(b->params);
    buf_free(&b->sql);
    *b = SQL_BUILDER_INIT;
}
