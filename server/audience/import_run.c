/* Good rows are written as CSV to COPY; PostgreSQL does the merge: duplicates inside a batch are
 * folded (the last row wins), existing addresses are updated (upsert) or left alone
 * (skip_existing), suppressed addresses become row errors, new memberships point to the job's
 * consent record for their list (source "import"). Existing memberships keep their status: an
 * import never resubscribes. While PostgreSQL merges one batch, the next is read and checked. */
#include "audience/import_run.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "audience/csv_reader.h"
#include "audience/import_options.h"
#include "audience/suppression.h"
#include "core/alloc.h"
#include "core/buf.h"
#include "core/email_address.h"
#include "core/log.h"
#include "core/utf8.h"
#include "db/query.h"

#define BATCH_ROWS           50000
#define NAME_MAX_CHARS       500
#define VALUE_MAX_BYTES      4000
#define ATTRIBUTES_MAX_BYTES 65536 /* an "attributes" cell: a whole JSON object */
#define MESSAGE_MAX          300
#define SEEN_SLOTS           (1u << 17) /* a power of two, over twice BATCH_ROWS */

/* A batch whose merge runs in PostgreSQL while the next one is read. */
typedef struct {
    json_t *errors; /* [{"row", "message"}] */
    long long good, failed, suppressed, last_row;
} sent_batch;

typedef struct {
    PGconn *conn;
    import_job *job;
    import_options options;
    bool planned;
    buf_t copy;     /* COPY input: row,email,name,attributes,status */
    json_t *errors; /* [{"row", "message"}] of the batch being read */
    long long batch_good, batch_failed, last_row;
    bool in_flight;  /* a batch's transaction is open (send_batch ran, finish_batch not yet) */
    bool merge_sent; /* its merge statement was sent and its result not yet read */
    sent_batch sent; /* what the batch in flight commits with it */
    uint64_t *seen;  /* SEEN_SLOTS hashes of the batch's addresses, 0 = free slot */
    bool may_repeat; /* an address may occur twice in the batch: the merge must fold rows */
    char ipad[SUPPRESSION_PAD_TEXT], opad[SUPPRESSION_PAD_TEXT];
    mc_error *err;
} run_state;

static void copy_field(buf_t *out, const char *s, size_t n)
{
    buf_putc(out, '"');
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '"') buf_putc(out, '"');
        buf_putc(out, s[i]);
    }
    buf_putc(out, '"');
}

static void add_error(run_state *st, long long row, const char *message)
{
    json_array_append_new(st->errors,
                          json_pack("{s:I, s:s}", "row", (json_int_t)row, "message", message));
    st->batch_failed++;
}

/* RFC 3339 date or date-time, as segment rules read them */
static bool is_date(const char *s, size_t n)
{
    if (n < 10 || n > 35) return false;
    for (int i = 0; i < 10; i++)
        if ((i == 4 || i == 7) ? s[i] != '-' : (s[i] < '0' || s[i] > '9')) return false;
    return n == 10 || s[10] == 'T' || s[10] == 't' || s[10] == ' ';
}

/* Converts one attribute value; returns the JSON value or NULL with message filled. */
static json_t *typed_value(const import_column *c, str_t v, char *message, size_t cap)
{
    char text[64];
    switch (c->type) {
    case VALUE_NUMBER: {
        if (v.n >= sizeof text) break;
        memcpy(text, v.p, v.n);
        text[v.n] = '\0';
        char *end;
        long long i = strtoll(text, &end, 10);
        if (!*end) return json_integer(i);
        double d = strtod(text, &end);
        if (!*end && isfinite(d)) return json_real(d);
        break;
    }
    case VALUE_BOOL:
        if (v.n > 5) break;
        memcpy(text, v.p, v.n);
        text[v.n] = '\0';
        if (!strcasecmp(text, "true") || !strcasecmp(text, "yes") || !strcmp(text, "1"))
            return json_true();
        if (!strcasecmp(text, "false") || !strcasecmp(text, "no") || !strcmp(text, "0"))
            return json_false();
        break;
    case VALUE_DATE:
        if (is_date(v.p, v.n)) return json_stringn(v.p, v.n);
        break;
    case VALUE_STRING:
        return json_stringn(v.p, v.n);
    }
    static const char *const names[] = {"a string", "a number", "an RFC 3339 date",
                                        "true or false"};
    snprintf(message, cap, "column '%.60s' is not %s", c->name, names[c->type]);
    return NULL;
}

