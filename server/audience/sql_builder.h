/* sql_builder: SQL text assembled from constant fragments, with every value carried as a
 * numbered parameter. The only way a value enters the query is sql_builder_param(), which
 * appends "$n" to the text and the value to the parameter list: values never become SQL. */
#ifndef MC_AUDIENCE_SQL_BUILDER_H
#define MC_AUDIENCE_SQL_BUILDER_H

#include "core/buf.h"

typedef struct {
    buf_t sql;
    char **params; /* owned copies; NULL entries are SQL NULL */
    int count;
    int cap;
} sql_builder;

#define SQL_BUILDER_INIT ((sql_builder){BUF_INIT, NULL, 0, 0})

/* appends a constant SQL fragment (never a value) */
void sql_builder_add(sql_builder *b, const char *fragment);
/* appends "$n" for a copy of value (NULL for SQL NULL); returns n */
int sql_builder_param(sql_builder *b, const char *value);
/* appends "$n" for a copy of value[0..len) */
int sql_builder_param_n(sql_builder *b, const char *value, size_t len);
/* appends "$n" for the decimal text of v */
int sql_builder_param_int(sql_builder *b, long long v);
/* adds a copy of value as parameter n without appending text (refer to it with
 * sql_builder_ref); returns n */
int sql_builder_bind(sql_builder *b, const char *value);
/* appends "$n" again for an existing parameter n */
void sql_builder_ref(sql_builder *b, int n);
/* the text so far, borrowed until the next change */
const char *sql_builder_text(const sql_builder *b);
/* the parameters as libpq wants them, borrowed until the next change */
const char *const *sql_builder_params(const sql_builder *b);
/* releases everything; b is empty and reusable */
void sql_builder_free(sql_builder *b);

#endif
