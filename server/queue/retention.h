/* Retention of the message queue ([queue] retention_days): the worker's housekeeping deletes
 * messages that ended, in chunks small enough that no statement holds many locks or a long
 * transaction, within a time budget per pass. */
#ifndef MC_QUEUE_RETENTION_H
#define MC_QUEUE_RETENTION_H

#include <libpq-fe.h>
#include <stdbool.h>

#include "core/error.h"

/* messages one statement deletes at the most */
#define RETENTION_CHUNK 10000

typedef struct {
    long long campaign_messages; /* messages of campaigns that ended */
    long long other_messages;    /* transactional, system and test messages */
    long long campaigns;         /* campaigns whose last message went */
} retention_counts;

/* What a pass deletes next. */
typedef enum { RETENTION_DONE, RETENTION_CAMPAIGNS, RETENTION_OTHERS } retention_step;

typedef struct {
    bool campaigns_done; /* no campaign that ended long enough ago has messages left */
    bool others_done;    /* the last chunk of other messages came back short */
    retention_step last;
} retention_pass;

/* returns the next step of pass p (start from a zeroed one: campaigns first): campaigns and
 * other messages take turns, so that a backlog of one does not hold back the other;
 * RETENTION_DONE once both are done, or when out_of_time (the budget is spent or the worker
 * stops). */
retention_step retention_next(retention_pass *p, bool out_of_time);

/* Called once campaign campaign_id (decimal text) has no message left that retention deletes:
 * its owner marks it so that it is not looked at again, in a statement that checks again that
 * none is left (a row another worker held was skipped). returns the campaigns marked (0 or 1),
 * or -1 with err. */
typedef long long (*retention_emptied_fn)(PGconn *conn, const char *campaign_id, mc_error *err);

/* Deletes the messages that ended (sent, failed, cancelled) of campaigns finished or cancelled
 * more than days ago, and transactional, system and test messages that ended and last changed
 * more than days ago, RETENTION_CHUNK at a time, until none is left, budget_ms have passed or
 * *stop is true. A campaign keeps its counts; once it has no message left, emptied marks it
 * (campaigns.messages_pruned_at) and it is not looked at again. Adds what it deleted to *counts.
 * returns 0 when nothing due is left, 1 when some is (the budget ran out or stop), -1 with err. */
int retention_prune(PGconn *conn, unsigned days, unsigned budget_ms, const bool *stop,
                    retention_emptied_fn emptied, retention_counts *counts, mc_error *err);

#endif
