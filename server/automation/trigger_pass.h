/* The automation pass: applies new events to the triggers, in the order they were stored. An
 * event enters its subscriber into the triggers it starts, replaces the entry event of the
 * ones the subscriber is in (a newer cart), and ends the ones it is an exit event of. */
#ifndef MC_AUTOMATION_TRIGGER_PASS_H
#define MC_AUTOMATION_TRIGGER_PASS_H

#include <libpq-fe.h>

#include "core/error.h"

#define TRIGGER_PASS_BATCH 1000 /* events per transaction */

/* Takes up to TRIGGER_PASS_BATCH events not handled yet (skipping those another worker
 * holds), applies them in id order and marks them handled, all in one transaction: an event
 * is applied once, and a crash leaves it to the next pass. One pass runs at a time across all
 * workers (an advisory lock; the others return at once), so that events apply in order. An
 * event whose statements the database refuses is marked handled without effect (logged), so
 * that it does not stop the events after it. returns the number of events handled
 * (TRIGGER_PASS_BATCH: more may wait), or -1 with err. */
int trigger_pass_run(PGconn *conn, mc_error *err);

#endif
