/* Warm-up schedules held across every worker through PostgreSQL: the day number of each
 * schedule (its configured start, or the first UTC day it let a message through, recorded in
 * warmup_starts), what it let through per UTC day (warmup_days, taken under the row's lock),
 * the messages over today's cap waiting for the next UTC day, and what progress and /metrics
 * show of it. The schedules themselves are mail/warmup_config.h's. */
#ifndef MC_QUEUE_WARMUP_H
#define MC_QUEUE_WARMUP_H

#include <jansson.h>
#include <libpq-fe.h>

#include "core/buf.h"
#include "core/error.h"
#include "db/pool.h"
#include "mail/relay.h"
#include "mail/warmup_config.h"

/* Why messages wait: filled by warmup_allow() when a cap held some. */
typedef struct {
    size_t count;     /* messages held (the rest of want past the grant) */
    char held_by[96]; /* the schedule whose cap is used up */
    char until[32];   /* the next UTC midnight, RFC 3339 */
    char reason[256]; /* the message's reason while it waits */
} warmup_hold;

/* Takes up to want campaign messages sent through relay (NULL: none) from address from out of
 * today's cap of every schedule that holds them, on a connection of pool held for those
 * statements alone. returns how many may go now (0..want; want when no schedule holds them),
 * with hold->count the rest, which wait until hold->until; or -1 with err (nothing held). */
long long warmup_allow(db_pool *pool, const warmup_set *s, const char *relay, const char *from,
                       long long want, warmup_hold *hold, mc_error *err);
/* Adds what a held message's result needs for send_queue_record_send() to result. */
void warmup_hold_annotate(const warmup_hold *hold, json_t *result);

/* Makes every message held by a warm-up due now: run at start-up, so that a schedule changed in
 * the configuration applies at once (those still over today's cap are held again by the first
 * batch that claims them). returns how many, or -1 with err. */
int warmup_release_held(PGconn *conn, mc_error *err);

/* returns the "warmup" object of campaign id's progress (caller frees), JSON null when no
 * schedule holds it, or NULL with err: the first schedule that holds it (its relay, or the only
 * relay of relays when it names none; its From domain): {"schedule", "day", "days",
 * "cap_today" (null after the last day), "sent_today", "held", "next_release_at" (the next
 * UTC midnight; null without a cap), "finish_estimate_at" (when the rest of the campaign will
 * have gone if it alone used the caps: now when it fits today, else the start of the UTC day
 * its last message goes)}. */
json_t *warmup_progress(PGconn *conn, const warmup_set *s, const relay_set *relays, long long id,
                        mc_error *err);

/* Appends the gauges mailcast_warmup_day, mailcast_warmup_cap_messages and
 * mailcast_warmup_sent_messages per schedule. returns 0 or -1 with err. */
int warmup_render_metrics(PGconn *conn, const warmup_set *s, buf_t *out, mc_error *err);

#endif
