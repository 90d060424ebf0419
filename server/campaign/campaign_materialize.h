/* Snapshotting a campaign's audience into the message queue: one INSERT ... SELECT inside
 * PostgreSQL, no row travels to the server. */
#ifndef MC_CAMPAIGN_CAMPAIGN_MATERIALIZE_H
#define MC_CAMPAIGN_CAMPAIGN_MATERIALIZE_H

#include <libpq-fe.h>

#include "core/error.h"

/* An audience: lists, segments, exclude_lists and exclude_segments, each a PostgreSQL array
 * literal of ids ("{}" for none). */
#define CAMPAIGN_AUDIENCE_MEMBERS 4

/* Queues one message per recipient of campaign id: the subscribers of its lists (confirmed, or
 * unconfirmed on single opt-in lists) and of its segments (unless unsubscribed from one of its
 * lists), each once, minus blocklisted subscribers and those who unsubscribed from everything
 * (status "unsubscribed"; bounces blocklist through track/bounce_rules.h, and a hard bounce
 * not yet judged by those rules holds the address back), suppressed
 * addresses, members of the excluded lists (unless unsubscribed there) and matches of the
 * excluded segments. Runs in the caller's transaction. secret (32 bytes) keys the suppression
 * hashes. *count gets the rows queued. returns 0 or -1 with err. */
int campaign_materialize(PGconn *conn, long long id, const unsigned char *secret, long long *count,
                         mc_error *err);

/* Counts who campaign_materialize() would queue now for audience, without queuing anything:
 * what the composer shows before the campaign is sent. A segment that does not exist is a
 * 409 naming segments or exclude_segments. returns 0 with *count, or -1 with err. */
int campaign_audience_count(PGconn *conn, const unsigned char *secret,
                            const char *const audience[CAMPAIGN_AUDIENCE_MEMBERS], long long *count,
                            mc_error *err);

#endif
