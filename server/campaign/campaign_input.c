/* Campaign fields: types and limits here, existence and compilation against the database. */
#include "campaign/campaign_input.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audience/input.h"
#include "campaign/campaign_ab.h"
#include "content/template_source.h"
#include "core/email_address.h"
#include "db/query.h"

#define BODY_MAX_CHARS (1024 * 1024)
#define AUDIENCE_MAX   100 /* lists or segments in one member */
#define TAGS_MAX       50
#define HEADERS_MAX    20

static const char *const FIELDS[] = {
    "name",    "subject",    "from_email",   "from_name",     "reply_to",         "template_id",
    "body",    "lists",      "segments",     "exclude_lists", "exclude_segments", "relay",
    "send_at", "timezone",   "tags",         "headers",       "track_opens",      "track_clicks",
    "utm",     "rate_per_s", "window_start", "window_end",    "ab_test",          NULL};
static const char *const UTM_KEYS[] = {"source", "medium", "campaign", "term", "content", NULL};
/* headers mailcast writes itself: a custom one of these would break the message */
static const char *const RESERVED_HEADERS[] = {"from",
                                               "to",
                                               "cc",
                                               "bcc",
                                               "subject",
                                               "date",
                                               "message-id",
                                               "reply-to",
                                               "mime-version",
                                               "content-type",
                                               "content-transfer-encoding",
                                               "list-unsubscribe",
                                               "list-unsubscribe-post",
                                               "dkim-signature",
                                               "return-path",
                                               NULL};

void campaign_input_free(campaign_input *in)
{
    for (int i = 0; i < CAMPAIGN_FIELD_COUNT; i++)
        free(in->values[i]);
    free(in->ab_test);
    memset(in, 0, sizeof *in);
}

static int email_field(json_t *body, const char *field, bool allow_empty, char **out, mc_error *err)
{
    if (input_string(body, field, 0, 254, out, err) < 0) return -1;
    if (!*out || (allow_empty && !(*out)[0])) return 0;
    str_t checked;
    return email_address_check(str_from_cstr(*out), field, &checked, err);
}

static int ids_field(json_t *body, const char *field, char **out, mc_error *err)
{
    buf_t ids = BUF_INIT;
    size_t count;
    bool present;
    int rc = input_ids(body, field, AUDIENCE_MAX, &ids, &count, &present, err);
    if (rc == 0 && present) *out = buf_detach(&ids, NULL);
    buf_free(&ids);
    return rc;
}

static int bool_field(json_t *body, const char *field, char **out, mc_error *err)
{
    json_t *v = json_object_get(body, field);
    if (!v || json_is_null(v)) return 0;
    if (!json_is_boolean(v))
        return mc_error_set(err, 400, "invalid_field", field, "%s must be true or false", field);
    *out = strdup(json_is_true(v) ? "true" : "false");
    return 0;
}

static bool header_name_ok(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n > 76) return false;
    for (size_t i = 0; i < n; i++)
        if (name[i] <= 32 || name[i] >= 127 || name[i] == ':') return false;
    for (size_t i = 0; RESERVED_HEADERS[i]; i++)
        if (!strcasecmp(name, RESERVED_HEADERS[i])) return false;
    return true;
}

/* An object of string values; names checked by name_ok when given, else against keys. */
static int string_map_field(json_t *body, const char *field, size_t max, const char *const *keys,
                            char **out, mc_error *err)
{
    json_t *v = json_object_get(body, field);
    if (!v || json_is_null(v)) return 0;
    if (!json_is_object(v) || json_object_size(v) > max)
        return mc_error_set(err, 400, "invalid_field", field,
                            "%s must be an object of at most %zu strings", field, max);
    const char *key;
    json_t *value;
    json_object_foreach(v, key, value)
    {
        bool known = !keys && header_name_ok(key);
        for (size_t i = 0; keys && keys[i]; i++)
            known = known || !strcmp(key, keys[i]);
        if (!known)
            return mc_error_set(err, 400, "invalid_field", field, "%s: '%.60s' is not allowed",
                                field, key);
        const char *s = json_string_value(value);
        if (!s || strlen(s) > 998 || strpbrk(s, "\r\n"))
            return mc_error_set(err, 400, "invalid_field", field,
                                "%s.%.60s must be one line of text", field, key);
    }
    *out = json_dumps(v, JSON_COMPACT);
    return 0;
}

