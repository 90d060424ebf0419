/* Subscriber rows. PostgreSQL builds the JSON of each subscriber (with its memberships) so a
 * page is one query; addresses are unique by lower(email). */
#include "audience/subscribers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audience/input.h"
#include "audience/membership.h"
#include "audience/segments.h"
#include "audience/subscriber_json.h"
#include "audience/suppression.h"
#include "core/email_address.h"
#include "db/json_rows.h"
#include "db/query.h"

#define NAME_MAX_CHARS   500
#define BULK_MAX_IDS     100000
#define SUBSCRIBER_LISTS 1000

static const char *const STATUSES[] = {"active", "unsubscribed", "blocklisted", NULL};
static const char *const LIST_STATUSES[] = {"unconfirmed", "confirmed", "unsubscribed", NULL};

static bool in_table(const char *value, const char *const *table)
{
    for (size_t i = 0; table[i]; i++)
        if (!strcmp(value, table[i])) return true;
    return false;
}

int subscriber_filter_check(const subscriber_filter *f, mc_error *err)
{
    if (f->status && !in_table(f->status, STATUSES))
        return mc_error_set(err, 400, "invalid_field", "status",
                            "status must be active, unsubscribed or blocklisted");
    if (f->list_status && !in_table(f->list_status, LIST_STATUSES))
        return mc_error_set(err, 400, "invalid_field", "list_status",
                            "list_status must be unconfirmed, confirmed or unsubscribed");
    if (f->list_status && !f->list_id)
        return mc_error_set(err, 400, "invalid_field", "list_status", "list_status needs a list");
    if (f->query && strlen(f->query) > 500)
        return mc_error_set(err, 400, "invalid_field", "query", "the query is too long");
    return 0;
}

/* Escapes LIKE's wildcards so a search for "50%" finds "50%", not everything. */
static void like_pattern(const char *text, buf_t *out)
{
    buf_putc(out, '%');
    for (const char *p = text; *p; p++) {
        if (*p == '%' || *p == '_' || *p == '\\') buf_putc(out, '\\');
        buf_putc(out, *p);
    }
    buf_putc(out, '%');
}

/* returns 0 when list id exists, else -1 with a 404 naming the list filter: an unknown list
 * answers as an unknown segment does, not as an empty page that looks like an empty list */
static int check_list_filter(PGconn *conn, long long id, mc_error *err)
{
    char id_text[32];
    snprintf(id_text, sizeof id_text, "%lld", id);
    const char *params[] = {id_text};
    PGresult *res = db_query(conn, "SELECT 1 FROM lists WHERE id = $1", 1, params, err);
    if (!res) return -1;
    bool found = PQntuples(res) == 1;
    PQclear(res);
    if (!found) return mc_error_set(err, 404, "not_found", "list", "no list has the id %lld", id);
    return 0;
}

int subscriber_filter_sql(PGconn *conn, const subscriber_filter *f, sql_builder *b, mc_error *err)
{
    if (f->query && f->query[0]) {
        buf_t pattern = BUF_INIT;
        like_pattern(f->query, &pattern);
        sql_builder_add(b, " AND (s.email ILIKE ");
        int n = sql_builder_param(b, buf_cstr(&pattern));
        sql_builder_add(b, " OR s.name ILIKE ");
        sql_builder_ref(b, n);
        sql_builder_add(b, ")");
        buf_free(&pattern);
    }
    if (f->status) {
        sql_builder_add(b, " AND s.status = ");
        sql_builder_param(b, f->status);
    }
    if (f->list_id) {
        if (check_list_filter(conn, f->list_id, err) < 0) return -1;
        sql_builder_add(b, " AND EXISTS (SELECT 1 FROM list_subscribers m"
                           " WHERE m.subscriber_id = s.id AND m.list_id = ");
        sql_builder_param_int(b, f->list_id);
        if (f->list_status) {
            sql_builder_add(b, " AND m.status = ");
            sql_builder_param(b, f->list_status);
        }
        sql_builder_add(b, ")");
    }
    if (f->segment_id) {
        sql_builder_add(b, " AND ");
        if (segment_sql_by_id(conn, f->segment_id, b, err) < 0) return -1;
    }
    return 0;
}

/* What a create or update body holds, validated. */
typedef struct {
    char *email; /* trimmed, checked; NULL when absent */
    char *name;
    char *attributes; /* JSON text of an object; NULL when absent */
    const char *status;
    buf_t lists;
    size_t list_count;
    bool lists_present;
    const char *list_status;
    bool override_suppression;
} subscriber_input;

