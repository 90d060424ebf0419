/* Turning query results into the API's JSON shapes, for the queries that build each object as
 * JSON text in SQL (json_build_object(...)::text). One place for the keyset page and the
 * "one object or 404" rules every resource follows. */
#ifndef MC_DB_JSON_ROWS_H
#define MC_DB_JSON_ROWS_H

#include <jansson.h>
#include <libpq-fe.h>
#include <stdbool.h>

#include "core/error.h"

/* From a keyset page query that asked for limit + 1 rows of (id, object JSON text), returns
 * {"items": [...], "next_cursor": "<last id>" | null}. Clears res. Caller frees with
 * json_decref(). */
json_t *db_json_page(PGresult *res, int limit);
/* Adds "total" to page from count_sql (one row, one column). returns 0, or -1 with err. */
int db_json_page_total(PGconn *conn, json_t *page, const char *count_sql, int nparams,
                       const char *const *params, mc_error *err);
/* The keyset listing every resource uses. page_sql selects (id, object as JSON text) past the
 * cursor $1 in cursor order, LIMIT $2, with the listing's filters as $3.. = params[0..nparams)
 * (NULL values allowed); it runs with $1 = after and $2 = limit + 1, so that a next page shows.
 * When with_total, count_sql (one count) runs with the filters as $1.. = params. returns
 * {"items", "next_cursor"} plus "total" when asked (caller frees with json_decref()), or NULL
 * with err. */
#define DB_KEYSET_MAX_PARAMS 8
json_t *db_keyset_page(PGconn *conn, const char *page_sql, const char *count_sql, int nparams,
                       const char *const *params, long long after, int limit, bool with_total,
                       mc_error *err);
/* returns the object in the first column of the only row (caller frees with json_decref()),
 * or NULL with a 404 saying "no <what> has the id <id>". Clears res. */
json_t *db_json_one(PGresult *res, const char *what, long long id, mc_error *err);
/* Runs sql ("DELETE ... WHERE id = $1 RETURNING id") for id. returns 0, or -1 with err: 404
 * naming what when there was no such row. */
int db_delete_by_id(PGconn *conn, const char *sql, const char *what, long long id, mc_error *err);

#endif