/* Notes the address of a good row. Folding the rows of one address costs a sort in the merge, so
 * it is only asked for when a batch may hold an address twice: when two addresses have the same
 * hash of their ASCII-lowercased bytes (a repeat, or rarely a collision), or when one is not ASCII
 * (lower() may fold its other letters too). Either way a "maybe" only costs time. */
static void note_address(run_state *st, str_t email)
{
    uint64_t h = 14695981039346656037ull; /* FNV-1a */
    for (size_t i = 0; i < email.n; i++) {
        unsigned char c = (unsigned char)email.p[i];
        if (c >= 0x80) st->may_repeat = true;
        if (c >= 'A' && c <= 'Z') c = (unsigned char)(c - 'A' + 'a');
        h = (h ^ c) * 1099511628211ull;
    }
    if (h == 0) h = 1;
    size_t slot = (size_t)h & (SEEN_SLOTS - 1);
    while (st->seen[slot]) {
        if (st->seen[slot] == h) {
            st->may_repeat = true;
            return;
        }
        slot = (slot + 1) & (SEEN_SLOTS - 1);
    }
    st->seen[slot] = h;
}

/* Reads the row's status column, if any, into *status ("active", "blocklisted", or NULL for
 * none or an empty cell). returns false with message filled for any other value. */
static bool row_status(const import_options *o, const str_t *fields, const char **status,
                       char *message, size_t cap)
{
    *status = NULL;
    if (o->status_column < 0) return true;
    str_t v = str_trim(fields[o->status_column]);
    if (v.n == 0) return true;
    if (str_eq_cstr(v, "active"))
        *status = "active";
    else if (str_eq_cstr(v, "blocklisted"))
        *status = "blocklisted";
    else {
        snprintf(message, cap, "column '%.60s' must be active or blocklisted",
                 o->columns[o->status_column].name);
        return false;
    }
    return true;
}

/* returns a new object (caller frees with json_decref()) with the row's attributes column, if
 * any, parsed as a JSON object; NULL with message filled when it is not one */
static json_t *row_attributes(const import_options *o, const str_t *fields, char *message,
                              size_t cap)
{
    if (o->attributes_column < 0) return json_object();
    str_t v = str_trim(fields[o->attributes_column]);
    if (v.n == 0) return json_object();
    json_error_t jerr;
    json_t *value = json_loadb(v.p, v.n, JSON_REJECT_DUPLICATES, &jerr);
    if (json_is_object(value)) return value;
    json_decref(value);
    snprintf(message, cap, "column '%.60s' is not a JSON object%s%.200s",
             o->columns[o->attributes_column].name, value ? "" : ": ", value ? "" : jerr.text);
    return NULL;
}

