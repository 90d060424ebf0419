/* CSV export of subscribers, produced in keyset batches so that memory stays flat whatever
 * the number of rows. Columns: id, email, name, status, created_at, updated_at, attributes
 * (the attributes object as JSON). */
#ifndef MC_AUDIENCE_EXPORT_H
#define MC_AUDIENCE_EXPORT_H

#include <libpq-fe.h>
#include <sys/types.h>

#include "audience/subscribers.h"
#include "core/error.h"

typedef struct subscriber_export subscriber_export;

/* Prepares an export of the subscribers matching f, read through conn (borrowed: it must stay
 * with the export until subscriber_export_free). The filter is copied. returns the export
 * (caller frees with subscriber_export_free()), or NULL with err (404 for an unknown segment,
 * 400 for a rule that no longer compiles). */
subscriber_export *subscriber_export_new(PGconn *conn, const subscriber_filter *f, mc_error *err);
/* Writes up to cap bytes of CSV into out. returns how many, 0 at the end, -1 on a database
 * error (logged). */
ssize_t subscriber_export_read(subscriber_export *e, char *out, size_t cap);
void subscriber_export_free(subscriber_export *e);

#endif
