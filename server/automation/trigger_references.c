/* The ids a trigger definition names, looked up in the caller's transaction: a trigger that
 * would fail at its first send is refused when it is saved, not when a subscriber reaches it. */
#include <stdio.h>
#include <string.h>

#include "automation/trigger_validate.h"
#include "content/template_source.h"
#include "db/query.h"

static const char LIST_EXISTS_SQL[] = "SELECT 1 FROM lists WHERE id = $1";
static const char SEGMENT_EXISTS_SQL[] = "SELECT 1 FROM segments WHERE id = $1";
static const char TEMPLATE_SQL[] =
    "SELECT kind, subject, body, text_body FROM templates WHERE id = $1";

/* Checks that sql finds a row for the id in member id_json (absent: nothing to check).
 * returns 0, or -1 with a 400 naming field ("no <what> has the id 7") or a database error. */
static int check_exists(PGconn *conn, const char *sql, json_t *id_json, const char *field,
                        const char *what, mc_error *err)
{
    if (!json_is_integer(id_json)) return 0;
    long long id = json_integer_value(id_json);
    char text[32];
    snprintf(text, sizeof text, "%lld", id);
    const char *params[] = {text};
    PGresult *res = db_query(conn, sql, 1, params, err);
    if (!res) return -1;
    int found = PQntuples(res) > 0;
    PQclear(res);
    return found
               ? 0
               : mc_error_set(err, 400, "invalid_field", field, "no %s has the id %lld", what, id);
}

static int check_send(PGconn *conn, const template_source *src, json_t *step, size_t index,
                      mc_error *err)
{
    char field[64];
    snprintf(field, sizeof field, "steps[%zu].send", index);
    json_int_t id = json_integer_value(json_object_get(step, "send"));
    char text[32];
    snprintf(text, sizeof text, "%lld", (long long)id);
    const char *params[] = {text};
    PGresult *res = db_query(conn, TEMPLATE_SQL, 1, params, err);
    if (!res) return -1;
    int rc = 0;
    if (PQntuples(res) != 1)
        rc = mc_error_set(err, 400, "invalid_field", field, "no template has the id %lld",
                          (long long)id);
    else if (!strcmp(PQgetvalue(res, 0, 0), "layout"))
        rc = mc_error_set(err, 400, "invalid_field", field,
                          "template %lld is a layout, not a message", (long long)id);
    else
        /* a layout it extends may have changed since it was saved: compile it as sent */
        for (int column = 1; column <= 3 && rc == 0; column++)
            rc = template_source_compile(src, field, PQgetvalue(res, 0, column), NULL, err);
    PQclear(res);
    json_t *subject = json_object_get(step, "subject");
    if (rc == 0 && json_is_string(subject)) {
        snprintf(field, sizeof field, "steps[%zu].subject", index);
        rc = template_source_compile(src, field, json_string_value(subject), NULL, err);
    }
    return rc;
}

int trigger_check_references(PGconn *conn, json_t *def, const char *templates_dir, mc_error *err)
{
    if (check_exists(conn, LIST_EXISTS_SQL, json_object_get(json_object_get(def, "entry"), "list"),
                     "entry.list", "list", err) < 0 ||
        check_exists(conn, SEGMENT_EXISTS_SQL, json_object_get(def, "segment"), "segment",
                     "segment", err) < 0)
        return -1;
    template_source src = {conn, templates_dir};
    size_t i;
    json_t *step;
    json_array_foreach(json_object_get(def, "steps"), i, step)
    {
        if (json_object_get(step, "send") && check_send(conn, &src, step, i, err) < 0) return -1;
    }
    return 0;
}
