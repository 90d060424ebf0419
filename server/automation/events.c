/* Storing posted events: every event of a request is checked in C, then the whole batch goes
 * to PostgreSQL as one JSON parameter and one statement resolves the subscribers, inserts the
 * events (a resent idempotency key inserts nothing) and records the conversions of orders. */
#include "automation/events.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audience/subscribers.h"
#include "automation/event_input.h"
#include "core/alloc.h"
#include "db/listen.h"
#include "db/query.h"
#include "template/template.h"

/* One event of the request on its way through. */
typedef struct {
    event_input in;
    json_t *error;  /* the event's error object, NULL while it is good */
    int first;      /* the earlier event of the request with the same key, or -1 */
    long long id;   /* the stored row */
    bool duplicate; /* the key was stored before: nothing new */
} slot;

/* The batch as $1: [{i: index, s: subscriber id, e: email, n, p, t, k, r: revenue, c}].
 * input looks up each event's subscriber (an index probe per event, whatever the planner guesses
 * of the batch's size) and gives each event of a known subscriber its id from the sequence up
 * front, so that the rows the insert skips (a key stored before) still map back to their index.
 * The insert goes in key order, so that two batches waiting on each other's keys take them in
 * one order (no deadlock). An order's conversion is attributed to the last human click on a
 * message of the subscriber at most $3 days before the order, else the last human open at most
 * $4 days before it; none of them: unattributed (via NULL). */
static const char *const INGEST_SQL =
    "WITH input AS MATERIALIZED (SELECT x.i, x.n, COALESCE(x.p, '{}') AS p,"
    "  COALESCE(x.t, now()) AS t, x.k, x.r, x.c, sub.id AS subscriber_id,"
    "  CASE WHEN sub.id IS NOT NULL THEN nextval('events_id_seq') END AS id"
    "  FROM jsonb_to_recordset($1::jsonb) AS x(i int, s bigint, e text, n text, p jsonb,"
    "   t timestamptz, k text, r numeric, c text)"
    "  CROSS JOIN LATERAL (SELECT COALESCE((SELECT s.id FROM subscribers s WHERE s.id = x.s),"
    "   (SELECT s.id FROM subscribers s WHERE lower(s.email) = lower(x.e))) AS id) sub),"
    " ins AS (INSERT INTO events (id, subscriber_id, name, properties, occurred_at,"
    "  idempotency_key) OVERRIDING SYSTEM VALUE SELECT id, subscriber_id, n, p, t, k"
    "  FROM input WHERE id IS NOT NULL ORDER BY k, id"
    "  ON CONFLICT (idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING RETURNING id),"
    " conv AS (INSERT INTO conversions (event_id, subscriber_id, revenue, currency, occurred_at,"
    "  via, message_id, campaign_id, trigger_id)"
    "  SELECT o.id, o.subscriber_id, COALESCE(o.r, 0), o.c, o.t, a.via, a.message_id,"
    "  a.campaign_id, m.trigger_id FROM input o JOIN ins ON ins.id = o.id"
    "  LEFT JOIN LATERAL (SELECT * FROM ("
    "   (SELECT 1 AS rank, 'click' AS via, me.message_id, me.campaign_id"
    "    FROM message_engagements me WHERE me.subscriber_id = o.subscriber_id"
    "    AND me.kind = 'click' AND NOT me.machine AND me.occurred_at <= o.t"
    "    AND me.occurred_at >= o.t - make_interval(days => $3::int)"
    "    ORDER BY me.occurred_at DESC, me.id DESC LIMIT 1)"
    "   UNION ALL"
    "   (SELECT 2, 'open', me.message_id, me.campaign_id"
    "    FROM message_engagements me WHERE me.subscriber_id = o.subscriber_id"
    "    AND me.kind = 'open' AND NOT me.machine AND me.occurred_at <= o.t"
    "    AND me.occurred_at >= o.t - make_interval(days => $4::int)"
    "    ORDER BY me.occurred_at DESC, me.id DESC LIMIT 1)) u ORDER BY rank LIMIT 1) a ON true"
    "  LEFT JOIN messages m ON m.id = a.message_id"
    "  WHERE o.n = $2)"
    " SELECT input.i, input.id, ins.id IS NOT NULL FROM input LEFT JOIN ins ON ins.id = input.id";