/* Checks a data row; appends it to the COPY buffer, or fills message. returns true when good. */
static bool take_row(run_state *st, long long row, const str_t *fields, int count, char *message,
                     size_t cap)
{
    import_options *o = &st->options;
    if (count != o->column_count) {
        snprintf(message, cap, "expected %d fields, found %d", o->column_count, count);
        return false;
    }
    for (int i = 0; i < count; i++) {
        if (!utf8_valid(fields[i].p, fields[i].n, NULL) || memchr(fields[i].p, '\0', fields[i].n)) {
            snprintf(message, cap, "column '%.60s' is not valid UTF-8 text", o->columns[i].name);
            return false;
        }
        size_t max = o->columns[i].target == COLUMN_ATTRIBUTE    ? VALUE_MAX_BYTES
                     : o->columns[i].target == COLUMN_ATTRIBUTES ? ATTRIBUTES_MAX_BYTES
                                                                 : SIZE_MAX;
        if (fields[i].n > max) {
            snprintf(message, cap, "column '%.60s' is longer than %zu bytes", o->columns[i].name,
                     max);
            return false;
        }
    }
    mc_error err;
    str_t email;
    if (email_address_check(fields[o->email_column], "email", &email, &err) < 0) {
        snprintf(message, cap, "invalid email address: %.250s", err.message);
        return false;
    }
    str_t name = o->name_column >= 0 ? str_trim(fields[o->name_column]) : STR_NULL;
    if (utf8_count(name.p, name.n) > NAME_MAX_CHARS) {
        snprintf(message, cap, "the name is longer than %d characters", NAME_MAX_CHARS);
        return false;
    }
    const char *status = NULL;
    if (!row_status(o, fields, &status, message, cap)) return false;
    json_t *attributes = row_attributes(o, fields, message, cap);
    if (!attributes) return false;
    /* a column of its own says more than the same key inside the attributes column */
    for (int i = 0; i < count; i++) {
        const import_column *c = &o->columns[i];
        if (c->target != COLUMN_ATTRIBUTE) continue;
        str_t v = str_trim(fields[i]);
        if (v.n == 0) continue; /* an empty cell says nothing */
        json_t *value = typed_value(c, v, message, cap);
        if (!value) {
            json_decref(attributes);
            return false;
        }
        json_object_set_new(attributes, c->key, value);
    }
    char *attributes_text = json_dumps(attributes, JSON_COMPACT);
    json_decref(attributes);
    note_address(st, email);
    buf_appendf(&st->copy, "%lld,", row);
    copy_field(&st->copy, email.p, email.n);
    buf_putc(&st->copy, ',');
    copy_field(&st->copy, name.p ? name.p : "", name.n);
    buf_putc(&st->copy, ',');
    copy_field(&st->copy, attributes_text, strlen(attributes_text));
    buf_putc(&st->copy, ',');
    if (status) copy_field(&st->copy, status, strlen(status)); /* none: NULL, unquoted empty */
    buf_putc(&st->copy, '\n');
    free(attributes_text);
    return true;
}

static int copy_in(run_state *st)
{
    PGresult *res =
        PQexec(st->conn, "COPY import_staging (row_number, email, name, attributes, status)"
                         " FROM STDIN WITH (FORMAT csv)");
    if (PQresultStatus(res) != PGRES_COPY_IN) {
        PQclear(res);
        return mc_error_set(st->err, 500, "db_error", "", "COPY failed: %s",
                            PQerrorMessage(st->conn));
    }
    PQclear(res);
    if (PQputCopyData(st->conn, st->copy.p ? st->copy.p : "", (int)st->copy.n) != 1 ||
        PQputCopyEnd(st->conn, NULL) != 1)
        return mc_error_set(st->err, 500, "db_error", "", "COPY failed: %s",
                            PQerrorMessage(st->conn));
    res = PQgetResult(st->conn);
    int ok = PQresultStatus(res) == PGRES_COMMAND_OK;
    if (!ok) log_error("import: COPY failed: %s", PQresultErrorMessage(res));
    PQclear(res);
    while ((res = PQgetResult(st->conn)))
        PQclear(res);
    return ok ? 0 : mc_error_set(st->err, 500, "db_error", "", "loading the rows failed");
}

static const char *const SUPPRESSED_SQL =
    "WITH gone AS (DELETE FROM import_staging st WHERE EXISTS (SELECT 1 FROM suppressions"
    " WHERE email_hash = " SUPPRESSION_KEY_SQL(
        "st.email", "$2",
        "$3") ") RETURNING row_number)"
              " INSERT INTO import_errors (import_id, row_number, message)"
              " SELECT $1, row_number, 'the address was erased or suppressed' FROM gone"
              " ON CONFLICT DO NOTHING";

/* The job's consent record for each of its lists, once (see migrations/0003_import_consent.sql):
 * new memberships point to it instead of writing one consents row each. */
