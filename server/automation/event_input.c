/* The checks of one posted event (event_input.h). Every error names the field the way the
 * client sent it, with the batch index in front: "events[3].occurred_at". */
#include "automation/event_input.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/email_address.h"
#include "core/utf8.h"
#include "template/template.h"

bool event_name_valid(const char *name, size_t len)
{
    if (len < 1 || len > EVENT_NAME_MAX) return false;
    for (size_t i = 0; i < len; i++) {
        char c = name[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '_' || c == '.' || c == ':' || c == '-';
        if (!ok) return false;
    }
    return true;
}

/* Reads exactly width digits at *p into *value and moves *p past them. returns 0 or -1. */
static int digits(const char **p, int width, int *value)
{
    int v = 0;
    for (int i = 0; i < width; i++) {
        char c = (*p)[i];
        if (c < '0' || c > '9') return -1;
        v = v * 10 + (c - '0');
    }
    *p += width;
    *value = v;
    return 0;
}

/* days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil) */
static long long days_from_civil(int y, int m, int d)
{
    y -= m <= 2;
    long long era = (y >= 0 ? y : y - 399) / 400;
    long long yoe = y - era * 400;
    long long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    long long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static int days_in_month(int y, int m)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : days[m - 1];
}

int event_time_parse(const char *text, long long *epoch)
{
    const char *p = text;
    int y, mo, d, h, mi, s;
    if (digits(&p, 4, &y) < 0 || *p++ != '-' || digits(&p, 2, &mo) < 0 || *p++ != '-' ||
        digits(&p, 2, &d) < 0)
        return -1;
    if (*p != 'T' && *p != 't' && *p != ' ') return -1;
    p++;
    if (digits(&p, 2, &h) < 0 || *p++ != ':' || digits(&p, 2, &mi) < 0 || *p++ != ':' ||
        digits(&p, 2, &s) < 0)
        return -1;
    if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 || s > 59)
        return -1;
    if (*p == '.') {
        p++;
        const char *start = p;
        while (*p >= '0' && *p <= '9')
            p++;
        /* PostgreSQL keeps microseconds; more digits than nanoseconds say nothing */
        if (p == start || p - start > 9) return -1;
    }
    long long offset = 0;
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int sign = *p++ == '-' ? -1 : 1, oh, om;
        if (digits(&p, 2, &oh) < 0 || *p++ != ':' || digits(&p, 2, &om) < 0 || oh > 23 || om > 59)
            return -1;
        offset = sign * (oh * 3600LL + om * 60LL);
    } else {
        return -1; /* a time without its offset means nothing to a server in another zone */
    }
    if (*p) return -1;
    *epoch = days_from_civil(y, mo, d) * 86400LL + h * 3600LL + mi * 60LL + s - offset;
    return 0;
}

int event_revenue_text(json_t *v, char *out, size_t size)
{
    double amount;
    if (json_is_integer(v)) {
        amount = (double)json_integer_value(v);
    } else if (json_is_real(v)) {
        amount = json_real_value(v);
    } else if (json_is_string(v)) {
        const char *s = json_string_value(v);
        size_t n = json_string_length(v), i = 0, dots = 0, before = 0;
        for (; i < n; i++) {
            if (s[i] == '.') {
                if (dots++ || !before || i + 1 == n) return -1;
            } else if (s[i] < '0' || s[i] > '9') {
                return -1;
            } else if (!dots) {
                before++;
            }
        }
        if (!n || before > 14) return -1;
        amount = strtod(s, NULL);
    } else {
        return -1;
    }
    if (!isfinite(amount) || amount < 0 || amount >= EVENT_REVENUE_LIMIT) return -1;
    int written = json_is_integer(v) ? snprintf(out, size, "%lld", (long long)json_integer_value(v))
                  : json_is_string(v) ? snprintf(out, size, "%s", json_string_value(v))
                                      : snprintf(out, size, "%.6f", amount);
    return written > 0 && (size_t)written < size ? 0 : -1;
}

/* Reads an optional string member. returns 0 with *out (NULL when absent or null), or -1 with a
 * 400 naming prefix+field. */
