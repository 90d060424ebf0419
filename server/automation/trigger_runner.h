/* The step runner: takes the enrollments whose next step is due and runs their steps (wait,
 * check, send, exit) until a wait, the end or an exit, each enrollment in one transaction that
 * records every step it ran. */
#ifndef MC_AUTOMATION_TRIGGER_RUNNER_H
#define MC_AUTOMATION_TRIGGER_RUNNER_H

#include <libpq-fe.h>
#include <stdbool.h>

#include "app/app.h"
#include "core/error.h"

#define TRIGGER_RUNNER_BATCH 200 /* enrollments per run */

/* Runs the due steps of up to TRIGGER_RUNNER_BATCH active enrollments of enabled triggers,
 * skipping those another worker holds, until *stop. An enrollment whose steps fail (the
 * database refused a statement) is rolled back whole, logged, and tried again at the next
 * run. Sets *wake_ms to the time until the next step comes due (0 when a full batch ran: more
 * may be due; left alone when none is pending). returns the number of enrollments run, or -1
 * with err when the database cannot be reached. */
int trigger_runner_run(app_t *app, PGconn *conn, const bool *stop, long long *wake_ms,
                       mc_error *err);

#endif
