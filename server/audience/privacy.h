/* A person's rights over their data: everything stored about them as one JSON document, and
 * erasure that leaves only a suppression key behind so they are not added back by accident. */
#ifndef MC_AUDIENCE_PRIVACY_H
#define MC_AUDIENCE_PRIVACY_H

#include <jansson.h>
#include <libpq-fe.h>

#include "core/error.h"

/* returns {"subscriber", "memberships", "consents", "events", "messages", "opens", "clicks",
 * "exported_at"} for subscriber id (caller frees with json_decref()), or NULL with err (404) */
json_t *privacy_export(PGconn *conn, long long id, mc_error *err);
/* Deletes subscriber id with their memberships, consent records, events and engagement rows,
 * and adds HMAC(secret, lower(email)) to the suppression list, in one transaction.
 * returns 0, or -1 with err (404). */
int privacy_erase(PGconn *conn, const unsigned char secret[32], long long id, mc_error *err);

#endif
