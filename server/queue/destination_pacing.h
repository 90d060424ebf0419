/* The shared state of pacing per destination group, in PostgreSQL so that every worker process
 * keeps to it: the adaptive rate (changed only by a worker that saw the rate it expected, so
 * that two workers hit by the same burst of refusals halve it once), the messages accepted
 * lately, the counts of throttling replies and deferrals (per group and per campaign), and the
 * leased connection slots. Each call is one statement on a connection outside any transaction. */
#ifndef MC_QUEUE_DESTINATION_PACING_H
#define MC_QUEUE_DESTINATION_PACING_H

#include <libpq-fe.h>
#include <stdbool.h>

#include "core/error.h"

typedef struct {
    double rate_per_minute;      /* the adaptive limit now; 0: normal */
    double ceiling_per_minute;   /* where the steps back up stop when no rate is configured */
    double seconds_since_change; /* since the rate last changed */
    double prev_sent, window_sent, window_age_seconds; /* for pace_observed_per_minute() */
} destination_state;

/* Reads the state of group name into *st (a group never written yet: normal, changed long
 * ago, nothing sent). returns 0 or -1 with err. */
int destination_pacing_read(PGconn *conn, const char *name, destination_state *st, mc_error *err);
/* Moves the rate of name from expected to rate (0: normal), with ceiling, when it still is
 * expected and last changed at least min_gap_seconds ago. *changed says whether it did.
 * returns 0 or -1 with err. */
int destination_pacing_change(PGconn *conn, const char *name, double expected, double rate,
                              double ceiling, double min_gap_seconds, bool *changed, mc_error *err);
/* Adds what one session to group name did: sent messages accepted, throttle_replies and
 * deferred, to the group and to campaign_id's counts ("" for mail outside campaigns), and
 * stores the configured rate (0: none) for the progress. returns 0 or -1 with err. */
int destination_pacing_note(PGconn *conn, const char *name, double configured,
                            const char *campaign_id, long long sent, long long throttle_replies,
                            long long deferred, mc_error *err);
/* Takes a free connection slot of group name (max slots) for owner, leased lease_seconds.
 * *slot gets its number, or 0 when all are held. returns 0 or -1 with err. */
int destination_slot_take(PGconn *conn, const char *name, unsigned max, const char *owner,
                          unsigned lease_seconds, int *slot, mc_error *err);
/* Gives slot of group name back, when owner still holds it. returns 0 or -1 with err. */
int destination_slot_give(PGconn *conn, const char *name, int slot, const char *owner,
                          mc_error *err);

#endif
