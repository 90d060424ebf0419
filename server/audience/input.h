/* Reading the members of a JSON request object with errors that name the field. Shared by
 * the audience's create and update functions. */
#ifndef MC_AUDIENCE_INPUT_H
#define MC_AUDIENCE_INPUT_H

#include <jansson.h>
#include <stdbool.h>

#include "core/buf.h"
#include "core/error.h"

/* Reads an optional string member (trimmed of ASCII white space) of at most max_chars code
 * points; min_chars applies when present. *out gets a copy the caller frees with free(), or
 * NULL when the member is absent (or JSON null). returns 0, or -1 with a 400 naming field. */
int input_string(json_t *obj, const char *field, size_t min_chars, size_t max_chars, char **out,
                 mc_error *err);
/* Reads an optional string member that must be one of allowed (NULL-terminated). *out is
 * borrowed from the allowed table, NULL when absent. returns 0 or -1 with a 400. */
int input_enum(json_t *obj, const char *field, const char *const *allowed, const char **out,
               mc_error *err);
/* Reads an optional array of positive integer ids (at most max) into out as a PostgreSQL array
 * literal "{1,2}". *present tells whether the member was there. returns 0 or -1 with a 400. */
int input_ids(json_t *obj, const char *field, size_t max, buf_t *out, size_t *count, bool *present,
              mc_error *err);
/* Reads an optional positive integer id. *id is 0 when absent. returns 0 or -1 with a 400. */
int input_id(json_t *obj, const char *field, long long *id, mc_error *err);
/* Refuses members of obj not named in known (NULL-terminated): a misspelt field would
 * otherwise be silently ignored. returns 0 or -1 with a 400 naming the member. */
int input_known_fields(json_t *obj, const char *const *known, mc_error *err);

#endif