static int tags_field(json_t *body, char **out, mc_error *err)
{
    json_t *v = json_object_get(body, "tags");
    if (!v || json_is_null(v)) return 0;
    if (!json_is_array(v) || json_array_size(v) > TAGS_MAX)
        return mc_error_set(err, 400, "invalid_field", "tags",
                            "tags must be an array of at most %d strings", TAGS_MAX);
    size_t i;
    json_t *tag;
    json_array_foreach(v, i, tag)
    {
        const char *s = json_string_value(tag);
        if (!s || !s[0] || strlen(s) > 100)
            return mc_error_set(err, 400, "invalid_field", "tags",
                                "tags[%zu] must be a string of 1 to 100 bytes", i);
    }
    *out = json_dumps(v, JSON_COMPACT);
    return 0;
}

static int rate_field(json_t *body, char **out, mc_error *err)
{
    json_t *v = json_object_get(body, "rate_per_s");
    if (!v || json_is_null(v)) return 0;
    if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > 100000)
        return mc_error_set(err, 400, "invalid_field", "rate_per_s",
                            "rate_per_s must be a whole number from 1 to 100000");
    char text[32];
    snprintf(text, sizeof text, "%lld", (long long)json_integer_value(v));
    *out = strdup(text);
    return 0;
}

/* "HH:MM" of a sending window */
static int time_of_day_field(json_t *body, const char *field, char **out, mc_error *err)
{
    if (input_string(body, field, 5, 5, out, err) < 0) return -1;
    if (!*out) return 0;
    struct tm tm = {0};
    const char *end = strptime(*out, "%H:%M", &tm);
    if (!end || *end || (*out)[2] != ':')
        return mc_error_set(err, 400, "invalid_field", field, "%s must be a time as HH:MM", field);
    return 0;
}

/* RFC 3339, with or without an offset (without: local time in the campaign's time zone) */
static int send_at_field(json_t *body, char **out, mc_error *err)
{
    if (input_string(body, "send_at", 1, 40, out, err) < 0) return -1;
    if (!*out) return 0;
    struct tm tm = {0};
    const char *rest = strptime(*out, "%Y-%m-%dT%H:%M", &tm);
    if (rest && *rest == ':') rest = strptime(rest, ":%S", &tm);
    if (rest && *rest == '.')
        for (rest++; *rest >= '0' && *rest <= '9'; rest++)
            ;
    int oh, om;
    char sign;
    bool ok = rest && (!*rest || !strcmp(rest, "Z") ||
                       (sscanf(rest, "%c%2d:%2d", &sign, &oh, &om) == 3 && strlen(rest) == 6 &&
                        (sign == '+' || sign == '-') && oh < 24 && om < 60));
    if (!ok)
        return mc_error_set(err, 400, "invalid_field", "send_at",
                            "send_at must be a date and time such as 2026-12-01T09:00:00+01:00");
    return 0;
}

