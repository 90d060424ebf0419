/* The events a shop sends (a cart changed, an order completed): stored with their subscriber,
 * once per idempotency key, together with the conversion an order makes, and announced to the
 * worker's automation pass. docs/automations.md describes the rules. */
#ifndef MC_AUTOMATION_EVENTS_H
#define MC_AUTOMATION_EVENTS_H

#include <jansson.h>
#include <libpq-fe.h>
#include <stdbool.h>

#include "core/config.h"
#include "core/error.h"

/* Stores body, one event or {"events": [1 to EVENT_BATCH_MAX events]}, in one transaction that
 * is committed when this returns: the answer names only rows that are durable. secret is the
 * server secret (suppressed addresses are not created). *batch tells which form came.
 * - one event: returns {"id", "duplicate"}; when the event has an error, returns NULL with it
 *   (a 4xx naming the field) and stores nothing.
 * - a batch: the good events are stored and the bad ones listed; returns {"items": [{"index",
 *   "id", "duplicate"} | {"index", "error": {"code", "message", "field"}}], "accepted",
 *   "duplicates", "rejected"}, or NULL with a 400 when the batch itself is malformed.
 * A resent idempotency key answers the id stored before with "duplicate": true and stores
 * nothing. NULL with a 5xx when the database fails. Caller frees with json_decref(). */
json_t *events_ingest(PGconn *conn, const config_t *cfg, const unsigned char secret[32],
                      json_t *body, bool *batch, mc_error *err);

/* The events of a subscriber, most recently received first: {"items": [{"id", "name",
 * "properties", "occurred_at", "received_at", "idempotency_key"}], "next_cursor"}, keyset-paged
 * after the cursor `after` (0 for the first page). Caller frees with json_decref(); NULL with
 * err (404 when there is no such subscriber). */
json_t *events_list(PGconn *conn, long long subscriber_id, long long after, int limit,
                    mc_error *err);

#endif
