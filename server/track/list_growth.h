/* The per-day rollup of every list's growth (list_growth_days), added to by the worker once a
 * day is over, so that a growth answer over months reads one row a day rather than every
 * membership. */
#ifndef MC_TRACK_LIST_GROWTH_H
#define MC_TRACK_LIST_GROWTH_H

#include <libpq-fe.h>

#include "core/error.h"

/* Adds the days after the last one added up to yesterday (UTC), for every list, in one
 * transaction. returns 1 when it added days, 0 when they were there already, or -1 with
 * err. */
int track_list_growth_rollup(PGconn *conn, mc_error *err);

#endif
