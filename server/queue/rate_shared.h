/* Rate limits that hold for the whole installation: a token bucket and hour/day counters per
 * key in the relay_rates table, taken under a row lock, so that every worker process together
 * keeps to a relay's messages per second, per hour and per day, and to a campaign's own rate.
 * It is the implementation of mail/relay.h's rate_limiter interface. */
#ifndef MC_QUEUE_RATE_SHARED_H
#define MC_QUEUE_RATE_SHARED_H

#include "db/pool.h"
#include "mail/relay.h"

/* returns a limiter whose acquire takes each budget from its key's row in relay_rates, on a
 * connection of pool (borrowed; must outlive it) held only for those statements, outside any
 * other transaction, so that a rate row is locked for one statement at a time. Budgets with
 * no limit are skipped without a connection. Caller frees with rate_limiter_free(). */
rate_limiter *rate_shared_new(db_pool *pool);

#endif
