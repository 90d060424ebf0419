/* The form may be posted by anyone: it never reveals whether an address is known, never
 * renames an existing subscriber, and never confirms a double opt-in list without the link. */
#include "audience/public_flows.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audience/membership.h"
#include "audience/suppression.h"
#include "core/email_address.h"
#include "core/utf8.h"
#include "db/query.h"

#define ATTEMPTS_PER_ADDRESS 3  /* per hour */
#define ATTEMPTS_PER_CLIENT  30 /* per hour */

json_t *public_lists(PGconn *conn, mc_error *err)
{
    PGresult *res = db_query(conn,
                             "SELECT COALESCE(json_agg(json_build_object('id', id, 'name', name,"
                             " 'description', description) ORDER BY id), '[]')::text"
                             " FROM lists WHERE visibility = 'public'",
                             0, NULL, err);
    if (!res) return NULL;
    json_t *lists = json_loads(PQgetvalue(res, 0, 0), 0, NULL);
    PQclear(res);
    return lists;
}

/* Records an attempt under key and returns how many there were in the last hour (this one
 * included), or -1 with err. */
static long long attempts(PGconn *conn, const char *key, mc_error *err)
{
    const char *params[] = {key};
    PGresult *res = db_query(conn,
                             "WITH added AS (INSERT INTO form_attempts (key) VALUES ($1))"
                             " SELECT count(*) + 1 FROM form_attempts WHERE key = $1"
                             " AND attempted_at > now() - interval '1 hour'",
                             1, params, err);
    if (!res) return -1;
    long long n = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
    PQclear(res);
    return n;
}

static int rate_limit(PGconn *conn, const unsigned char secret[32], const char *email,
                      const char *remote_addr, mc_error *err)
{
    char key[SUPPRESSION_KEY_TEXT + 8], address_key[SUPPRESSION_KEY_TEXT];
    /* the address is stored as its keyed hash, like suppressions */
    if (suppression_key(conn, secret, email, address_key, err) < 0) return -1;
    snprintf(key, sizeof key, "email:%s", address_key + 2);
    long long by_address = attempts(conn, key, err);
    if (by_address < 0) return -1;
    char client[80];
    snprintf(client, sizeof client, "ip:%.64s", remote_addr ? remote_addr : "");
    long long by_client = attempts(conn, client, err);
    if (by_client < 0) return -1;
    if (by_address > ATTEMPTS_PER_ADDRESS || by_client > ATTEMPTS_PER_CLIENT)
        return mc_error_set(err, 429, "too_many_attempts", "email",
                            "too many subscriptions for this address; try again in an hour");
    return 0;
}

/* Finds or creates the subscriber; a new one gets the attribute "language" (unless language
 * is empty). returns the id, 0 when the address must not be touched (blocklisted), -1 with
 * err. */
static long long find_or_create(PGconn *conn, const char *email, const char *name,
                                const char *language, mc_error *err)
{
    const char *params[] = {email, name, language};
    PGresult *res = db_query(conn,
                             "WITH new AS (INSERT INTO subscribers (email, name, attributes)"
                             " VALUES ($1, $2, CASE WHEN $3 = '' THEN '{}'::jsonb"
                             " ELSE jsonb_build_object('language', $3::text) END)"
                             " ON CONFLICT ((lower(email))) DO NOTHING RETURNING id, status)"
                             " SELECT id, status FROM new UNION ALL SELECT id, status FROM"
                             " subscribers WHERE lower(email) = lower($1) AND NOT EXISTS"
                             " (SELECT 1 FROM new)",
                             3, params, err);
    if (!res) return -1;
    long long id = 0;
    if (PQntuples(res) == 1 && strcmp(PQgetvalue(res, 0, 1), "blocklisted") != 0)
        id = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
    PQclear(res);
    return id;
}

/* Records the opt-in request of subscriber id for the double opt-in lists dbl (an array
 * literal) and has mailer queue its confirmation, unless a request of the subscriber was made
 * in the last OPTIN_MAIL_MINUTES: the lists join that one, whose link then confirms them too,
 * and no second mail goes out. returns 0 or -1 with err. */
