/* The message queue's SQL for the send loop: reclaiming expired leases, claiming a batch,
 * giving back messages of campaigns that stopped, marking messages about to be handed over and
 * recording SMTP results as they come. Every statement is one round trip. It reads a
 * campaign's state and lists in SQL but never writes a campaign: finishing one is
 * campaign_finish_sent() (campaign/campaigns.h). */
#ifndef MC_QUEUE_SEND_QUEUE_H
#define MC_QUEUE_SEND_QUEUE_H

#include <jansson.h>
#include <libpq-fe.h>

#include "core/config.h"
#include "core/error.h"

/* Columns of a claimed row, in the claim's result. */
enum {
    CLAIM_ID,
    CLAIM_CAMPAIGN,   /* "" for transactional messages */
    CLAIM_SUBSCRIBER, /* "" when sent to an address */
    CLAIM_EMAIL,
    CLAIM_CONTEXT,  /* the message's own render data (an object) */
    CLAIM_TEMPLATE, /* transactional: the template */
    CLAIM_SUBJECT,  /* a subject replacing the template's or campaign's; "" for none */
    CLAIM_TEST_OF,  /* a test send of this campaign; "" for none */
    CLAIM_TRIGGER,  /* a triggered message: its trigger; "" for none */
    CLAIM_VARIANT,  /* an A/B test message: the variant it is built with; "" for none */
    CLAIM_PERSON,   /* the SUBSCRIBER_RENDER_COLUMNS of the subscriber, from here on; NULL
                       without one */
};

/* Puts messages whose lease expired back in the queue, due now. Those their worker may have
 * handed to SMTP before it died (up to its progress, send_queue_record_send()) are marked
 * possible duplicates; the others were never offered and stay unmarked. returns the count or
 * -1 with err. */
int send_queue_reclaim(PGconn *conn, mc_error *err);
/* returns the ids of the campaigns that may send now: running and, with a sending window,
 * inside it (caller frees with PQclear()), or NULL with err */
PGresult *send_queue_sendable_campaigns(PGconn *conn, mc_error *err);
/* Claims up to limit due messages of campaign campaign_id (a decimal id; NULL: the
 * transactional, system, triggered and test messages, highest priority first) for owner,
 * leased for lease_seconds, skipping rows other workers hold. A campaign's message whose
 * recipient has unsubscribed since the snapshot (from everything, or from every list of the
 * campaign they are on), and a triggered one whose recipient unsubscribed from everything
 * since it was queued, ends cancelled with the reason "the recipient unsubscribed" instead of
 * being claimed.
 * returns the rows (columns CLAIM_*; caller frees with PQclear()) or NULL with err. */
PGresult *send_queue_claim(PGconn *conn, const char *owner, const char *campaign_id, unsigned limit,
                           unsigned lease_seconds, mc_error *err);
/* Gives back the messages of ids (an array literal) leased by owner whose campaign no longer
 * runs: queued again when it is paused, cancelled otherwise. returns 0 or -1 with err. */
int send_queue_give_back(PGconn *conn, const char *ids, const char *owner, mc_error *err);
/* Extends the leases of ids (an array literal) that owner still holds to lease_seconds from
 * now, for a batch that takes long on the wire. returns 0 or -1 with err. */
int send_queue_renew(PGconn *conn, const char *ids, const char *owner, unsigned lease_seconds,
                     mc_error *err);
/* Sends, without waiting for it, one statement that moves owner's progress up to message
 * handed_until (a decimal id; "" to leave it: messages go out in id order within a batch, and
 * the progress names the last one that may have reached the peer; send_queue_reclaim() marks
 * up to it), and records results, a JSON array of {"id", "outcome" (sent|temporary|permanent|
 * render|throttled: not sent for a rate limit, queued again in a second without counting an
 * attempt|deferred: its receiver asked to slow down, deferred for about [queue]
 * retry_base_seconds (jittered) without counting an attempt, never failed for it|held: over a
 * warm-up's cap, queued until "hold_until" with "held_by" the schedule and "text" the reason,
 * without counting an attempt or the wait in its age), "code", "enhanced", "text", "relay",
 * "maybe_delivered" (a copy may have arrived: the row becomes a possible duplicate)}: sent;
 * deferred with exponential back-off and jitter; failed when permanent, when attempts or age are
 * exhausted, or when rendering failed. A permanent refusal adds a hard bounce for the
 * subscriber. Only rows still leased by owner get a result. Run on a connection outside any
 * transaction, so that each statement commits at once; collect its answer with
 * send_queue_record_wait() before the next. returns 0 or -1 with err. */
int send_queue_record_send(PGconn *conn, json_t *results, const char *handed_until,
                           const char *owner, const config_t *cfg, mc_error *err);
/* Prepares the statement of send_queue_record_send() on conn, when it has not been already.
 * Once per batch, before the claim: the round trip also tells whether conn still works.
 * returns 0 or -1 with err. */
int send_queue_record_prepare(PGconn *conn, mc_error *err);
/* Waits for the statement of send_queue_record_send(). returns 0 or -1 with err. */
int send_queue_record_wait(PGconn *conn, mc_error *err);

#endif