static int parse_fields(json_t *body, campaign_input *in, mc_error *err)
{
    char **v = in->values;
    long long template_id = 0;
    if (input_known_fields(body, FIELDS, err) < 0 ||
        input_string(body, "name", 1, 200, &v[CAMPAIGN_NAME], err) < 0 ||
        input_string(body, "subject", 1, 2000, &v[CAMPAIGN_SUBJECT], err) < 0 ||
        email_field(body, "from_email", false, &v[CAMPAIGN_FROM_EMAIL], err) < 0 ||
        input_string(body, "from_name", 0, 200, &v[CAMPAIGN_FROM_NAME], err) < 0 ||
        email_field(body, "reply_to", true, &v[CAMPAIGN_REPLY_TO], err) < 0 ||
        input_id(body, "template_id", &template_id, err) < 0 ||
        input_string(body, "body", 1, BODY_MAX_CHARS, &v[CAMPAIGN_BODY], err) < 0 ||
        ids_field(body, "lists", &v[CAMPAIGN_LISTS], err) < 0 ||
        ids_field(body, "segments", &v[CAMPAIGN_SEGMENTS], err) < 0 ||
        ids_field(body, "exclude_lists", &v[CAMPAIGN_EXCLUDE_LISTS], err) < 0 ||
        ids_field(body, "exclude_segments", &v[CAMPAIGN_EXCLUDE_SEGMENTS], err) < 0 ||
        input_string(body, "relay", 0, 200, &v[CAMPAIGN_RELAY], err) < 0 ||
        send_at_field(body, &v[CAMPAIGN_SEND_AT], err) < 0 ||
        input_string(body, "timezone", 1, 100, &v[CAMPAIGN_TIMEZONE], err) < 0 ||
        tags_field(body, &v[CAMPAIGN_TAGS], err) < 0 ||
        string_map_field(body, "headers", HEADERS_MAX, NULL, &v[CAMPAIGN_HEADERS], err) < 0 ||
        bool_field(body, "track_opens", &v[CAMPAIGN_TRACK_OPENS], err) < 0 ||
        bool_field(body, "track_clicks", &v[CAMPAIGN_TRACK_CLICKS], err) < 0 ||
        string_map_field(body, "utm", 5, UTM_KEYS, &v[CAMPAIGN_UTM], err) < 0 ||
        rate_field(body, &v[CAMPAIGN_RATE_PER_S], err) < 0 ||
        time_of_day_field(body, "window_start", &v[CAMPAIGN_WINDOW_START], err) < 0 ||
        time_of_day_field(body, "window_end", &v[CAMPAIGN_WINDOW_END], err) < 0)
        return -1;
    if (template_id) {
        char text[32];
        snprintf(text, sizeof text, "%lld", template_id);
        v[CAMPAIGN_TEMPLATE_ID] = strdup(text);
    }
    if (template_id && v[CAMPAIGN_BODY])
        return mc_error_set(err, 400, "invalid_field", "body",
                            "give either template_id or body, not both");
    if (!v[CAMPAIGN_WINDOW_START] != !v[CAMPAIGN_WINDOW_END])
        return mc_error_set(err, 400, "invalid_field",
                            v[CAMPAIGN_WINDOW_START] ? "window_end" : "window_start",
                            "window_start and window_end go together");
    return 0;
}

static int check_required(const campaign_input *in, mc_error *err)
{
    static const struct {
        int index;
        const char *field;
    } required[] = {{CAMPAIGN_NAME, "name"},
                    {CAMPAIGN_SUBJECT, "subject"},
                    {CAMPAIGN_FROM_EMAIL, "from_email"}};
    for (size_t i = 0; i < sizeof required / sizeof required[0]; i++)
        if (!in->values[required[i].index])
            return mc_error_set(err, 400, "invalid_field", required[i].field, "%s is required",
                                required[i].field);
    if (!in->values[CAMPAIGN_TEMPLATE_ID] && !in->values[CAMPAIGN_BODY])
        return mc_error_set(err, 400, "invalid_field", "template_id",
                            "template_id or body is required");
    return 0;
}

/* returns 0 when every id of the array literal ids names a row of table (one of the constant
 * queries below), else -1 with a 400 naming field and the first missing id */
static int check_ids_exist(PGconn *conn, const char *sql, const char *ids, const char *field,
                           mc_error *err)
{
    if (!ids) return 0;
    const char *params[] = {ids};
    PGresult *res = db_query(conn, sql, 1, params, err);
    if (!res) return -1;
    int rc = 0;
    if (PQntuples(res) > 0)
        rc = mc_error_set(err, 400, "invalid_field", field, "%s: no such id %s", field,
                          PQgetvalue(res, 0, 0));
    PQclear(res);
    return rc;
}

static const char MISSING_LISTS_SQL[] =
    "SELECT x FROM unnest($1::bigint[]) x WHERE NOT EXISTS (SELECT 1 FROM lists WHERE id = x)"
    " LIMIT 1";
static const char MISSING_SEGMENTS_SQL[] =
    "SELECT x FROM unnest($1::bigint[]) x WHERE NOT EXISTS (SELECT 1 FROM segments WHERE id = x)"
    " LIMIT 1";

int campaign_check_template(PGconn *conn, const char *id, const char *field, mc_error *err)
{
    if (!id) return 0;
    const char *params[] = {id};
    PGresult *res = db_query(conn, "SELECT kind FROM templates WHERE id = $1", 1, params, err);
    if (!res) return -1;
    int rc = 0;
    if (PQntuples(res) != 1)
        rc = mc_error_set(err, 400, "invalid_field", field, "no template has the id %s", id);
    else if (!strcmp(PQgetvalue(res, 0, 0), "layout"))
        rc = mc_error_set(err, 400, "invalid_field", field,
                          "template %s is a layout, not a message", id);
    PQclear(res);
    return rc;
}

