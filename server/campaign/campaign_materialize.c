/* The audience snapshot. Included lists and segments are a UNION (which de-duplicates); the
 * exclusions are anti-joins on the result. Segment rules compile with segment_compile(), so
 * the statement stays constant fragments plus parameters. The INSERT into the queue around
 * the recipients is the queue's (queue_enqueue_campaign_audience). */
#include "campaign/campaign_materialize.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audience/segments.h"
#include "campaign/campaign_ab.h"
#include "audience/suppression.h"
#include "db/query.h"
#include "queue/enqueue.h"

/* Reads the campaign's audience: four PostgreSQL array literals (lists, segments,
 * exclude_lists, exclude_segments) in the columns of the row answered. */
static PGresult *audience_of(PGconn *conn, long long id, mc_error *err)
{
    char id_text[32];
    snprintf(id_text, sizeof id_text, "%lld", id);
    const char *params[] = {id_text};
    PGresult *res = db_query(conn,
                             "SELECT lists, segments, exclude_lists, exclude_segments"
                             " FROM campaigns WHERE id = $1",
                             1, params, err);
    if (res && PQntuples(res) != 1) {
        PQclear(res);
        mc_error_set(err, 404, "not_found", "id", "no campaign has the id %lld", id);
        return NULL;
    }
    return res;
}

/* Appends segment_sql_by_id for each id of the array literal ids ("{1,2}"), each preceded by
 * before and followed by after. returns 0 or -1 with err naming field. */
static int add_segments(PGconn *conn, sql_builder *b, const char *ids, const char *before,
                        const char *after, const char *field, mc_error *err)
{
    for (const char *p = ids + 1; *p && *p != '}';) {
        char *end;
        long long id = strtoll(p, &end, 10);
        sql_builder_add(b, before);
        if (segment_sql_by_id(conn, id, b, err) < 0) {
            if (err->status == 404)
                mc_error_set(err, 409, "invalid_field", field, "segment %lld no longer exists", id);
            return -1;
        }
        sql_builder_add(b, after);
        p = *end == ',' ? end + 1 : end;
    }
    return 0;
}

/* Builds into b the WITH clause that defines "recipients" (subscriber_id, email) for the
 * audience given as four PostgreSQL array literals. returns 0 or -1 with err. */