static void input_free(subscriber_input *in)
{
    free(in->email);
    free(in->name);
    free(in->attributes);
    buf_free(&in->lists);
}

static const char *const SUBSCRIBER_FIELDS[] = {
    "email", "name", "attributes", "status", "lists", "list_status", "override_suppression", NULL};

static int parse_input(json_t *body, bool email_required, subscriber_input *in, mc_error *err)
{
    memset(in, 0, sizeof *in);
    if (input_known_fields(body, SUBSCRIBER_FIELDS, err) < 0) return -1;
    char *email;
    if (input_string(body, "email", 0, 1000, &email, err) < 0) return -1;
    if (!email && email_required)
        return mc_error_set(err, 400, "invalid_field", "email", "email is required");
    if (email) {
        str_t checked;
        int rc = email_address_check(str_from_cstr(email), "email", &checked, err);
        if (rc == 0) in->email = strndup(checked.p, checked.n);
        free(email);
        if (rc < 0) return -1;
    }
    if (input_string(body, "name", 0, NAME_MAX_CHARS, &in->name, err) < 0) return -1;
    json_t *attributes = json_object_get(body, "attributes");
    if (attributes && !json_is_null(attributes)) {
        if (!json_is_object(attributes))
            return mc_error_set(err, 400, "invalid_field", "attributes",
                                "attributes must be a JSON object");
        in->attributes = json_dumps(attributes, JSON_COMPACT);
    }
    if (input_enum(body, "status", STATUSES, &in->status, err) < 0) return -1;
    if (input_ids(body, "lists", SUBSCRIBER_LISTS, &in->lists, &in->list_count, &in->lists_present,
                  err) < 0)
        return -1;
    if (input_enum(body, "list_status", LIST_STATUSES, &in->list_status, err) < 0) return -1;
    json_t *override = json_object_get(body, "override_suppression");
    if (override && !json_is_boolean(override))
        return mc_error_set(err, 400, "invalid_field", "override_suppression",
                            "override_suppression must be true or false");
    in->override_suppression = override && json_is_true(override);
    return 0;
}

/* Refuses a suppressed address unless the admin overrides it, which lifts the suppression. */
static int check_suppression(PGconn *conn, const subscriber_input *in,
                             const audience_origin *origin, mc_error *err)
{
    if (!in->email || !origin->secret) return 0;
    if (in->override_suppression) {
        int rc = suppression_remove(conn, origin->secret, in->email, err);
        return rc < 0 ? -1 : 0;
    }
    int rc = suppression_contains(conn, origin->secret, in->email, err);
    if (rc < 0) return -1;
    if (rc == 1)
        return mc_error_set(err, 422, "suppressed", "email",
                            "this address was erased or suppressed; send "
                            "\"override_suppression\": true to add it anyway");
    return 0;
}

/* Looks up the id of the subscriber holding email. returns the id, 0 when none, -1 with err */
static long long id_by_email(PGconn *conn, const char *email, mc_error *err)
{
    const char *params[] = {email};
    PGresult *res =
        db_query(conn, "SELECT id FROM subscribers WHERE lower(email) = lower($1)", 1, params, err);
    if (!res) return -1;
    long long id = PQntuples(res) ? strtoll(PQgetvalue(res, 0, 0), NULL, 10) : 0;
    PQclear(res);
    return id;
}

static int conflict(long long existing, long long *existing_id, mc_error *err)
{
    *existing_id = existing;
    return mc_error_set(err, 409, "conflict", "email",
                        "a subscriber with this address exists (id %lld)", existing);
}

static int add_to_lists(PGconn *conn, long long id, const subscriber_input *in,
                        const audience_origin *origin, mc_error *err)
{
    if (!in->list_count) return 0;
    if (membership_check_ids(conn, true, buf_cstr(&in->lists), "lists", err) < 0) return -1;
    char ids[40];
    snprintf(ids, sizeof ids, "{%lld}", id);
    return membership_set(conn, ids, buf_cstr(&in->lists), in->list_status, origin->source,
                          origin->remote_addr, err) < 0
               ? -1
               : 0;
}

