/* A campaign's A/B test: its settings (read and checked from a request, stored beside the
 * campaign), the split of the audience snapshot, the phase shown in progress, and the choice
 * of the winner, which releases the held rest to the workers. Which variant wins by the
 * numbers is automation's (automation/ab_winner.h): it reads what tracking and attribution
 * recorded, which this folder may not. docs/campaigns.md ("A/B tests") has the model. */
#ifndef MC_CAMPAIGN_CAMPAIGN_AB_H
#define MC_CAMPAIGN_CAMPAIGN_AB_H

#include <jansson.h>
#include <libpq-fe.h>
#include <stdbool.h>

#include "core/error.h"
#include "queue/enqueue.h"

#define CAMPAIGN_AB_VARIANTS_MIN 2
#define CAMPAIGN_AB_VARIANTS_MAX 4

/* Reads body's "ab_test" member. Absent: *normalized stays NULL (keep what is stored); null:
 * *normalized becomes "null" (remove the test); an object: checked (2 to 4 variants, each an
 * object of subject, from_name and template_id or body, which compile; test_percent 1..100,
 * default 20; metric clicks, opens or revenue, default clicks; wait a duration, default "4h";
 * winner auto or manual, default auto) and written as the JSON text campaign_ab_store()
 * takes. Caller frees *normalized with free(). returns 0, or -1 with a 400 naming the field
 * ("ab_test.variants[1].subject"). */
int campaign_ab_parse(PGconn *conn, const char *templates_dir, json_t *body, char **normalized,
                      mc_error *err);

/* Stores normalized (from campaign_ab_parse(); "null" removes the test) as campaign_id's test,
 * replacing any earlier one. Runs in the caller's transaction. returns 0 or -1 with err. */
int campaign_ab_store(PGconn *conn, const char *campaign_id, const char *normalized, mc_error *err);

/* Copies the test of campaign from_id (if any) to campaign to_id, without its outcome. */
int campaign_ab_copy(PGconn *conn, const char *from_id, const char *to_id, mc_error *err);

/* Fills split with campaign id's test (variants 0 when it has none), for the snapshot.
 * returns 0 or -1 with err. */
int campaign_ab_split_of(PGconn *conn, long long id, queue_ab_split *split, mc_error *err);

/* The test's part of campaign id's progress: {"phase": "testing" | "waiting" | "sending_winner"
 * | "done", "wait_until" (when the winner is chosen; null while testing or with a manual
 * winner), "held" (messages waiting for the winner), "winner", "variants": [{"variant",
 * "name", "total", "sent", "failed", "waiting"}]}, or JSON null when it has no test. Caller
 * frees with json_decref(). NULL with err on a database error. */
json_t *campaign_ab_progress(PGconn *conn, long long id, mc_error *err);

/* A test still without a winner, as the winner job sees it. */
typedef struct {
    long long campaign_id;
    int variants;
    char metric[16];  /* clicks, opens or revenue */
    bool manual;      /* waits for a person's choice */
    bool ended;       /* every test message ended (test_ended_at is set) */
    long long due_ms; /* ms until the wait ends (<= 0: due); -1 when not ended or manual */
} campaign_ab_pending;

/* Notes the end of the test sends of the tests whose test messages all ended, then lists up
 * to max tests without a winner whose campaign has started (running, paused or finished)
 * into out. returns the count, or -1 with err. */
int campaign_ab_pending_list(PGconn *conn, campaign_ab_pending *out, int max, mc_error *err);

/* Makes variant the winner of campaign id's test, by "auto" or "manual" (user_id: who, 0 for
 * none), with decided_on (JSON text of the numbers it was chosen on, or NULL), and releases
 * the held rest to the workers, built with the winner's content. In a transaction of its own.
 * A manual choice needs a running or paused campaign; the job's also takes a finished one
 * (a test of the whole audience). returns 0, or -1 with err: 404 when the campaign or its
 * test does not exist, 400 naming "variant" for a variant it does not have, 409
 * "winner_exists" or "invalid_state". */
int campaign_ab_set_winner(PGconn *conn, long long id, int variant, const char *by,
                           long long user_id, const char *decided_on, mc_error *err);

#endif
