/* Putting campaign mail into the ledger: a campaign's audience snapshot (one INSERT ... SELECT
 * inside PostgreSQL, no row travels to the server) and test sends. Transactional and system
 * messages have their own files (transactional.h, system_mail.h). */
#ifndef MC_QUEUE_ENQUEUE_H
#define MC_QUEUE_ENQUEUE_H

#include <jansson.h>
#include <libpq-fe.h>

#include "core/error.h"

/* An A/B test's split of a snapshot: test_percent (1..100) of the recipients, chosen at
 * random, rounded to the nearest whole message, are dealt in turn to variants 0..variants-1
 * (so that the sizes differ by at most one); the rest is queued held (run_at 'infinity',
 * never claimed) until queue_release_held(). variants 0: no test, everything due now. */
typedef struct {
    int variants;
    int test_percent;
} queue_ab_split;

/* Queues one message of campaign campaign_id per row of recipients_with, a WITH clause
 * ("WITH ... , recipients AS (SELECT subscriber_id, email ...)") that defines the CTE
 * recipients with the columns subscriber_id and email, each subscriber once; its parameters
 * are params[0..nparams) ($1..$nparams). The CTE is inlined into the INSERT, so the plan is the
 * one of the query itself. split: NULL or an A/B test's split. Runs in the caller's
 * transaction. *count gets the rows queued. returns 0 or -1 with err. */
int queue_enqueue_campaign_audience(PGconn *conn, long long campaign_id,
                                    const char *recipients_with, int nparams,
                                    const char *const *params, const queue_ab_split *split,
                                    long long *count, mc_error *err);

/* Makes the held messages of campaign campaign_id (the rest of an A/B test) due now; the
 * workers build them with the winner's content. Runs in the caller's transaction. *count gets
 * the rows released. returns 0 or -1 with err. */
int queue_release_held(PGconn *conn, const char *campaign_id, long long *count, mc_error *err);

/* Queues a test send of campaign campaign_id to each address of the JSON array addresses (text),
 * rendered from the campaign with subject_prefix before its subject, for subscriber_id (0: the
 * subscriber with each address, if any). Wakes the workers when the transaction commits.
 * returns {"message_ids": [...]} (caller frees with json_decref) or NULL with err: 404 when the
 * campaign (field "id") or the subscriber (field "subscriber_id") does not exist. */
json_t *queue_enqueue_test_sends(PGconn *conn, long long campaign_id, long long subscriber_id,
                                 const char *addresses, const char *subject_prefix, mc_error *err);

/* Cancels the messages of campaign campaign_id still waiting (queued or deferred), with the
 * reason "campaign cancelled"; those a worker holds are given back cancelled by the worker.
 * returns 0 or -1 with err. */
int queue_cancel_campaign(PGconn *conn, const char *campaign_id, mc_error *err);

/* Deletes the messages sent to email without naming a subscriber (transactional mail to an
 * address): an erased person's own messages go with their subscriber row. returns 0 or -1. */
int queue_forget_address(PGconn *conn, const char *email, mc_error *err);

#endif
