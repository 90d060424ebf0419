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

/* Checks text, compiled as a template when the message is sent (the subject), for field:
 * returns 0, or -1 with a 400 naming field. The queue knows no templates: its caller passes
 * the check (content/template_source.h compiles against the stored layouts). */
typedef int (*tx_template_check)(void *ctx, PGconn *conn, const char *field, const char *text,
                                 mc_error *err);

/* Queues the message described by body ({"to" or "subscriber_id", "template_id", "data",
 * "subject"}); idempotency_key may be NULL. returns {"message_id"} (caller frees with
 * json_decref()) with *replayed true when the key had been used already (the message queued
 * then is answered), or NULL with err: 400 naming the field (the template must be a
 * transactional one and the subject must pass check, called with check_ctx), 404 for an
 * unknown subscriber_id. */
json_t *tx_enqueue(PGconn *conn, tx_template_check check, void *check_ctx, json_t *body,
                   const char *idempotency_key, bool *replayed, mc_error *err);

#endif
