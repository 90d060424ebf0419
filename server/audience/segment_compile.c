/* Each rule node maps to one fragment below. The compiler checks shape and types as it goes,
 * so an invalid rule is refused with the path of the first problem before any SQL runs.
 * Equality on attributes compiles to jsonb containment (@>) so the GIN index can answer it. */
#include "audience/segment_compile.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    sql_builder *b;
    mc_error *err;
    char path[160];
    size_t path_len;
    int nodes;
    const char *entry_at; /* a trigger enrollment's entry time, or NULL outside triggers */
    int entry_param;      /* the parameter holding entry_at once bound, else 0 */
} compiler;

/* Where a JSON-valued column comes from: subscriber attributes or event properties. */
typedef enum { COLUMN_ATTRIBUTES, COLUMN_PROPERTIES } json_column;

static const char *const COLUMN_SQL[] = {"s.attributes", "ev.properties"};

static int fail(compiler *c, const char *member, const char *fmt, const char *detail)
{
    char field[260];
    if (member && c->path_len)
        snprintf(field, sizeof field, "%s.%s", c->path, member);
    else
        snprintf(field, sizeof field, "%s", member ? member : c->path_len ? c->path : "rule");
    mc_error_set(c->err, 400, "invalid_rule", field, fmt, detail ? detail : "");
    return -1;
}

/* Appends "key" or "key[i]" to the path; returns the old length for path_pop. */
static size_t path_push(compiler *c, const char *key, long index)
{
    size_t old = c->path_len;
    int n;
    if (index >= 0)
        n = snprintf(c->path + old, sizeof c->path - old, "%s%s[%ld]", old ? "." : "", key, index);
    else
        n = snprintf(c->path + old, sizeof c->path - old, "%s%s", old ? "." : "", key);
    if (n > 0)
        c->path_len = old + (size_t)n < sizeof c->path ? old + (size_t)n : sizeof c->path - 1;
    return old;
}

static void path_pop(compiler *c, size_t old)
{
    c->path_len = old;
    c->path[old] = '\0';
}

static bool only_members(json_t *node, const char *const *allowed, const char **unknown)
{
    const char *key;
    json_t *v;
    json_object_foreach(node, key, v)
    {
        bool ok = false;
        for (size_t i = 0; allowed[i] && !ok; i++)
            ok = !strcmp(key, allowed[i]);
        if (!ok) {
            *unknown = key;
            return false;
        }
    }
    return true;
}

static int check_members(compiler *c, json_t *node, const char *const *allowed)
{
    const char *unknown;
    if (only_members(node, allowed, &unknown)) return 0;
    char member[80];
    snprintf(member, sizeof member, "%.70s", unknown);
    return fail(c, member, "unknown member '%s' in this rule", member);
}

/* A positive integer member; *out is 0 when absent and not required. */
static int integer_member(compiler *c, json_t *node, const char *name, bool required, long long max,
                          long long *out)
{
    json_t *v = json_object_get(node, name);
    *out = 0;
    if (!v || json_is_null(v)) return required ? fail(c, name, "%s is required", name) : 0;
    if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > max)
        return fail(c, name, "%s must be a positive integer", name);
    *out = json_integer_value(v);
    return 0;
}

/* ---- values ---- */

static bool is_digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9') return false;
    return true;
}

/* RFC 3339 date ("2026-11-23") or date-time ("2026-11-23T10:00:00Z", offset or Z required),
 * with plausible field ranges; PostgreSQL checks the calendar when it casts. */
static bool is_date(const char *s)
{
    size_t n = strlen(s);
    if (n < 10 || !is_digits(s, 4) || s[4] != '-' || !is_digits(s + 5, 2) || s[7] != '-' ||
        !is_digits(s + 8, 2))
        return false;
    int month = atoi(s + 5), day = atoi(s + 8);
    if (month < 1 || month > 12 || day < 1 || day > 31) return false;
    if (n == 10) return true;
    const char *t = s + 10;
    if ((*t != 'T' && *t != 't' && *t != ' ') || strlen(t) < 9 || !is_digits(t + 1, 2) ||
        t[3] != ':' || !is_digits(t + 4, 2) || t[6] != ':' || !is_digits(t + 7, 2))
        return false;
    if (atoi(t + 1) > 23 || atoi(t + 4) > 59 || atoi(t + 7) > 60) return false;
    t += 9;
    if (*t == '.') {
        t++;
        size_t digits = 0;
        while (t[digits] >= '0' && t[digits] <= '9')
            digits++;
        if (!digits || digits > 9) return false;
        t += digits;
    }
    if ((t[0] == 'Z' || t[0] == 'z') && !t[1]) return true;
    return (t[0] == '+' || t[0] == '-') && strlen(t) == 6 && is_digits(t + 1, 2) && t[3] == ':' &&
           is_digits(t + 4, 2);
}

