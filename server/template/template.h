/* The template engine: Mustache (with the inheritance and dynamic-names modules) plus
 * filters for marketers ({{ name | default: "friend" }}). Text and a JSON context go in,
 * bytes come out in a buf_t; the engine does no I/O of its own. A template is compiled once
 * into an immutable form that any number of threads may render at the same time. */
#ifndef MC_TEMPLATE_TEMPLATE_H
#define MC_TEMPLATE_TEMPLATE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/buf.h"
#include "core/error.h"
#include "core/str.h"

typedef struct template_t template_t;

/* Where partials and parents come from. Only called by template_compile(). */
typedef struct {
    /* Appends the text of the partial called name to out and returns true, or returns false
     * when there is no such partial (it then renders as the empty string, as the spec says). */
    bool (*load)(void *ctx, str_t name, buf_t *out);
    /* Optional: calls each(acc, name) for every partial that load() can provide. Needed only
     * by dynamic partials ({{>*name}}), whose name is known at render time: every listed
     * partial is compiled into the template so that rendering never calls the loader. */
    void (*list)(void *ctx, void (*each)(void *acc, str_t name), void *acc);
    void *ctx;
} template_loader;

/* How one rendering is done: its bounds (zero fields take the defaults below) and whether
 * values are HTML-escaped. */
typedef struct {
    size_t max_output;  /* bytes one rendering may append to the output buffer */
    unsigned max_depth; /* nesting of sections and partials at render time */
    /* true for text that is not HTML (subjects, text parts): no value is escaped, so
     * {{name}} renders as {{{name}}} does and "Tom & Jerry" stays as it is */
    bool plain_text;
    /* Optional: called with the name (as written, e.g. "attributes.city") of each variable
     * tag that printed nothing because its name was not found or is null; a filter's output
     * (default's) counts as something. For previews listing what a recipient's data lacks. */
    void (*missing)(void *ctx, str_t name);
    void *missing_ctx;
} template_limits;

#define TEMPLATE_DEFAULT_MAX_OUTPUT (16u * 1024 * 1024)
#define TEMPLATE_DEFAULT_MAX_DEPTH  100u
/* the context stack lives in a fixed array on the C stack, so max_depth is capped here */
#define TEMPLATE_MAX_DEPTH_CAP 1000u
/* nesting of sections, parents and blocks written in one template text */
#define TEMPLATE_MAX_NESTING 1000u
/* nesting of parents ({{<layout}}) and blocks expanded at compile time */
#define TEMPLATE_MAX_EXPANSION_DEPTH 50u

/* Compiles text (UTF-8). Partials and parents are loaded through loader (may be NULL: then
 * every partial is missing). On success returns 0 and *out gets a template the caller frees
 * with template_free(). On failure returns -1 and err has code "template_syntax" (or
 * "template_limit"), field "line:column" (1-based, columns in characters) and a message such
 * as "line 3, column 7: section 'items' is never closed". */
int template_compile(str_t text, const template_loader *loader, template_t **out, mc_error *err);

/* As template_compile(), but a partial or parent that loader cannot provide is an error
 * ("line 1, column 1: parent 'layouts/bse' does not exist", code "template_syntax") rather
 * than the empty text the specification renders: for stored templates, where a missing name
 * is a typo that would otherwise send an empty message. Dynamic partials are not checked. */
int template_compile_strict(str_t text, const template_loader *loader, template_t **out,
                            mc_error *err);

/* Renders t with context (borrowed, may be NULL) appended to out. Allocates nothing besides
 * growing out, so reuse out across renders (buf_reset). limits may be NULL for the defaults
 * (HTML escaping on).
 * On failure returns -1, leaves out as it was before the call and fills err (code
 * "template_limit" or "template_render"). Safe to call from many threads on one template. */
int template_render(const template_t *t, json_t *context, buf_t *out, const template_limits *limits,
                    mc_error *err);

/* releases a compiled template; NULL is allowed */
void template_free(template_t *t);

/* Appends v as compact JSON text, as templates print objects: UTF-8 as it is, numbers in the
 * shortest form that reads back as the same double (19.9, where json_dumps() writes
 * 19.899999999999999). Allocates nothing besides out's growth. */
void template_append_json(buf_t *out, const json_t *v);
/* Appends p[0..n) as a quoted JSON string. */
void template_append_json_string(buf_t *out, const char *p, size_t n);

#endif
