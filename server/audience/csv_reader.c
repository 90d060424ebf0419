/* libcsv cannot resynchronise after a parse error, so the reader drops the parser, skips to the
 * next line feed and starts a fresh one. A quoted field that never closes swallows the rest of
 * the file into one bad row, as every CSV reader must. */
#include "audience/csv_reader.h"

#include <csv.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/buf.h"

#define CHUNK      65536
#define MAX_FIELDS 1000

typedef struct {
    struct csv_parser parser;
    buf_t data; /* the current record's fields, back to back */
    size_t offsets[MAX_FIELDS + 1];
    int count;
    bool too_many;
    long long row; /* records finished so far */
    csv_record_fn on_record;
    csv_bad_row_fn on_bad_row;
    void *ctx;
    int stop; /* 1: stop asked, -1: error */
} reader;

static void on_field(void *s, size_t len, void *data)
{
    reader *r = data;
    if (r->count == MAX_FIELDS) {
        r->too_many = true;
        return;
    }
    r->offsets[r->count] = r->data.n;
    if (len) buf_append(&r->data, s, len);
    r->count++;
}

static void reset_record(reader *r)
{
    buf_reset(&r->data);
    r->count = 0;
    r->too_many = false;
}

static void on_record_end(int c, void *data)
{
    (void)c;
    reader *r = data;
    r->row++;
    if (r->stop) {
        reset_record(r);
        return;
    }
    if (r->too_many) {
        r->stop = r->on_bad_row(r->ctx, r->row, "the row has more than 1000 fields");
    } else {
        str_t fields[MAX_FIELDS];
        r->offsets[r->count] = r->data.n;
        for (int i = 0; i < r->count; i++)
            fields[i] = str_make(r->data.p + r->offsets[i], r->offsets[i + 1] - r->offsets[i]);
        r->stop = r->on_record(r->ctx, r->row, fields, r->count);
    }
    reset_record(r);
}

static void restart_parser(reader *r)
{
    csv_free(&r->parser);
    csv_init(&r->parser, CSV_STRICT | CSV_STRICT_FINI);
    reset_record(r);
}

/* Reports the row being read as bad and restarts; *skipping is set until the next line feed. */
static void bad_row(reader *r, const char *message, bool *skipping)
{
    r->row++;
    if (!r->stop) r->stop = r->on_bad_row(r->ctx, r->row, message);
    restart_parser(r);
    *skipping = true;
}

int csv_read(FILE *f, csv_record_fn on_record, csv_bad_row_fn on_bad_row, void *ctx, mc_error *err)
{
    reader *r = xcalloc(1, sizeof *r);
    r->on_record = on_record;
    r->on_bad_row = on_bad_row;
    r->ctx = ctx;
    csv_init(&r->parser, CSV_STRICT | CSV_STRICT_FINI);
    char *chunk = xmalloc(CHUNK);
    bool first = true, skipping = false;
    size_t n;
    while (!r->stop && (n = fread(chunk, 1, CHUNK, f)) > 0) {
        size_t pos = 0;
        if (first && n >= 3 && !memcmp(chunk, "\xEF\xBB\xBF", 3)) pos = 3; /* UTF-8 BOM */
        first = false;
        while (pos < n && !r->stop) {
            if (skipping) {
                char *lf = memchr(chunk + pos, '\n', n - pos);
                if (!lf) break; /* the rest of this chunk belongs to the bad row */
                pos = (size_t)(lf - chunk) + 1;
                skipping = false;
                continue;
            }
            /* feed in pieces small enough to notice a field that grows without end */
            size_t piece = n - pos < 8192 ? n - pos : 8192;
            size_t done = csv_parse(&r->parser, chunk + pos, piece, on_field, on_record_end, r);
            if (done < piece) {
                pos += done;
                bad_row(r,
                        "broken quoting (a quote inside a field must be doubled and quoted fields "
                        "must be closed)",
                        &skipping);
                continue;
            }
            pos += piece;
            if (r->parser.entry_pos > CSV_FIELD_MAX || r->data.n > 4 * (size_t)CSV_FIELD_MAX)
                bad_row(r, "a field is longer than 1 MiB", &skipping);
        }
    }
    int rc = 0;
    if (ferror(f)) {
        rc = mc_error_set(err, 500, "io_error", "file", "reading the file failed: %s",
                          strerror(errno));
    } else if (!r->stop && !skipping) {
        if (csv_fini(&r->parser, on_field, on_record_end, r) != 0 && !r->stop) {
            r->row++;
            r->stop = r->on_bad_row(r->ctx, r->row, "broken quoting: a quoted field is not closed");
        }
    }
    if (r->stop < 0) rc = -1;
    csv_free(&r->parser);
    buf_free(&r->data);
    free(chunk);
    free(r);
    return rc;
}
