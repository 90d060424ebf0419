/* Reading one queued message (GET /api/v1/messages/{id}): its state and SMTP reply. */
#ifndef MC_QUEUE_MESSAGE_STORE_H
#define MC_QUEUE_MESSAGE_STORE_H

#include <jansson.h>
#include <libpq-fe.h>

#include "core/error.h"

/* returns {"id", "kind", "campaign_id", "subscriber_id", "email", "state", "attempts",
 * "run_at", "relay", "smtp_code", "smtp_enhanced", "smtp_text", "reason",
 * "possible_duplicate", "created_at", "sent_at"} (caller frees with json_decref()), or NULL
 * with err (404) */
json_t *message_get(PGconn *conn, long long id, mc_error *err);

#endif
