/* Admin passwords: argon2id hashes (libsodium, interactive limits). */
#ifndef MC_AUTH_PASSWORD_H
#define MC_AUTH_PASSWORD_H

#include <stdbool.h>

#include "core/error.h"

#define PASSWORD_HASH_MAX  128
#define PASSWORD_MIN_CHARS 8

/* Hashes password into out (PASSWORD_HASH_MAX bytes). returns 0, or -1 with err set when the
 * password is too short or too long (400, field "password"). */
int password_hash(const char *password, char out[PASSWORD_HASH_MAX], mc_error *err);
/* true when password matches hash. Costs the same time whether or not it matches. */
bool password_verify(const char *hash, const char *password);

#endif
