/* Checking the events a shop posts, before any of them reaches the database: the subscriber
 * reference, the name, the properties and their size, the time, the idempotency key, and the
 * revenue of an order. Pure functions: no I/O, so they are tested without a database. */
#ifndef MC_AUTOMATION_EVENT_INPUT_H
#define MC_AUTOMATION_EVENT_INPUT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "core/buf.h"
#include "core/error.h"
#include "core/str.h"

/* a batch holds at most this many events */
#define EVENT_BATCH_MAX 1000
/* names and idempotency keys: 1 to this many characters */
#define EVENT_NAME_MAX 200
#define EVENT_KEY_MAX  200
/* an occurred_at may be this far after the clock of the server, in seconds */
#define EVENT_FUTURE_SECONDS (24 * 3600)
/* and no earlier than 2000-01-01T00:00:00Z */
#define EVENT_EARLIEST 946684800LL
/* revenue: numeric(16, 2) holds less than this */
#define EVENT_REVENUE_LIMIT 1e14
#define EVENT_CURRENCY_MAX  16

/* What the checks need from the configuration. Strings are borrowed. */
typedef struct {
    const char *order_event;      /* [automation] order_event */
    const char *revenue_property; /* [automation] revenue_property */
    size_t max_property_bytes;    /* [automation] max_property_bytes */
    time_t now;                   /* the server's clock */
    buf_t *encoded; /* event_check() writes the properties here as compact JSON (emptied first) */
} event_rules;

/* One checked event. Strings and properties are borrowed from the event object it came from. */
typedef struct {
    long long subscriber_id; /* 0 when the subscriber is named by email */
    const char *email;       /* NULL when named by id; else the address, trimmed: */
    size_t email_len;        /* its length */
    bool create_subscriber;  /* create the subscriber of email when there is none */
    const char *name;        /* the event's name */
    json_t *properties;      /* an object; NULL for none ({}) */
    str_t properties_json;   /* its compact JSON text, in rules->encoded until the next check */
    const char *occurred_at; /* RFC 3339 text as sent, NULL for now */
    const char *key;         /* the idempotency key, NULL for none */
    bool order;              /* name is the order event: a conversion is recorded */
    char revenue[32];        /* an order's revenue as decimal text ("0" when absent) */
    const char *currency;    /* an order's currency property, NULL for none */
} event_input;

/* Checks one event object ev against rules into *out. The properties are measured as stored:
 * compact JSON, UTF-8 as sent, numbers in their shortest exact form (template_append_json()).
 * prefix names its fields in errors: "" for a single event ("name"), "events[3]." in a batch
 * ("events[3].name"); it must be shorter than 64 characters. returns 0, or -1 with a 4xx in err
 * naming the field. */
int event_check(json_t *ev, const event_rules *rules, const char *prefix, event_input *out,
                mc_error *err);

/* returns whether name[0..len) is a valid event name: 1 to EVENT_NAME_MAX characters, each an
 * ASCII letter, digit, '_', '.', ':' or '-' (the rule of the events API and of triggers) */
bool event_name_valid(const char *name, size_t len);

/* Reads an RFC 3339 date-time ("2026-12-06T08:30:00Z", "2026-12-06T09:30:00.250+01:00"; 'T' may
 * be 't' or a space, 'Z' may be 'z') into seconds since the epoch (the fraction dropped).
 * returns 0, or -1 when text is no such date-time or names no real day. */
int event_time_parse(const char *text, long long *epoch);

/* Reads a revenue value, a JSON number or a string of digits with at most one '.' ("19.90"),
 * at least 0 and below EVENT_REVENUE_LIMIT, into out as decimal text (PostgreSQL rounds it to
 * cents). returns 0, or -1 when v is none of those or out is too small. */
int event_revenue_text(json_t *v, char *out, size_t size);

#endif
