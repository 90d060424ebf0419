/* Where a campaign stands: counts of its messages by state, the current rate, an ETA and the
 * last errors (GET /api/v1/campaigns/{id}/progress). */
#ifndef MC_CAMPAIGN_CAMPAIGN_PROGRESS_H
#define MC_CAMPAIGN_CAMPAIGN_PROGRESS_H

#include <jansson.h>
#include <libpq-fe.h>

#include "core/error.h"

/* returns {"state", "total", "queued", "sending", "sent", "deferred", "failed", "cancelled",
 * "rate_per_s", "eta_s", "last_errors": [...]} (caller frees with json_decref()), or NULL
 * with err (404). rate_per_s: messages sent over the last minute (or since the start, when
 * more recent), per second; eta_s: the rest at that rate, null when nothing is moving. A
 * finished or cancelled campaign answers the counts stored when it ended (queued, sending and
 * deferred 0), and last_errors is empty once retention deleted its messages. "ab_test": the
 * A/B test's phase and counts per variant (campaign_ab_progress()), null without a test. */
json_t *campaign_progress(PGconn *conn, long long id, mc_error *err);

#endif
