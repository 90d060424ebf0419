/* The segment rule language compiled to SQL. A rule is {"all": [rule, ...]}, {"any": [...]},
 * {"not": rule}, or a condition on subscriber fields, attributes, list membership, engagement
 * or events (docs/audience.md lists them). The result is one boolean SQL expression over the
 * alias s (a subscribers row) built only from the fixed fragments in segment_compile.c; every
 * value, attribute key, list id and event name travels as a parameter. */
#ifndef MC_AUDIENCE_SEGMENT_COMPILE_H
#define MC_AUDIENCE_SEGMENT_COMPILE_H

#include <jansson.h>

#include "audience/sql_builder.h"
#include "core/error.h"

#define SEGMENT_MAX_DEPTH  10   /* nesting of all/any/not */
#define SEGMENT_MAX_NODES  200  /* conditions and groups in one rule */
#define SEGMENT_MAX_VALUES 1000 /* values of one "in" */

/* Appends the expression for rule to b (parameters are numbered after b's existing ones).
 * returns 0, or -1 with a 400 "invalid_rule" whose field is the path of the offending member
 * inside the rule, such as "all[2].any[0].op"; b then holds a partial text to be discarded. */
int segment_compile(json_t *rule, sql_builder *b, mc_error *err);
/* As segment_compile(), for the conditions of a trigger, evaluated for one subscriber on it: an
 * event condition may carry "since_entry": true to count only the events that occurred at or
 * after entry_at (a timestamptz text, bound as a parameter once). With entry_at NULL, as in
 * segment_compile(), "since_entry" is refused with its path. */
int segment_compile_at(json_t *rule, sql_builder *b, const char *entry_at, mc_error *err);

#endif
