/* Template rows, compile-on-save, and previews. */
#include "content/template_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audience/input.h"
#include "content/render_context.h"
#include "content/template_source.h"
#include "core/buf.h"
#include "db/json_rows.h"
#include "db/query.h"
#include "mail/html_to_text.h"
#include "mail/text_template.h"
#include "template/template.h"

#define TEMPLATE_JSON                                                                              \
    "json_build_object('id', t.id, 'name', t.name, 'kind', t.kind, 'subject', t.subject,"          \
    " 'body', t.body, 'text_body', t.text_body, 'created_at', mc_rfc3339(t.created_at),"           \
    " 'updated_at', mc_rfc3339(t.updated_at))::text"

static const char *const KINDS[] = {"campaign", "layout", "transactional", NULL};
static const char *const TEMPLATE_FIELDS[] = {"name", "kind", "subject", "body", "text_body", NULL};
#define BODY_MAX_CHARS (1024 * 1024)

typedef struct {
    char *name, *subject, *body, *text_body;
    const char *kind;
} template_input;

static void input_free(template_input *in)
{
    free(in->name);
    free(in->subject);
    free(in->body);
    free(in->text_body);
}

static int check_compiles(PGconn *conn, const char *templates_dir, const template_input *in,
                          mc_error *err)
{
    template_source src = {conn, templates_dir};
    if (in->subject && template_source_compile(&src, "subject", in->subject, NULL, err) < 0)
        return -1;
    if (in->body && template_source_compile(&src, "body", in->body, NULL, err) < 0) return -1;
    if (in->text_body && template_source_compile(&src, "text_body", in->text_body, NULL, err) < 0)
        return -1;
    return 0;
}

static int parse_template(json_t *body, bool required, template_input *in, mc_error *err)
{
    memset(in, 0, sizeof *in);
    if (input_known_fields(body, TEMPLATE_FIELDS, err) < 0 ||
        input_string(body, "name", 1, 200, &in->name, err) < 0 ||
        input_enum(body, "kind", KINDS, &in->kind, err) < 0 ||
        input_string(body, "subject", 0, 2000, &in->subject, err) < 0 ||
        input_string(body, "body", 1, BODY_MAX_CHARS, &in->body, err) < 0 ||
        input_string(body, "text_body", 0, BODY_MAX_CHARS, &in->text_body, err) < 0)
        return -1;
    if (required && !in->name)
        return mc_error_set(err, 400, "invalid_field", "name", "name is required");
    if (required && !in->body)
        return mc_error_set(err, 400, "invalid_field", "body", "body is required");
    return 0;
}

static void name_conflict(mc_error *err, const char *name)
{
    if (db_result_is_unique_violation(err))
        mc_error_set(err, 409, "conflict", "name", "a layout named '%s' exists", name);
}

json_t *template_store_create(PGconn *conn, json_t *body, const char *templates_dir, mc_error *err)
{
    template_input in;
    json_t *obj = NULL;
    if (parse_template(body, true, &in, err) == 0 &&
        check_compiles(conn, templates_dir, &in, err) == 0) {
        const char *params[] = {in.name, in.kind ? in.kind : "campaign",
                                in.subject ? in.subject : "", in.body,
                                in.text_body ? in.text_body : ""};
        PGresult *res = db_query(conn,
                                 "WITH t AS (INSERT INTO templates (name, kind, subject, body,"
                                 " text_body) VALUES ($1, $2, $3, $4, $5) RETURNING *)"
                                 " SELECT " TEMPLATE_JSON " FROM t",
                                 5, params, err);
        if (res)
            obj = db_json_one(res, "template", 0, err);
        else
            name_conflict(err, in.name);
    }
    input_free(&in);
    return obj;
}

json_t *template_store_get(PGconn *conn, long long id, mc_error *err)
{
    char id_text[32];
    snprintf(id_text, sizeof id_text, "%lld", id);
    const char *params[] = {id_text};
    PGresult *res =
        db_query(conn, "SELECT " TEMPLATE_JSON " FROM templates t WHERE t.id = $1", 1, params, err);
    return res ? db_json_one(res, "template", id, err) : NULL;
}

json_t *template_store_update(PGconn *conn, long long id, json_t *body, bool replace,
                              const char *templates_dir, mc_error *err)
{
    template_input in;
    json_t *obj = NULL;
    if (parse_template(body, replace, &in, err) == 0 &&
        check_compiles(conn, templates_dir, &in, err) == 0) {
        char id_text[32];
        snprintf(id_text, sizeof id_text, "%lld", id);
        const char *params[] = {id_text,
                                in.name,
                                in.kind   ? in.kind
                                : replace ? "campaign"
                                          : NULL,
                                in.subject ? in.subject
                                : replace  ? ""
                                           : NULL,
                                in.body,
                                in.text_body ? in.text_body
                                : replace    ? ""
                                             : NULL};
        PGresult *res = db_query(conn,
                                 "WITH t AS (UPDATE templates SET name = COALESCE($2, name),"
                                 " kind = COALESCE($3, kind), subject = COALESCE($4, subject),"
                                 " body = COALESCE($5, body), text_body = COALESCE($6, text_body),"
                                 " updated_at = now() WHERE id = $1 RETURNING *)"
                                 " SELECT " TEMPLATE_JSON " FROM t",
                                 6, params, err);
        if (res)
            obj = db_json_one(res, "template", id, err);
        else
            name_conflict(err, in.name ? in.name : "");
    }
    input_free(&in);
    return obj;
}

