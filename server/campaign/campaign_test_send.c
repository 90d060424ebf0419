/* Test sends go through the queue like transactional mail; the send loop renders them from the
 * campaign they test (messages.test_of). */
#include "campaign/campaign_test_send.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audience/input.h"
#include "core/email_address.h"
#include "queue/enqueue.h"

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
    char *addresses = json_dumps(to, JSON_COMPACT);
    json_t *out =
        queue_enqueue_test_sends(conn, id, subscriber, addresses, prefix ? prefix : "[Test] ", err);
    free(addresses);
    free(prefix);
    return out;
}
