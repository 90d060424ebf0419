/* Rate limits that hold for the whole installation: a token bucket and hour/day counters per
 * key in the relay_rates table, taken under a row lock, so that every worker process together
 * keeps to a relay's messages per second, per hour and per day, and to a campaign's own rate. */
#ifndef MC_QUEUE_RATE_SHARED_H
#define MC_QUEUE_RATE_SHARED_H

#include <libpq-fe.h>

#include "core/error.h"

/* Takes up to want messages from key's budget: rate per second (0 = unlimited, burst one
 * second's worth), per_hour and per_day (0 = no cap; UTC hours and days). Give it a
 * connection outside any long transaction: the row is locked until the statement's
 * transaction ends. returns the number granted (0..want), or -1 with err. */
long long rate_shared_take(PGconn *conn, const char *key, double rate, unsigned per_hour,
                           unsigned per_day, long long want, mc_error *err);

#endif
