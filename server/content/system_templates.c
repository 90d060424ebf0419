/* The stored templates of system messages: found by their reserved name "system/NAME", or
 * created from the built-in file the first time one is needed. */
#include "content/system_templates.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/file.h"
#include "db/query.h"

#define TEMPLATE_MAX_BYTES 1048576 /* the templates table's limit */

/* returns the id of the stored template "system/NAME" (0 when there is none), -1 with err */
static long long stored_template(PGconn *conn, const char *stored_name, mc_error *err)
{
    const char *params[] = {stored_name};
    /* one creator at a time: two first messages must not store the template twice */
    if (db_exec(conn, "SELECT pg_advisory_xact_lock(hashtext('mailcast:' || $1))", 1, params, err) <
        0)
        return -1;
    PGresult *res = db_query(conn,
                             "SELECT id FROM templates WHERE name = $1 AND kind = 'transactional'"
                             " ORDER BY id LIMIT 1",
                             1, params, err);
    if (!res) return -1;
    long long id = PQntuples(res) ? strtoll(PQgetvalue(res, 0, 0), NULL, 10) : 0;
    PQclear(res);
    return id;
}

/* Stores templates_dir/system/NAME.mustache as the transactional template stored_name.
 * returns its id or -1 with err. */
static long long store_builtin(PGconn *conn, const char *templates_dir, const char *name,
                               const char *stored_name, const char *subject, mc_error *err)
{
    buf_t path = BUF_INIT, body = BUF_INIT;
    buf_appendf(&path, "%s/system/%s.mustache", templates_dir, name);
    long long id = -1;
    if (file_read_all(buf_cstr(&path), TEMPLATE_MAX_BYTES, &body) < 0) {
        mc_error_set(err, 500, "internal", "", "cannot read %s: %s", buf_cstr(&path),
                     strerror(errno));
        goto done;
    }
    const char *params[] = {stored_name, subject, buf_cstr(&body)};
    PGresult *res = db_query(conn,
                             "INSERT INTO templates (name, kind, subject, body)"
                             " VALUES ($1, 'transactional', $2, $3) RETURNING id",
                             3, params, err);
    if (res) id = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
    PQclear(res);
done:
    buf_free(&path);
    buf_free(&body);
    return id;
}

long long content_system_template(PGconn *conn, const char *templates_dir, const char *name,
                                  const char *subject, mc_error *err)
{
    char stored_name[128];
    snprintf(stored_name, sizeof stored_name, "system/%s", name);
    long long template_id = stored_template(conn, stored_name, err);
    if (template_id == 0)
        template_id = store_builtin(conn, templates_dir, name, stored_name, subject, err);
    return template_id;
}
