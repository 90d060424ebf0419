/* Relays: the [smtp.NAME] sections parsed into relay_config, a weighted choice among the
 * relays that are not backing off after connection failures, and the rate limiter
 * interface (messages per second, per-hour and per-day caps). The sender asks
 * relay_pool_pick() for a relay, rate_limiter_acquire() for permission, sends a batch and
 * reports the connection outcome back. */
#ifndef MC_MAIL_RELAY_H
#define MC_MAIL_RELAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/config.h"
#include "core/error.h"
#include "mail/relay_config.h"
#include "mail/transport.h"

typedef struct {
    relay_config *relays;
    size_t count;
} relay_set;

/* Parses every [smtp.NAME] section of cfg, in file order. returns 0 (count 0 means: use the
 * capture transport), or -1 with err->field "FILE:LINE" of the bad key.
 * On success the caller frees with relay_set_free(). */
int relay_set_load(relay_set *set, const config_t *cfg, mc_error *err);
void relay_set_free(relay_set *set);
/* returns the relay named name (borrowed from set), or NULL */
const relay_config *relay_set_find(const relay_set *set, const char *name);
/* returns whether some relay of set has `group = group` */
bool relay_set_has_group(const relay_set *set, const char *group);

/* returns the transport for a relay: libcurl for tls = implicit, libesmtp otherwise;
 * relay is borrowed and must outlive it; caller frees with mail_transport_free() */
mail_transport *relay_transport_new(const relay_config *relay);

/* Relay choice with back-off. Thread-safe. */
typedef struct relay_pool relay_pool;

/* returns a pool over set (borrowed); caller frees with relay_pool_free() */
relay_pool *relay_pool_new(const relay_set *set);
void relay_pool_free(relay_pool *p);
/* returns the index of a relay chosen by weight among those not backing off at now
 * (seconds), using random to choose; -1 when all are backing off, with *retry_in set to
 * the seconds until the first comes back */
int relay_pool_pick(relay_pool *p, double now, uint64_t random, double *retry_in);
/* The same among the relays of group (NULL: every relay). */
int relay_pool_pick_in(relay_pool *p, const char *group, double now, uint64_t random,
                       double *retry_in);
/* records whether a connection to relay index could be made at now. After a failure
 * the relay is out for RELAY_BACKOFF_BASE seconds, doubling with each failure in a row up
 * to RELAY_BACKOFF_MAX; a success clears it. */
void relay_pool_report(relay_pool *p, size_t index, bool connected, double now);
#define RELAY_BACKOFF_BASE 30.0
#define RELAY_BACKOFF_MAX  900.0

/* A rate budget under a key ("relay:NAME", "campaign:ID"): messages per second (0 =
 * unlimited; bursts of one second's worth, at least one message), per UTC hour and per UTC day (0 =
 * no cap). */
typedef struct {
    const char *key;
    double rate;
    unsigned per_hour;
    unsigned per_day;
} rate_budget;

/* The rate limiter interface. Its one implementation is the limiter shared by every worker
 * process of the installation, a token bucket and hour/day counters per key in PostgreSQL
 * (queue/rate_shared.h: rate_shared_new()); mail/ declares the interface only, so that it
 * stays free of the database. */
typedef struct rate_limiter rate_limiter;
typedef struct {
    /* returns how many of n messages every one of budgets[0..count) lets through now (0..n),
     * taken from each budget in order (a later one only sees what the earlier ones granted),
     * or -1 with err */
    long long (*acquire)(rate_limiter *l, const rate_budget *budgets, size_t count, size_t n,
                         mc_error *err);
    void (*free)(rate_limiter *l);
} rate_limiter_ops;
struct rate_limiter {
    const rate_limiter_ops *ops;
};

static inline long long rate_limiter_acquire(rate_limiter *l, const rate_budget *budgets,
                                             size_t count, size_t n, mc_error *err)
{
    return l->ops->acquire(l, budgets, count, n, err);
}
static inline void rate_limiter_free(rate_limiter *l)
{
    if (l) l->ops->free(l);
}

#endif
