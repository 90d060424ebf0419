/* The suppression list: addresses that may not be added again (erased people, complaints).
 * Only HMAC-SHA256(server secret, lower(address)) is stored, so the table cannot be read back
 * as a list of addresses, and the same address always gives the same key. */
#ifndef MC_AUDIENCE_SUPPRESSION_H
#define MC_AUDIENCE_SUPPRESSION_H

#include <libpq-fe.h>

#include "core/error.h"

#define SUPPRESSION_KEY_TEXT 68 /* "\x" + 64 hex digits + NUL, as bytea input */

#define SUPPRESSION_PAD_TEXT 132 /* "\x" + 128 hex digits + NUL */

/* For SQL that computes keys itself (imports): the HMAC's inner and outer padded keys as bytea
 * input, so that sha256(opad || sha256(ipad || convert_to(lower(email), 'UTF8'))) is the key
 * suppression_key() computes. */
void suppression_pads(const unsigned char secret[32], char ipad[SUPPRESSION_PAD_TEXT],
                      char opad[SUPPRESSION_PAD_TEXT]);
/* The SQL expression of a key for the text expression email, with $ipad and $opad parameters */
#define SUPPRESSION_KEY_SQL(email, ipad, opad)                                                     \
    "sha256(" opad "::bytea || sha256(" ipad "::bytea || convert_to(lower(" email "), 'UTF8')))"

/* Computes the key of email into key (bytea hex input). lower() is PostgreSQL's, the same
 * that makes addresses unique, so "ÁNA@x.es" and "ána@x.es" share a key.
 * returns 0, or -1 with err. */
int suppression_key(PGconn *conn, const unsigned char secret[32], const char *email,
                    char key[SUPPRESSION_KEY_TEXT], mc_error *err);
/* returns 1 when email is suppressed, 0 when not, -1 with err */
int suppression_contains(PGconn *conn, const unsigned char secret[32], const char *email,
                         mc_error *err);
/* Adds email with reason ("erased", "complaint", "manual"); adding twice is no error.
 * returns 0 or -1 with err. */
int suppression_add(PGconn *conn, const unsigned char secret[32], const char *email,
                    const char *reason, mc_error *err);
/* Removes email (the admin override). returns 1 when it was there, 0 when not, -1 with err. */
int suppression_remove(PGconn *conn, const unsigned char secret[32], const char *email,
                       mc_error *err);

#endif
