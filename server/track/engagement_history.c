/* Partitions by month and retention of the engagement history. DDL takes no parameters: the
 * names are built from dates here or read from the catalog, never from input. */
#include "track/engagement_history.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/log.h"
#include "db/query.h"

/* held while a partition is created, so that two workers do not race on the same month */
#define PARTITION_LOCK_KEY "7302551"

static void month_of(time_t t, int months, int *year, int *month)
{
    struct tm tm;
    gmtime_r(&t, &tm);
    int m = tm.tm_year * 12 + tm.tm_mon + months;
    *year = 1900 + m / 12;
    *month = m % 12 + 1;
}

void track_history_partition_name(time_t t, int months, char *name, size_t size)
{
    int year, month;
    month_of(t, months, &year, &month);
    snprintf(name, size, "message_engagements_y%04dm%02d", year, month);
}

static int create_month(PGconn *conn, time_t now, int offset, mc_error *err)
{
    char name[64];
    track_history_partition_name(now, offset, name, sizeof name);
    const char *params[] = {name};
    PGresult *res = db_query(conn, "SELECT to_regclass($1) IS NULL", 1, params, err);
    if (!res) return -1;
    bool missing = PQgetvalue(res, 0, 0)[0] == 't';
    PQclear(res);
    if (!missing) return 0;
    int year, month, next_year, next_month;
    month_of(now, offset, &year, &month);
    month_of(now, offset + 1, &next_year, &next_month);
    buf_t sql = BUF_INIT;
    buf_appendf(&sql,
                "CREATE TABLE IF NOT EXISTS %s PARTITION OF message_engagements FOR VALUES FROM"
                " ('%04d-%02d-01 00:00:00+00') TO ('%04d-%02d-01 00:00:00+00')",
                name, year, month, next_year, next_month);
    int rc = db_begin(conn, err);
    if (rc == 0)
        rc = db_exec(conn, "SELECT pg_advisory_xact_lock(" PARTITION_LOCK_KEY ")", 0, NULL, err);
    if (rc == 0) rc = db_exec(conn, buf_cstr(&sql), 0, NULL, err);
    if (rc == 0) rc = db_commit(conn, err);
    buf_free(&sql);
    if (rc < 0) {
        db_rollback(conn);
        log_warn("worker: engagement history: could not create %s (%s); its rows stay in the"
                 " default partition",
                 name, err->message);
        return 0;
    }
    return 1;
}

int track_history_partitions(PGconn *conn, mc_error *err)
{
    time_t now = time(NULL);
    int created = 0;
    for (int offset = -1; offset <= 2; offset++) {
        int rc = create_month(conn, now, offset, err);
        if (rc < 0) return -1;
        created += rc;
    }
    return created;
}

/* the monthly partitions whose every row is older than $1 days (the end of the month is
 * before the cut) */
static const char OLD_MONTHS_SQL[] =
    "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
    " WHERE i.inhparent = 'message_engagements'::regclass"
    " AND c.relname ~ '^message_engagements_y[0-9]{4}m[0-9]{2}$'"
    " AND (to_date(substr(c.relname, 22, 4) || substr(c.relname, 27, 2), 'YYYYMM')"
    " + interval '1 month')::timestamp AT TIME ZONE 'UTC' <= now() - make_interval(days =>"
    " $1::int) ORDER BY 1";

int track_history_prune(PGconn *conn, unsigned days, int *dropped, long long *deleted,
                        mc_error *err)
{
    *dropped = 0;
    *deleted = 0;
    char days_text[16];
    snprintf(days_text, sizeof days_text, "%u", days);
    const char *params[] = {days_text};
    PGresult *old = db_query(conn, OLD_MONTHS_SQL, 1, params, err);
    if (!old) return -1;
    for (int i = 0; i < PQntuples(old); i++) {
        char *quoted = PQescapeIdentifier(conn, PQgetvalue(old, i, 0), PQgetlength(old, i, 0));
        if (!quoted) continue;
        buf_t sql = BUF_INIT;
        buf_appendf(&sql, "DROP TABLE %s", quoted);
        PQfreemem(quoted);
        int rc = db_exec(conn, buf_cstr(&sql), 0, NULL, err);
        buf_free(&sql);
        if (rc < 0) {
            PQclear(old);
            return -1;
        }
        (*dropped)++;
    }
    PQclear(old);
    /* the rest: rows of the default partition and of the month the cut falls in */
    PGresult *res = db_query(conn,
                             "DELETE FROM message_engagements WHERE occurred_at < now() -"
                             " make_interval(days => $1::int)",
                             1, params, err);
    if (!res) return -1;
    *deleted = strtoll(PQcmdTuples(res), NULL, 10);
    PQclear(res);
    return 0;
}
