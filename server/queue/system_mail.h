/* System messages: mail mailcast sends on its own behalf (the double opt-in confirmation),
 * queued at the highest priority through the same queue as every other message. Each is
 * rendered from a stored transactional template with a reserved name, "system/NAME", which
 * the first message of its kind creates from the built-in templates_dir/system/NAME.mustache;
 * editing that stored template changes the message. */
#ifndef MC_QUEUE_SYSTEM_MAIL_H
#define MC_QUEUE_SYSTEM_MAIL_H

#include <libpq-fe.h>

#include "core/error.h"

#define SYSTEM_PRIORITY 0 /* before transactional (10) and campaign mail (100) */

/* Queues system message name (e.g. "optin_confirm") to subscriber_id with data (a JSON object
 * as text, over the subscriber's render data), using subject (a template) when the stored
 * template has to be created. Run it inside the caller's transaction. The message goes out
 * from [mail] from_email, as transactional mail does. returns the message id, or -1 with err
 * (500 when the built-in template cannot be read). */
long long system_mail_enqueue(PGconn *conn, const char *templates_dir, const char *name,
                              const char *subject, long long subscriber_id, const char *data,
                              mc_error *err);

#endif
