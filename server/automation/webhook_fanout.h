/* The fan-out of outgoing webhooks: a pass, run about once a second by a thread of each
 * worker process (automation/webhook_sender.h), that reads what happened from the tables that
 * record it (subscribers, consents, messages, bounces, the engagement history, campaign
 * transitions) after the fact, and queues a delivery per webhook that wants it. Nothing on the
 * send path or the tracking endpoints writes for webhooks. */
#ifndef MC_AUTOMATION_WEBHOOK_FANOUT_H
#define MC_AUTOMATION_WEBHOOK_FANOUT_H

#include <libpq-fe.h>
#include <stdbool.h>

#include "core/error.h"

/* One pass over every source that an enabled webhook wants, at most limit rows of each, in one
 * transaction on conn; a pass already running in another process makes this one return at
 * once. *more becomes true when a source had more than limit rows, or more than one pass's
 * slice of time (a backlog), to read: the next pass should come at once. returns the number
 * of deliveries queued, or -1 with err. */
long long webhook_fanout_run(PGconn *conn, int limit, bool *more, mc_error *err);

#endif
