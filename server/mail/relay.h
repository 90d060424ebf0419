/* Relays: the [smtp.NAME] sections parsed into relay_config, a weighted choice among the
 * relays that are not backing off after connection failures, and the rate limiter
 * interface (messages per second, per-hour and per-day caps) with its in-process
 * implementation. The queue asks relay_pool_pick() for a relay, rate_limiter_acquire() for
 * permission, sends a batch and reports the connection outcome back. */
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

/* The rate limiter interface, so a PostgreSQL-coordinated limiter shared by several
 * servers can replace the in-process one. */
typedef struct rate_limiter rate_limiter;
typedef struct {
    /* returns how many of n messages may go through relay index now (0..n) and consumes
     * them; when 0, *wait_seconds says when to ask again */
    size_t (*acquire)(rate_limiter *l, size_t index, size_t n, double now, double *wait_seconds);
    void (*free)(rate_limiter *l);
} rate_limiter_ops;
struct rate_limiter {
    const rate_limiter_ops *ops;
};

static inline size_t rate_limiter_acquire(rate_limiter *l, size_t index, size_t n, double now,
                                          double *wait_seconds)
{
    return l->ops->acquire(l, index, n, now, wait_seconds);
}
static inline void rate_limiter_free(rate_limiter *l)
{
    if (l) l->ops->free(l);
}

/* returns an in-process limiter for set's relays: a token bucket of `rate` per second
 * (burst: one second's worth) plus counters per UTC hour and day for max_per_hour and
 * max_per_day. Thread-safe. Caller frees with rate_limiter_free(). */
rate_limiter *rate_limiter_memory_new(const relay_set *set);

#endif