typedef enum { VALUE_NUMBER, VALUE_DATE } ordered_kind;

/* Reads a value for gt/gte/lt/lte/between: a JSON number or an RFC 3339 date string. */
static int ordered_value(compiler *c, json_t *v, const char *member, ordered_kind *kind, char *text,
                         size_t cap)
{
    if (json_is_integer(v)) {
        *kind = VALUE_NUMBER;
        snprintf(text, cap, "%lld", (long long)json_integer_value(v));
        return 0;
    }
    if (json_is_real(v)) {
        *kind = VALUE_NUMBER;
        snprintf(text, cap, "%.17g", json_real_value(v));
        return 0;
    }
    if (json_is_string(v) && is_date(json_string_value(v))) {
        *kind = VALUE_DATE;
        snprintf(text, cap, "%s", json_string_value(v));
        return 0;
    }
    return fail(c, member, "this operator needs a number or an RFC 3339 date%s", NULL);
}

/* Escapes LIKE wildcards; prefix_only for starts_with. Caller frees out. */
static void like_pattern(const char *text, bool prefix_only, buf_t *out)
{
    if (!prefix_only) buf_putc(out, '%');
    for (const char *p = text; *p; p++) {
        if (*p == '%' || *p == '_' || *p == '\\') buf_putc(out, '\\');
        buf_putc(out, *p);
    }
    buf_putc(out, '%');
}

/* ---- operators ---- */

typedef enum {
    OP_EQ,
    OP_NEQ,
    OP_IN,
    OP_CONTAINS,
    OP_STARTS_WITH,
    OP_EXISTS,
    OP_GT,
    OP_GTE,
    OP_LT,
    OP_LTE,
    OP_BETWEEN,
    OP_COUNT
} op_kind;

static const char *const OP_NAMES[OP_COUNT] = {
    "eq", "neq", "in", "contains", "starts_with", "exists", "gt", "gte", "lt", "lte", "between"};
static const char *const OP_SQL[OP_COUNT] = {
    [OP_GT] = " > ", [OP_GTE] = " >= ", [OP_LT] = " < ", [OP_LTE] = " <= "};

static int read_op(compiler *c, json_t *node, op_kind *op)
{
    json_t *v = json_object_get(node, "op");
    if (!v) return fail(c, "op", "op is required%s", NULL);
    if (json_is_string(v))
        for (int i = 0; i < OP_COUNT; i++)
            if (!strcmp(json_string_value(v), OP_NAMES[i])) {
                *op = (op_kind)i;
                return 0;
            }
    return fail(c, "op",
                "unknown operator; use eq, neq, in, contains, starts_with, exists, gt, gte, lt, "
                "lte or between%s",
                NULL);
}

/* Comparison of an ordered expression (numeric or date); expr_number and expr_date are the SQL
 * for the left side read as a number or as a date. */
