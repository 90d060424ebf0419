/* System messages: mail mailcast sends on its own behalf (the double opt-in confirmation),
 * queued at the highest priority through the same queue as every other message. Each is
 * rendered from a stored transactional template, which the caller finds first with
 * content_system_template() (content/system_templates.h). */
#ifndef MC_QUEUE_SYSTEM_MAIL_H
#define MC_QUEUE_SYSTEM_MAIL_H

#include <libpq-fe.h>

#include "core/error.h"

#define SYSTEM_PRIORITY 0 /* before transactional (10) and campaign mail (100) */

/* Queues a system message rendered from the stored template template_id to subscriber_id with
 * data (a JSON object as text, over the subscriber's render data). Run it inside the caller's
 * transaction; the workers are woken when it commits. The message goes out from [mail]
 * from_email, as transactional mail does. returns the message id, or -1 with err (404 when
 * there is no such subscriber). */
long long system_mail_enqueue(PGconn *conn, long long template_id, long long subscriber_id,
                              const char *data, mc_error *err);

#endif
