/* Each batch is one query "id > last ORDER BY id LIMIT n" with the listing's filters, so a
 * batch costs the same at the start and at the end of a million rows. Rows added or changed
 * during a long export may or may not appear; no row appears twice. */
#include "audience/export.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/log.h"
#include "db/query.h"

#define EXPORT_BATCH 5000

struct subscriber_export {
    PGconn *conn;
    sql_builder query; /* parameter 1 is the last id sent */
    buf_t pending;     /* CSV not yet handed out */
    size_t offset;     /* into pending */
    bool header_done;
    bool finished;
};

static const char HEADER[] = "id,email,name,status,created_at,updated_at,attributes\r\n";

subscriber_export *subscriber_export_new(PGconn *conn, const subscriber_filter *f, mc_error *err)
{
    subscriber_export *e = xcalloc(1, sizeof *e);
    e->conn = conn;
    e->query = SQL_BUILDER_INIT;
    sql_builder_add(&e->query, "SELECT s.id, s.email, s.name, s.status, mc_rfc3339(s.created_at),"
                               " mc_rfc3339(s.updated_at), s.attributes::text"
                               " FROM subscribers s WHERE s.id > ");
    sql_builder_param_int(&e->query, 0);
    if (subscriber_filter_sql(conn, f, &e->query, err) < 0) {
        subscriber_export_free(e);
        return NULL;
    }
    sql_builder_add(&e->query, " ORDER BY s.id LIMIT ");
    sql_builder_param_int(&e->query, EXPORT_BATCH);
    return e;
}

/* RFC 4180: a field holding a comma, quote, CR or LF, or starting or ending with a space, is
 * quoted and its quotes doubled. Bytes pass through unchanged, so UTF-8 stays UTF-8. */
static void csv_field(buf_t *out, const char *s, size_t n)
{
    bool quote = n > 0 && (s[0] == ' ' || s[n - 1] == ' ');
    for (size_t i = 0; i < n && !quote; i++)
        quote = s[i] == ',' || s[i] == '"' || s[i] == '\r' || s[i] == '\n';
    if (!quote) {
        buf_append(out, s, n);
        return;
    }
    buf_putc(out, '"');
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '"') buf_putc(out, '"');
        buf_putc(out, s[i]);
    }
    buf_putc(out, '"');
}

/* Fetches the next batch into pending. returns rows fetched, or -1. */
static int next_batch(subscriber_export *e)
{
    mc_error err;
    PGresult *res = db_query(e->conn, sql_builder_text(&e->query), e->query.count,
                             sql_builder_params(&e->query), &err);
    if (!res) {
        log_error("export: %s", err.message);
        return -1;
    }
    int rows = PQntuples(res);
    buf_reset(&e->pending);
    e->offset = 0;
    for (int r = 0; r < rows; r++) {
        for (int c = 0; c < 7; c++) {
            if (c) buf_putc(&e->pending, ',');
            csv_field(&e->pending, PQgetvalue(res, r, c), (size_t)PQgetlength(res, r, c));
        }
        buf_append(&e->pending, "\r\n", 2);
    }
    if (rows > 0) {
        free(e->query.params[0]);
        e->query.params[0] = xstrdup(PQgetvalue(res, rows - 1, 0));
    }
    if (rows < EXPORT_BATCH) e->finished = true;
    PQclear(res);
    return rows;
}

ssize_t subscriber_export_read(subscriber_export *e, char *out, size_t cap)
{
    if (!e->header_done) {
        buf_reset(&e->pending);
        buf_append(&e->pending, HEADER, sizeof HEADER - 1);
        e->offset = 0;
        e->header_done = true;
    }
    while (e->offset == e->pending.n) {
        if (e->finished) return 0;
        if (next_batch(e) < 0) return -1;
    }
    size_t n = e->pending.n - e->offset;
    if (n > cap) n = cap;
    memcpy(out, e->pending.p + e->offset, n);
    e->offset += n;
    return (ssize_t)n;
}

void subscriber_export_free(subscriber_export *e)
{
    if (!e) return;
    sql_builder_free(&e->query);
    buf_free(&e->pending);
    free(e);
}
