/* Without a mapping, a column named email or name (in any case) is that field and every other
 * column an attribute of its name, except the other columns of the subscriber export (id,
 * status, created_at, updated_at, attributes), so that an export imports back as it was; with
 * a mapping, unmapped columns are ignored. */
#include "audience/import_options.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "audience/input.h"
#include "core/alloc.h"
#include "core/utf8.h"

static const char *const OPTION_FIELDS[] = {"lists", "mode", "list_status", "mapping", NULL};
static const char *const MODES[] = {"upsert", "skip_existing", NULL};
static const char *const LIST_STATUSES[] = {"unconfirmed", "confirmed", "unsubscribed", NULL};

/* Reads "email", "name", "status", "attributes" or "attributes.<key>[:type]" into c. returns 0
 * or -1 with err. */
static int parse_target(const char *spec, const char *column, import_column *c, mc_error *err)
{
    if (!strcmp(spec, "email")) {
        c->target = COLUMN_EMAIL;
        return 0;
    }
    if (!strcmp(spec, "name")) {
        c->target = COLUMN_NAME;
        return 0;
    }
    if (!strcmp(spec, "status")) {
        c->target = COLUMN_STATUS;
        return 0;
    }
    if (!strcmp(spec, "attributes")) {
        c->target = COLUMN_ATTRIBUTES;
        return 0;
    }
    if (!strncmp(spec, "attributes.", 11) && spec[11]) {
        const char *key = spec + 11;
        const char *colon = strrchr(key, ':');
        size_t key_len = colon ? (size_t)(colon - key) : strlen(key);
        c->type = VALUE_STRING;
        if (colon) {
            if (!strcmp(colon + 1, "number"))
                c->type = VALUE_NUMBER;
            else if (!strcmp(colon + 1, "date"))
                c->type = VALUE_DATE;
            else if (!strcmp(colon + 1, "bool"))
                c->type = VALUE_BOOL;
            else if (!strcmp(colon + 1, "string"))
                c->type = VALUE_STRING;
            else
                return mc_error_set(err, 400, "invalid_field", "mapping",
                                    "column '%.60s': the type after ':' must be number, date, "
                                    "bool or string",
                                    column);
        }
        if (key_len == 0 || key_len > 200)
            return mc_error_set(err, 400, "invalid_field", "mapping",
                                "column '%.60s': an attribute key must be 1 to 200 bytes", column);
        c->target = COLUMN_ATTRIBUTE;
        c->key = xstrndup(key, key_len);
        return 0;
    }
    return mc_error_set(err, 400, "invalid_field", "mapping",
                        "column '%.60s' must map to email, name, status, attributes or "
                        "attributes.<key>",
                        column);
}

int import_options_parse(const char *text, import_options *o, mc_error *err)
{
    memset(o, 0, sizeof *o);
    o->email_column = o->name_column = o->status_column = o->attributes_column = -1;
    buf_append_cstr(&o->lists, "{}");
    if (!text || !text[0]) return 0;
    json_error_t jerr;
    json_t *opts = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);
    if (!opts || !json_is_object(opts)) {
        json_decref(opts);
        return mc_error_set(err, 400, "invalid_field", "options", "options must be a JSON object");
    }
    size_t count;
    bool present;
    const char *mode;
    int rc = -1;
    if (input_known_fields(opts, OPTION_FIELDS, err) < 0 ||
        input_ids(opts, "lists", 1000, &o->lists, &count, &present, err) < 0 ||
        input_enum(opts, "mode", MODES, &mode, err) < 0 ||
        input_enum(opts, "list_status", LIST_STATUSES, &o->list_status, err) < 0)
        goto done;
    o->skip_existing = mode && !strcmp(mode, "skip_existing");
    json_t *mapping = json_object_get(opts, "mapping");
    if (mapping && !json_is_null(mapping)) {
        if (!json_is_object(mapping) || json_object_size(mapping) == 0) {
            mc_error_set(err, 400, "invalid_field", "mapping",
                         "mapping must be an object of column names to fields");
            goto done;
        }
        const char *column;
        json_t *spec;
        json_object_foreach(mapping, column, spec)
        {
            import_column probe = {0};
            if (!json_is_string(spec)) {
                mc_error_set(err, 400, "invalid_field", "mapping",
                             "column '%.60s' must map to a string", column);
                goto done;
            }
            int prc = parse_target(json_string_value(spec), column, &probe, err);
            free(probe.key);
            if (prc < 0) goto done;
        }
        o->mapping = json_incref(mapping);
    }
    rc = 0;