int template_store_delete(PGconn *conn, long long id, mc_error *err)
{
    return db_delete_by_id(conn, "DELETE FROM templates WHERE id = $1 RETURNING id", "template", id,
                           err);
}

json_t *template_store_list(PGconn *conn, const char *kind, long long after, int limit,
                            bool with_total, mc_error *err)
{
    bool known = !kind;
    for (size_t i = 0; kind && KINDS[i]; i++)
        known = known || !strcmp(kind, KINDS[i]);
    if (!known) {
        mc_error_set(err, 400, "invalid_field", "kind",
                     "kind must be campaign, layout or transactional");
        return NULL;
    }
    const char *params[] = {kind};
    return db_keyset_page(conn,
                          "SELECT t.id, " TEMPLATE_JSON " FROM templates t WHERE t.id > $1"
                          " AND ($3::text IS NULL OR t.kind = $3) ORDER BY t.id LIMIT $2",
                          "SELECT count(*) FROM templates WHERE $1::text IS NULL OR kind = $1", 1,
                          params, after, limit, with_total, err);
}

/* The data a message is rendered with (render_context.h): the caller's data, then the
 * subscriber's fields and the footer's values where the data did not set them. */
static json_t *preview_context(PGconn *conn, json_t *body, const template_footer *footer,
                               const char *const *fields, mc_error *err)
{
    long long subscriber_id = 0;
    if (input_known_fields(body, fields, err) < 0 ||
        input_id(body, "subscriber_id", &subscriber_id, err) < 0)
        return NULL;
    json_t *data = json_object_get(body, "data");
    if (data && !json_is_object(data)) {
        mc_error_set(err, 400, "invalid_field", "data", "data must be a JSON object");
        return NULL;
    }
    json_t *context = data ? json_deep_copy(data) : json_object();
    if (subscriber_id) {
        char id_text[32];
        snprintf(id_text, sizeof id_text, "%lld", subscriber_id);
        const char *params[] = {id_text};
        PGresult *res = db_query(conn,
                                 "SELECT " SUBSCRIBER_RENDER_COLUMNS("s") " FROM subscribers s"
                                                                          " WHERE s.id = $1",
                                 1, params, err);
        if (!res) {
            json_decref(context);
            return NULL;
        }
        if (PQntuples(res) != 1) {
            PQclear(res);
            json_decref(context);
            mc_error_set(err, 404, "not_found", "subscriber_id", "no subscriber has the id %lld",
                         subscriber_id);
            return NULL;
        }
        const char *columns[SUBSCRIBER_RENDER_COLUMN_COUNT];
        for (int i = 0; i < SUBSCRIBER_RENDER_COLUMN_COUNT; i++)
            columns[i] = PQgetvalue(res, 0, i);
        json_t *subscriber = render_context_subscriber(subscriber_id, columns);
        PQclear(res);
        render_context_add_subscriber(context, subscriber);
        json_decref(subscriber);
    }
    if (footer) {
        const char *values[][2] = {{"sender_name", footer->sender_name},
                                   {"postal_address", footer->postal_address}};
        for (size_t i = 0; i < 2; i++)
            if (values[i][1] && values[i][1][0] && !json_object_get(context, values[i][0]))
                json_object_set_new(context, values[i][0], json_string(values[i][1]));
        if (footer->catalogs)
            catalog_add_words(footer->catalogs, catalog_context_language(footer->catalogs, context),
                              context);
    }
    return context;
}

/* missing() of template_limits: adds name to the array ctx unless it is there */
static void note_missing(void *ctx, str_t name)
{
    json_t *names = ctx;
    size_t i;
    json_t *v;
    json_array_foreach(names, i, v)
    {
        if (str_eq(str_make(json_string_value(v), json_string_length(v)), name)) return;
    }
    json_array_append_new(names, json_stringn(name.p, name.n));
}

/* Compiles and renders one field into out, HTML-escaping values only in the body (the subject
 * and the text body are not HTML), adding the names that printed nothing to missing. returns
 * 0 or -1 with err naming the field. */