static int check_timezone(PGconn *conn, const char *zone, mc_error *err)
{
    if (!zone) return 0;
    const char *params[] = {zone};
    PGresult *res =
        db_query(conn, "SELECT 1 FROM pg_timezone_names WHERE name = $1", 1, params, err);
    if (!res) return -1;
    int found = PQntuples(res);
    PQclear(res);
    return found ? 0
                 : mc_error_set(err, 400, "invalid_field", "timezone",
                                "timezone must be a zone name such as Europe/Madrid");
}

/* A relay is named now rather than found missing at send time, where the message would quietly
 * go through the default relay instead. Empty means the default one. */
static int check_relay(const relay_set *relays, const char *name, mc_error *err)
{
    if (!name || !name[0] || relay_set_find(relays, name) || relay_set_has_group(relays, name))
        return 0;
    if (relays->count == 0)
        return mc_error_set(err, 400, "invalid_field", "relay",
                            "relay must be empty: no [smtp.NAME] relay is configured, so messages"
                            " go to the capture outbox");
    buf_t known = BUF_INIT;
    for (size_t i = 0; i < relays->count; i++)
        buf_appendf(&known, "%s%s", i ? ", " : "", relays->relays[i].name);
    for (size_t i = 0; i < relays->count; i++) {
        const char *group = relays->relays[i].group;
        bool seen = false;
        for (size_t j = 0; group && j < i && !seen; j++)
            seen = relays->relays[j].group && !strcmp(relays->relays[j].group, group);
        if (group && !seen) buf_appendf(&known, ", group %s", group);
    }
    mc_error_set(err, 400, "invalid_field", "relay",
                 "relay must be empty (the default) or one of the configured relays or groups"
                 " (%s); '%s' is not one",
                 buf_cstr(&known), name);
    buf_free(&known);
    return -1;
}

int campaign_input_parse(PGconn *conn, const char *templates_dir, const relay_set *relays,
                         json_t *body, bool required, campaign_input *in, mc_error *err)
{
    memset(in, 0, sizeof *in);
    json_t *window = json_object_get(body, "window_start");
    in->clear_window = window && json_is_null(window);
    if (parse_fields(body, in, err) < 0 || (required && check_required(in, err) < 0) ||
        check_relay(relays, in->values[CAMPAIGN_RELAY], err) < 0)
        return -1;
    char **v = in->values;
    template_source src = {conn, templates_dir};
    if ((v[CAMPAIGN_SUBJECT] &&
         template_source_compile(&src, "subject", v[CAMPAIGN_SUBJECT], NULL, err) < 0) ||
        (v[CAMPAIGN_BODY] &&
         template_source_compile(&src, "body", v[CAMPAIGN_BODY], NULL, err) < 0))
        return -1;
    if (campaign_check_template(conn, v[CAMPAIGN_TEMPLATE_ID], "template_id", err) < 0 ||
        check_ids_exist(conn, MISSING_LISTS_SQL, v[CAMPAIGN_LISTS], "lists", err) < 0 ||
        check_ids_exist(conn, MISSING_LISTS_SQL, v[CAMPAIGN_EXCLUDE_LISTS], "exclude_lists", err) <
            0 ||
        check_ids_exist(conn, MISSING_SEGMENTS_SQL, v[CAMPAIGN_SEGMENTS], "segments", err) < 0 ||
        check_ids_exist(conn, MISSING_SEGMENTS_SQL, v[CAMPAIGN_EXCLUDE_SEGMENTS],
                        "exclude_segments", err) < 0 ||
        check_timezone(conn, v[CAMPAIGN_TIMEZONE], err) < 0 ||
        campaign_ab_parse(conn, templates_dir, body, &in->ab_test, err) < 0)
        return -1;
    return 0;
}

int campaign_audience_parse(PGconn *conn, json_t *body, char *audience[4], mc_error *err)
{
    static const char *const fields[] = {"lists", "segments", "exclude_lists", "exclude_segments",
                                         NULL};
    static const char *const missing[] = {MISSING_LISTS_SQL, MISSING_SEGMENTS_SQL,
                                          MISSING_LISTS_SQL, MISSING_SEGMENTS_SQL};
    memset(audience, 0, 4 * sizeof *audience);
    if (input_known_fields(body, fields, err) < 0) return -1;
    for (int i = 0; i < 4; i++) {
        if (ids_field(body, fields[i], &audience[i], err) < 0 ||
            check_ids_exist(conn, missing[i], audience[i], fields[i], err) < 0)
            return -1;
        if (!audience[i]) audience[i] = strdup("{}");
    }
    return 0;
}
