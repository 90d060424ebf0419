/* The revenue side of conversions: what the orders attributed to campaigns add up to. The rows
 * themselves are written with their events (events.c); docs/automations.md has the model. */
#ifndef MC_AUTOMATION_CONVERSIONS_H
#define MC_AUTOMATION_CONVERSIONS_H

#include <libpq-fe.h>

#include "core/error.h"

/* Sets conversions[i] and revenue[i] to the count and sum of the conversions attributed to
 * campaign ids[i], for i in [0, n). returns 0, or -1 with err. */
int conversion_totals(PGconn *conn, const long long *ids, int n, long long *conversions,
                      double *revenue, mc_error *err);

#endif
