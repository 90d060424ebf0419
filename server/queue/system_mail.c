/* Inserts the row of a system message; the send loop renders and sends it like a transactional
 * one. */
#include "queue/system_mail.h"

#include <stdio.h>
#include <string.h>

#include "db/listen.h"
#include "db/query.h"
#include "queue/message_store.h"

long long system_mail_enqueue(PGconn *conn, long long template_id, long long subscriber_id,
                              const char *data, mc_error *err)
{
    char template_text[32], subscriber[32], priority[16];
    snprintf(template_text, sizeof template_text, "%lld", template_id);
    snprintf(subscriber, sizeof subscriber, "%lld", subscriber_id);
    snprintf(priority, sizeof priority, "%d", SYSTEM_PRIORITY);
    const char *params[] = {template_text, subscriber, data, priority};
    /* the workers are woken when the caller's transaction commits */
    PGresult *res =
        db_query_notify(conn,
                        "INSERT INTO messages (kind, priority, subscriber_id, template_id,"
                        " email, data) SELECT 'system', $4::smallint, s.id, $1::bigint,"
                        " s.email, $3::jsonb FROM subscribers s WHERE s.id = $2 RETURNING id",
                        4, params, DB_WORK_CHANNEL, "system", err);
    return message_store_queued_id(res, subscriber_id, err);
}