static int request_optin(PGconn *conn, const char *id, const char *dbl, public_optin_mailer mailer,
                         void *mailer_ctx, mc_error *err)
{
    char minutes[16];
    snprintf(minutes, sizeof minutes, "%d", OPTIN_MAIL_MINUTES);
    const char *params[] = {id, dbl, minutes};
    /* two forms posted at once for one address: the second waits here, then sees the first's
     * request in its own statement */
    if (db_exec(conn, "SELECT 1 FROM subscribers WHERE id = $1 FOR UPDATE", 1, params, err) < 0)
        return -1;
    PGresult *res = db_query(
        conn,
        "WITH recent AS (SELECT id FROM optin_requests WHERE subscriber_id = $1"
        "  AND created_at > now() - $3::integer * interval '1 minute' ORDER BY id DESC LIMIT 1),"
        " merged AS (UPDATE optin_requests r SET list_ids = ARRAY(SELECT DISTINCT x FROM"
        "  unnest(r.list_ids || $2::bigint[]) x ORDER BY x) FROM recent WHERE r.id = recent.id),"
        " added AS (INSERT INTO optin_requests (subscriber_id, list_ids) SELECT $1, $2::bigint[]"
        "  WHERE NOT EXISTS (SELECT 1 FROM recent) RETURNING id)"
        " SELECT id, (SELECT string_agg(name, ', ' ORDER BY id) FROM lists"
        "  WHERE id = ANY($2::bigint[])) FROM added",
        3, params, err);
    if (!res) return -1;
    int rc = 0;
    if (PQntuples(res) == 1 && mailer)
        rc = mailer(conn, mailer_ctx, strtoll(id, NULL, 10),
                    strtoll(PQgetvalue(res, 0, 0), NULL, 10), PQgetvalue(res, 0, 1), err);
    PQclear(res);
    return rc;
}

static int subscribe_lists(PGconn *conn, long long id, const char *list_ids,
                           const char *remote_addr, public_optin_mailer mailer, void *mailer_ctx,
                           mc_error *err)
{
    char ids[40], id_text[32];
    snprintf(ids, sizeof ids, "{%lld}", id);
    snprintf(id_text, sizeof id_text, "%lld", id);
    const char *params[] = {list_ids, id_text};
    /* single opt-in lists, and double opt-in lists not yet confirmed */
    PGresult *res = db_query(
        conn,
        "SELECT COALESCE(array_agg(l.id) FILTER (WHERE l.optin = 'single'), '{}')::text,"
        " COALESCE(array_agg(l.id) FILTER (WHERE l.optin = 'double' AND NOT EXISTS (SELECT 1"
        "  FROM list_subscribers m WHERE m.list_id = l.id AND m.subscriber_id = $2"
        "  AND m.status = 'confirmed')), '{}')::text"
        " FROM lists l WHERE l.id = ANY($1::bigint[])",
        2, params, err);
    if (!res) return -1;
    char *single = strdup(PQgetvalue(res, 0, 0)), *dbl = strdup(PQgetvalue(res, 0, 1));
    PQclear(res);
    int rc = 0;
    /* the form is the person's own consent: an earlier unsubscribe from everything ends here
     * for single opt-in lists, and at the confirmation for double opt-in ones */
    if (strcmp(single, "{}") &&
        (membership_set(conn, ids, single, "confirmed", "form", remote_addr, err) < 0 ||
         membership_set_subscribed(conn, ids, true, "form", remote_addr, err) < 0))
        rc = -1;
    if (rc == 0 && strcmp(dbl, "{}") &&
        (membership_set(conn, ids, dbl, "unconfirmed", "form", remote_addr, err) < 0 ||
         request_optin(conn, id_text, dbl, mailer, mailer_ctx, err) < 0))
        rc = -1;
    free(single);
    free(dbl);
    return rc;
}