done:
    json_decref(opts);
    return rc;
}

static int find_header(const str_t *header, int count, const char *name)
{
    for (int i = 0; i < count; i++) {
        str_t h = str_trim(header[i]);
        if (h.n == strlen(name) && !memcmp(h.p, name, h.n)) return i;
    }
    return -1;
}

int import_plan(import_options *o, const str_t *header, int count, mc_error *err)
{
    o->columns = xcalloc((size_t)count, sizeof *o->columns);
    o->column_count = count;
    for (int i = 0; i < count; i++) {
        if (!utf8_valid(header[i].p, header[i].n, NULL))
            return mc_error_set(err, 400, "invalid_field", "file",
                                "the header's column %d is not valid UTF-8", i + 1);
        str_t h = str_trim(header[i]);
        o->columns[i].name = xstrndup(h.p, h.n);
    }
    if (o->mapping) {
        const char *column;
        json_t *spec;
        json_object_foreach(o->mapping, column, spec)
        {
            int i = find_header(header, count, column);
            if (i < 0)
                return mc_error_set(err, 400, "invalid_field", "mapping",
                                    "the file has no column '%.60s'", column);
            if (parse_target(json_string_value(spec), column, &o->columns[i], err) < 0) return -1;
        }
    } else {
        for (int i = 0; i < count; i++) {
            import_column *c = &o->columns[i];
            if (!strcasecmp(c->name, "email"))
                c->target = COLUMN_EMAIL;
            else if (!strcasecmp(c->name, "name"))
                c->target = COLUMN_NAME;
            else if (!strcasecmp(c->name, "status"))
                c->target = COLUMN_STATUS;
            else if (!strcasecmp(c->name, "attributes"))
                c->target = COLUMN_ATTRIBUTES;
            else if (!strcasecmp(c->name, "id") || !strcasecmp(c->name, "created_at") ||
                     !strcasecmp(c->name, "updated_at"))
                c->target = COLUMN_IGNORE; /* the server's own, given again on import */
            else if (c->name[0] && strlen(c->name) <= 200) {
                c->target = COLUMN_ATTRIBUTE;
                c->key = xstrdup(c->name);
            }
        }
    }
    static const char *const field_names[] = {
        [COLUMN_EMAIL] = "email",
        [COLUMN_NAME] = "name",
        [COLUMN_STATUS] = "status",
        [COLUMN_ATTRIBUTES] = "attributes",
    };
    for (int i = 0; i < count; i++) {
        import_target t = o->columns[i].target;
        int *slot = t == COLUMN_EMAIL        ? &o->email_column
                    : t == COLUMN_NAME       ? &o->name_column
                    : t == COLUMN_STATUS     ? &o->status_column
                    : t == COLUMN_ATTRIBUTES ? &o->attributes_column
                                             : NULL;
        if (!slot) continue;
        if (*slot >= 0)
            return mc_error_set(err, 400, "invalid_field", "mapping", "two columns map to %s",
                                field_names[t]);
        *slot = i;
    }
    if (o->email_column < 0)
        return mc_error_set(err, 400, "invalid_field", "mapping",
                            "no column maps to email (name one \"email\" or map one)");
    return 0;
}

void import_options_free(import_options *o)
{
    for (int i = 0; i < o->column_count; i++) {
        free(o->columns[i].key);
        free(o->columns[i].name);
    }
    free(o->columns);
    json_decref(o->mapping);
    buf_free(&o->lists);
    memset(o, 0, sizeof *o);
}