json_t *subscriber_create(PGconn *conn, json_t *body, const audience_origin *origin,
                          long long *existing_id, mc_error *err)
{
    subscriber_input in;
    *existing_id = 0;
    if (parse_input(body, true, &in, err) < 0) {
        input_free(&in);
        return NULL;
    }
    long long id = 0;
    if (db_begin(conn, err) < 0) goto fail;
    if (check_suppression(conn, &in, origin, err) < 0) goto fail;
    /* ON CONFLICT DO NOTHING keeps the transaction usable when the address exists */
    const char *params[] = {in.email, in.name ? in.name : "", in.attributes ? in.attributes : "{}",
                            in.status ? in.status : "active"};
    PGresult *res = db_query(conn,
                             "INSERT INTO subscribers (email, name, attributes, status)"
                             " VALUES ($1, $2, $3::jsonb, $4)"
                             " ON CONFLICT ((lower(email))) DO NOTHING RETURNING id",
                             4, params, err);
    if (!res) goto fail;
    if (PQntuples(res) == 1) id = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
    PQclear(res);
    if (!id) {
        long long existing = id_by_email(conn, in.email, err);
        if (existing >= 0) conflict(existing, existing_id, err);
        goto fail;
    }
    if (add_to_lists(conn, id, &in, origin, err) < 0) goto fail;
    if (db_commit(conn, err) < 0) goto fail;
    input_free(&in);
    return subscriber_get(conn, id, err);
fail:
    db_rollback(conn);
    input_free(&in);
    return NULL;
}

/* in the order of the unique index, so that two batches naming the same new addresses take
 * their locks in one order and never deadlock */
#define CREATE_MISSING_KEY SUPPRESSION_KEY_SQL("a", "$2", "$3")
static const char *const CREATE_MISSING_SQL =
    "INSERT INTO subscribers (email) SELECT DISTINCT ON (lower(a)) a"
    " FROM jsonb_array_elements_text($1::jsonb) AS a"
    " WHERE NOT EXISTS (SELECT 1 FROM subscribers s WHERE lower(s.email) = lower(a))"
    " AND NOT EXISTS (SELECT 1 FROM suppressions WHERE email_hash = " CREATE_MISSING_KEY ")"
    " ORDER BY lower(a) ON CONFLICT ((lower(email))) DO NOTHING";

long long subscriber_create_missing(PGconn *conn, const char *emails,
                                    const unsigned char secret[32], mc_error *err)
{
    char ipad[SUPPRESSION_PAD_TEXT], opad[SUPPRESSION_PAD_TEXT];
    suppression_pads(secret, ipad, opad);
    const char *params[] = {emails, ipad, opad};
    PGresult *res = db_query(conn, CREATE_MISSING_SQL, 3, params, err);
    if (!res) return -1;
    long long created = strtoll(PQcmdTuples(res), NULL, 10);
    PQclear(res);
    return created;
}

json_t *subscriber_keyset_page(PGconn *conn, long long subscriber_id, const char *page_sql,
                               long long after, int limit, mc_error *err)
{
    char sub[24];
    snprintf(sub, sizeof sub, "%lld", subscriber_id);
    const char *params[] = {sub};
    PGresult *res = db_query(conn, "SELECT 1 FROM subscribers WHERE id = $1", 1, params, err);
    if (!res) return NULL;
    bool found = PQntuples(res) == 1;
    PQclear(res);
    if (!found) {
        mc_error_set(err, 404, "not_found", "id", "no subscriber has the id %lld", subscriber_id);
        return NULL;
    }
    return db_keyset_page(conn, page_sql, NULL, 1, params, after, limit, false, err);
}

json_t *subscriber_get(PGconn *conn, long long id, mc_error *err)
{
    char id_text[32];
    snprintf(id_text, sizeof id_text, "%lld", id);
    const char *params[] = {id_text};
    PGresult *res = db_query(conn, "SELECT " SUBSCRIBER_JSON " FROM subscribers s WHERE s.id = $1",
                             1, params, err);
    if (!res) return NULL;
    json_t *obj = NULL;
    if (PQntuples(res) == 1)
        obj = json_loads(PQgetvalue(res, 0, 0), 0, NULL);
    else
        mc_error_set(err, 404, "not_found", "id", "no subscriber has the id %lld", id);
    PQclear(res);
    return obj;
}

/* Shallow merge for PATCH; keys set to null are removed. */
static const char *const UPDATE_SQL =
    "UPDATE subscribers SET email = COALESCE($2, email), name = COALESCE($3, name),"
    " attributes = CASE WHEN $4::jsonb IS NULL THEN attributes"
    "  WHEN $5::boolean THEN (attributes || $4::jsonb) - ARRAY(SELECT key FROM "
    "jsonb_each($4::jsonb)"
    "   WHERE value = 'null'::jsonb)"
    "  ELSE $4::jsonb END,"
    " status = COALESCE($6, status), updated_at = now() WHERE id = $1 RETURNING id";