static int compile_ordered(compiler *c, op_kind op, json_t *value, const char *expr_number,
                           const char *expr_date, bool allow_number)
{
    char a[64], b[64];
    ordered_kind ka = VALUE_NUMBER, kb = VALUE_NUMBER;
    if (op == OP_BETWEEN) {
        if (!json_is_array(value) || json_array_size(value) != 2)
            return fail(c, "value", "between needs [low, high]%s", NULL);
        if (ordered_value(c, json_array_get(value, 0), "value", &ka, a, sizeof a) < 0 ||
            ordered_value(c, json_array_get(value, 1), "value", &kb, b, sizeof b) < 0)
            return -1;
        if (ka != kb) return fail(c, "value", "both ends of between must have one type%s", NULL);
    } else if (ordered_value(c, value, "value", &ka, a, sizeof a) < 0) {
        return -1;
    }
    if (ka == VALUE_NUMBER && !allow_number)
        return fail(c, "value", "this field is a date: compare it with an RFC 3339 date%s", NULL);
    /* dates go through mc_try_timestamptz on both sides: a date without an offset is UTC,
     * whatever the session's time zone; COALESCE makes a missing value false, never NULL, so
     * that "not" around a comparison keeps the subscribers that lack the attribute */
    bool number = ka == VALUE_NUMBER;
    sql_builder_add(c->b, "COALESCE(");
    sql_builder_add(c->b, number ? expr_number : expr_date);
    sql_builder_add(c->b, op == OP_BETWEEN ? " BETWEEN " : OP_SQL[op]);
    sql_builder_add(c->b, number ? "" : "mc_try_timestamptz(");
    sql_builder_param(c->b, a);
    sql_builder_add(c->b, number ? "::numeric" : ")");
    if (op == OP_BETWEEN) {
        sql_builder_add(c->b, " AND ");
        sql_builder_add(c->b, number ? "" : "mc_try_timestamptz(");
        sql_builder_param(c->b, b);
        sql_builder_add(c->b, number ? "::numeric" : ")");
    }
    sql_builder_add(c->b, ", false)");
    return 0;
}

/* contains / starts_with on a text expression, case-insensitive. */
static int compile_like(compiler *c, op_kind op, json_t *value, const char *expr)
{
    if (!json_is_string(value) || json_string_length(value) == 0)
        return fail(c, "value", "%s needs a non-empty string", OP_NAMES[op]);
    buf_t pattern = BUF_INIT;
    like_pattern(json_string_value(value), op == OP_STARTS_WITH, &pattern);
    sql_builder_add(c->b, "COALESCE(");
    sql_builder_add(c->b, expr);
    sql_builder_add(c->b, " ILIKE ");
    sql_builder_param(c->b, buf_cstr(&pattern));
    sql_builder_add(c->b, ", false)");
    buf_free(&pattern);
    return 0;
}

/* ---- conditions on a JSON column (attributes.<key>, properties.<key>) ---- */

/* Appends "{key: value}" as a jsonb parameter for a containment test. */
static void containment_param(compiler *c, const char *key, json_t *value)
{
    json_t *obj = json_object();
    json_object_set(obj, key, value);
    char *text = json_dumps(obj, JSON_COMPACT);
    sql_builder_param(c->b, text);
    sql_builder_add(c->b, "::jsonb");
    free(text);
    json_decref(obj);
}

static bool is_scalar(json_t *v)
{
    return json_is_string(v) || json_is_number(v) || json_is_boolean(v);
}

