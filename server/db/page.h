/* Keyset pages of JSON objects: the shape every list endpoint answers. */
#ifndef MC_DB_PAGE_H
#define MC_DB_PAGE_H

#include <jansson.h>
#include <libpq-fe.h>
#include <stdbool.h>

#include "core/error.h"

/* Runs page_sql, whose rows are (id, object as JSON text) in id order, at most limit + 1 of
 * them, and, when with_total, count_sql (one count). returns {"items", "next_cursor"} plus
 * "total" when asked (caller frees with json_decref()), or NULL with err. */
json_t *db_page(PGconn *conn, const char *page_sql, int nparams, const char *const *params,
                int limit, const char *count_sql, int count_nparams,
                const char *const *count_params, bool with_total, mc_error *err);

#endif
