/* The states of a queued message and the transitions between them, named once: SQL that sets or
 * tests a state spells it with the MESSAGE_*_SQL literals below, and the table of transitions
 * (message_state.c) is what the ledger's statements may do to a row. */
#ifndef MC_QUEUE_MESSAGE_STATE_H
#define MC_QUEUE_MESSAGE_STATE_H

#include <stdbool.h>
#include <stddef.h>

/* the values of messages.state (its CHECK constraint, migrations/0005_campaigns.sql) */
typedef enum {
    MESSAGE_QUEUED,    /* waiting for run_at and a worker */
    MESSAGE_SENDING,   /* claimed: a worker holds its lease */
    MESSAGE_SENT,      /* the relay accepted it (ended) */
    MESSAGE_DEFERRED,  /* a temporary refusal: tried again at run_at */
    MESSAGE_FAILED,    /* refused for good, given up, or could not be built (ended) */
    MESSAGE_CANCELLED, /* withdrawn before it was sent (ended) */
    MESSAGE_STATE_COUNT
} message_state;

/* SQL string literals, quotes included, to concatenate into constant SQL text */
#define MESSAGE_QUEUED_SQL    "'queued'"
#define MESSAGE_SENDING_SQL   "'sending'"
#define MESSAGE_SENT_SQL      "'sent'"
#define MESSAGE_DEFERRED_SQL  "'deferred'"
#define MESSAGE_FAILED_SQL    "'failed'"
#define MESSAGE_CANCELLED_SQL "'cancelled'"
/* waiting to be claimed: what cancelling withdraws */
#define MESSAGE_WAITING_SQL "(" MESSAGE_QUEUED_SQL ", " MESSAGE_DEFERRED_SQL ")"
/* ended: nothing changes them any more; what retention deletes */
#define MESSAGE_ENDED_SQL                                                                          \
    "(" MESSAGE_SENT_SQL ", " MESSAGE_FAILED_SQL ", " MESSAGE_CANCELLED_SQL ")"

/* One allowed change of state: action names why, for documentation and tests. */
typedef struct {
    const char *action;
    message_state from;
    message_state to;
} message_transition;

/* the name of state s as stored ("queued"), or NULL for a value out of range */
const char *message_state_name(message_state s);
/* the state named name, or -1 when there is none */
int message_state_from_name(const char *name);
/* true when s is final: no transition leaves it */
bool message_state_ended(message_state s);
/* true when the table allows from -> to */
bool message_transition_allowed(message_state from, message_state to);
/* the table of transitions (borrowed, static); *count gets its length */
const message_transition *message_transitions(size_t *count);

#endif
