/* Reading one queued message (GET /api/v1/messages/{id}): its state and SMTP reply; the id of
 * a message just queued for a subscriber. */
#ifndef MC_QUEUE_MESSAGE_STORE_H
#define MC_QUEUE_MESSAGE_STORE_H

#include <jansson.h>
#include <libpq-fe.h>

#include "core/error.h"

/* returns {"id", "kind", "campaign_id", "trigger_id", "subscriber_id", "email", "state",
 * "attempts", "run_at", "relay", "smtp_code", "smtp_enhanced", "smtp_text", "reason",
 * "possible_duplicate", "created_at", "sent_at"} (caller frees with json_decref()), or NULL
 * with err (404) */
json_t *message_get(PGconn *conn, long long id, mc_error *err);

/* The id in row 0 of res (consumed: cleared here), the answer of a statement that queued a
 * message for subscriber_id, or NULL when that statement failed (err set). returns the id, or
 * -1 with err: a 404 naming subscriber_id when res has no row (there is no such subscriber). */
long long message_store_queued_id(PGresult *res, long long subscriber_id, mc_error *err);

#endif