#define INGEST_NAME "mc_events_ingest"

/* A statement of its own: rows stored by transactions that committed while the insert waited
 * on their keys are visible to it, not to the insert's snapshot. */
static const char *const STORED_KEYS_SQL =
    "SELECT e.idempotency_key, e.id FROM jsonb_array_elements_text($1::jsonb) AS k"
    " JOIN events e ON e.idempotency_key = k";

static json_t *error_object(const mc_error *err)
{
    return json_pack("{s:s, s:s, s:s}", "code", err->code, "message", err->message, "field",
                     err->field);
}

/* Sets slot s's error from err. */
static void fail_slot(slot *s, const mc_error *err)
{
    json_decref(s->error);
    s->error = error_object(err);
}

/* The request's text for the database: $1 of the ingest statement and the addresses to
 * create. */
typedef struct {
    buf_t rows;   /* [{i: index, s: subscriber id, e: email, n, p, t, k, r: revenue, c}] */
    buf_t emails; /* a JSON array of addresses; empty when none is to be created */
} batch_text;

/* Appends the row of event i to rows. Names, times and revenues are checked to need no
 * escaping; the properties come as event_check() encoded them. */
static void append_row(buf_t *rows, size_t i, const event_input *in)
{
    buf_putc(rows, rows->n ? ',' : '[');
    buf_appendf(rows, "{\"i\":%zu,", i);
    if (in->subscriber_id) {
        buf_appendf(rows, "\"s\":%lld", in->subscriber_id);
    } else {
        buf_append_cstr(rows, "\"e\":");
        template_append_json_string(rows, in->email, in->email_len);
    }
    buf_appendf(rows, ",\"n\":\"%s\"", in->name);
    if (in->properties) {
        buf_append_cstr(rows, ",\"p\":");
        buf_append_str(rows, in->properties_json);
    }
    if (in->occurred_at) buf_appendf(rows, ",\"t\":\"%s\"", in->occurred_at);
    if (in->key) {
        buf_append_cstr(rows, ",\"k\":");
        template_append_json_string(rows, in->key, strlen(in->key));
    }
    if (in->order) buf_appendf(rows, ",\"r\":\"%s\"", in->revenue);
    if (in->currency) {
        buf_append_cstr(rows, ",\"c\":");
        template_append_json_string(rows, in->currency, strlen(in->currency));
    }
    buf_putc(rows, '}');
}

/* Checks every event, points each repeated key at its first event, and writes the rows of the
 * events that go to the database into text. returns 0, or -1 with err when a single event is
 * bad. */
static int check_all(json_t *list, bool batch, const config_t *cfg, slot *slots, size_t n,
                     batch_text *text, mc_error *err)
{
    buf_t encoded = BUF_INIT;
    event_rules rules = {.order_event = cfg->automation_order_event,
                         .revenue_property = cfg->automation_revenue_property,
                         .max_property_bytes = cfg->automation_max_property_bytes,
                         .now = time(NULL),
                         .encoded = &encoded};
    json_t *seen = json_object(); /* key -> index of its first event */
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        char prefix[32] = "";
        if (batch) snprintf(prefix, sizeof prefix, "events[%zu].", i);
        mc_error e;
        slot *s = &slots[i];
        s->first = -1;
        if (event_check(json_array_get(list, i), &rules, prefix, &s->in, &e) < 0) {
            if (!batch) {
                *err = e;
                rc = -1;
                break;
            }
            fail_slot(s, &e);
            continue;
        }
        json_t *first = s->in.key ? json_object_get(seen, s->in.key) : NULL;
        if (first) {
            s->first = (int)json_integer_value(first);
            continue;
        }
        if (s->in.key) json_object_set_new(seen, s->in.key, json_integer((json_int_t)i));
        append_row(&text->rows, i, &s->in);
        if (s->in.create_subscriber) {
            buf_putc(&text->emails, text->emails.n ? ',' : '[');
            template_append_json_string(&text->emails, s->in.email, s->in.email_len);
        }
    }
    if (text->rows.n) buf_putc(&text->rows, ']');
    if (text->emails.n) buf_putc(&text->emails, ']');
    json_decref(seen);
    buf_free(&encoded);
    return rc;
}

