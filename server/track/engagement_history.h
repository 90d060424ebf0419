/* The engagement history's months: partitions created ahead of the events that will fill them,
 * and retention, which drops whole months (or deletes rows) older than [tracking]
 * event_retention_days. The counts are written when events arrive, never from the history, so
 * retention changes none of them. */
#ifndef MC_TRACK_ENGAGEMENT_HISTORY_H
#define MC_TRACK_ENGAGEMENT_HISTORY_H

#include <libpq-fe.h>
#include <time.h>

#include "core/error.h"

/* Writes into name the partition name of the month holding t (UTC), offset by months:
 * "message_engagements_y2026m12". */
void track_history_partition_name(time_t t, int months, char *name, size_t size);
/* Creates the partitions of last month, this month and the two after, when missing. A month
 * that cannot be created (rows of it already in the default partition) is logged and left to
 * the default partition. returns how many were created, or -1 with err. */
int track_history_partitions(PGconn *conn, mc_error *err);
/* Deletes the history older than days: the months wholly older are dropped, the rest deleted
 * row by row. returns 0 with *dropped months and *deleted rows, or -1 with err. */
int track_history_prune(PGconn *conn, unsigned days, int *dropped, long long *deleted,
                        mc_error *err);

#endif
