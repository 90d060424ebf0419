/* What an A/B test's variants achieved, read from tracking and attribution: the numbers per
 * variant, the winner job that picks the best by the test's metric once its wait is over, and
 * the report (GET /api/v1/campaigns/{id}/ab). The test's settings and the winner's effect on
 * the queue are campaign's (campaign/campaign_ab.h). */
#ifndef MC_AUTOMATION_AB_RESULTS_H
#define MC_AUTOMATION_AB_RESULTS_H

#include <jansson.h>
#include <libpq-fe.h>

#include "core/error.h"

/* One variant's test messages and what came of them. */
typedef struct {
    long long sent;       /* test messages the relay accepted */
    long long opens;      /* of those, opened by a person at least once (a person's click
                             implies an open; machine opens never count) */
    long long clicks;     /* clicked by a person at least once */
    long long converters; /* recipients with a conversion attributed to their message */
    double revenue;       /* the attributed conversions' revenue */
} ab_numbers;

/* The index of the best of variants[0..n) by metric ("clicks": unique human clickers / sent;
 * "opens": unique human openers / sent; "revenue": attributed revenue / sent); ties go to the
 * lower index. */
int ab_best_variant(const char *metric, const ab_numbers *variants, int n);

/* The winner job's round: notes ended tests, chooses the winner of each automatic test whose
 * wait is over (by ab_best_variant()) and has the loop wake when the next wait ends (*wake_ms).
 * returns the number of winners chosen, or -1 with err. */
int ab_choose_due_winners(PGconn *conn, long long *wake_ms, mc_error *err);

/* A person's choice: makes variant the winner of campaign id's test (by user_id, 0 for an API
 * token), recording the numbers it was chosen on, and releases the held rest. returns 0, or -1
 * with err as campaign_ab_set_winner(). */
int ab_choose_winner(PGconn *conn, long long id, int variant, long long user_id, mc_error *err);

/* The report of campaign id's test: {"campaign_id", "metric", "test_percent", "wait",
 * "winner_mode", "best" (the leading variant by the metric now), "winner" ({"variant", "name",
 * "by", "at"} or null), "significance" (what the z and p of each variant compare), "variants":
 * [{"variant", "name", "subject", "from_name", "sent", "opens_unique_human",
 * "clicks_unique_human", "converters", "revenue", "open_rate", "click_rate",
 * "conversion_rate", "revenue_per_recipient", "z", "p_value" (against the best; null for
 * the best itself or without trials)}]}. Caller frees with json_decref(); NULL with err (404
 * when the campaign or its test does not exist). */
json_t *ab_report(PGconn *conn, long long id, mc_error *err);

#endif