int public_subscribe(PGconn *conn, const unsigned char secret[32], const char *email,
                     const char *name, const char *language, const char *list_ids,
                     const char *remote_addr, public_optin_mailer mailer, void *mailer_ctx,
                     mc_error *err)
{
    str_t address;
    if (email_address_check(str_from_cstr(email), "email", &address, err) < 0) return -1;
    char *clean = strndup(address.p, address.n);
    str_t n = str_trim(str_from_cstr(name ? name : ""));
    char *clean_name = strndup(n.p, n.n);
    int rc = -1;
    if (!utf8_valid(n.p, n.n, NULL) || utf8_count(n.p, n.n) > 200) {
        mc_error_set(err, 400, "invalid_field", "name", "the name is too long");
        goto done;
    }
    if (db_begin(conn, err) < 0) goto done;
    const char *params[] = {list_ids};
    PGresult *res = db_query(conn,
                             "SELECT cardinality($1::bigint[]) > 0 AND NOT EXISTS (SELECT 1 FROM"
                             " unnest($1::bigint[]) x WHERE NOT EXISTS (SELECT 1 FROM lists"
                             " WHERE id = x AND visibility = 'public'))",
                             1, params, err);
    if (!res) goto fail;
    bool lists_ok = PQgetvalue(res, 0, 0)[0] == 't';
    PQclear(res);
    if (!lists_ok) {
        mc_error_set(err, 400, "invalid_field", "lists", "choose at least one list");
        goto fail;
    }
    if (rate_limit(conn, secret, clean, remote_addr, err) < 0) {
        /* the attempt itself is recorded even when refused */
        if (err->status == 429) {
            mc_error saved = *err;
            if (db_commit(conn, err) < 0) goto fail;
            *err = saved;
            goto done;
        }
        goto fail;
    }
    int suppressed = suppression_contains(conn, secret, clean, err);
    if (suppressed < 0) goto fail;
    long long id =
        suppressed ? 0 : find_or_create(conn, clean, clean_name, language ? language : "", err);
    if (id < 0) goto fail;
    if (id > 0 && subscribe_lists(conn, id, list_ids, remote_addr, mailer, mailer_ctx, err) < 0)
        goto fail;
    if (db_commit(conn, err) < 0) goto fail;
    rc = 0;
    goto done;
fail:
    db_rollback(conn);
done:
    free(clean);
    free(clean_name);
    return rc;
}

json_t *public_confirm(PGconn *conn, long long subscriber_id, long long ref,
                       const char *remote_addr, mc_error *err)
{
    char sub[32], request[32];
    snprintf(sub, sizeof sub, "%lld", subscriber_id);
    snprintf(request, sizeof request, "%lld", ref);
    const char *params[] = {sub, request, remote_addr};
    PGresult *res = db_query(
        conn,
        "WITH r AS (SELECT list_ids FROM optin_requests WHERE id = $2 AND subscriber_id = $1),"
        " done AS (UPDATE list_subscribers SET status = 'confirmed', confirmed_at = now(),"
        "  updated_at = now() WHERE subscriber_id = $1 AND list_id = ANY((SELECT list_ids FROM "
        "r)::bigint[])"
        "  AND status = 'unconfirmed' RETURNING list_id),"
        /* confirming is the person's own consent: it ends an unsubscribe from everything */
        " back AS (UPDATE subscribers SET status = 'active', updated_at = now() WHERE id = $1"
        "  AND status = 'unsubscribed' AND EXISTS (SELECT 1 FROM done) RETURNING id),"
        " consent AS (INSERT INTO consents (subscriber_id, list_id, action, source, remote_addr)"
        "  SELECT $1::bigint, list_id, 'confirm', 'form', $3::text FROM done"
        "  UNION ALL SELECT id, NULL, 'subscribe', 'form', $3::text FROM back)"
        " SELECT (SELECT count(*) FROM r), COALESCE((SELECT json_agg(l.name ORDER BY l.id) FROM"
        "  lists l WHERE l.id = ANY((SELECT list_ids FROM r)::bigint[])), '[]')::text",
        3, params, err);
    if (!res) return NULL;
    json_t *names = NULL;
    if (PQgetvalue(res, 0, 0)[0] == '1')
        names = json_loads(PQgetvalue(res, 0, 1), 0, NULL);
    else
        mc_error_set(err, 404, "not_found", "token", "this confirmation link is not valid");
    PQclear(res);
    return names;
}

#define PREFERENCE_LISTS                                                                           \
    "SELECT l.id, l.name, l.description, COALESCE(m.status IN ('unconfirmed', 'confirmed'), "      \
    "false)"                                                                                       \
    " AS subscribed, l.visibility FROM lists l LEFT JOIN list_subscribers m ON m.list_id = l.id"   \
    " AND m.subscriber_id = $1 WHERE l.visibility = 'public' OR m.subscriber_id IS NOT NULL"