static int compile_json_key(compiler *c, json_column column, const char *key, op_kind op,
                            json_t *value)
{
    const char *col = COLUMN_SQL[column];
    sql_builder *b = c->b;
    switch (op) {
    case OP_EQ:
    case OP_NEQ:
        if (!value || !is_scalar(value))
            return fail(c, "value", "%s needs a string, number or boolean", OP_NAMES[op]);
        sql_builder_add(b, op == OP_EQ ? "(" : "(NOT ");
        sql_builder_add(b, col);
        sql_builder_add(b, " @> ");
        containment_param(c, key, value);
        sql_builder_add(b, ")");
        return 0;
    case OP_IN: {
        if (!value || !json_is_array(value) || json_array_size(value) == 0 ||
            json_array_size(value) > SEGMENT_MAX_VALUES)
            return fail(c, "value", "in needs an array of 1 to 1000 values%s", NULL);
        sql_builder_add(b, "(");
        size_t i;
        json_t *item;
        json_array_foreach(value, i, item)
        {
            if (!is_scalar(item)) {
                char member[32];
                snprintf(member, sizeof member, "value[%zu]", i);
                return fail(c, member, "in takes strings, numbers or booleans%s", NULL);
            }
            if (i) sql_builder_add(b, " OR ");
            sql_builder_add(b, col);
            sql_builder_add(b, " @> ");
            containment_param(c, key, item);
        }
        sql_builder_add(b, ")");
        return 0;
    }
    case OP_EXISTS:
        if (value && !json_is_boolean(value))
            return fail(c, "value", "exists takes true or false%s", NULL);
        sql_builder_add(b, value && json_is_false(value) ? "(NOT " : "(");
        sql_builder_add(b, col);
        sql_builder_add(b, " ? ");
        sql_builder_param(b, key);
        sql_builder_add(b, ")");
        return 0;
    default:
        break;
    }
    /* The remaining operators read the value as text, a number or a date. The key is bound
     * once and referenced by number from the fragments (a column name and "$n" only). */
    buf_t text_expr = BUF_INIT, number_expr = BUF_INIT, date_expr = BUF_INIT;
    int key_param = sql_builder_bind(b, key);
    buf_appendf(&text_expr, "(%s ->> $%d)", col, key_param);
    buf_appendf(&number_expr,
                "(CASE WHEN jsonb_typeof(%s -> $%d) = 'number' THEN (%s ->> $%d)::numeric END)",
                col, key_param, col, key_param);
    buf_appendf(&date_expr, "mc_try_timestamptz(%s ->> $%d)", col, key_param);
    int rc;
    if (op == OP_CONTAINS || op == OP_STARTS_WITH)
        rc = value ? compile_like(c, op, value, buf_cstr(&text_expr))
                   : fail(c, "value", "value is required%s", NULL);
    else
        rc = value
                 ? compile_ordered(c, op, value, buf_cstr(&number_expr), buf_cstr(&date_expr), true)
                 : fail(c, "value", "value is required%s", NULL);
    buf_free(&text_expr);
    buf_free(&number_expr);
    buf_free(&date_expr);
    return rc;
}

/* ---- conditions on subscriber columns ---- */

/* eq, neq, in, contains, starts_with on a text column; fold compares lower() of both sides
 * (email addresses are case-insensitive; the unique index on lower(email) serves eq). */
static int compile_text_column(compiler *c, op_kind op, json_t *value, const char *expr, bool fold)
{
    sql_builder *b = c->b;
    if (op == OP_CONTAINS || op == OP_STARTS_WITH) return compile_like(c, op, value, expr);
    if (op == OP_EQ || op == OP_NEQ) {
        if (!json_is_string(value)) return fail(c, "value", "%s needs a string", OP_NAMES[op]);
        sql_builder_add(b, fold ? "(lower(" : "(");
        sql_builder_add(b, expr);
        sql_builder_add(b, fold ? ")" : "");
        sql_builder_add(b, op == OP_EQ ? " = " : " <> ");
        sql_builder_add(b, fold ? "lower(" : "");
        sql_builder_param(b, json_string_value(value));
        sql_builder_add(b, fold ? "))" : ")");
        return 0;
    }
    if (op == OP_IN) {
        if (!json_is_array(value) || json_array_size(value) == 0 ||
            json_array_size(value) > SEGMENT_MAX_VALUES)
            return fail(c, "value", "in needs an array of 1 to 1000 strings%s", NULL);
        size_t i;
        json_t *item;
        json_array_foreach(value, i, item) if (!json_is_string(item))
        {
            char member[32];
            snprintf(member, sizeof member, "value[%zu]", i);
            return fail(c, member, "in takes strings here%s", NULL);
        }
        char *text = json_dumps(value, JSON_COMPACT);
        sql_builder_add(b, fold ? "(lower(" : "(");
        sql_builder_add(b, expr);
        sql_builder_add(b, fold ? ") IN (SELECT lower(x) FROM jsonb_array_elements_text("
                                : " IN (SELECT x FROM jsonb_array_elements_text(");
        sql_builder_param(b, text);
        sql_builder_add(b, "::jsonb) x))");
        free(text);
        return 0;
    }
    return fail(c, "op", "%s does not apply to this field", OP_NAMES[op]);
}

