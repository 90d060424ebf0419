/* Reading, ordering and applying migration files. */
#include "db/migrate.h"

#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/file.h"
#include "core/log.h"
#include "db/query.h"
#include "db/sql_split.h"

/* Any constant shared by all mailcast processes; "mcmi" in ASCII. */
#define MIGRATION_LOCK_KEY "1835232617"

typedef struct {
    long version;
    char *name;
} migration_file;

static int compare_migrations(const void *a, const void *b)
{
    const migration_file *x = a, *y = b;
    return (x->version > y->version) - (x->version < y->version);
}

static void free_files(migration_file *files, size_t count)
{
    for (size_t i = 0; i < count; i++)
        free(files[i].name);
    free(files);
}

/* Lists NNNN_name.sql files sorted by number; a duplicate number is an error. */
static int list_migrations(const char *dir, migration_file **out, size_t *count, mc_error *err)
{
    DIR *d = opendir(dir);
    if (!d)
        return mc_error_set(err, 500, "migration_failed", dir,
                            "cannot read the migrations folder %s: %s", dir, strerror(errno));
    migration_file *files = NULL;
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (len < 5 || strcmp(e->d_name + len - 4, ".sql")) continue;
        char *end;
        long version = strtol(e->d_name, &end, 10);
        if (end == e->d_name || *end != '_' || version <= 0) continue;
        files = xrealloc(files, (n + 1) * sizeof *files);
        files[n++] = (migration_file){version, xstrdup(e->d_name)};
    }
    closedir(d);
    qsort(files, n, sizeof *files, compare_migrations);
    for (size_t i = 1; i < n; i++) {
        if (files[i].version == files[i - 1].version) {
            mc_error_set(err, 500, "migration_failed", files[i].name,
                         "migrations %s and %s have the same number", files[i - 1].name,
                         files[i].name);
            free_files(files, n);
            return -1;
        }
    }
    *out = files;
    *count = n;
    return 0;
}

static int read_file(const char *path, buf_t *out, mc_error *err)
{
    if (file_read_all(path, 64u * 1024 * 1024, out) < 0)
        return mc_error_set(err, 500, "migration_failed", path, "cannot read %s: %s", path,
                            strerror(errno));
    return 0;
}

/* Line of the character at chars_in (0-based, counted in characters) within stmt. */
static int line_in_statement(str_t stmt, long chars_in)
{
    int line = 0;
    long c = 0;
    for (size_t i = 0; i < stmt.n && c < chars_in; i++) {
        if (((unsigned char)stmt.p[i] & 0xC0) != 0x80) c++;
        if (stmt.p[i] == '\n') line++;
    }
    return line;
}

/* Runs the file's statements one at a time inside the caller's transaction, so that an error
 * can name the line of the statement that failed. */
static int run_statements(PGconn *conn, const migration_file *m, str_t script, mc_error *err)
{
    sql_splitter splitter;
    sql_split_init(&splitter, script);
    str_t stmt;
    int line;
    buf_t text = BUF_INIT;
    int rc = 0;
    while (rc == 0 && sql_split_next(&splitter, &stmt, &line)) {
        buf_reset(&text);
        buf_append_str(&text, stmt);
        PGresult *res = PQexec(conn, buf_cstr(&text));
        ExecStatusType st = PQresultStatus(res);
        if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
            const char *pos = PQresultErrorField(res, PG_DIAG_STATEMENT_POSITION);
            const char *msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
            if (pos) line += line_in_statement(stmt, strtol(pos, NULL, 10) - 1);
            char where[512];
            snprintf(where, sizeof where, "%s:%d", m->name, line);
            rc = mc_error_set(err, 500, "migration_failed", where, "migration %s failed: %s", where,
                              msg ? msg : PQerrorMessage(conn));
        }
        PQclear(res);
    }
    buf_free(&text);
    return rc;
}

static int apply_one(PGconn *conn, const char *dir, const migration_file *m, mc_error *err)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, m->name);
    buf_t sql = BUF_INIT;
    if (read_file(path, &sql, err) < 0) return -1;
    int rc = db_begin(conn, err);
    if (rc == 0) rc = run_statements(conn, m, buf_view(&sql), err);
    buf_free(&sql);
    if (rc < 0) {
        db_rollback(conn);
        return -1;
    }
    char version[32];
    snprintf(version, sizeof version, "%ld", m->version);
    const char *params[] = {version, m->name};
    if (db_exec(conn, "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", 2, params,
                err) < 0 ||
        db_commit(conn, err) < 0) {
        db_rollback(conn);
        return -1;
    }
    log_info("applied migration %s", m->name);
    return 0;
}

static bool already_applied(PGresult *applied, long version)
{
    for (int i = 0; i < PQntuples(applied); i++)
        if (strtol(PQgetvalue(applied, i, 0), NULL, 10) == version) return true;
    return false;
}

int db_migrate(PGconn *conn, const char *dir, int *applied_count, mc_error *err)
{
    migration_file *files = NULL;
    size_t count = 0;
    if (applied_count) *applied_count = 0;
    if (list_migrations(dir, &files, &count, err) < 0) return -1;
    int rc = db_exec(conn, "SELECT pg_advisory_lock(" MIGRATION_LOCK_KEY ")", 0, NULL, err);
    if (rc < 0) {
        free_files(files, count);
        return -1;
    }
    PGresult *applied = NULL;
    rc = db_exec(conn,
                 "CREATE TABLE IF NOT EXISTS schema_migrations ("
                 " version bigint PRIMARY KEY, name text NOT NULL,"
                 " applied_at timestamptz NOT NULL DEFAULT now())",
                 0, NULL, err);
    if (rc == 0) {
        applied = db_query(conn, "SELECT version FROM schema_migrations", 0, NULL, err);
        if (!applied) rc = -1;
    }
    for (size_t i = 0; rc == 0 && i < count; i++) {
        if (already_applied(applied, files[i].version)) continue;
        rc = apply_one(conn, dir, &files[i], err);
        if (rc == 0 && applied_count) (*applied_count)++;
    }
    PQclear(applied);
    mc_error unlock_err;
    db_exec(conn, "SELECT pg_advisory_unlock(" MIGRATION_LOCK_KEY ")", 0, NULL, &unlock_err);
    free_files(files, count);
    return rc;
}