json_t *public_preferences(PGconn *conn, long long subscriber_id, mc_error *err)
{
    char sub[32];
    snprintf(sub, sizeof sub, "%lld", subscriber_id);
    const char *params[] = {sub};
    PGresult *res = db_query(
        conn,
        "SELECT json_build_object('email', s.email, 'lists', COALESCE((SELECT json_agg("
        " json_build_object('id', p.id, 'name', p.name, 'description', p.description,"
        " 'subscribed', p.subscribed) ORDER BY p.id) FROM (" PREFERENCE_LISTS ") p), '[]'))::text"
        " FROM subscribers s WHERE s.id = $1",
        1, params, err);
    if (!res) return NULL;
    json_t *prefs = NULL;
    if (PQntuples(res) == 1)
        prefs = json_loads(PQgetvalue(res, 0, 0), 0, NULL);
    else
        mc_error_set(err, 404, "not_found", "token", "this link is not valid any more");
    PQclear(res);
    return prefs;
}

int public_subscriber_language(PGconn *conn, long long subscriber_id, buf_t *out, mc_error *err)
{
    char id[32];
    snprintf(id, sizeof id, "%lld", subscriber_id);
    const char *params[] = {id};
    PGresult *res = db_query(conn,
                             "SELECT attributes->>'language' FROM subscribers WHERE id = $1"
                             " AND jsonb_typeof(attributes->'language') = 'string'",
                             1, params, err);
    if (!res) return -1;
    buf_reset(out);
    if (PQntuples(res) == 1) buf_append_cstr(out, PQgetvalue(res, 0, 0));
    PQclear(res);
    return 0;
}

/* all: the subscriber also unsubscribes from everything (wanted is then "{}"); message_id: the
 * message whose link was followed (0: unknown), named by the consent rows of what is left */
static int preferences_save(PGconn *conn, long long subscriber_id, const char *wanted, bool all,
                            const char *remote_addr, long long message_id, mc_error *err)
{
    char sub[32], ids[40];
    snprintf(sub, sizeof sub, "%lld", subscriber_id);
    snprintf(ids, sizeof ids, "{%lld}", subscriber_id);
    const char *params[] = {sub, wanted};
    if (db_begin(conn, err) < 0) return -1;
    /* joining: public lists asked for and not subscribed; leaving: subscribed and not asked for
     * (private lists can be left, not joined) */
    PGresult *res = db_query(conn,
                             "SELECT COALESCE(array_agg(p.id) FILTER (WHERE NOT p.subscribed AND"
                             " p.visibility = 'public' AND p.id = ANY($2::bigint[])), '{}')::text,"
                             " COALESCE(array_agg(p.id) FILTER (WHERE p.subscribed AND NOT"
                             " p.id = ANY($2::bigint[])), '{}')::text"
                             " FROM (" PREFERENCE_LISTS ") p",
                             2, params, err);
    if (!res) goto fail;
    char *join = strdup(PQgetvalue(res, 0, 0)), *leave = strdup(PQgetvalue(res, 0, 1));
    PQclear(res);
    int rc = 0;
    if (strcmp(join, "{}") &&
        (membership_set(conn, ids, join, "confirmed", "preferences", remote_addr, err) < 0 ||
         membership_set_subscribed(conn, ids, true, "preferences", remote_addr, err) < 0))
        rc = -1;
    if (rc == 0 && strcmp(leave, "{}") &&
        membership_set_from(conn, ids, leave, "unsubscribed", "preferences", remote_addr,
                            message_id, err) < 0)
        rc = -1;
    if (rc == 0 && all &&
        membership_set_subscribed_from(conn, ids, false, "preferences", remote_addr, message_id,
                                       err) < 0)
        rc = -1;
    free(join);
    free(leave);
    if (rc < 0 || db_commit(conn, err) < 0) goto fail;
    return 0;
fail:
    db_rollback(conn);
    return -1;
}

int public_preferences_save(PGconn *conn, long long subscriber_id, const char *wanted,
                            const char *remote_addr, long long message_id, mc_error *err)
{
    return preferences_save(conn, subscriber_id, wanted, false, remote_addr, message_id, err);
}

int public_unsubscribe_all(PGconn *conn, long long subscriber_id, const char *remote_addr,
                           long long message_id, mc_error *err)
{
    return preferences_save(conn, subscriber_id, "{}", true, remote_addr, message_id, err);
}

int public_flows_prune(PGconn *conn, mc_error *err)
{
    return db_exec(conn, "DELETE FROM form_attempts WHERE attempted_at < now() - interval '1 hour'",
                   0, NULL, err);
}