/* true when v is a subscriber status a rule may name */
static bool subscriber_status_known(const json_t *v)
{
    const char *s = json_string_value(v);
    return s && (!strcmp(s, "active") || !strcmp(s, "unsubscribed") || !strcmp(s, "blocklisted"));
}
static int compile_field(compiler *c, json_t *node)
{
    static const char *const members[] = {"field", "op", "value", NULL};
    if (check_members(c, node, members) < 0) return -1;
    json_t *field = json_object_get(node, "field");
    if (!json_is_string(field)) return fail(c, "field", "field must be a string%s", NULL);
    const char *name = json_string_value(field);
    op_kind op = OP_EQ;
    if (read_op(c, node, &op) < 0) return -1;
    json_t *value = json_object_get(node, "value");
    if (!value && op != OP_EXISTS) return fail(c, "value", "value is required%s", NULL);
    if (!strncmp(name, "attributes.", 11)) {
        const char *key = name + 11;
        if (!key[0] || strlen(key) > 200)
            return fail(c, "field", "an attribute key must be 1 to 200 bytes%s", NULL);
        return compile_json_key(c, COLUMN_ATTRIBUTES, key, op, value);
    }
    if (!strcmp(name, "email")) return compile_text_column(c, op, value, "s.email", true);
    if (!strcmp(name, "name")) {
        if (op == OP_EXISTS) {
            if (value && !json_is_boolean(value))
                return fail(c, "value", "exists takes true or false%s", NULL);
            sql_builder_add(c->b,
                            value && json_is_false(value) ? "(s.name = '')" : "(s.name <> '')");
            return 0;
        }
        return compile_text_column(c, op, value, "s.name", false);
    }
    if (!strcmp(name, "status")) {
        if (op != OP_EQ && op != OP_NEQ && op != OP_IN)
            return fail(c, "op", "status takes eq, neq or in%s", NULL);
        if (op == OP_IN && !json_is_array(value))
            return fail(c, "value", "in needs an array%s", NULL);
        bool known = op == OP_IN || subscriber_status_known(value);
        size_t i;
        json_t *item;
        json_array_foreach(value, i, item) known = known && subscriber_status_known(item);
        if (!known)
            return fail(c, "value", "status is active, unsubscribed or blocklisted%s", NULL);
        return compile_text_column(c, op, value, "s.status", false);
    }
    if (!strcmp(name, "created_at") || !strcmp(name, "updated_at")) {
        if (op < OP_GT) return fail(c, "op", "a date takes gt, gte, lt, lte or between%s", NULL);
        const char *expr = name[0] == 'c' ? "s.created_at" : "s.updated_at";
        return compile_ordered(c, op, value, expr, expr, false);
    }
    return fail(c, "field",
                "unknown field; use email, name, status, created_at, updated_at or "
                "attributes.<key>%s",
                NULL);
}

/* ---- list membership, engagement, events ---- */

static int compile_list(compiler *c, json_t *node)
{
    static const char *const members[] = {"list", "status", NULL};
    if (check_members(c, node, members) < 0) return -1;
    long long list;
    if (integer_member(c, node, "list", true, 1LL << 62, &list) < 0) return -1;
    json_t *status = json_object_get(node, "status");
    if (status && (!json_is_string(status) || (strcmp(json_string_value(status), "unconfirmed") &&
                                               strcmp(json_string_value(status), "confirmed") &&
                                               strcmp(json_string_value(status), "unsubscribed"))))
        return fail(c, "status", "status is unconfirmed, confirmed or unsubscribed%s", NULL);
    sql_builder_add(c->b, "EXISTS (SELECT 1 FROM list_subscribers m WHERE m.subscriber_id = s.id"
                          " AND m.list_id = ");
    sql_builder_param_int(c->b, list);
    if (status) {
        sql_builder_add(c->b, " AND m.status = ");
        sql_builder_param(c->b, json_string_value(status));
    }
    sql_builder_add(c->b, ")");
    return 0;
}

static void within_days(compiler *c, const char *column, long long days)
{
    if (!days) return;
    sql_builder_add(c->b, " AND ");
    sql_builder_add(c->b, column);
    sql_builder_add(c->b, " >= now() - make_interval(days => ");
    sql_builder_param_int(c->b, days);
    sql_builder_add(c->b, "::int)");
}