static int optional_string(json_t *ev, const char *prefix, const char *field, const char **out,
                           mc_error *err)
{
    json_t *v = json_object_get(ev, field);
    *out = NULL;
    if (!v || json_is_null(v)) return 0;
    if (!json_is_string(v))
        return mc_error_set(err, 400, "invalid_field", "", "%s%s must be a string", prefix, field);
    *out = json_string_value(v);
    return 0;
}

/* fills err's field with prefix+field after the message was set */
static int named(mc_error *err, const char *prefix, const char *field)
{
    snprintf(err->field, sizeof err->field, "%s%s", prefix, field);
    return -1;
}

static const char *const KNOWN_FIELDS[] = {"subscriber_id",  "email",      "create_subscriber",
                                           "name",           "properties", "occurred_at",
                                           "idempotency_key"};

static int check_subscriber(json_t *ev, const char *prefix, event_input *out, mc_error *err)
{
    json_t *id = json_object_get(ev, "subscriber_id");
    json_t *create = json_object_get(ev, "create_subscriber");
    if (optional_string(ev, prefix, "email", &out->email, err) < 0)
        return named(err, prefix, "email");
    if (id && !json_is_null(id)) {
        if (!json_is_integer(id) || json_integer_value(id) <= 0) {
            mc_error_set(err, 400, "invalid_field", "", "%ssubscriber_id must be a positive id",
                         prefix);
            return named(err, prefix, "subscriber_id");
        }
        if (out->email) {
            mc_error_set(err, 400, "invalid_field", "", "give %ssubscriber_id or %semail, not both",
                         prefix, prefix);
            return named(err, prefix, "email");
        }
        out->subscriber_id = json_integer_value(id);
    } else if (!out->email) {
        mc_error_set(err, 400, "invalid_field", "",
                     "%ssubscriber_id or %semail is required: whose event is it?", prefix, prefix);
        return named(err, prefix, "subscriber_id");
    } else {
        str_t address;
        char field[128];
        snprintf(field, sizeof field, "%semail", prefix);
        if (email_address_check(str_make(out->email, strlen(out->email)), field, &address, err) < 0)
            return -1;
        out->email = address.p;
        out->email_len = address.n;
    }
    if (create && !json_is_null(create)) {
        if (!json_is_boolean(create)) {
            mc_error_set(err, 400, "invalid_field", "", "%screate_subscriber must be true or false",
                         prefix);
            return named(err, prefix, "create_subscriber");
        }
        out->create_subscriber = json_is_true(create);
        if (out->create_subscriber && !out->email) {
            mc_error_set(err, 400, "invalid_field", "",
                         "%screate_subscriber needs %semail: a subscriber is created by address",
                         prefix, prefix);
            return named(err, prefix, "create_subscriber");
        }
    }
    return 0;
}

static int check_time(const char *prefix, const event_rules *rules, event_input *out, mc_error *err)
{
    if (!out->occurred_at) return 0;
    long long t;
    if (event_time_parse(out->occurred_at, &t) < 0) {
        mc_error_set(err, 400, "invalid_field", "",
                     "%soccurred_at must be an RFC 3339 date-time with its offset, such as "
                     "2026-12-06T08:30:00Z",
                     prefix);
        return named(err, prefix, "occurred_at");
    }
    if (t > (long long)rules->now + EVENT_FUTURE_SECONDS) {
        mc_error_set(err, 400, "invalid_field", "",
                     "%soccurred_at is more than 24 hours ahead of the server's clock", prefix);
        return named(err, prefix, "occurred_at");
    }
    if (t < EVENT_EARLIEST) {
        mc_error_set(err, 400, "invalid_field", "", "%soccurred_at is before the year 2000",
                     prefix);
        return named(err, prefix, "occurred_at");
    }
    return 0;
}

static int check_properties(json_t *ev, const char *prefix, const event_rules *rules,
                            event_input *out, mc_error *err)
{
    json_t *p = json_object_get(ev, "properties");
    if (!p || json_is_null(p)) return 0;
    if (!json_is_object(p)) {
        mc_error_set(err, 400, "invalid_field", "", "%sproperties must be a JSON object", prefix);
        return named(err, prefix, "properties");
    }
    /* the size as stored */
    buf_reset(rules->encoded);
    template_append_json(rules->encoded, p);
    size_t size = rules->encoded->n;
    if (size > rules->max_property_bytes) {
        mc_error_set(err, 413, "too_large", "",
                     "%sproperties take %zu bytes as compact JSON; at most %zu are accepted",
                     prefix, size, rules->max_property_bytes);
        return named(err, prefix, "properties");
    }
    out->properties = p;
    out->properties_json = buf_view(rules->encoded);
    return 0;
}

