/* Campaign totals of conversions (conversions.h). */
#include "automation/conversions.h"

#include <stdio.h>
#include <stdlib.h>

#include "core/buf.h"
#include "db/query.h"

int conversion_totals(PGconn *conn, const long long *ids, int n, long long *conversions,
                      double *revenue, mc_error *err)
{
    buf_t array = BUF_INIT;
    buf_putc(&array, '{');
    for (int i = 0; i < n; i++) {
        conversions[i] = 0;
        revenue[i] = 0;
        buf_appendf(&array, "%s%lld", i ? "," : "", ids[i]);
    }
    buf_putc(&array, '}');
    const char *params[] = {buf_cstr(&array)};
    PGresult *res = db_query(conn,
                             "SELECT c.campaign_id, count(*), sum(c.revenue)::float8"
                             " FROM conversions c WHERE c.campaign_id = ANY($1::bigint[])"
                             " GROUP BY c.campaign_id",
                             1, params, err);
    buf_free(&array);
    if (!res) return -1;
    for (int r = 0; r < PQntuples(res); r++) {
        long long id = strtoll(PQgetvalue(res, r, 0), NULL, 10);
        for (int i = 0; i < n; i++) {
            if (ids[i] != id) continue;
            conversions[i] = strtoll(PQgetvalue(res, r, 1), NULL, 10);
            revenue[i] = strtod(PQgetvalue(res, r, 2), NULL);
        }
    }
    PQclear(res);
    return 0;
}
