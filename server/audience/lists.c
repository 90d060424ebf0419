/* List rows. Counts come from the (list_id, status, subscriber_id) index. */
#include "audience/lists.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audience/input.h"
#include "audience/membership.h"
#include "db/json_rows.h"
#include "db/query.h"

#define MEMBERS_MAX_IDS 100000
#define TAGS_MAX        50
#define TAG_MAX_CHARS   100

#define LIST_JSON                                                                                  \
    "json_build_object('id', l.id, 'name', l.name, 'description', l.description,"                  \
    " 'visibility', l.visibility, 'optin', l.optin, 'tags', to_json(l.tags),"                      \
    " 'counts', (SELECT json_build_object("                                                        \
    "  'unconfirmed', count(*) FILTER (WHERE m.status = 'unconfirmed'),"                           \
    "  'confirmed', count(*) FILTER (WHERE m.status = 'confirmed'),"                               \
    "  'unsubscribed', count(*) FILTER (WHERE m.status = 'unsubscribed'))"                         \
    "  FROM list_subscribers m WHERE m.list_id = l.id),"                                           \
    " 'created_at', mc_rfc3339(l.created_at), 'updated_at', mc_rfc3339(l.updated_at))::text"

static const char *const VISIBILITIES[] = {"public", "private", NULL};
static const char *const OPTINS[] = {"single", "double", NULL};
static const char *const MEMBER_STATUSES[] = {"unconfirmed", "confirmed", "unsubscribed", NULL};
static const char *const LIST_FIELDS[] = {"name",  "description", "visibility",
                                          "optin", "tags",        NULL};

typedef struct {
    char *name;
    char *description;
    const char *visibility;
    const char *optin;
    char *tags; /* JSON array text of trimmed tags; NULL when absent */
} list_input;

static void input_free(list_input *in)
{
    free(in->name);
    free(in->description);
    free(in->tags);
}

static int parse_tags(json_t *body, char **out, mc_error *err)
{
    *out = NULL;
    json_t *tags = json_object_get(body, "tags");
    if (!tags || json_is_null(tags)) return 0;
    if (!json_is_array(tags) || json_array_size(tags) > TAGS_MAX)
        return mc_error_set(err, 400, "invalid_field", "tags",
                            "tags must be an array of at most %d strings", TAGS_MAX);
    json_t *clean = json_array();
    size_t i;
    json_t *tag;
    json_array_foreach(tags, i, tag)
    {
        json_t *holder = json_pack("{s:O}", "tag", tag);
        char *text;
        int rc = input_string(holder, "tag", 1, TAG_MAX_CHARS, &text, err);
        json_decref(holder);
        if (rc < 0 || !text) {
            free(text);
            json_decref(clean);
            return mc_error_set(err, 400, "invalid_field", "tags",
                                "tags[%zu] must be a string of 1 to %d characters", i,
                                TAG_MAX_CHARS);
        }
        json_array_append_new(clean, json_string(text));
        free(text);
    }
    *out = json_dumps(clean, JSON_COMPACT);
    json_decref(clean);
    return 0;
}

static int parse_list(json_t *body, bool name_required, list_input *in, mc_error *err)
{
    memset(in, 0, sizeof *in);
    if (input_known_fields(body, LIST_FIELDS, err) < 0 ||
        input_string(body, "name", 1, 200, &in->name, err) < 0 ||
        input_string(body, "description", 0, 2000, &in->description, err) < 0 ||
        input_enum(body, "visibility", VISIBILITIES, &in->visibility, err) < 0 ||
        input_enum(body, "optin", OPTINS, &in->optin, err) < 0 ||
        parse_tags(body, &in->tags, err) < 0)
        return -1;
    if (name_required && !in->name)
        return mc_error_set(err, 400, "invalid_field", "name", "name is required");
    return 0;
}

json_t *list_create(PGconn *conn, json_t *body, mc_error *err)
{
    list_input in;
    json_t *obj = NULL;
    if (parse_list(body, true, &in, err) == 0) {
        const char *params[] = {in.name, in.description ? in.description : "",
                                in.visibility ? in.visibility : "private",
                                in.optin ? in.optin : "single", in.tags ? in.tags : "[]"};
        PGresult *res =
            db_query(conn,
                     "WITH l AS (INSERT INTO lists (name, description, visibility, optin, tags)"
                     " VALUES ($1, $2, $3, $4, ARRAY(SELECT jsonb_array_elements_text($5::jsonb)))"
                     " RETURNING *) SELECT " LIST_JSON " FROM l",
                     5, params, err);
        if (res) obj = db_json_one(res, "list", 0, err);
    }
    input_free(&in);
    return obj;
}

json_t *list_get(PGconn *conn, long long id, mc_error *err)
{
    char id_text[32];
    snprintf(id_text, sizeof id_text, "%lld", id);
    const char *params[] = {id_text};
    PGresult *res =
        db_query(conn, "SELECT " LIST_JSON " FROM lists l WHERE l.id = $1", 1, params, err);
    return res ? db_json_one(res, "list", id, err) : NULL;
}