static int compile_engagement(compiler *c, json_t *node)
{
    static const char *const members[] = {"engagement", "campaign", "within_days",
                                          "include_machine", NULL};
    static const char *const kinds[] = {"opened", "clicked", "not_opened", "not_clicked"};
    if (check_members(c, node, members) < 0) return -1;
    json_t *kind = json_object_get(node, "engagement");
    int k = -1;
    for (int i = 0; i < 4 && json_is_string(kind); i++)
        if (!strcmp(json_string_value(kind), kinds[i])) k = i;
    if (k < 0)
        return fail(c, "engagement", "engagement is opened, clicked, not_opened or not_clicked%s",
                    NULL);
    long long campaign, days;
    if (integer_member(c, node, "campaign", false, 1LL << 62, &campaign) < 0 ||
        integer_member(c, node, "within_days", false, 36500, &days) < 0)
        return -1;
    json_t *include_machine = json_object_get(node, "include_machine");
    if (include_machine && !json_is_boolean(include_machine))
        return fail(c, "include_machine", "include_machine is true or false%s", NULL);
    sql_builder_add(c->b, k >= 2 ? "NOT EXISTS" : "EXISTS");
    sql_builder_add(c->b, " (SELECT 1 FROM message_engagements e WHERE e.subscriber_id = s.id"
                          " AND e.kind = ");
    sql_builder_param(c->b, k % 2 == 0 ? "open" : "click");
    if (campaign) {
        sql_builder_add(c->b, " AND e.campaign_id = ");
        sql_builder_param_int(c->b, campaign);
    }
    /* image proxies and link scanners are not people: they count only when asked */
    if (!json_is_true(include_machine)) sql_builder_add(c->b, " AND NOT e.machine");
    within_days(c, "e.occurred_at", days);
    sql_builder_add(c->b, ")");
    return 0;
}

static int compile_event_where(compiler *c, json_t *where)
{
    if (!json_is_array(where))
        return fail(c, "where", "where must be an array of conditions%s", NULL);
    size_t i;
    json_t *cond;
    json_array_foreach(where, i, cond)
    {
        size_t old = path_push(c, "where", (long)i);
        static const char *const members[] = {"field", "op", "value", NULL};
        int rc = 0;
        json_t *field = json_is_object(cond) ? json_object_get(cond, "field") : NULL;
        op_kind op = OP_EQ;
        if (!json_is_object(cond))
            rc = fail(c, NULL, "a condition must be an object%s", NULL);
        else if (check_members(c, cond, members) < 0 || read_op(c, cond, &op) < 0)
            rc = -1;
        else if (!json_is_string(field) || strncmp(json_string_value(field), "properties.", 11) ||
                 !json_string_value(field)[11] || strlen(json_string_value(field)) > 211)
            rc = fail(c, "field", "an event condition is on \"properties.<key>\"%s", NULL);
        else {
            json_t *value = json_object_get(cond, "value");
            if (!value && op != OP_EXISTS)
                rc = fail(c, "value", "value is required%s", NULL);
            else {
                sql_builder_add(c->b, " AND ");
                rc = compile_json_key(c, COLUMN_PROPERTIES, json_string_value(field) + 11, op,
                                      value);
            }
        }
        path_pop(c, old);
        if (rc < 0) return -1;
    }
    return 0;
}

