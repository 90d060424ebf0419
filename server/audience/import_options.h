/* The options of a CSV import and the plan they make for the file's columns. Options are
 * {"lists": [ids], "mode": "upsert"|"skip_existing", "list_status": ..., "mapping":
 * {"CSV column": "email"|"name"|"status"|"attributes"|"attributes.<key>[:number|:date|:bool]"}}.
 * "status" takes active or blocklisted; "attributes" a JSON object merged into the attributes,
 * as GET /api/v1/subscribers/export writes them. */
#ifndef MC_AUDIENCE_IMPORT_OPTIONS_H
#define MC_AUDIENCE_IMPORT_OPTIONS_H

#include <jansson.h>
#include <stdbool.h>

#include "core/buf.h"
#include "core/error.h"
#include "core/str.h"

typedef enum {
    COLUMN_IGNORE,
    COLUMN_EMAIL,
    COLUMN_NAME,
    COLUMN_STATUS,     /* active or blocklisted */
    COLUMN_ATTRIBUTES, /* a JSON object of attributes */
    COLUMN_ATTRIBUTE
} import_target;
typedef enum { VALUE_STRING, VALUE_NUMBER, VALUE_DATE, VALUE_BOOL } import_value_type;

typedef struct {
    import_target target;
    import_value_type type;
    char *key;  /* attribute key, for COLUMN_ATTRIBUTE */
    char *name; /* the header's column name */
} import_column;

typedef struct {
    buf_t lists;             /* PostgreSQL array literal of list ids, "{}" for none */
    bool skip_existing;      /* mode */
    const char *list_status; /* NULL: each list's default */
    json_t *mapping;         /* the "mapping" object (a reference), NULL for the default */
    import_column *columns;  /* the plan, one per header column, after import_plan() */
    int column_count;
    int email_column;
    int name_column;       /* -1 when none */
    int status_column;     /* -1 when none */
    int attributes_column; /* -1 when none */
} import_options;

/* Parses options JSON text (NULL or "" means all defaults). returns 0 (release with
 * import_options_free()), or -1 with a 400 naming the option. */
int import_options_parse(const char *text, import_options *o, mc_error *err);
/* Makes the column plan from the header. returns 0, or -1 with a 400 naming the problem (no
 * email column, a mapped column missing from the header, ...). */
int import_plan(import_options *o, const str_t *header, int count, mc_error *err);
void import_options_free(import_options *o);

#endif
