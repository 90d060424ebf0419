/* Checking a trigger definition member by member, building its normalized form as it goes.
 * Every error names the path of the member at fault, so that a form or a script can point at
 * it. The rules and their reasons are in docs/automations.md ("What is refused"). */
#include "automation/trigger_validate.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audience/input.h"
#include "audience/segment_compile.h"
#include "core/duration.h"
#include "automation/event_input.h"
#include "core/utf8.h"

/* a fixed entry time for compiling conditions: only their shape is checked here */
#define CHECK_ENTRY_AT "2000-01-01 00:00:00+00"

static int bad(mc_error *err, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int bad(mc_error *err, const char *field, const char *fmt, ...)
{
    char message[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    return mc_error_set(err, 400, "invalid_field", field, "%s", message);
}

/* Refuses members of obj not in allowed; the error names prefix.member. */
static int known_members(json_t *obj, const char *prefix, const char *const *allowed, mc_error *err)
{
    if (input_known_fields(obj, allowed, err) == 0) return 0;
    if (prefix[0]) {
        char field[300];
        snprintf(field, sizeof field, "%s.%s", prefix, err->field);
        snprintf(err->field, sizeof err->field, "%.*s", (int)sizeof err->field - 1, field);
    }
    return -1;
}

static int event_name(json_t *v, const char *field, mc_error *err)
{
    if (!json_is_string(v) || !event_name_valid(json_string_value(v), json_string_length(v)))
        return bad(err, field,
                   "%s must be an event name: 1 to 200 letters, digits and _ . : - (ASCII)", field);
    return 0;
}

/* Compiles rule with prefix before the compiler's path ("rule" is the root). */
static int compile_rule(json_t *rule, const char *entry_at, const char *prefix, mc_error *err)
{
    sql_builder b = SQL_BUILDER_INIT;
    int rc = segment_compile_at(rule, &b, entry_at, err);
    sql_builder_free(&b);
    if (rc < 0) {
        char field[300];
        if (!strcmp(err->field, "rule"))
            snprintf(field, sizeof field, "%s", prefix);
        else
            snprintf(field, sizeof field, "%s.%s", prefix, err->field);
        size_t n = strnlen(field, sizeof err->field - 1);
        memcpy(err->field, field, n);
        err->field[n] = '\0';
        /* the compiler's own code, invalid_rule, is kept: it says the rule is at fault */
    }
    return rc;
}

/* ---- entry ---- */

/* Mailcast's own events (its outgoing webhooks name them message.* and trigger.*): relayed
 * back into the events API, a trigger entered by them would enter subscribers again with each
 * of its own sends. */
static bool names_own_event(const char *name)
{
    return !strncmp(name, "message.", 8) || !strncmp(name, "trigger.", 8);
}

static json_t *entry_event(json_t *entry, mc_error *err)
{
    static const char *const members[] = {"event", "where", NULL};
    if (known_members(entry, "entry", members, err) < 0) return NULL;
    json_t *name = json_object_get(entry, "event");
    if (event_name(name, "entry.event", err) < 0) return NULL;
    if (names_own_event(json_string_value(name))) {
        bad(err, "entry.event",
            "message.* and trigger.* are mailcast's own events: a trigger they start could "
            "enter subscribers again with each of its own sends");
        return NULL;
    }
    json_t *where = json_object_get(entry, "where");
    if (!where || json_is_null(where))
        where = json_array();
    else
        json_incref(where);
    /* the where conditions are those of an event condition in a segment rule */
    json_t *probe = json_pack("{s:O, s:O}", "event", name, "where", where);
    int rc = compile_rule(probe, NULL, "entry", err);
    json_decref(probe);
    if (rc < 0) {
        json_decref(where);
        return NULL;
    }
    return json_pack("{s:O, s:o}", "event", name, "where", where);
}

static json_t *entry_list(json_t *entry, mc_error *err)
{
    static const char *const members[] = {"list", NULL};
    if (known_members(entry, "entry", members, err) < 0) return NULL;
    json_t *list = json_object_get(entry, "list");
    if (!json_is_integer(list) || json_integer_value(list) < 1) {
        bad(err, "entry.list", "entry.list must be a list id");
        return NULL;
    }
    return json_pack("{s:O}", "list", list);
}

static json_t *entry_date(json_t *entry, mc_error *err)
{
    static const char *const members[] = {"date_attribute", "offset_days", NULL};
    if (known_members(entry, "entry", members, err) < 0) return NULL;
    json_t *key = json_object_get(entry, "date_attribute");
    if (!json_is_string(key) || json_string_length(key) < 1 || json_string_length(key) > 200 ||
        memchr(json_string_value(key), '\0', json_string_length(key))) {
        bad(err, "entry.date_attribute",
            "entry.date_attribute must be an attribute key of 1 to "
            "200 bytes");
        return NULL;
    }
    json_t *offset = json_object_get(entry, "offset_days");
    json_int_t days = 0;
    if (offset && !json_is_null(offset)) {
        if (!json_is_integer(offset) || json_integer_value(offset) < -TRIGGER_OFFSET_DAYS_MAX ||
            json_integer_value(offset) > TRIGGER_OFFSET_DAYS_MAX) {
            bad(err, "entry.offset_days",
                "entry.offset_days must be a whole number of days from "
                "-3650 to 3650");
            return NULL;
        }
        days = json_integer_value(offset);
    }
    return json_pack("{s:O, s:I}", "date_attribute", key, "offset_days", days);
}

static json_t *normalize_entry(json_t *entry, mc_error *err)
{
    if (!json_is_object(entry)) {
        bad(err, "entry", "entry is required: an object with event, list or date_attribute");
        return NULL;
    }
    int kinds = !!json_object_get(entry, "event") + !!json_object_get(entry, "list") +
                !!json_object_get(entry, "date_attribute");
    if (kinds != 1) {
        bad(err, "entry", "entry has exactly one of event, list or date_attribute");
        return NULL;
    }
    if (json_object_get(entry, "event")) return entry_event(entry, err);
    if (json_object_get(entry, "list")) return entry_list(entry, err);
    return entry_date(entry, err);
}

/* ---- steps ---- */

static const char *const STEP_KINDS[] = {"wait", "wait_until", "if", "send", "exit", NULL};

static json_t *step_wait(json_t *step, const char *path, mc_error *err)
{
    static const char *const members[] = {"wait", "seconds", NULL};
    char field[128];
    snprintf(field, sizeof field, "%s.wait", path);
    if (known_members(step, path, members, err) < 0) return NULL;
    json_t *text = json_object_get(step, "wait");
    long long seconds;
    if (!json_is_string(text)) {
        bad(err, field, "%s must be a duration such as \"3d\" or \"1d12h\"", field);
        return NULL;
    }
    if (duration_parse(json_string_value(text), field, &seconds, err) < 0) return NULL;
    /* "seconds" is what normalizing adds: accepted back only when it agrees */
    json_t *given = json_object_get(step, "seconds");
    if (given && !(json_is_integer(given) && json_integer_value(given) == seconds)) {
        snprintf(field, sizeof field, "%s.seconds", path);
        bad(err, field, "%s is computed from wait: %lld", field, seconds);
        return NULL;
    }
    return json_pack("{s:O, s:I}", "wait", text, "seconds", (json_int_t)seconds);
}

static json_t *step_wait_until(json_t *step, const char *path, mc_error *err)
{
    static const char *const members[] = {"wait_until", NULL};
    char field[128];
    snprintf(field, sizeof field, "%s.wait_until", path);
    if (known_members(step, path, members, err) < 0) return NULL;
    json_t *text = json_object_get(step, "wait_until");
    int minutes;
    if (!json_is_string(text)) {
        bad(err, field, "%s must be a time of day such as \"09:30\"", field);
        return NULL;
    }
    if (time_of_day_parse(json_string_value(text), field, &minutes, err) < 0) return NULL;
    char hhmm[24];
    snprintf(hhmm, sizeof hhmm, "%02d:%02d", minutes / 60, minutes % 60);
    return json_pack("{s:s}", "wait_until", hhmm);
}

static json_t *step_if(json_t *step, const char *path, mc_error *err)
{
    static const char *const members[] = {"if", "else", NULL};
    if (known_members(step, path, members, err) < 0) return NULL;
    char field[128];
    snprintf(field, sizeof field, "%s.if", path);
    json_t *rule = json_object_get(step, "if");
    if (compile_rule(rule, CHECK_ENTRY_AT, field, err) < 0) return NULL;
    json_t *otherwise = json_object_get(step, "else");
    const char *action = "exit";
    if (otherwise && !json_is_null(otherwise)) {
        action = json_string_value(otherwise);
        if (!action || (strcmp(action, "exit") && strcmp(action, "continue"))) {
            snprintf(field, sizeof field, "%s.else", path);
            bad(err, field, "%s is \"exit\" or \"continue\"", field);
            return NULL;
        }
    }
    return json_pack("{s:O, s:s}", "if", rule, "else", action);
}

static json_t *step_send(json_t *step, const char *path, mc_error *err)
{
    static const char *const members[] = {"send", "subject", NULL};
    if (known_members(step, path, members, err) < 0) return NULL;
    char field[128];
    json_t *id = json_object_get(step, "send");
    if (!json_is_integer(id) || json_integer_value(id) < 1) {
        snprintf(field, sizeof field, "%s.send", path);
        bad(err, field, "%s must be a template id", field);
        return NULL;
    }
    json_t *subject = json_object_get(step, "subject");
    if (subject && !json_is_null(subject)) {
        snprintf(field, sizeof field, "%s.subject", path);
        if (!json_is_string(subject) ||
            utf8_count(json_string_value(subject), json_string_length(subject)) > 2000 ||
            memchr(json_string_value(subject), '\0', json_string_length(subject))) {
            bad(err, field, "%s must be a text of at most 2000 characters, or null", field);
            return NULL;
        }
        if (json_string_length(subject) == 0) subject = NULL; /* empty: the template's own */
    } else {
        subject = NULL;
    }
    return json_pack("{s:O, s:O}", "send", id, "subject", subject ? subject : json_null());
}

static json_t *step_exit(json_t *step, const char *path, mc_error *err)
{
    static const char *const members[] = {"exit", NULL};
    if (known_members(step, path, members, err) < 0) return NULL;
    if (!json_is_true(json_object_get(step, "exit"))) {
        char field[128];
        snprintf(field, sizeof field, "%s.exit", path);
        bad(err, field, "%s is true", field);
        return NULL;
    }
    return json_pack("{s:b}", "exit", 1);
}

static json_t *normalize_step(json_t *step, size_t index, bool *sends, mc_error *err)
{
    char path[32];
    snprintf(path, sizeof path, "steps[%zu]", index);
    if (!json_is_object(step)) {
        bad(err, path, "a step is an object: wait, wait_until, if, send or exit");
        return NULL;
    }
    int kind = -1, kinds = 0;
    for (int i = 0; STEP_KINDS[i]; i++)
        if (json_object_get(step, STEP_KINDS[i])) {
            kind = i;
            kinds++;
        }
    if (kinds != 1) {
        bad(err, path, "a step has exactly one of wait, wait_until, if, send or exit");
        return NULL;
    }
    switch (kind) {
    case 0:
        return step_wait(step, path, err);
    case 1:
        return step_wait_until(step, path, err);
    case 2:
        return step_if(step, path, err);
    case 3:
        *sends = true;
        return step_send(step, path, err);
    default:
        return step_exit(step, path, err);
    }
}

static json_t *normalize_steps(json_t *steps, mc_error *err)
{
    if (!json_is_array(steps) || json_array_size(steps) == 0) {
        bad(err, "steps", "steps is required: an array of 1 to %d steps", TRIGGER_MAX_STEPS);
        return NULL;
    }
    if (json_array_size(steps) > TRIGGER_MAX_STEPS) {
        bad(err, "steps", "a trigger has at most %d steps", TRIGGER_MAX_STEPS);
        return NULL;
    }
    json_t *out = json_array();
    bool sends = false;
    size_t i;
    json_t *step;
    json_array_foreach(steps, i, step)
    {
        json_t *normalized = normalize_step(step, i, &sends, err);
        if (!normalized) {
            json_decref(out);
            return NULL;
        }
        json_array_append_new(out, normalized);
    }
    if (!sends) {
        json_decref(out);
        bad(err, "steps", "a trigger needs at least one send step");
        return NULL;
    }
    return out;
}

/* ---- exit events, re-entry, settings ---- */

static json_t *normalize_exit_on(json_t *exit_on, const char *entry_name, mc_error *err)
{
    if (!exit_on || json_is_null(exit_on)) return json_array();
    if (!json_is_array(exit_on) || json_array_size(exit_on) > TRIGGER_MAX_EXIT_EVENTS) {
        bad(err, "exit_on", "exit_on is an array of at most %d event names",
            TRIGGER_MAX_EXIT_EVENTS);
        return NULL;
    }
    size_t i;
    json_t *name;
    json_array_foreach(exit_on, i, name)
    {
        char field[32];
        snprintf(field, sizeof field, "exit_on[%zu]", i);
        if (event_name(name, field, err) < 0) return NULL;
        for (size_t j = 0; j < i; j++)
            if (json_equal(json_array_get(exit_on, j), name)) {
                bad(err, field, "%s names %s a second time", field, json_string_value(name));
                return NULL;
            }
        if (entry_name && !strcmp(entry_name, json_string_value(name))) {
            bad(err, field,
                "entry.event is also in exit_on: every subscriber would leave as they enter");
            return NULL;
        }
    }
    return json_copy(exit_on);
}

/* Sets reentry (and reentry_seconds for "after:") on def. returns 0 or -1 with err. */
static int normalize_reentry(json_t *body, json_t *def, mc_error *err)
{
    json_t *v = json_object_get(body, "reentry");
    const char *text = v && !json_is_null(v) ? json_string_value(v) : "once";
    long long seconds = 0;
    if (!text)
        return bad(err, "reentry", "reentry is \"once\", \"every_time\" or \"after:<duration>\"");
    if (!strncmp(text, "after:", 6)) {
        if (duration_parse(text + 6, "reentry", &seconds, err) < 0) return -1;
    } else if (strcmp(text, "once") && strcmp(text, "every_time")) {
        return bad(err, "reentry", "reentry is \"once\", \"every_time\" or \"after:<duration>\"");
    }
    json_t *given = json_object_get(body, "reentry_seconds");
    if (given && !json_is_null(given) &&
        !(seconds && json_is_integer(given) && json_integer_value(given) == seconds))
        return bad(err, "reentry_seconds", "reentry_seconds is computed from reentry");
    json_object_set_new(def, "reentry", json_string(text));
    if (seconds) json_object_set_new(def, "reentry_seconds", json_integer(seconds));
    return 0;
}

static json_t *normalize_settings(json_t *settings, mc_error *err)
{
    if (!settings || json_is_null(settings)) return json_object();
    if (!json_is_object(settings)) {
        bad(err, "settings", "settings must be a JSON object");
        return NULL;
    }
    size_t size = json_dumpb(settings, NULL, 0, JSON_COMPACT);
    if (size > TRIGGER_SETTINGS_MAX_BYTES) {
        bad(err, "settings", "settings must be at most %d bytes of JSON",
            TRIGGER_SETTINGS_MAX_BYTES);
        return NULL;
    }
    return json_copy(settings);
}

static const char *const TOP_MEMBERS[] = {
    "name",    "entry",    "segment", "steps",           "exit_on",
    "reentry", "settings", "enabled", "reentry_seconds", NULL};

static int normalize_name(json_t *body, json_t *def, mc_error *err)
{
    json_t *name = json_object_get(body, "name");
    if (!json_is_string(name)) return bad(err, "name", "name is required: a text");
    size_t chars = utf8_count(json_string_value(name), json_string_length(name));
    if (chars < 1 || chars > 200 || memchr(json_string_value(name), '\0', json_string_length(name)))
        return bad(err, "name", "name must be 1 to 200 characters long");
    json_object_set(def, "name", name);
    return 0;
}

static int normalize_segment(json_t *body, json_t *def, mc_error *err)
{
    json_t *segment = json_object_get(body, "segment");
    if (!segment || json_is_null(segment)) {
        json_object_set_new(def, "segment", json_null());
        return 0;
    }
    if (!json_is_integer(segment) || json_integer_value(segment) < 1)
        return bad(err, "segment", "segment must be a segment id or null");
    json_object_set(def, "segment", segment);
    return 0;
}

static int normalize_enabled(json_t *body, json_t *def, mc_error *err)
{
    json_t *enabled = json_object_get(body, "enabled");
    if (enabled && !json_is_null(enabled) && !json_is_boolean(enabled))
        return bad(err, "enabled", "enabled is true or false");
    json_object_set_new(def, "enabled", json_boolean(!json_is_false(enabled)));
    return 0;
}

json_t *trigger_normalize(json_t *body, mc_error *err)
{
    if (!json_is_object(body)) {
        bad(err, "", "the body must be a JSON object");
        return NULL;
    }
    if (known_members(body, "", TOP_MEMBERS, err) < 0) return NULL;
    json_t *def = json_object();
    if (normalize_name(body, def, err) < 0) goto fail;
    json_t *entry = normalize_entry(json_object_get(body, "entry"), err);
    if (!entry) goto fail;
    json_object_set_new(def, "entry", entry);
    if (normalize_segment(body, def, err) < 0) goto fail;
    json_t *steps = normalize_steps(json_object_get(body, "steps"), err);
    if (!steps) goto fail;
    json_object_set_new(def, "steps", steps);
    json_t *exit_on = normalize_exit_on(json_object_get(body, "exit_on"),
                                        json_string_value(json_object_get(entry, "event")), err);
    if (!exit_on) goto fail;
    json_object_set_new(def, "exit_on", exit_on);
    if (normalize_reentry(body, def, err) < 0) goto fail;
    json_t *settings = normalize_settings(json_object_get(body, "settings"), err);
    if (!settings) goto fail;
    json_object_set_new(def, "settings", settings);
    if (normalize_enabled(body, def, err) < 0) goto fail;
    return def;
fail:
    json_decref(def);
    return NULL;
}