static const char *const CONSENT_SQL =
    "INSERT INTO import_consents (import_id, list_id, action)"
    " SELECT $1, id, CASE WHEN $3 = 'unsubscribed' THEN 'unsubscribe' ELSE 'subscribe' END"
    " FROM lists WHERE id = ANY($2::bigint[]) ON CONFLICT (import_id, list_id) DO NOTHING";

/* Rows apply in file order, as if merged one by one: with upsert, an address seen twice in a
 * batch takes the last non-empty name and every row's attributes, later ones winning; with
 * skip_existing, its first row creates the subscriber and the others are skipped. A status
 * column gives a new subscriber its status; an existing one is blocklisted by "blocklisted" but
 * never taken off the blocklist by an import (that is an admin's decision, made on its own). */
#define MERGE_SRC_UPSERT                                                                           \
    "WITH src AS (SELECT (array_agg(email ORDER BY row_number DESC))[1] AS email,"                 \
    " COALESCE((array_agg(name ORDER BY row_number DESC) FILTER (WHERE name <> ''))[1], '')"       \
    " AS name, mc_jsonb_merge(attributes ORDER BY row_number) AS attributes,"                      \
    " (array_agg(status ORDER BY row_number DESC) FILTER (WHERE status IS NOT NULL))[1] AS status" \
    " FROM import_staging GROUP BY lower(email)),"
/* A batch in which no address repeats needs no folding: its rows are the source as they are. */
#define MERGE_SRC_ONCE "WITH src AS (SELECT email, name, attributes, status FROM import_staging),"
#define MERGE_SRC_SKIP                                                                             \
    "WITH src AS (SELECT DISTINCT ON (lower(email)) email, name, attributes, status"               \
    " FROM import_staging"                                                                         \
    " ORDER BY lower(email), row_number),"
#define MERGE_HEAD                                                                                 \
    " up AS (INSERT INTO subscribers AS s (email, name, attributes, status)"                       \
    " SELECT email, name, attributes, COALESCE(status, 'active') FROM src"                         \
    " ON CONFLICT ((lower(email))) "
#define MERGE_TAIL                                                                                 \
    " RETURNING s.id),"                                                                            \
    " targets AS (SELECT l.id, COALESCE($2, CASE WHEN l.optin = 'double' THEN 'unconfirmed'"       \
    "  ELSE 'confirmed' END) AS status, c.id AS consent_id FROM lists l JOIN import_consents c"    \
    "  ON c.import_id = $3 AND c.list_id = l.id WHERE l.id = ANY($1::bigint[])),"                  \
    " added AS (INSERT INTO list_subscribers (list_id, subscriber_id, status, confirmed_at,"       \
    "  unsubscribed_at, import_consent_id) SELECT t.id, up.id, t.status, CASE WHEN t.status ="     \
    "  'confirmed' THEN now() END, CASE WHEN t.status = 'unsubscribed' THEN now() END,"            \
    "  t.consent_id FROM up CROSS JOIN targets t ON CONFLICT (list_id, subscriber_id) DO NOTHING)" \
    " SELECT count(*) FROM up"

#define MERGE_UPDATE                                                                               \
    "DO UPDATE SET name = CASE WHEN EXCLUDED.name <> '' THEN EXCLUDED.name"                        \
    " ELSE s.name END, attributes = s.attributes || EXCLUDED.attributes,"                          \
    " status = CASE WHEN EXCLUDED.status = 'blocklisted' THEN 'blocklisted' ELSE s.status END,"    \
    " updated_at = now()"
static const char *const MERGE_UPSERT_SQL = MERGE_SRC_UPSERT MERGE_HEAD MERGE_UPDATE MERGE_TAIL;
static const char *const MERGE_SKIP_SQL = MERGE_SRC_SKIP MERGE_HEAD "DO NOTHING" MERGE_TAIL;
static const char *const MERGE_UPSERT_ONCE_SQL = MERGE_SRC_ONCE MERGE_HEAD MERGE_UPDATE MERGE_TAIL;
static const char *const MERGE_SKIP_ONCE_SQL = MERGE_SRC_ONCE MERGE_HEAD "DO NOTHING" MERGE_TAIL;