json_t *list_update(PGconn *conn, long long id, json_t *body, bool replace, mc_error *err)
{
    list_input in;
    json_t *obj = NULL;
    if (parse_list(body, replace, &in, err) == 0) {
        char id_text[32];
        snprintf(id_text, sizeof id_text, "%lld", id);
        const char *params[] = {id_text,
                                in.name,
                                in.description ? in.description
                                : replace      ? ""
                                               : NULL,
                                in.visibility ? in.visibility
                                : replace     ? "private"
                                              : NULL,
                                in.optin  ? in.optin
                                : replace ? "single"
                                          : NULL,
                                in.tags   ? in.tags
                                : replace ? "[]"
                                          : NULL};
        PGresult *res = db_query(
            conn,
            "WITH l AS (UPDATE lists SET name = COALESCE($2, name),"
            " description = COALESCE($3, description), visibility = COALESCE($4, visibility),"
            " optin = COALESCE($5, optin), tags = CASE WHEN $6::jsonb IS NULL THEN tags"
            "  ELSE ARRAY(SELECT jsonb_array_elements_text($6::jsonb)) END, updated_at = now()"
            " WHERE id = $1 RETURNING *) SELECT " LIST_JSON " FROM l",
            6, params, err);
        if (res) obj = db_json_one(res, "list", id, err);
    }
    input_free(&in);
    return obj;
}

int list_delete(PGconn *conn, long long id, mc_error *err)
{
    return db_delete_by_id(conn, "DELETE FROM lists WHERE id = $1 RETURNING id", "list", id, err);
}

json_t *list_list(PGconn *conn, const char *visibility, long long after, int limit, bool with_total,
                  mc_error *err)
{
    if (visibility && strcmp(visibility, "public") && strcmp(visibility, "private")) {
        mc_error_set(err, 400, "invalid_field", "visibility",
                     "visibility must be public or private");
        return NULL;
    }
    const char *params[] = {visibility};
    return db_keyset_page(conn,
                          "SELECT l.id, " LIST_JSON " FROM lists l WHERE l.id > $1"
                          " AND ($3::text IS NULL OR l.visibility = $3) ORDER BY l.id LIMIT $2",
                          "SELECT count(*) FROM lists WHERE $1::text IS NULL OR visibility = $1", 1,
                          params, after, limit, with_total, err);
}

static const char *const MEMBER_FIELDS[] = {"subscriber_ids", "status", NULL};

/* Reads the members body, checks the list and subscriber ids inside the open transaction. */
static int members_input(PGconn *conn, long long id, json_t *body, bool with_status, buf_t *ids,
                         const char **status, char list_ids[32], mc_error *err)
{
    size_t count;
    bool present;
    *status = NULL;
    if (input_known_fields(body, MEMBER_FIELDS, err) < 0 ||
        input_ids(body, "subscriber_ids", MEMBERS_MAX_IDS, ids, &count, &present, err) < 0)
        return -1;
    if (with_status && input_enum(body, "status", MEMBER_STATUSES, status, err) < 0) return -1;
    if (!present)
        return mc_error_set(err, 400, "invalid_field", "subscriber_ids",
                            "subscriber_ids is required");
    snprintf(list_ids, 32, "{%lld}", id);
    char id_text[32];
    snprintf(id_text, sizeof id_text, "%lld", id);
    const char *params[] = {id_text};
    /* the row lock keeps the list from being deleted while members are added */
    PGresult *res = db_query(conn, "SELECT 1 FROM lists WHERE id = $1 FOR SHARE", 1, params, err);
    if (!res) return -1;
    int found = PQntuples(res);
    PQclear(res);
    if (!found) return mc_error_set(err, 404, "not_found", "id", "no list has the id %lld", id);
    return membership_check_ids(conn, false, buf_cstr(ids), "subscriber_ids", err);
}

json_t *list_members_put(PGconn *conn, long long id, json_t *body, const audience_origin *origin,
                         mc_error *err)
{
    buf_t ids = BUF_INIT;
    const char *status;
    char list_ids[32];
    int rc = db_begin(conn, err);
    if (rc == 0) rc = members_input(conn, id, body, true, &ids, &status, list_ids, err);
    if (rc == 0 && membership_set(conn, buf_cstr(&ids), list_ids, status, origin->source,
                                  origin->remote_addr, err) < 0)
        rc = -1;
    if (rc == 0) rc = db_commit(conn, err);
    if (rc < 0) db_rollback(conn);
    buf_free(&ids);
    return rc < 0 ? NULL : list_get(conn, id, err);
}

json_t *list_members_delete(PGconn *conn, long long id, json_t *body, mc_error *err)
{
    buf_t ids = BUF_INIT;
    const char *status;
    char list_ids[32];
    int rc = db_begin(conn, err);
    if (rc == 0) rc = members_input(conn, id, body, false, &ids, &status, list_ids, err);
    if (rc == 0 && membership_remove(conn, buf_cstr(&ids), list_ids, err) < 0) rc = -1;
    if (rc == 0) rc = db_commit(conn, err);
    if (rc < 0) db_rollback(conn);
    buf_free(&ids);
    return rc < 0 ? NULL : list_get(conn, id, err);
}
