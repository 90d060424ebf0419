/* Test sends go through the queue like transactional mail; the send loop renders them from the
 * campaign they test (messages.test_of). */
#include "campaign/campaign_test_send.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audience/input.h"
#include "core/email_address.h"
#include "db/listen.h"
#include "db/query.h"

static const char *const FIELDS[] = {"to", "subscriber_id", "subject_prefix", NULL};

static int check_addresses(json_t *to, mc_error *err)
{
    if (!json_is_array(to) || json_array_size(to) == 0 ||
        json_array_size(to) > CAMPAIGN_TEST_SEND_MAX_ADDRESSES)
        return mc_error_set(err, 400, "invalid_field", "to",
                            "to must be an array of 1 to %d addresses",
                            CAMPAIGN_TEST_SEND_MAX_ADDRESSES);
    size_t i;
    json_t *address;
    json_array_foreach(to, i, address)
    {
        str_t checked;
        if (!json_is_string(address) ||
            email_address_check(str_from_cstr(json_string_value(address)), "to", &checked, err) < 0)
            return mc_error_set(err, 400, "invalid_field", "to", "to[%zu] is not an address", i);
    }
    return 0;
}

json_t *campaign_test_send(PGconn *conn, long long id, json_t *body, mc_error *err)
{
    long long subscriber = 0;
    char *prefix = NULL;
    json_t *to = json_object_get(body, "to");
    if (input_known_fields(body, FIELDS, err) < 0 || check_addresses(to, err) < 0 ||
        input_id(body, "subscriber_id", &subscriber, err) < 0 ||
        input_string(body, "subject_prefix", 0, 50, &prefix, err) < 0)
        return NULL;
    if (prefix && strpbrk(prefix, "{}")) {
        free(prefix);
        mc_error_set(err, 400, "invalid_field", "subject_prefix",
                     "subject_prefix is plain text: no braces");
        return NULL;
    }
    char id_text[32], subscriber_text[32];
    snprintf(id_text, sizeof id_text, "%lld", id);
    snprintf(subscriber_text, sizeof subscriber_text, "%lld", subscriber);
    char *addresses = json_dumps(to, JSON_COMPACT);
    const char *params[] = {id_text, subscriber ? subscriber_text : NULL, addresses,
                            prefix ? prefix : "[Test] "};
    PGresult *res = db_query_notify(
        conn,
        "WITH ins AS (INSERT INTO messages (kind, priority, test_of, subscriber_id, email,"
        " subject) SELECT 'system', 0, c.id, COALESCE($2::bigint, (SELECT s.id FROM subscribers s"
        " WHERE lower(s.email) = lower(a))), a, $4 || c.subject FROM campaigns c,"
        " jsonb_array_elements_text($3::jsonb) a WHERE c.id = $1::bigint AND ($2::bigint IS NULL"
        " OR EXISTS (SELECT 1 FROM subscribers WHERE id = $2::bigint)) RETURNING id)"
        " SELECT (SELECT count(*) FROM campaigns WHERE id = $1::bigint),"
        " (SELECT count(*) FROM subscribers WHERE id = $2::bigint),"
        " (SELECT json_agg(id ORDER BY id) FROM ins)::text",
        4, params, DB_WORK_CHANNEL, "test", err);
    free(addresses);
    free(prefix);
    if (!res) return NULL;
    json_t *out = NULL;
    if (!strcmp(PQgetvalue(res, 0, 0), "0"))
        mc_error_set(err, 404, "not_found", "id", "no campaign has the id %lld", id);
    else if (subscriber && !strcmp(PQgetvalue(res, 0, 1), "0"))
        mc_error_set(err, 404, "not_found", "subscriber_id", "no subscriber has the id %lld",
                     subscriber);
    else
        out = json_pack("{s:o}", "message_ids", json_loads(PQgetvalue(res, 0, 2), 0, NULL));
    PQclear(res);
    return out;
}
