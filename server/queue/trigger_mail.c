/* Inserts the row of a triggered message; the send loop renders and sends it like a
 * transactional one, with an unsubscribe link as campaign mail has. */
#include "queue/trigger_mail.h"

#include <stdio.h>

#include "db/listen.h"
#include "db/query.h"
#include "queue/message_store.h"

long long trigger_mail_enqueue(PGconn *conn, long long trigger_id, long long template_id,
                               long long subscriber_id, const char *data, const char *subject,
                               const char *idempotency_key, mc_error *err)
{
    char trigger_text[32], template_text[32], subscriber[32], priority[16];
    snprintf(trigger_text, sizeof trigger_text, "%lld", trigger_id);
    snprintf(template_text, sizeof template_text, "%lld", template_id);
    snprintf(subscriber, sizeof subscriber, "%lld", subscriber_id);
    snprintf(priority, sizeof priority, "%d", TRIGGER_PRIORITY);
    const char *params[] = {trigger_text, template_text, subscriber,     data,
                            subject,      priority,      idempotency_key};
    /* a replayed key inserts nothing and answers the message queued the first time */
    PGresult *res = db_query_notify(
        conn,
        "WITH ins AS (INSERT INTO messages (kind, priority, trigger_id, subscriber_id,"
        " template_id, email, data, subject, idempotency_key) SELECT 'trigger', $6::smallint,"
        " $1::bigint, s.id, $2::bigint, s.email, $4::jsonb, $5, $7 FROM subscribers s"
        " WHERE s.id = $3::bigint ON CONFLICT (idempotency_key) WHERE idempotency_key IS NOT"
        " NULL DO NOTHING RETURNING id)"
        " SELECT id FROM ins UNION ALL SELECT id FROM messages WHERE idempotency_key = $7"
        " AND NOT EXISTS (SELECT 1 FROM ins)",
        7, params, DB_WORK_CHANNEL, "trigger", err);
    return message_store_queued_id(res, subscriber_id, err);
}