static int render_field(const template_source *src, const char *field, const char *text,
                        json_t *context, json_t *missing, buf_t *out, template_error_at *at,
                        mc_error *err)
{
    template_t *t = NULL;
    if (template_source_compile_at(src, field, text, &t, err, at) < 0) return -1;
    mc_error rerr;
    template_limits limits = {
        .plain_text = strcmp(field, "body") != 0, .missing = note_missing, .missing_ctx = missing};
    int rc = template_render(t, context, out, &limits, &rerr);
    template_free(t);
    if (rc < 0)
        return mc_error_set(err, 422, "render_failed", field, "%s: %s", field, rerr.message);
    return 0;
}

/* The text part of a template without a text body, made as the send loop makes it: from the
 * text template derived from the body, else from the rendered HTML. returns 0 or -1 with err. */
static int render_generated_text(const template_source *src, const char *body, json_t *context,
                                 const buf_t *html, buf_t *out, mc_error *err)
{
    template_loader loader = template_source_loader(src);
    template_t *derived = NULL;
    mc_error why;
    if (text_template_derive(str_from_cstr(body), &loader, &derived, &why) < 0) {
        html_to_text(buf_view(html), out);
        return 0;
    }
    buf_t scratch = BUF_INIT;
    mc_error rerr;
    int rc = text_template_render(derived, context, &scratch, out, &rerr);
    buf_free(&scratch);
    template_free(derived);
    if (rc < 0) return mc_error_set(err, 422, "render_failed", "body", "body: %s", rerr.message);
    return 0;
}

/* Renders subject, body and text_body (an empty text_body: generated) with context into
 * {"subject", "html", "text", "missing"}, as template_store_preview() answers. */
static json_t *render_preview(PGconn *conn, const char *templates_dir, const char *subject_text,
                              const char *body, const char *text_body, json_t *context,
                              template_error_at *at, mc_error *err)
{
    template_source src = {conn, templates_dir};
    buf_t subject = BUF_INIT, html = BUF_INIT, text = BUF_INIT;
    json_t *result = NULL, *missing = json_array();
    if (render_field(&src, "subject", subject_text, context, missing, &subject, at, err) == 0) {
        /* layouts show the subject (e.g. in <title>) */
        json_object_set_new(context, "subject", json_string(buf_cstr(&subject)));
        if (render_field(&src, "body", body, context, missing, &html, at, err) == 0 &&
            (text_body[0]
                 ? render_field(&src, "text_body", text_body, context, missing, &text, at, err)
                 : render_generated_text(&src, body, context, &html, &text, err)) == 0) {
            result = json_pack("{s:s, s:s, s:s, s:O}", "subject", buf_cstr(&subject), "html",
                               buf_cstr(&html), "text", buf_cstr(&text), "missing", missing);
            if (!result)
                mc_error_set(err, 422, "render_failed", "body", "the rendering is not valid UTF-8");
        }
    }
    buf_free(&subject);
    buf_free(&html);
    buf_free(&text);
    json_decref(missing);
    return result;
}

json_t *template_store_preview(PGconn *conn, long long id, json_t *body, const char *templates_dir,
                               const template_footer *footer, mc_error *err)
{
    json_t *stored = template_store_get(conn, id, err);
    if (!stored) return NULL;
    json_t *context = preview_context(conn, body, footer,
                                      (const char *const[]){"subscriber_id", "data", NULL}, err);
    json_t *result = NULL;
    if (context)
        result = render_preview(
            conn, templates_dir, json_string_value(json_object_get(stored, "subject")),
            json_string_value(json_object_get(stored, "body")),
            json_string_value(json_object_get(stored, "text_body")), context, NULL, err);
    json_decref(context);
    json_decref(stored);
    return result;
}

json_t *template_store_preview_source(PGconn *conn, json_t *body, const char *templates_dir,
                                      const template_footer *footer, template_error_at *at,
                                      mc_error *err)
{
    /* diagnose is the API's (it chooses how a compile error is answered) */
    static const char *const fields[] = {"name",          "kind", "subject",  "body", "text_body",
                                         "subscriber_id", "data", "diagnose", NULL};
    if (at) *at = (template_error_at){0, 0};
    char *subject = NULL, *source = NULL, *text_body = NULL;
    const char *kind = NULL;
    json_t *result = NULL;
    /* the name is accepted (the editor sends its whole form) and not checked: nothing is stored */
    if (input_enum(body, "kind", KINDS, &kind, err) == 0 &&
        input_string(body, "subject", 0, 2000, &subject, err) == 0 &&
        input_string(body, "body", 0, BODY_MAX_CHARS, &source, err) == 0 &&
        input_string(body, "text_body", 0, BODY_MAX_CHARS, &text_body, err) == 0) {
        json_t *context = preview_context(conn, body, footer, fields, err);
        if (context)
            result =
                render_preview(conn, templates_dir, subject ? subject : "", source ? source : "",
                               text_body ? text_body : "", context, at, err);
        json_decref(context);
    }
    free(subject);
    free(source);
    free(text_body);
    return result;
}