json_t *subscriber_update(PGconn *conn, long long id, json_t *body, bool replace,
                          const audience_origin *origin, long long *existing_id, mc_error *err)
{
    subscriber_input in;
    *existing_id = 0;
    if (parse_input(body, replace, &in, err) < 0) {
        input_free(&in);
        return NULL;
    }
    char id_text[32];
    snprintf(id_text, sizeof id_text, "%lld", id);
    const char *name = in.name ? in.name : replace ? "" : NULL;
    const char *attributes = in.attributes ? in.attributes : replace ? "{}" : NULL;
    const char *params[] = {id_text,  in.email, name, attributes, replace ? "false" : "true",
                            in.status};
    if (db_begin(conn, err) < 0) goto fail;
    if (in.email) {
        long long holder = id_by_email(conn, in.email, err);
        if (holder < 0) goto fail;
        if (holder && holder != id) {
            conflict(holder, existing_id, err);
            goto fail;
        }
        if (!holder && check_suppression(conn, &in, origin, err) < 0) goto fail;
    }
    /* between active and unsubscribed the change is a consent of its own, recorded */
    char ids[40];
    snprintf(ids, sizeof ids, "{%lld}", id);
    if (in.status && strcmp(in.status, "blocklisted") &&
        membership_set_subscribed(conn, ids, !strcmp(in.status, "active"), origin->source,
                                  origin->remote_addr, err) < 0)
        goto fail;
    PGresult *res = db_query(conn, UPDATE_SQL, 6, params, err);
    if (!res) goto fail;
    int found = PQntuples(res);
    PQclear(res);
    if (!found) {
        mc_error_set(err, 404, "not_found", "id", "no subscriber has the id %lld", id);
        goto fail;
    }
    if (add_to_lists(conn, id, &in, origin, err) < 0) goto fail;
    if (db_commit(conn, err) < 0) goto fail;
    input_free(&in);
    return subscriber_get(conn, id, err);
fail:
    db_rollback(conn);
    input_free(&in);
    if (db_result_is_unique_violation(err) && !*existing_id) {
        /* another request took the address between the check and the update */
        long long holder =
            id_by_email(conn, json_string_value(json_object_get(body, "email")), err);
        if (holder > 0) conflict(holder, existing_id, err);
    }
    return NULL;
}

int subscriber_delete(PGconn *conn, long long id, mc_error *err)
{
    char id_text[32];
    snprintf(id_text, sizeof id_text, "%lld", id);
    const char *params[] = {id_text};
    PGresult *res =
        db_query(conn, "DELETE FROM subscribers WHERE id = $1 RETURNING id", 1, params, err);
    if (!res) return -1;
    int found = PQntuples(res);
    PQclear(res);
    if (!found)
        return mc_error_set(err, 404, "not_found", "id", "no subscriber has the id %lld", id);
    return 0;
}

json_t *subscriber_list(PGconn *conn, const subscriber_filter *f, long long after, int limit,
                        bool with_total, mc_error *err)
{
    sql_builder b = SQL_BUILDER_INIT;
    sql_builder_add(&b, "SELECT s.id, " SUBSCRIBER_JSON " FROM subscribers s WHERE s.id > ");
    sql_builder_param_int(&b, after);
    if (subscriber_filter_sql(conn, f, &b, err) < 0) {
        sql_builder_free(&b);
        return NULL;
    }
    sql_builder_add(&b, " ORDER BY s.id LIMIT ");
    sql_builder_param_int(&b, limit + 1);
    PGresult *res = db_query(conn, sql_builder_text(&b), b.count, sql_builder_params(&b), err);
    sql_builder_free(&b);
    if (!res) return NULL;
    json_t *list = db_json_page(res, limit);
    if (!with_total) return list;
    sql_builder_add(&b, "SELECT count(*) FROM subscribers s WHERE true");
    int rc = subscriber_filter_sql(conn, f, &b, err);
    if (rc == 0)
        rc = db_json_page_total(conn, list, sql_builder_text(&b), b.count, sql_builder_params(&b),
                                err);
    sql_builder_free(&b);
    if (rc < 0) {
        json_decref(list);
        return NULL;
    }
    return list;
}

static const char *const BULK_FIELDS[] = {"action", "subscriber_ids", "segment",
                                          "lists",  "status",         NULL};
static const char *const BULK_ACTIONS[] = {
    "add_to_lists", "remove_from_lists", "blocklist", "unblocklist", "delete", NULL};

