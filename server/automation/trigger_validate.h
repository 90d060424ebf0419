/* A trigger definition as the API accepts it, checked and normalized into the one form that is
 * stored (triggers.definition, trigger_versions) and that the runner reads: defaults filled in,
 * waits with their seconds, re-entry pauses with theirs (docs/automations.md, "Triggers").
 * Checking ids against the database is trigger_check_references()'s part. */
#ifndef MC_AUTOMATION_TRIGGER_VALIDATE_H
#define MC_AUTOMATION_TRIGGER_VALIDATE_H

#include <jansson.h>
#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/error.h"

#define TRIGGER_MAX_STEPS          50
#define TRIGGER_MAX_EXIT_EVENTS    20
#define TRIGGER_SETTINGS_MAX_BYTES (16 * 1024)
#define TRIGGER_OFFSET_DAYS_MAX    3650

/* Checks body (a definition as POST /api/v1/triggers takes it) without the database. returns
 * the normalized definition (caller frees with json_decref()), or NULL with a 400
 * "invalid_field" whose field is the path of the first problem ("steps[2].send",
 * "entry.where[0].op", "reentry"). Normalizing a normalized definition gives it back. */
json_t *trigger_normalize(json_t *body, mc_error *err);

/* Checks that what normalized definition def names exists: the entry list, the segment, and
 * every send step's template (a message template, not a layout, whose subject and body
 * compile, as does the step's subject). templates_dir: the built-in layouts. returns 0, or -1
 * with a 400 naming the field ("no template has the id 9"), or a database error. */
int trigger_check_references(PGconn *conn, json_t *def, const char *templates_dir, mc_error *err);

#endif