/* For the batch's transaction only. work_mem: the merge sorts a batch by address, in memory rather
 * than in temporary files. gin_pending_list_limit: new attribute (and search trigram) entries
 * gather in the GIN indexes' pending lists and are merged into the trees in bulk, a few batches
 * at a time, instead of a few times per batch (the job cleans the lists up when it ends).
 * synchronous_commit: a batch whose commit is lost in a crash is lost with its progress
 * (resume_row), so the resumed job merges it again; nothing is half-written. */
static const char *const BATCH_SETTINGS_SQL =
    "SELECT set_config('work_mem', '64MB', true),"
    " set_config('gin_pending_list_limit', '65536', true),"
    " set_config('synchronous_commit', 'off', true)";

/* Waits for the merge sent by send_batch. returns 0, or -1 with err. */
static int merge_result(run_state *st)
{
    PGresult *res;
    bool ok = true;
    while ((res = PQgetResult(st->conn))) {
        if (PQresultStatus(res) != PGRES_TUPLES_OK) {
            if (ok) log_error("import: merging a batch failed: %s", PQresultErrorMessage(res));
            ok = false;
        }
        PQclear(res);
    }
    st->merge_sent = false;
    return ok ? 0 : mc_error_set(st->err, 500, "db_error", "", "merging the rows failed");
}

/* Rolls back the batch in flight, if any, leaving the connection idle. */
static void abandon_batch(run_state *st)
{
    if (!st->in_flight) return;
    if (st->merge_sent) {
        mc_error ignored;
        mc_error *err = st->err;
        st->err = &ignored;
        merge_result(st);
        st->err = err;
    }
    db_rollback(st->conn);
    json_array_clear(st->sent.errors);
    st->in_flight = false;
}

/* Completes the batch in flight: waits for its merge, then commits its rows, its errors and the
 * job's progress in one transaction. returns 0 (also when none was in flight), or -1 with err
 * (the batch is rolled back). */
static int finish_batch(run_state *st)
{
    if (!st->in_flight) return 0;
    PGconn *conn = st->conn;
    import_job *job = st->job;
    sent_batch *b = &st->sent;
    char id[32], done[32], failed[32], row[32];
    snprintf(id, sizeof id, "%lld", job->id);
    if (st->merge_sent && merge_result(st) < 0) goto fail;
    if (json_array_size(b->errors)) {
        char *errors = json_dumps(b->errors, JSON_COMPACT);
        const char *ep[] = {id, errors};
        int rc = db_exec(conn,
                         "INSERT INTO import_errors (import_id, row_number, message)"
                         " SELECT $1, (e->>'row')::bigint, e->>'message'"
                         " FROM json_array_elements($2::json) e ON CONFLICT DO NOTHING",
                         2, ep, st->err);
        free(errors);
        if (rc < 0) goto fail;
    }
    snprintf(done, sizeof done, "%lld", job->rows_done + b->good - b->suppressed);
    snprintf(failed, sizeof failed, "%lld", job->rows_failed + b->failed + b->suppressed);
    snprintf(row, sizeof row, "%lld", b->last_row);
    const char *up[] = {id, done, failed, row, job->locker};
    PGresult *res = db_query(conn,
                             "UPDATE imports SET rows_done = $2, rows_failed = $3,"
                             " rows_total = $2::bigint + $3::bigint, resume_row = $4,"
                             " heartbeat_at = now() WHERE id = $1 AND locked_by = $5"
                             " AND state = 'running'",
                             5, up, st->err);
    if (!res) goto fail;
    int owned = atoi(PQcmdTuples(res));
    PQclear(res);
    if (!owned) {
        mc_error_set(st->err, 409, "lost_lock", "", "another process took over the import");
        goto fail;
    }
    if (db_commit(conn, st->err) < 0) goto fail;
    job->rows_done += b->good - b->suppressed;
    job->rows_failed += b->failed + b->suppressed;
    if (job->metrics) {
        metric_counter_add(&job->metrics->import_rows_imported,
                           (uint64_t)(b->good - b->suppressed));
        metric_counter_add(&job->metrics->import_rows_failed,
                           (uint64_t)(b->failed + b->suppressed));
    }
    job->resume_row = b->last_row;
    json_array_clear(b->errors);
    st->in_flight = false;
    return 0;
fail:
    abandon_batch(st);
    return -1;
}

