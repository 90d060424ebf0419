/* Test sends of a campaign (POST /api/v1/campaigns/{id}/test): a few addresses get the
 * campaign as it would be sent, subject prefixed, whatever the campaign's state. */
#ifndef MC_CAMPAIGN_CAMPAIGN_TEST_SEND_H
#define MC_CAMPAIGN_CAMPAIGN_TEST_SEND_H

#include <jansson.h>
#include <libpq-fe.h>

#include "core/error.h"

#define CAMPAIGN_TEST_SEND_MAX_ADDRESSES 10

/* Queues one message per address of body {"to": [address, ...], "subscriber_id": id,
 * "subject_prefix": text}: rendered from campaign id with the data of the subscriber given,
 * else of the subscriber who has that address (if any), whose unsubscribe link it carries as
 * the campaign's message would, the subject prefixed (default "[Test] "), at system priority.
 * returns {"message_ids": [...]} (caller frees with json_decref()), or NULL with err: 400
 * naming the field, 404 for the campaign or the subscriber. */
json_t *campaign_test_send(PGconn *conn, long long id, json_t *body, mc_error *err);

#endif
