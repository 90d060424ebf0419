/* The rules every bounce and complaint goes through, whatever its source (SMTP replies
 * recorded by the queue, the bounce mailbox, webhooks, the API): hard_limit hard bounces
 * blocklist the subscriber, soft_limit soft bounces within soft_window_days too, and a
 * complaint unsubscribes them from everything (consent source "complaint"). Each bounce row is
 * applied once (bounces.applied_at). Sources of this folder apply the rules in the transaction
 * that records the bounce; the worker's job applies the rest (the queue's SMTP-time bounces). */
#ifndef MC_TRACK_BOUNCE_RULES_H
#define MC_TRACK_BOUNCE_RULES_H

#include <libpq-fe.h>

#include "core/config.h"
#include "core/error.h"

/* Applies the rules of cfg ([bounces]) to at most max_rows bounces not applied yet, inside the
 * caller's transaction; rows another transaction holds are skipped. returns the number of rows
 * applied, or -1 with err. */
long long bounce_rules_apply(PGconn *conn, const config_t *cfg, int max_rows, mc_error *err);

#endif
