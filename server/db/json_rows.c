/* Result rows to JSON objects and pages. */
#include "db/json_rows.h"

#include <stdio.h>
#include <stdlib.h>

#include "db/query.h"

json_t *db_json_page(PGresult *res, int limit)
{
    json_t *items = json_array();
    int rows = PQntuples(res);
    for (int i = 0; i < rows && i < limit; i++)
        json_array_append_new(items, json_loads(PQgetvalue(res, i, 1), 0, NULL));
    json_t *next = rows > limit ? json_string(PQgetvalue(res, limit - 1, 0)) : json_null();
    PQclear(res);
    return json_pack("{s:o, s:o}", "items", items, "next_cursor", next);
}

int db_json_page_total(PGconn *conn, json_t *page, const char *count_sql, int nparams,
                       const char *const *params, mc_error *err)
{
    PGresult *res = db_query(conn, count_sql, nparams, params, err);
    if (!res) return -1;
    json_object_set_new(page, "total", json_integer(strtoll(PQgetvalue(res, 0, 0), NULL, 10)));
    PQclear(res);
    return 0;
}

json_t *db_keyset_page(PGconn *conn, const char *page_sql, const char *count_sql, int nparams,
                       const char *const *params, long long after, int limit, bool with_total,
                       mc_error *err)
{
    if (nparams < 0 || nparams > DB_KEYSET_MAX_PARAMS) {
        mc_error_set(err, 500, "internal", NULL, "a keyset page takes at most %d filters",
                     DB_KEYSET_MAX_PARAMS);
        return NULL;
    }
    char after_text[32], limit_text[32];
    snprintf(after_text, sizeof after_text, "%lld", after);
    snprintf(limit_text, sizeof limit_text, "%d", limit + 1);
    const char *page_params[2 + DB_KEYSET_MAX_PARAMS] = {after_text, limit_text};
    for (int i = 0; i < nparams; i++)
        page_params[2 + i] = params[i];
    PGresult *res = db_query(conn, page_sql, 2 + nparams, page_params, err);
    if (!res) return NULL;
    json_t *list = db_json_page(res, limit);
    if (with_total && db_json_page_total(conn, list, count_sql, nparams, params, err) < 0) {
        json_decref(list);
        return NULL;
    }
    return list;
}

json_t *db_json_one(PGresult *res, const char *what, long long id, mc_error *err)
{
    json_t *obj = NULL;
    if (PQntuples(res) == 1)
        obj = json_loads(PQgetvalue(res, 0, 0), 0, NULL);
    else
        mc_error_set(err, 404, "not_found", "id", "no %s has the id %lld", what, id);
    PQclear(res);
    return obj;
}

int db_delete_by_id(PGconn *conn, const char *sql, const char *what, long long id, mc_error *err)
{
    char id_text[32];
    snprintf(id_text, sizeof id_text, "%lld", id);
    const char *params[] = {id_text};
    PGresult *res = db_query(conn, sql, 1, params, err);
    if (!res) return -1;
    int found = PQntuples(res);
    PQclear(res);
    return found ? 0 : mc_error_set(err, 404, "not_found", "id", "no %s has the id %lld", what, id);
}
