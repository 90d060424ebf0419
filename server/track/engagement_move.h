/* Moving opens and clicks from engagement_inbox (where the tracking endpoints write them raw)
 * into the engagement history and its counts, classified as human or machine. Several workers
 * share the inbox: each locks a batch with SKIP LOCKED, and the rows leave the inbox in the
 * transaction that counts them, so none is counted twice or lost. */
#ifndef MC_TRACK_ENGAGEMENT_MOVE_H
#define MC_TRACK_ENGAGEMENT_MOVE_H

#include <libpq-fe.h>

#include "core/error.h"

/* Rows younger than this stay in the inbox for the next run: a scanner's burst of clicks on
 * one message is then classified together. */
#define TRACK_INBOX_SETTLE_SECONDS 2

/* Moves up to limit inbox rows older than TRACK_INBOX_SETTLE_SECONDS, oldest first, in one
 * transaction. returns how many moved (0: none was ready), or -1 with err (nothing moved). */
int track_engagements_move(PGconn *conn, int limit, mc_error *err);

#endif
