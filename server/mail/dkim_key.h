/* DKIM private keys: reading a key file, decoding it once and checking it is a key of the
 * algorithm it is configured for; shared by the signer and by the DNS records. */
#ifndef MC_MAIL_DKIM_KEY_H
#define MC_MAIL_DKIM_KEY_H

#include <openssl/evp.h>
#include <stdbool.h>

#include "core/error.h"
#include "mail/dkim_signer.h"

/* returns "rsa-sha256" or "ed25519-sha256" (static) */
const char *dkim_algorithm_name(dkim_algorithm alg);
/* parses an algorithm name; returns false when it is neither */
bool dkim_algorithm_parse(const char *name, dkim_algorithm *alg);

/* returns the file's bytes (at most 64 KiB) as a string; caller cleanses and frees it with
 * dkim_key_text_free(). NULL with err (field where) when the file cannot be read. */
char *dkim_key_read_file(const char *path, const char *where, mc_error *err);
void dkim_key_text_free(char *pem);

/* Decodes a PEM private key and checks it fits alg (RSA of at least 1024 bits, or Ed25519).
 * returns a new key (caller frees with EVP_PKEY_free()), or NULL with err naming where. */
EVP_PKEY *dkim_key_decode(const char *pem, dkim_algorithm alg, const char *where, mc_error *err);

#endif
