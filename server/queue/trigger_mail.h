/* Triggered messages: the mail a trigger's send step queues for one subscriber, rendered from a
 * stored template with the trigger's data, through the same queue as every other message. */
#ifndef MC_QUEUE_TRIGGER_MAIL_H
#define MC_QUEUE_TRIGGER_MAIL_H

#include <libpq-fe.h>

#include "core/error.h"

#define TRIGGER_PRIORITY 50 /* after transactional mail (10); campaigns are claimed after both */

/* Queues a message of kind 'trigger' of trigger_id, rendered from template template_id for
 * subscriber_id with data (a JSON object as text, over the subscriber's render data) and
 * subject (NULL: the template's). idempotency_key names the step that queues it: queued a
 * second time under the same key, nothing is added and the first message's id is answered.
 * Run it inside the caller's transaction; the workers are woken when it commits. The message
 * goes out from [mail] from_email, as transactional mail does. returns the message id, or -1
 * with err (404 when there is no such subscriber). */
long long trigger_mail_enqueue(PGconn *conn, long long trigger_id, long long template_id,
                               long long subscriber_id, const char *data, const char *subject,
                               const char *idempotency_key, mc_error *err);

#endif