static int compile_event(compiler *c, json_t *node)
{
    static const char *const members[] = {"event",       "min_count", "within_days",
                                          "since_entry", "where",     NULL};
    if (check_members(c, node, members) < 0) return -1;
    json_t *since_entry = json_object_get(node, "since_entry");
    if (since_entry && !json_is_boolean(since_entry))
        return fail(c, "since_entry", "since_entry is true or false%s", NULL);
    /* a saved segment is evaluated for everyone at once: no entry time to count from */
    if (since_entry && !c->entry_at)
        return fail(c, "since_entry", "since_entry applies only to the conditions of a trigger%s",
                    NULL);
    json_t *name = json_object_get(node, "event");
    if (!json_is_string(name) || json_string_length(name) == 0 || json_string_length(name) > 200)
        return fail(c, "event", "event must be a name of 1 to 200 characters%s", NULL);
    long long min_count, days;
    if (integer_member(c, node, "min_count", false, 1000000, &min_count) < 0 ||
        integer_member(c, node, "within_days", false, 36500, &days) < 0)
        return -1;
    if (!min_count) min_count = 1;
    /* counting stops at min_count rows: a frequent event costs no more than a rare one */
    sql_builder_add(c->b, "((SELECT count(*) FROM (SELECT 1 FROM events ev"
                          " WHERE ev.subscriber_id = s.id AND ev.name = ");
    sql_builder_param(c->b, json_string_value(name));
    within_days(c, "ev.occurred_at", days);
    if (json_is_true(since_entry)) {
        /* bound once, however many event conditions count from the entry */
        if (!c->entry_param) c->entry_param = sql_builder_bind(c->b, c->entry_at);
        sql_builder_add(c->b, " AND ev.occurred_at >= ");
        sql_builder_ref(c->b, c->entry_param);
        sql_builder_add(c->b, "::timestamptz");
    }
    json_t *where = json_object_get(node, "where");
    if (where && compile_event_where(c, where) < 0) return -1;
    sql_builder_add(c->b, " LIMIT ");
    int n = sql_builder_param_int(c->b, min_count);
    sql_builder_add(c->b, ") counted) >= ");
    sql_builder_ref(c->b, n);
    sql_builder_add(c->b, ")");
    return 0;
}

/* ---- groups ---- */

static int compile_node(compiler *c, json_t *node, int depth);

static int compile_group(compiler *c, json_t *node, const char *kind, int depth)
{
    json_t *items = json_object_get(node, kind);
    if (json_object_size(node) != 1)
        return fail(c, NULL, "a group holds only its \"%s\" member", kind);
    if (!json_is_array(items)) return fail(c, kind, "%s must be an array of rules", kind);
    bool all = kind[1] == 'l';
    if (json_array_size(items) == 0) {
        /* the empty "all" is everyone, the empty "any" no one, as in logic */
        sql_builder_add(c->b, all ? "true" : "false");
        return 0;
    }
    sql_builder_add(c->b, "(");
    size_t i;
    json_t *item;
    json_array_foreach(items, i, item)
    {
        if (i) sql_builder_add(c->b, all ? " AND " : " OR ");
        size_t old = path_push(c, kind, (long)i);
        int rc = compile_node(c, item, depth + 1);
        path_pop(c, old);
        if (rc < 0) return -1;
    }
    sql_builder_add(c->b, ")");
    return 0;
}

static int compile_node(compiler *c, json_t *node, int depth)
{
    if (depth > SEGMENT_MAX_DEPTH)
        return fail(c, NULL, "the rule is nested deeper than 10 levels%s", NULL);
    if (++c->nodes > SEGMENT_MAX_NODES)
        return fail(c, NULL, "the rule has more than 200 conditions%s", NULL);
    if (!json_is_object(node)) return fail(c, NULL, "a rule must be a JSON object%s", NULL);
    if (json_object_get(node, "all")) return compile_group(c, node, "all", depth);
    if (json_object_get(node, "any")) return compile_group(c, node, "any", depth);
    if (json_object_get(node, "not")) {
        if (json_object_size(node) != 1)
            return fail(c, NULL, "a \"not\" holds only its rule%s", NULL);
        size_t old = path_push(c, "not", -1);
        sql_builder_add(c->b, "(NOT ");
        int rc = compile_node(c, json_object_get(node, "not"), depth + 1);
        sql_builder_add(c->b, ")");
        path_pop(c, old);
        return rc;
    }
    if (json_object_get(node, "field")) return compile_field(c, node);
    if (json_object_get(node, "list")) return compile_list(c, node);
    if (json_object_get(node, "engagement")) return compile_engagement(c, node);
    if (json_object_get(node, "event")) return compile_event(c, node);
    return fail(c, NULL,
                "a rule is all, any, not, or a condition with field, list, engagement or event%s",
                NULL);
}

int segment_compile(json_t *rule, sql_builder *b, mc_error *err)
{
    return segment_compile_at(rule, b, NULL, err);
}

int segment_compile_at(json_t *rule, sql_builder *b, const char *entry_at, mc_error *err)
{
    compiler c = {.b = b, .err = err, .entry_at = entry_at};
    return compile_node(&c, rule, 1);
}
