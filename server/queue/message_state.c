/* The table of message states and their allowed transitions: every statement of the ledger that
 * changes messages.state does one of these (docs/architecture.md lists the statements). */
#include "queue/message_state.h"

#include <string.h>

static const char *const NAMES[MESSAGE_STATE_COUNT] = {
    [MESSAGE_QUEUED] = "queued", [MESSAGE_SENDING] = "sending",
    [MESSAGE_SENT] = "sent",     [MESSAGE_DEFERRED] = "deferred",
    [MESSAGE_FAILED] = "failed", [MESSAGE_CANCELLED] = "cancelled",
};

static const message_transition TRANSITIONS[] = {
    /* a worker takes a due message and holds its lease */
    {"claim", MESSAGE_QUEUED, MESSAGE_SENDING},
    {"claim", MESSAGE_DEFERRED, MESSAGE_SENDING},
    /* the relay's answer, or a message that could not be built */
    {"sent", MESSAGE_SENDING, MESSAGE_SENT},
    {"defer", MESSAGE_SENDING, MESSAGE_DEFERRED},
    {"fail", MESSAGE_SENDING, MESSAGE_FAILED},
    /* throttled, or its campaign paused: back in line without an attempt */
    {"give back", MESSAGE_SENDING, MESSAGE_QUEUED},
    /* its campaign was cancelled or ended while a worker held it, or its lease ran out */
    {"withdraw", MESSAGE_SENDING, MESSAGE_CANCELLED},
    /* its campaign was cancelled, or the recipient unsubscribed before the claim */
    {"cancel", MESSAGE_QUEUED, MESSAGE_CANCELLED},
    {"cancel", MESSAGE_DEFERRED, MESSAGE_CANCELLED},
};

const char *message_state_name(message_state s)
{
    return (int)s >= 0 && s < MESSAGE_STATE_COUNT ? NAMES[s] : NULL;
}

int message_state_from_name(const char *name)
{
    for (int s = 0; s < MESSAGE_STATE_COUNT; s++)
        if (!strcmp(NAMES[s], name)) return s;
    return -1;
}

bool message_state_ended(message_state s)
{
    return s == MESSAGE_SENT || s == MESSAGE_FAILED || s == MESSAGE_CANCELLED;
}

bool message_transition_allowed(message_state from, message_state to)
{
    for (size_t i = 0; i < sizeof TRANSITIONS / sizeof TRANSITIONS[0]; i++)
        if (TRANSITIONS[i].from == from && TRANSITIONS[i].to == to) return true;
    return false;
}

const message_transition *message_transitions(size_t *count)
{
    *count = sizeof TRANSITIONS / sizeof TRANSITIONS[0];
    return TRANSITIONS;
}
