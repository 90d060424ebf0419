/* A person's rights over their data: everything stored about them as one JSON document, and
 * erasure that leaves only a suppression key behind so they are not added back by accident. */
#ifndef MC_AUDIENCE_PRIVACY_H
#define MC_AUDIENCE_PRIVACY_H

#include <jansson.h>
#include <libpq-fe.h>

#include "core/error.h"

/* returns {"subscriber", "memberships", "consents", "events", "messages", "opens", "clicks",
 * "exported_at"} for subscriber id; "messages" lists the queue's rows for the person, by their
 * id or their address, oldest first (caller frees with json_decref()), or NULL with err (404) */
json_t *privacy_export(PGconn *conn, long long id, mc_error *err);
/* Deletes what is kept about the person outside the database (their captured copies of mail),
 * given their address; called inside the erasing transaction, before it commits, so that a
 * failure leaves the person in place and the erasure can be asked again. returns 0 or -1 with
 * err. */
typedef int (*privacy_erase_files)(void *ctx, const char *email, mc_error *err);

/* Deletes subscriber id with their memberships, consent records, events, engagement rows and
 * messages (those sent to their address without naming them too), calls files (may be NULL)
 * with their address, and adds HMAC(secret, lower(email)) to the suppression list, in one
 * transaction. returns 0, or -1 with err (404, or files' error). */
int privacy_erase(PGconn *conn, const unsigned char secret[32], long long id,
                  privacy_erase_files files, void *files_ctx, mc_error *err);

#endif
