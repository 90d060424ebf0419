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

json_t *db_page(PGconn *conn, const char *page_sql, int nparams, const char *const *params,
                int limit, const char *count_sql, int count_nparams,
                const char *const *count_params, bool with_total, mc_error *err)
{
    PGresult *res = db_query(conn, page_sql, nparams, params, err);
    if (!res) return NULL;
    json_t *list = db_json_page(res, limit);
    if (with_total &&
        db_json_page_total(conn, list, count_sql, count_nparams, count_params, err) < 0) {
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