/* Fills e for event i, whose subscriber does not exist. */
static void unknown_subscriber(const slot *s, bool batch, size_t i, mc_error *e)
{
    char field[64];
    const char *name = s->in.email ? "email" : "subscriber_id";
    if (batch)
        snprintf(field, sizeof field, "events[%zu].%s", i, name);
    else
        snprintf(field, sizeof field, "%s", name);
    if (s->in.create_subscriber)
        mc_error_set(e, 422, "suppressed", field,
                     "%s was erased or suppressed: no subscriber is created for it", field);
    else if (s->in.email)
        mc_error_set(e, 422, "unknown_subscriber", field,
                     "no subscriber has the address in %s; send \"create_subscriber\": true to "
                     "create one",
                     field);
    else
        mc_error_set(e, 422, "unknown_subscriber", field, "no subscriber has the id %lld",
                     s->in.subscriber_id);
}

/* Reads the ids the ingest statement answered into the slots; keys stored before are looked
 * up afterwards. returns 0 or -1 with err. */
static int read_ids(PGconn *conn, PGresult *res, slot *slots, size_t n, bool batch, mc_error *err)
{
    json_t *keys = json_array();
    for (int r = 0; r < PQntuples(res); r++) {
        size_t i = (size_t)strtoul(PQgetvalue(res, r, 0), NULL, 10);
        if (i >= n) continue;
        if (PQgetisnull(res, r, 1)) {
            mc_error e;
            unknown_subscriber(&slots[i], batch, i, &e);
            fail_slot(&slots[i], &e);
        } else if (PQgetvalue(res, r, 2)[0] == 't') {
            slots[i].id = strtoll(PQgetvalue(res, r, 1), NULL, 10);
        } else {
            slots[i].duplicate = true;
            json_array_append_new(keys, json_string(slots[i].in.key));
        }
    }
    int rc = 0;
    if (json_array_size(keys)) {
        char *text = json_dumps(keys, JSON_COMPACT);
        const char *params[] = {text};
        PGresult *stored = db_query(conn, STORED_KEYS_SQL, 1, params, err);
        free(text);
        if (!stored) {
            rc = -1;
        } else {
            json_t *ids = json_object();
            for (int r = 0; r < PQntuples(stored); r++)
                json_object_set_new(ids, PQgetvalue(stored, r, 0),
                                    json_integer(strtoll(PQgetvalue(stored, r, 1), NULL, 10)));
            for (size_t i = 0; i < n; i++)
                if (slots[i].duplicate)
                    slots[i].id = json_integer_value(json_object_get(ids, slots[i].in.key));
            json_decref(ids);
            PQclear(stored);
        }
    }
    json_decref(keys);
    return rc;
}

/* Runs the statements of the batch in one transaction. A single event with an error rolls it
 * back. returns 0 (committed) or -1 with err (rolled back). */
static int store(PGconn *conn, const config_t *cfg, const unsigned char secret[32], slot *slots,
                 size_t n, bool batch, const batch_text *text, mc_error *err)
{
    char click_days[16], open_days[16];
    snprintf(click_days, sizeof click_days, "%u", cfg->automation_click_window_days);
    snprintf(open_days, sizeof open_days, "%u", cfg->automation_open_window_days);
    const char *params[] = {buf_cstr(&text->rows), cfg->automation_order_event, click_days,
                            open_days};
    PGresult *res = NULL;
    int rc = -1;
    /* prepared: planning the statement took about a tenth of a batch's time */
    if (db_prepare_once(conn, INGEST_NAME, INGEST_SQL, 4, err) < 0 || db_begin(conn, err) < 0)
        goto done;
    if (text->emails.n && subscriber_create_missing(conn, buf_cstr(&text->emails), secret, err) < 0)
        goto done;
    res = db_query_prepared(conn, INGEST_NAME, INGEST_SQL, 4, params, err);
    if (!res || read_ids(conn, res, slots, n, batch, err) < 0) goto done;
    /* the automation pass wakes once the events are committed */
    if (db_notify(conn, DB_WORK_CHANNEL, "events", err) < 0) goto done;
    if (!batch && slots[0].error) {
        /* a single event answers its error and leaves nothing behind */
        unknown_subscriber(&slots[0], false, 0, err);
        goto done;
    }
    rc = db_commit(conn, err);
done:
    if (rc < 0) db_rollback(conn);
    PQclear(res);
    return rc;
}

