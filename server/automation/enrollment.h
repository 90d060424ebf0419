/* What every entry into a trigger checks, whatever made it (an event, a list, a date): SQL
 * fragments shared by the automation pass and the list and date entries, and the compiled
 * audience filter of a trigger. */
#ifndef MC_AUTOMATION_ENROLLMENT_H
#define MC_AUTOMATION_ENROLLMENT_H

#include <jansson.h>
#include <stdbool.h>

#include "audience/sql_builder.h"

/* The re-entry rule of trigger t (a triggers row) for subscriber subscriber (an SQL
 * expression): true when the subscriber may enter now. Never while active on it (the unique
 * index says so too); "once": never after any earlier entry; "after:30d" (reentry_seconds):
 * not within that long of the last entry; "every_time": whenever not active. */
#define ENROLLMENT_ALLOWED_SQL(subscriber)                                                         \
    "NOT EXISTS (SELECT 1 FROM trigger_enrollments p WHERE p.trigger_id = t.id"                    \
    " AND p.subscriber_id = " subscriber " AND (p.state = 'active'"                                \
    " OR t.definition->>'reentry' = 'once' OR p.entered_at > now() -"                              \
    " COALESCE((t.definition->>'reentry_seconds')::bigint, 0) * interval '1 second'))"

/* Appends to b " AND <the audience filter>" over the subscriber alias s: nothing when the
 * trigger has no segment (has_segment false), "false" when its segment is gone (rule NULL) or
 * no longer compiles (logged, naming trigger_id): nobody enters rather than everybody. */
void enrollment_add_segment(sql_builder *b, long long trigger_id, bool has_segment, json_t *rule);

#endif
