/* Where templates come from when they are compiled: parents and partials ({{< name}},
 * {{> name}}) resolve to stored layouts by name, then to the built-in files
 * templates_dir/NAME.mustache. Shared by stored templates, campaigns and the send loop. */
#ifndef MC_CONTENT_TEMPLATE_SOURCE_H
#define MC_CONTENT_TEMPLATE_SOURCE_H

#include <libpq-fe.h>

#include "core/error.h"
#include "template/template.h"

typedef struct {
    PGconn *conn;              /* borrowed: stored layouts are read through it */
    const char *templates_dir; /* built-in layouts; may be NULL */
} template_source;

/* returns the loader of src's partials and parents, valid while src is */
template_loader template_source_loader(const template_source *src);

/* Compiles text; a partial or parent that is neither a stored layout nor a built-in file is an
 * error (template_compile_strict()). With out, *out gets the template (caller frees with
 * template_free()); without, the text is only checked. returns 0, or -1 with a 400
 * "invalid_template" naming field and carrying the line and column. */
int template_source_compile(const template_source *src, const char *field, const char *text,
                            template_t **out, mc_error *err);

/* Where a compile error lies in the text compiled, for an editor to mark it: 1-based line and
 * column (in characters). Both are 0 when the error lies in a partial or parent the text
 * includes, or when the error has no place (a limit). */
typedef struct {
    unsigned line, column;
} template_error_at;

/* As template_source_compile(); on failure *at (may be NULL) gets the error's place. The
 * message is always "FIELD: line L, column C: what" for an error in the text itself
 * (docs/templates.md), so that a client reading only the message can place it too. */
int template_source_compile_at(const template_source *src, const char *field, const char *text,
                               template_t **out, mc_error *err, template_error_at *at);

#endif
