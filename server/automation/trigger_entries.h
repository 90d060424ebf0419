/* Entries that no event announces: a subscriber joining a list, and a date attribute (a
 * birthday, an anniversary) coming round in the subscriber's time zone. */
#ifndef MC_AUTOMATION_TRIGGER_ENTRIES_H
#define MC_AUTOMATION_TRIGGER_ENTRIES_H

#include <libpq-fe.h>

#include "core/config.h"
#include "core/error.h"

/* Enters into each enabled trigger of a list entry the subscribers whose membership of that
 * list was created or confirmed since the trigger last looked (its entry_checked_at, set when
 * the trigger was created: the members from before are not entered), once per membership;
 * into each of a date entry, once a day, the subscribers whose date attribute ("YYYY-MM-DD" or
 * "MM-DD": month and day count) plus the offset is today in their time zone (attribute
 * `timezone`, else [automation] default_timezone). Both respect the segment and the re-entry
 * rule. Date entries are looked at about once a minute (and at once after an edit). Each
 * trigger in a transaction of its own. returns the number of subscribers entered, or -1 with
 * err. */
int trigger_entries_run(PGconn *conn, const config_t *cfg, mc_error *err);

#endif
