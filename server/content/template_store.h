/* Stored templates (/api/v1/templates): campaign bodies, transactional messages and layouts.
 * Subject, body and text body are Mustache with mailcast's filters; all three are compiled
 * on every save, so a template that does not compile is refused with its line and column.
 * Parents and partials ({{< name}}, {{> name}}) resolve to stored layouts by name, then to
 * the built-in files templates_dir/NAME.mustache (e.g. "layouts/base"). */
#ifndef MC_CONTENT_TEMPLATE_STORE_H
#define MC_CONTENT_TEMPLATE_STORE_H

#include <jansson.h>
#include <libpq-fe.h>
#include <stdbool.h>

#include "content/template_source.h"
#include "core/error.h"
#include "i18n/catalog.h"

/* Each returns the template as {"id", "name", "kind", "subject", "body", "text_body",
 * "created_at", "updated_at"} (caller frees with json_decref()), or NULL with err: 400 with
 * the field for bad input or a template that does not compile, 404, 409 for a layout name
 * taken. */
json_t *template_store_create(PGconn *conn, json_t *body, const char *templates_dir, mc_error *err);
json_t *template_store_get(PGconn *conn, long long id, mc_error *err);
/* replace: PUT semantics (every field given or defaulted); else PATCH (only those given) */
json_t *template_store_update(PGconn *conn, long long id, json_t *body, bool replace,
                              const char *templates_dir, mc_error *err);
int template_store_delete(PGconn *conn, long long id, mc_error *err);
/* returns {"items", "next_cursor"} plus "total" when asked; kind may be NULL */
json_t *template_store_list(PGconn *conn, const char *kind, long long after, int limit,
                            bool with_total, mc_error *err);
/* What footers print besides the recipient's data ([mail] sender_name and postal_address);
 * either may be NULL or empty. */
typedef struct {
    const char *sender_name, *postal_address;
    /* the words of the layouts (t), in the subscriber's language; may be NULL */
    const catalog_set *catalogs;
} template_footer;

/* Renders template id for a subscriber ({"subscriber_id": n}) or for sample data
 * ({"data": {...}}), or both (data overrides the subscriber's fields), with footer's values.
 * returns {"subject", "html", "text", "missing"}; text is the text body, or generated from the
 * HTML; missing lists the variable names that printed nothing (not found or null), each once,
 * in the order met. */
json_t *template_store_preview(PGconn *conn, long long id, json_t *body, const char *templates_dir,
                               const template_footer *footer, mc_error *err);

/* As template_store_preview() for source not saved: body holds "subject", "body", "text_body"
 * (each may be missing: empty), "kind" and "name" (checked, not used), and "subscriber_id" and
 * "data" as above. A compile error is 400 "invalid_template" naming the field, and *at (may
 * be NULL) gets its line and column (template_source_compile_at()). */
json_t *template_store_preview_source(PGconn *conn, json_t *body, const char *templates_dir,
                                      const template_footer *footer, template_error_at *at,
                                      mc_error *err);

#endif
