/* Saved segments: a name and a rule tree (see segment_compile.h). Counting and previewing
 * compile the rule each time, so a segment always reflects the data as it is now. */
#ifndef MC_AUDIENCE_SEGMENTS_H
#define MC_AUDIENCE_SEGMENTS_H

#include <jansson.h>
#include <libpq-fe.h>
#include <stdbool.h>

#include "audience/sql_builder.h"
#include "core/error.h"

/* Creates a segment from {"name", "rule"}. returns {"id", "name", "rule", "created_at",
 * "updated_at"} (caller frees with json_decref()), or NULL with err (400 with the rule path). */
json_t *segment_create(PGconn *conn, json_t *body, mc_error *err);
/* returns the segment (caller frees with json_decref()), or NULL with err (404) */
json_t *segment_get(PGconn *conn, long long id, mc_error *err);
/* Replaces name and/or rule (absent members are kept). returns the segment or NULL with err. */
json_t *segment_update(PGconn *conn, long long id, json_t *body, mc_error *err);
/* returns 0 or -1 with err (404) */
int segment_delete(PGconn *conn, long long id, mc_error *err);
/* Lists segments with id > after, at most limit. returns {"items", "next_cursor"} (+ "total");
 * caller frees with json_decref(); NULL with err. */
json_t *segment_list(PGconn *conn, long long after, int limit, bool with_total, mc_error *err);
/* Appends the boolean expression of saved segment id to b. returns 0, or -1 with err (404). */
int segment_sql_by_id(PGconn *conn, long long id, sql_builder *b, mc_error *err);
/* Counts subscribers matching rule. returns 0 with *count, or -1 with err. */
int segment_count_rule(PGconn *conn, json_t *rule, long long *count, mc_error *err);
/* Counts the subscribers of saved segment id. returns 0 with *count, or -1 with err. */
int segment_count(PGconn *conn, long long id, long long *count, mc_error *err);
/* returns {"items": [subscriber, ...]} with the first limit matches by id (caller frees with
 * json_decref()), or NULL with err */
json_t *segment_preview(PGconn *conn, long long id, int limit, mc_error *err);

#endif