/* The answer of a batch: one item per event, in the request's order. */
static json_t *batch_answer(slot *slots, size_t n)
{
    json_t *items = json_array();
    long long accepted = 0, duplicates = 0, rejected = 0;
    for (size_t i = 0; i < n; i++) {
        slot *s = &slots[i];
        if (s->first >= 0) {
            /* the same key earlier in this request: its answer, as a resend */
            slot *f = &slots[s->first];
            s->id = f->id;
            s->duplicate = !f->error;
            if (f->error) s->error = json_incref(f->error);
        }
        if (s->error) {
            rejected++;
            json_array_append_new(
                items, json_pack("{s:I, s:O}", "index", (json_int_t)i, "error", s->error));
            continue;
        }
        if (s->duplicate)
            duplicates++;
        else
            accepted++;
        json_array_append_new(items, json_pack("{s:I, s:I, s:b}", "index", (json_int_t)i, "id",
                                               (json_int_t)s->id, "duplicate", s->duplicate));
    }
    return json_pack("{s:o, s:I, s:I, s:I}", "items", items, "accepted", (json_int_t)accepted,
                     "duplicates", (json_int_t)duplicates, "rejected", (json_int_t)rejected);
}

/* Finds the list of events in body. returns 0 with *list (borrowed, or a new one-element array
 * for a single event: caller frees *owned) or -1 with a 400. */
static int event_list(json_t *body, bool *batch, json_t **list, json_t **owned, mc_error *err)
{
    *owned = NULL;
    json_t *events = json_object_get(body, "events");
    *batch = events != NULL;
    if (!*batch) {
        *list = *owned = json_pack("[O]", body);
        return 0;
    }
    const char *key;
    json_t *value;
    json_object_foreach(body, key, value)
    {
        if (strcmp(key, "events"))
            return mc_error_set(err, 400, "unknown_field", key,
                                "a batch has only \"events\"; %s belongs in each event", key);
    }
    if (!json_is_array(events) || json_array_size(events) < 1 ||
        json_array_size(events) > EVENT_BATCH_MAX)
        return mc_error_set(err, 400, "invalid_field", "events",
                            "events must be an array of 1 to %d events", EVENT_BATCH_MAX);
    *list = events;
    return 0;
}

json_t *events_ingest(PGconn *conn, const config_t *cfg, const unsigned char secret[32],
                      json_t *body, bool *batch, mc_error *err)
{
    json_t *list = NULL, *owned = NULL;
    if (!json_is_object(body)) {
        mc_error_set(err, 400, "invalid_body", "", "the body must be a JSON object");
        return NULL;
    }
    if (event_list(body, batch, &list, &owned, err) < 0) return NULL;
    size_t n = json_array_size(list);
    slot *slots = xcalloc(n, sizeof *slots);
    batch_text text = {BUF_INIT, BUF_INIT};
    json_t *answer = NULL;
    if (check_all(list, *batch, cfg, slots, n, &text, err) < 0) goto done;
    if (text.rows.n && store(conn, cfg, secret, slots, n, *batch, &text, err) < 0) goto done;
    if (*batch)
        answer = batch_answer(slots, n);
    else
        answer =
            json_pack("{s:I, s:b}", "id", (json_int_t)slots[0].id, "duplicate", slots[0].duplicate);
done:
    for (size_t i = 0; i < n; i++)
        json_decref(slots[i].error);
    free(slots);
    buf_free(&text.rows);
    buf_free(&text.emails);
    json_decref(owned);
    return answer;
}

#define EVENT_JSON                                                                                 \
    "json_build_object('id', e.id, 'name', e.name, 'properties', e.properties, 'occurred_at',"     \
    " mc_rfc3339(e.occurred_at), 'received_at', mc_rfc3339(e.received_at), 'idempotency_key',"     \
    " e.idempotency_key)::text"

json_t *events_list(PGconn *conn, long long subscriber_id, long long after, int limit,
                    mc_error *err)
{
    /* ids grow as events arrive; the cursor is the last id of the page before */
    return subscriber_keyset_page(conn, subscriber_id,
                                  "SELECT e.id, " EVENT_JSON
                                  " FROM events e WHERE e.subscriber_id = $3"
                                  " AND ($1::bigint = 0 OR e.id < $1) ORDER BY e.id DESC LIMIT $2",
                                  after, limit, err);
}
