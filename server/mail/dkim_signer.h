/* DKIM signing (RFC 6376) with libopendkim: relaxed/relaxed, rsa-sha256, one key and
 * selector per sending domain from [dkim.DOMAIN] sections. ed25519-sha256 is recognized and
 * refused (libopendkim 2.11 leaks memory on every Ed25519 signature). The signer is built
 * once at start-up and is then read-only, so threads share it. */
#ifndef MC_MAIL_DKIM_SIGNER_H
#define MC_MAIL_DKIM_SIGNER_H

#include "core/buf.h"
#include "core/config.h"
#include "core/error.h"
#include "core/str.h"

typedef struct dkim_signer dkim_signer;

typedef enum { DKIM_ALG_RSA_SHA256, DKIM_ALG_ED25519_SHA256 } dkim_algorithm;

/* returns a new signer with no keys; caller frees with dkim_signer_free() */
dkim_signer *dkim_signer_new(void);
void dkim_signer_free(dkim_signer *s);
/* adds the key for domain (PEM text, copied); returns 0, or -1 when the PEM is not an RSA
 * private key of at least 1024 bits, or when alg is DKIM_ALG_ED25519_SHA256 (refused) */
int dkim_signer_add_key(dkim_signer *s, const char *domain, const char *selector,
                        const char *key_pem, dkim_algorithm alg, mc_error *err);
/* adds a key per [dkim.DOMAIN] section of cfg (selector, private_key_file, algorithm);
 * returns 0, or -1 with err->field "FILE:LINE" of the offending key (algorithm =
 * ed25519-sha256 is one) */
int dkim_signer_load_config(dkim_signer *s, const config_t *cfg, mc_error *err);
/* returns the number of domains with a key */
size_t dkim_signer_count(const dkim_signer *s);

/* Signs message (complete CRLF bytes) with the key of domain and appends
 * "DKIM-Signature: ...\r\n" followed by the message to out.
 * returns 0 when signed, 1 when no key exists for domain (out gets the message unsigned),
 * -1 on a signing failure (err filled, out unchanged). Safe to call from many threads. */
int dkim_signer_sign(const dkim_signer *s, str_t domain, str_t message, buf_t *out, mc_error *err);

/* The DNS record a receiver looks up for one [dkim.DOMAIN] section. */
typedef struct {
    char *domain, *selector;
    char *algorithm;   /* as configured, rsa-sha256 by default */
    char *key_file;    /* NULL when the section names none */
    char *record_name; /* SELECTOR._domainkey.DOMAIN */
    char *txt;         /* "v=DKIM1; k=rsa; p=BASE64" to publish; NULL when error is set */
    char *error;       /* why the key gives no record (unreadable file, not an RSA key) */
} dkim_record;

/* Derives the TXT value "v=DKIM1; k=rsa; p=<base64 SubjectPublicKeyInfo>" from an RSA private
 * key in PEM and appends it to txt. returns 0, or -1 with err (400) when the PEM is not an RSA
 * private key. */
int dkim_public_record(const char *key_pem, buf_t *txt, mc_error *err);
/* The record of each [dkim.DOMAIN] section of cfg, in file order, each key file read now, so a
 * key replaced since start-up shows as it is on disk. returns the count with *out (NULL when 0;
 * caller frees with dkim_records_free()). */
size_t dkim_records_from_config(const config_t *cfg, dkim_record **out);
void dkim_records_free(dkim_record *records, size_t count);

#endif