/* Starts the batch read so far: loads its rows and sends the merge without waiting, so the next
 * batch is read and checked in C while PostgreSQL merges this one. finish_batch() completes it.
 * returns 0, or -1 with err (nothing of the batch stays). */
static int send_batch(run_state *st)
{
    if (st->batch_good == 0 && st->batch_failed == 0) return 0;
    PGconn *conn = st->conn;
    char id[32];
    snprintf(id, sizeof id, "%lld", st->job->id);
    long long suppressed = 0;
    if (db_begin(conn, st->err) < 0) return -1;
    st->in_flight = true;
    if (db_exec(conn, BATCH_SETTINGS_SQL, 0, NULL, st->err) < 0) goto fail;
    if (st->batch_good) {
        if (copy_in(st) < 0) goto fail;
        const char *sp[] = {id, st->ipad, st->opad};
        PGresult *res = db_query(conn, SUPPRESSED_SQL, 3, sp, st->err);
        if (!res) goto fail;
        suppressed = strtoll(PQcmdTuples(res), NULL, 10);
        PQclear(res);
        const char *cp[] = {id, buf_cstr(&st->options.lists), st->options.list_status};
        if (db_exec(conn, CONSENT_SQL, 3, cp, st->err) < 0) goto fail;
        const char *mp[] = {buf_cstr(&st->options.lists), st->options.list_status, id};
        const char *merge = st->options.skip_existing
                                ? (st->may_repeat ? MERGE_SKIP_SQL : MERGE_SKIP_ONCE_SQL)
                                : (st->may_repeat ? MERGE_UPSERT_SQL : MERGE_UPSERT_ONCE_SQL);
        if (!PQsendQueryParams(conn, merge, 3, NULL, mp, NULL, NULL, 0)) {
            mc_error_set(st->err, 500, "db_error", "", "sending the merge failed: %s",
                         PQerrorMessage(conn));
            goto fail;
        }
        st->merge_sent = true;
    }
    /* the batch's errors and counts wait with it; the next batch starts empty */
    json_t *errors = st->sent.errors;
    st->sent = (sent_batch){.errors = st->errors,
                            .good = st->batch_good,
                            .failed = st->batch_failed,
                            .suppressed = suppressed,
                            .last_row = st->last_row};
    st->errors = errors;
    buf_reset(&st->copy);
    memset(st->seen, 0, SEEN_SLOTS * sizeof *st->seen);
    st->may_repeat = false;
    st->batch_good = st->batch_failed = 0;
    return 0;
fail:
    abandon_batch(st);
    return -1;
}

/* Ends the batch in flight and starts the one read so far. returns 0, or -1 with err. */
static int flush(run_state *st)
{
    if (finish_batch(st) < 0) return -1;
    return send_batch(st);
}

static int after_row(run_state *st, long long row)
{
    st->last_row = row;
    if (st->batch_good + st->batch_failed < BATCH_ROWS) return 0;
    if (flush(st) < 0) return -1;
    return __atomic_load_n(st->job->stop, __ATOMIC_RELAXED) ? 1 : 0;
}

static int on_record(void *ctx, long long row, const str_t *fields, int count)
{
    run_state *st = ctx;
    if (row == 1) {
        if (import_plan(&st->options, fields, count, st->err) < 0) return -1;
        st->planned = true;
        return 0;
    }
    if (row <= st->job->resume_row) return 0; /* merged before a restart */
    char message[MESSAGE_MAX];
    if (take_row(st, row, fields, count, message, sizeof message))
        st->batch_good++;
    else
        add_error(st, row, message);
    return after_row(st, row);
}

