/* Triggers (/api/v1/triggers): definitions, their versions, pausing, the subscribers on them and
 * their numbers. A definition is stored normalized (trigger_validate.h). Every change to what
 * a trigger does (entry, audience, steps, exits, re-entry, settings) makes a new version kept
 * in trigger_versions; subscribers in flight stay on the version they entered with. */
#ifndef MC_AUTOMATION_TRIGGER_DEFS_H
#define MC_AUTOMATION_TRIGGER_DEFS_H

#include <jansson.h>
#include <libpq-fe.h>
#include <stdbool.h>

#include "core/error.h"

/* Each returns the trigger as its normalized definition plus "id", "version", "enabled",
 * "created_at" and "updated_at" (caller frees with json_decref()), or NULL with err: 400 with
 * the field for a bad definition, 404 for no such trigger. */
json_t *trigger_create(PGconn *conn, json_t *body, const char *templates_dir, mc_error *err);
json_t *trigger_get(PGconn *conn, long long id, mc_error *err);
/* replace (PUT): body is the whole definition ("enabled" absent keeps the trigger's); else
 * (PATCH) the members given replace those of the current definition. */
json_t *trigger_update(PGconn *conn, long long id, json_t *body, bool replace,
                       const char *templates_dir, mc_error *err);
/* Pauses (enabled false) or resumes the trigger; no new version. */
json_t *trigger_set_enabled(PGconn *conn, long long id, bool enabled, mc_error *err);
/* Deletes the trigger, its versions and its enrollments. returns 0 or -1 with err (404). */
int trigger_delete(PGconn *conn, long long id, mc_error *err);
/* returns {"items", "next_cursor"} (+ "total") of triggers with id > after (caller frees with
 * json_decref()), or NULL with err */
json_t *trigger_list(PGconn *conn, long long after, int limit, bool with_total, mc_error *err);
/* The enrollments of trigger id with id > after, optionally in one state (NULL: all): each
 * {"id", "subscriber_id", "email", "state", "step", "due_at", "entered_at", "ended_at",
 * "end_reason", "version"}. returns the page (caller frees with json_decref()), or NULL with
 * err (400 bad state, 404 no trigger). */
json_t *trigger_enrollments(PGconn *conn, long long id, const char *state, long long after,
                            int limit, bool with_total, mc_error *err);
/* returns {"entered", "active", "completed", "exited", "cancelled", "steps": [{"step",
 * "kind", "waiting", "ran", "outcomes"}], "sent", "recipients", "conversions", "revenue",
 * "revenue_per_recipient"} (caller frees with json_decref()), or NULL with err (404) */
json_t *trigger_stats(PGconn *conn, long long id, mc_error *err);

#endif