/* An order's revenue and currency. A missing revenue is 0: the order still counts as a
 * conversion. */
static int check_order(const char *prefix, const event_rules *rules, event_input *out,
                       mc_error *err)
{
    snprintf(out->revenue, sizeof out->revenue, "0");
    json_t *v = out->properties ? json_object_get(out->properties, rules->revenue_property) : NULL;
    char field[128];
    if (v && !json_is_null(v) && event_revenue_text(v, out->revenue, sizeof out->revenue) < 0) {
        snprintf(field, sizeof field, "properties.%s", rules->revenue_property);
        mc_error_set(err, 400, "invalid_field", "",
                     "%s%s must be an amount of at least 0 and below 10^14, as a number or a "
                     "string such as \"19.90\"",
                     prefix, field);
        return named(err, prefix, field);
    }
    json_t *c = out->properties ? json_object_get(out->properties, "currency") : NULL;
    if (c && !json_is_null(c)) {
        if (!json_is_string(c) || json_string_length(c) < 1 ||
            utf8_count(json_string_value(c), json_string_length(c)) > EVENT_CURRENCY_MAX) {
            mc_error_set(err, 400, "invalid_field", "",
                         "%sproperties.currency must be a text of 1 to %d characters, such as "
                         "\"EUR\"",
                         prefix, EVENT_CURRENCY_MAX);
            return named(err, prefix, "properties.currency");
        }
        out->currency = json_string_value(c);
    }
    return 0;
}

int event_check(json_t *ev, const event_rules *rules, const char *prefix, event_input *out,
                mc_error *err)
{
    memset(out, 0, sizeof *out);
    if (!json_is_object(ev)) {
        mc_error_set(err, 400, "invalid_field", "", "%s must be a JSON object (an event)",
                     prefix[0] ? prefix : "the body");
        /* "events[3]." names the element itself */
        size_t n = strlen(prefix);
        snprintf(err->field, sizeof err->field, "%.*s", (int)(n ? n - 1 : 0), prefix);
        return -1;
    }
    const char *key;
    json_t *value;
    json_object_foreach(ev, key, value)
    {
        bool known = false;
        for (size_t i = 0; i < sizeof KNOWN_FIELDS / sizeof KNOWN_FIELDS[0]; i++)
            known = known || !strcmp(key, KNOWN_FIELDS[i]);
        if (!known) {
            mc_error_set(err, 400, "unknown_field", "",
                         "%s%s is not a field of an event (put what the shop knows in "
                         "properties)",
                         prefix, key);
            return named(err, prefix, key);
        }
    }
    if (check_subscriber(ev, prefix, out, err) < 0) return -1;
    if (optional_string(ev, prefix, "name", &out->name, err) < 0) return named(err, prefix, "name");
    if (!out->name || !event_name_valid(out->name, strlen(out->name))) {
        mc_error_set(err, 400, "invalid_field", "",
                     "%sname must be 1 to %d characters, each a letter (A-Z, a-z), a digit, "
                     "'_', '.', ':' or '-'",
                     prefix, EVENT_NAME_MAX);
        return named(err, prefix, "name");
    }
    if (check_properties(ev, prefix, rules, out, err) < 0) return -1;
    if (optional_string(ev, prefix, "occurred_at", &out->occurred_at, err) < 0)
        return named(err, prefix, "occurred_at");
    if (check_time(prefix, rules, out, err) < 0) return -1;
    if (optional_string(ev, prefix, "idempotency_key", &out->key, err) < 0)
        return named(err, prefix, "idempotency_key");
    if (out->key) {
        size_t chars = utf8_count(out->key, strlen(out->key));
        if (chars < 1 || chars > EVENT_KEY_MAX) {
            mc_error_set(err, 400, "invalid_field", "",
                         "%sidempotency_key must be 1 to %d characters", prefix, EVENT_KEY_MAX);
            return named(err, prefix, "idempotency_key");
        }
    }
    out->order = !strcmp(out->name, rules->order_event);
    if (out->order && check_order(prefix, rules, out, err) < 0) return -1;
    return 0;
}
