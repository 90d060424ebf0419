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

#endif
