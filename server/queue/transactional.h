/* Transactional messages (POST /api/v1/tx): one templated message to a subscriber or an
 * address, with per-message data, queued at high priority through the same queue as
 * campaigns. An idempotency key makes a retried call queue it once. */
#ifndef MC_QUEUE_TRANSACTIONAL_H
#define MC_QUEUE_TRANSACTIONAL_H

#include <jansson.h>
#include <libpq-fe.h>
#include <stdbool.h>

#include "core/error.h"

#define TX_PRIORITY 10 /* before campaign mail (100), after system mail (0) */

/* Queues the message described by body ({"to" or "subscriber_id", "template_id", "data",
 * "subject"}); idempotency_key may be NULL. returns {"message_id"} (caller frees with
 * json_decref()) with *replayed true when the key had been used already (the message queued
 * then is answered), or NULL with err: 400 naming the field (the template must be a
 * transactional one and the subject must compile), 404 for an unknown subscriber_id.
 * templates_dir: built-in layouts. */
json_t *tx_enqueue(PGconn *conn, const char *templates_dir, json_t *body,
                   const char *idempotency_key, bool *replayed, mc_error *err);

#endif
