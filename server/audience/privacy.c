/* The export is built by PostgreSQL in one statement, so it is one consistent snapshot. */
#include "audience/privacy.h"

#include <stdio.h>
#include <stdlib.h>

#include "audience/subscriber_json.h"
#include "audience/suppression.h"
#include "db/query.h"

static const char *const EXPORT_SQL =
    "SELECT json_build_object("
    " 'subscriber', " SUBSCRIBER_JSON_OBJECT ","
    " 'memberships', COALESCE((SELECT json_agg(json_build_object('list_id', m.list_id,"
    "  'list_name', l.name, 'status', m.status, 'created_at', mc_rfc3339(m.created_at),"
    "  'updated_at', mc_rfc3339(m.updated_at), 'confirmed_at', mc_rfc3339(m.confirmed_at),"
    "  'unsubscribed_at', mc_rfc3339(m.unsubscribed_at)) ORDER BY m.list_id)"
    "  FROM list_subscribers m JOIN lists l ON l.id = m.list_id WHERE m.subscriber_id = s.id),"
    "  '[]'::json),"
    /* consent rows, and the consent of memberships an import created (one import_consents row
     * per job and list, dated by the membership: see migrations/0003_import_consent.sql) */
    " 'consents', COALESCE((SELECT json_agg(json_build_object('list_id', c.list_id, 'action',"
    "  c.action, 'source', c.source, 'remote_addr', c.remote_addr, 'import_id', c.import_id,"
    "  'created_at', mc_rfc3339(c.created_at)) ORDER BY c.created_at, c.id) FROM ("
    "  SELECT list_id, action, source, remote_addr, import_id, created_at, id FROM consents"
    "  WHERE subscriber_id = s.id UNION ALL SELECT m.list_id, i.action, 'import', NULL,"
    "  i.import_id, m.created_at, 0 FROM list_subscribers m JOIN import_consents i"
    "  ON i.id = m.import_consent_id WHERE m.subscriber_id = s.id) c), '[]'::json),"
    " 'events', COALESCE((SELECT json_agg(json_build_object('name', ev.name, 'properties',"
    "  ev.properties, 'occurred_at', mc_rfc3339(ev.occurred_at)) ORDER BY ev.id)"
    "  FROM events ev WHERE ev.subscriber_id = s.id), '[]'::json),"
    /* the queue's rows for the person: by id, and transactional mail sent to their address
     * without naming them; what was rendered is not kept, so the subject is the stored
     * override (transactional), and the campaign or template names what was sent */
    " 'messages', COALESCE((SELECT json_agg(json_build_object('id', m.id, 'kind', m.kind,"
    "  'campaign_id', m.campaign_id, 'campaign_name', c.name, 'test_of', m.test_of,"
    "  'template_id', m.template_id, 'template_name', t.name, 'email', m.email, 'subject',"
    "  m.subject, 'data', m.data, 'state', m.state, 'attempts', m.attempts, 'reason', m.reason,"
    "  'created_at', mc_rfc3339(m.created_at), 'sent_at', mc_rfc3339(m.sent_at)) ORDER BY m.id)"
    "  FROM messages m LEFT JOIN campaigns c ON c.id = COALESCE(m.campaign_id, m.test_of)"
    "  LEFT JOIN templates t ON t.id = m.template_id WHERE m.subscriber_id = s.id"
    "  OR (m.subscriber_id IS NULL AND lower(m.email) = lower(s.email))), '[]'::json),"
    " 'opens', COALESCE((SELECT json_agg(json_build_object('message_id', e.message_id,"
    "  'campaign_id', e.campaign_id, 'occurred_at', mc_rfc3339(e.occurred_at)) ORDER BY e.id)"
    "  FROM message_engagements e WHERE e.subscriber_id = s.id AND e.kind = 'open'), '[]'::json),"
    " 'clicks', COALESCE((SELECT json_agg(json_build_object('message_id', e.message_id,"
    "  'campaign_id', e.campaign_id, 'url', e.url, 'occurred_at', mc_rfc3339(e.occurred_at))"
    "  ORDER BY e.id) FROM message_engagements e WHERE e.subscriber_id = s.id"
    "  AND e.kind = 'click'), '[]'::json),"
    " 'exported_at', mc_rfc3339(now()))::text FROM subscribers s WHERE s.id = $1";

json_t *privacy_export(PGconn *conn, long long id, mc_error *err)
{
    char id_text[32];
    snprintf(id_text, sizeof id_text, "%lld", id);
    const char *params[] = {id_text};
    PGresult *res = db_query(conn, EXPORT_SQL, 1, params, err);
    if (!res) return NULL;
    json_t *doc = NULL;
    if (PQntuples(res) == 1)
        doc = json_loads(PQgetvalue(res, 0, 0), 0, NULL);
    else
        mc_error_set(err, 404, "not_found", "id", "no subscriber has the id %lld", id);
    PQclear(res);
    return doc;
}

int privacy_erase(PGconn *conn, const unsigned char secret[32], long long id,
                  privacy_erase_others others, void *others_ctx, mc_error *err)
{
    char id_text[32];
    snprintf(id_text, sizeof id_text, "%lld", id);
    const char *params[] = {id_text};
    if (db_begin(conn, err) < 0) return -1;
    /* everything else about the person goes with the row (ON DELETE CASCADE, and the trigger
     * that deletes their messages) */
    PGresult *res =
        db_query(conn, "DELETE FROM subscribers WHERE id = $1 RETURNING email", 1, params, err);
    if (!res) goto fail;
    if (PQntuples(res) != 1) {
        PQclear(res);
        mc_error_set(err, 404, "not_found", "id", "no subscriber has the id %lld", id);
        goto fail;
    }
    const char *email_param[] = {PQgetvalue(res, 0, 0)};
    /* transactional mail sent to the address without naming the subscriber holds it too: the
     * queue deletes it, through others */
    int rc = others ? others(others_ctx, conn, email_param[0], err) : 0;
    if (rc == 0) rc = suppression_add(conn, secret, email_param[0], "erased", err);
    PQclear(res);
    if (rc < 0 || db_commit(conn, err) < 0) goto fail;
    return 0;
fail:
    db_rollback(conn);
    return -1;
}
