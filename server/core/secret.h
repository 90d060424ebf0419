/* Random values and hashes used for credentials. */
#ifndef MC_CORE_SECRET_H
#define MC_CORE_SECRET_H

#include <stddef.h>

#include "core/error.h"

#define SECRET_HASH_BYTES 32

/* Writes prefix followed by `bytes` random bytes in unpadded base64url into out (NUL-terminated).
 * out must hold strlen(prefix) + bytes*4/3 + 4 characters. */
void secret_random_token(const char *prefix, size_t bytes, char *out, size_t out_cap);
/* SHA-256 of text into hash[SECRET_HASH_BYTES] */
void secret_hash(const char *text, unsigned char hash[SECRET_HASH_BYTES]);
/* Writes hash as PostgreSQL bytea hex input ("\x...") into out (at least 2*32+3 bytes). */
void secret_hash_bytea(const unsigned char hash[SECRET_HASH_BYTES], char *out, size_t out_cap);
#define SECRET_KEY_TEXT (2 * SECRET_HASH_BYTES + 3)
/* Writes the SHA-256 of token as bytea hex input into key: how session and API tokens are
 * stored and looked up, so that the database never holds a usable token. */
void secret_token_key(const char *token, char key[SECRET_KEY_TEXT]);
/* Loads the server secret from path, creating it (mode 0600, 32 random bytes) when missing.
 * returns 0 with the key in key[32], or -1 with err set. */
int secret_load_or_create(const char *path, unsigned char key[32], mc_error *err);
/* constant-time comparison of two NUL-terminated strings */
int secret_equal(const char *a, const char *b);

#endif
