/* Message rows as the API shows them; the data of transactional messages is not shown (it
 * may hold personal data the caller already has). */
#include "queue/message_store.h"

#include <stdio.h>
#include <stdlib.h>

#include "db/query.h"

json_t *message_get(PGconn *conn, long long id, mc_error *err)
{
    char id_text[32];
    snprintf(id_text, sizeof id_text, "%lld", id);
    const char *params[] = {id_text};
    PGresult *res = db_query(
        conn,
        "SELECT json_build_object('id', id, 'kind', kind, 'campaign_id', campaign_id, 'trigger_id',"
        " trigger_id,"
        " 'subscriber_id', subscriber_id, 'email', email, 'state', state, 'attempts', attempts,"
        " 'run_at', mc_rfc3339(run_at), 'relay', relay, 'smtp_code', smtp_code,"
        " 'smtp_enhanced', smtp_enhanced, 'smtp_text', smtp_text, 'reason', reason,"
        " 'possible_duplicate', possible_duplicate, 'created_at', mc_rfc3339(created_at),"
        " 'sent_at', mc_rfc3339(sent_at))::text FROM messages WHERE id = $1",
        1, params, err);
    if (!res) return NULL;
    json_t *obj = NULL;
    if (PQntuples(res) == 1)
        obj = json_loads(PQgetvalue(res, 0, 0), 0, NULL);
    else
        mc_error_set(err, 404, "not_found", "id", "no message has the id %lld", id);
    PQclear(res);
    return obj;
}

long long message_store_queued_id(PGresult *res, long long subscriber_id, mc_error *err)
{
    if (!res) return -1;
    long long id = -1;
    if (PQntuples(res) == 1)
        id = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
    else
        mc_error_set(err, 404, "not_found", "subscriber_id", "no subscriber has the id %lld",
                     subscriber_id);
    PQclear(res);
    return id;
}
