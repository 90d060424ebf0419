/* How many messages wait in the queue, by state, for GET /metrics: cheap enough to run on
 * every scrape with millions of rows queued. */
#ifndef MC_QUEUE_QUEUE_DEPTH_H
#define MC_QUEUE_QUEUE_DEPTH_H

#include <libpq-fe.h>

#include "core/buf.h"
#include "core/error.h"

/* Counts are exact up to this; past it they are the planner's estimate, or this when that is
 * lower (statistics older than the queue). */
#define QUEUE_DEPTH_CAP 10000

typedef struct {
    long long queued, deferred, sending;
} queue_depth;

/* Counts the queued, deferred and sending messages, each exactly up to QUEUE_DEPTH_CAP, from
 * indexes that hold them (never the sent history). returns 0 or -1 with err. */
int queue_depth_read(PGconn *conn, queue_depth *out, mc_error *err);
/* Appends the gauge mailcast_queue_messages{state} of d as Prometheus text. */
void queue_depth_render(const queue_depth *d, buf_t *out);

#endif