static int recipients_sql(PGconn *conn, const unsigned char *secret,
                          const char *const audience[CAMPAIGN_AUDIENCE_MEMBERS], sql_builder *b,
                          mc_error *err)
{
    char ipad[SUPPRESSION_PAD_TEXT], opad[SUPPRESSION_PAD_TEXT];
    suppression_pads(secret, ipad, opad);
    int p_ipad = sql_builder_bind(b, ipad);
    int p_opad = sql_builder_bind(b, opad);
    const char *lists = audience[0];
    int p_lists = sql_builder_bind(b, lists);
    /* a segment match who unsubscribed from one of the campaign's lists does not get what
     * was sent to that list: an anti-join on the (list_id, status, subscriber_id) index */
    char segment_after[200] = ")";
    if (strcmp(lists, "{}"))
        snprintf(segment_after, sizeof segment_after,
                 ") AND NOT EXISTS (SELECT 1 FROM list_subscribers u WHERE u.subscriber_id = s.id"
                 " AND u.list_id = ANY($%d::bigint[]) AND u.status = 'unsubscribed')",
                 p_lists);

    /* who is included: list members who may receive mail, and segment matches; DISTINCT for a
     * campaign without segments, whose audience has no UNION to merge members of two lists */
    sql_builder_add(b,
                    "WITH audience AS (SELECT DISTINCT ls.subscriber_id AS id FROM list_subscribers"
                    " ls JOIN lists l ON l.id = ls.list_id WHERE ls.list_id = ANY(");
    sql_builder_ref(b, p_lists);
    sql_builder_add(b, "::bigint[]) AND (ls.status = 'confirmed' OR (ls.status ="
                       " 'unconfirmed' AND l.optin = 'single'))");
    if (add_segments(conn, b, audience[1], " UNION SELECT s.id FROM subscribers s WHERE (",
                     segment_after, "segments", err) < 0)
        return -1;
    sql_builder_add(b, "), recipients AS (SELECT s.id AS subscriber_id, s.email FROM"
                       " audience a JOIN subscribers s ON s.id = a.id WHERE s.status = "
                       "'active' AND NOT EXISTS (SELECT 1 FROM"
                       " list_subscribers x WHERE x.subscriber_id = s.id AND x.list_id ="
                       " ANY(");
    sql_builder_param(b, audience[2]);
    sql_builder_add(b, "::bigint[]) AND x.status <> 'unsubscribed')"
                       /* bounces count through the subscriber's status, which the bounce
                        * rules set (track/bounce_rules.h); a hard bounce they have not
                        * judged yet holds the address back meanwhile */
                       " AND NOT EXISTS (SELECT 1 FROM bounces h WHERE h.subscriber_id ="
                       " s.id AND h.kind = 'hard' AND h.applied_at IS NULL)"
                       /* hashing every address only when something is suppressed */
                       " AND (NOT EXISTS (SELECT 1 FROM suppressions) OR NOT EXISTS (SELECT"
                       " 1 FROM suppressions x WHERE x.email_hash = sha256(");
    sql_builder_ref(b, p_opad);
    sql_builder_add(b, "::bytea || sha256(");
    sql_builder_ref(b, p_ipad);
    sql_builder_add(b, "::bytea || convert_to(lower(s.email), 'UTF8')))))");
    int rc = add_segments(conn, b, audience[3], " AND NOT COALESCE(", ", false)",
                          "exclude_segments", err);
    sql_builder_add(b, ")");
    return rc;
}

int campaign_materialize(PGconn *conn, long long id, const unsigned char *secret, long long *count,
                         mc_error *err)
{
    PGresult *res = audience_of(conn, id, err);
    if (!res) return -1;
    const char *audience[CAMPAIGN_AUDIENCE_MEMBERS];
    for (int i = 0; i < CAMPAIGN_AUDIENCE_MEMBERS; i++)
        audience[i] = PQgetvalue(res, 0, i);
    sql_builder b = SQL_BUILDER_INIT;
    int rc = recipients_sql(conn, secret, audience, &b, err);
    PQclear(res);
    /* in a statement of its own, so that the snapshot's statement starts after a deletion of
     * subscribers in progress has committed (migrations/0006_queue_speed.sql) */
    if (rc == 0)
        rc =
            db_exec(conn, "SELECT pg_advisory_xact_lock_shared(audience_lock_key())", 0, NULL, err);
    /* an A/B test's share goes out now, split across its variants; the rest waits */
    queue_ab_split split = {0, 0};
    if (rc == 0) rc = campaign_ab_split_of(conn, id, &split, err);
    if (rc == 0)
        rc = queue_enqueue_campaign_audience(conn, id, sql_builder_text(&b), b.count,
                                             sql_builder_params(&b), &split, count, err);
    sql_builder_free(&b);
    return rc;
}

int campaign_audience_count(PGconn *conn, const unsigned char *secret,
                            const char *const audience[CAMPAIGN_AUDIENCE_MEMBERS], long long *count,
                            mc_error *err)
{
    sql_builder b = SQL_BUILDER_INIT;
    int rc = recipients_sql(conn, secret, audience, &b, err);
    if (rc == 0) {
        sql_builder_add(&b, " SELECT count(*) FROM recipients");
        PGresult *res = db_query(conn, sql_builder_text(&b), b.count, sql_builder_params(&b), err);
        if (res) {
            *count = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
            PQclear(res);
        } else {
            rc = -1;
        }
    }
    sql_builder_free(&b);
    return rc;
}