static int on_bad_row(void *ctx, long long row, const char *message)
{
    run_state *st = ctx;
    if (row == 1) {
        mc_error_set(st->err, 400, "invalid_field", "file", "the header row cannot be read: %s",
                     message);
        return -1;
    }
    if (row <= st->job->resume_row) return 0;
    add_error(st, row, message);
    return after_row(st, row);
}

static int ensure_staging(PGconn *conn, mc_error *err)
{
    /* a temporary table per connection: no WAL, invisible to others, emptied at each commit */
    PGresult *res =
        db_query(conn, "SELECT to_regclass('pg_temp.import_staging') IS NULL", 0, NULL, err);
    if (!res) return -1;
    bool missing = PQgetvalue(res, 0, 0)[0] == 't';
    PQclear(res);
    if (!missing) return db_exec(conn, "TRUNCATE pg_temp.import_staging", 0, NULL, err);
    return db_exec(
        conn,
        "CREATE TEMP TABLE import_staging (row_number bigint NOT NULL,"
        " email text NOT NULL, name text NOT NULL, attributes jsonb NOT NULL, status text)"
        " ON COMMIT DELETE ROWS",
        0, NULL, err);
}

/* Merges the entries the batches left in the pending lists of the subscribers' GIN indexes
 * (attributes, and the search's trigram indexes when pg_trgm made them; see
 * BATCH_SETTINGS_SQL), so segment queries and searches after the import do not scan them one by
 * one. Only an optimisation: autovacuum would do it later, so a failure is logged, not
 * returned. */
static void clean_pending_entries(PGconn *conn, long long id)
{
    mc_error err;
    if (db_exec(conn,
                "SELECT gin_clean_pending_list(i.indexrelid) FROM pg_index i"
                " JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am a ON a.oid = c.relam"
                " WHERE i.indrelid = 'subscribers'::regclass AND a.amname = 'gin'",
                0, NULL, &err) < 0)
        log_warn("import %lld: the subscribers' GIN indexes keep their pending entries: %s", id,
                 err.message);
}

int import_run(PGconn *conn, import_job *job, mc_error *err)
{
    run_state st = {.conn = conn, .job = job, .copy = BUF_INIT, .err = err};
    if (import_options_parse(job->options, &st.options, err) < 0) return -1;
    suppression_pads(job->secret, st.ipad, st.opad);
    st.errors = json_array();
    st.sent.errors = json_array();
    st.seen = xcalloc(SEEN_SLOTS, sizeof *st.seen);
    int rc = -1;
    FILE *f = fopen(job->file_path, "rb");
    if (!f) {
        mc_error_set(err, 500, "file_missing", "file", "the uploaded file is gone");
        goto done;
    }
    if (ensure_staging(conn, err) < 0) goto done;
    rc = csv_read(f, on_record, on_bad_row, &st, err);
    if (rc == 0 && !st.planned) {
        mc_error_set(err, 400, "invalid_field", "file", "the file is empty");
        rc = -1;
    }
    bool stopped = __atomic_load_n(job->stop, __ATOMIC_RELAXED);
    if (rc == 0 && (flush(&st) < 0 || finish_batch(&st) < 0)) rc = -1;
    if (rc < 0 && st.in_flight) {
        /* the batch in flight was read and checked in full: keep it, as if the failure had come
         * after its commit, and report the failure itself */
        mc_error later;
        st.err = &later;
        if (finish_batch(&st) < 0) log_warn("import %lld: %s", job->id, later.message);
        st.err = err;
    }
    if (rc == 0 && stopped) rc = 1;
    if (rc == 0) clean_pending_entries(conn, job->id);
done:
    if (f) fclose(f);
    json_decref(st.errors);
    json_decref(st.sent.errors);
    free(st.seen);
    buf_free(&st.copy);
    import_options_free(&st.options);
    return rc;
}
