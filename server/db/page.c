/* One page of a keyset walk: the extra row tells whether another page follows. */
#include "db/page.h"

#include <stdlib.h>

#include "db/query.h"

json_t *db_page(PGconn *conn, const char *page_sql, int nparams, const char *const *params,
                int limit, const char *count_sql, int count_nparams,
                const char *const *count_params, bool with_total, mc_error *err)
{
    PGresult *res = db_query(conn, page_sql, nparams, params, err);
    if (!res) return NULL;
    json_t *items = json_array();
    int rows = PQntuples(res);
    for (int i = 0; i < rows && i < limit; i++)
        json_array_append_new(items, json_loads(PQgetvalue(res, i, 1), 0, NULL));
    json_t *next = rows > limit ? json_string(PQgetvalue(res, limit - 1, 0)) : json_null();
    PQclear(res);
    json_t *list = json_pack("{s:o, s:o}", "items", items, "next_cursor", next);
    if (with_total) {
        res = db_query(conn, count_sql, count_nparams, count_params, err);
        if (!res) {
            json_decref(list);
            return NULL;
        }
        json_object_set_new(list, "total", json_integer(strtoll(PQgetvalue(res, 0, 0), NULL, 10)));
        PQclear(res);
    }
    return list;
}
