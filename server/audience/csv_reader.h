/* A CSV reader for imports on top of libcsv (strict mode) that keeps going after a bad row:
 * a row with broken quoting or an over-long field is reported with its row number and the
 * reader resumes at the next line. Row numbers count records from 1 (the header is row 1). */
#ifndef MC_AUDIENCE_CSV_READER_H
#define MC_AUDIENCE_CSV_READER_H

#include <stdio.h>

#include "core/error.h"
#include "core/str.h"

#define CSV_FIELD_MAX (1u << 20) /* bytes in one field before the row is refused */

/* Called for each record; fields are borrowed until the callback returns. return 0 to go on,
 * 1 to stop reading (not an error), -1 to stop with an error. */
typedef int (*csv_record_fn)(void *ctx, long long row, const str_t *fields, int count);
/* Called for each row that cannot be read; message is borrowed. return 0 to go on, -1 to stop. */
typedef int (*csv_bad_row_fn)(void *ctx, long long row, const char *message);

/* Reads f to the end (or until a callback stops it). returns 0, or -1 with err when reading the
 * file fails or a callback returned -1 (err is then the callback's to fill). */
int csv_read(FILE *f, csv_record_fn on_record, csv_bad_row_fn on_bad_row, void *ctx, mc_error *err);

#endif
