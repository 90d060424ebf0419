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
/* Deletes what other concerns keep about the person, given their address: the queue's mail to
 * the address that names no subscriber, their captured copies of mail. Called inside the
 * erasing transaction, before it commits, so that a failure leaves the person in place and the
 * erasure can be asked again. returns 0 or -1 with err. */
typedef int (*privacy_erase_others)(void *ctx, PGconn *conn, const char *email, mc_error *err);

/* Deletes subscriber id with their memberships, consent records, events, engagement rows and
 * messages naming them, calls others (may be NULL) with their address for the rest (mail sent
 * to the address without naming them, captured copies), and adds HMAC(secret, lower(email)) to
 * the suppression list, in one transaction. returns 0, or -1 with err (404, or others' error). */
int privacy_erase(PGconn *conn, const unsigned char secret[32], long long id,
                  privacy_erase_others others, void *others_ctx, mc_error *err);

#endif