/* Resolves the bulk target (ids or a segment) to an array literal of existing ids. */
static int bulk_target(PGconn *conn, json_t *body, buf_t *ids, mc_error *err)
{
    buf_t given = BUF_INIT;
    size_t count;
    bool present;
    long long segment;
    if (input_ids(body, "subscriber_ids", BULK_MAX_IDS, &given, &count, &present, err) < 0 ||
        input_id(body, "segment", &segment, err) < 0) {
        buf_free(&given);
        return -1;
    }
    if (present == (segment != 0)) {
        buf_free(&given);
        return mc_error_set(err, 400, "invalid_field", "subscriber_ids",
                            "give either subscriber_ids or segment");
    }
    sql_builder b = SQL_BUILDER_INIT;
    sql_builder_add(&b, "SELECT COALESCE(array_agg(s.id ORDER BY s.id), '{}')::text"
                        " FROM subscribers s WHERE ");
    int rc = 0;
    if (present) {
        sql_builder_add(&b, "s.id = ANY(");
        sql_builder_param(&b, buf_cstr(&given));
        sql_builder_add(&b, "::bigint[])");
    } else {
        rc = segment_sql_by_id(conn, segment, &b, err);
        if (rc < 0 && err->status == 404) strcpy(err->field, "segment");
    }
    buf_free(&given);
    PGresult *res =
        rc < 0 ? NULL : db_query(conn, sql_builder_text(&b), b.count, sql_builder_params(&b), err);
    sql_builder_free(&b);
    if (!res) return -1;
    buf_reset(ids);
    buf_append_cstr(ids, PQgetvalue(res, 0, 0));
    PQclear(res);
    return 0;
}

static long long bulk_apply(PGconn *conn, const char *action, const char *ids, json_t *body,
                            const audience_origin *origin, mc_error *err)
{
    const char *params[] = {ids};
    const char *sql = NULL;
    if (!strcmp(action, "blocklist"))
        sql = "UPDATE subscribers SET status = 'blocklisted', updated_at = now()"
              " WHERE id = ANY($1::bigint[]) AND status <> 'blocklisted'";
    else if (!strcmp(action, "unblocklist"))
        sql = "UPDATE subscribers SET status = 'active', updated_at = now()"
              " WHERE id = ANY($1::bigint[]) AND status = 'blocklisted'";
    else if (!strcmp(action, "delete"))
        sql = "DELETE FROM subscribers WHERE id = ANY($1::bigint[])";
    if (sql) {
        PGresult *res = db_query(conn, sql, 1, params, err);
        if (!res) return -1;
        long long n = strtoll(PQcmdTuples(res), NULL, 10);
        PQclear(res);
        return n;
    }
    buf_t lists = BUF_INIT;
    size_t count;
    bool present;
    const char *status;
    long long n = -1;
    if (input_ids(body, "lists", SUBSCRIBER_LISTS, &lists, &count, &present, err) < 0 ||
        input_enum(body, "status", LIST_STATUSES, &status, err) < 0)
        goto done;
    if (!count) {
        mc_error_set(err, 400, "invalid_field", "lists", "%s needs lists", action);
        goto done;
    }
    if (membership_check_ids(conn, true, buf_cstr(&lists), "lists", err) < 0) goto done;
    if (!strcmp(action, "add_to_lists"))
        n = membership_set(conn, ids, buf_cstr(&lists), status, origin->source, origin->remote_addr,
                           err);
    else
        n = membership_remove(conn, ids, buf_cstr(&lists), err);
done:
    buf_free(&lists);
    return n;
}

json_t *subscriber_bulk(PGconn *conn, json_t *body, const audience_origin *origin, mc_error *err)
{
    const char *action;
    if (input_known_fields(body, BULK_FIELDS, err) < 0 ||
        input_enum(body, "action", BULK_ACTIONS, &action, err) < 0)
        return NULL;
    if (!action) {
        mc_error_set(err, 400, "invalid_field", "action", "action is required");
        return NULL;
    }
    buf_t ids = BUF_INIT;
    long long n = -1;
    if (db_begin(conn, err) == 0) {
        if (bulk_target(conn, body, &ids, err) == 0)
            n = bulk_apply(conn, action, buf_cstr(&ids), body, origin, err);
        if (n >= 0 && db_commit(conn, err) < 0) n = -1;
        if (n < 0) db_rollback(conn);
    }
    buf_free(&ids);
    return n < 0 ? NULL : json_pack("{s:I}", "affected", (json_int_t)n);
}
