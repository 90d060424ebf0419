/* DKIM signing (RFC 6376) on OpenSSL: relaxed/relaxed, rsa-sha256 and ed25519-sha256 (RFC
 * 8463), keys from [dkim.DOMAIN] sections. A domain may carry an RSA key and an Ed25519 key
 * and then gets both signatures. The signer is built once at start-up (each key decoded
 * there, once); its keys are then read-only and threads share it, each signature working
 * with contexts that one thread holds at a time. Add every key before the first message. */
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
/* adds the key for domain (PEM text, decoded now); returns 0, or -1 when the PEM is not a
 * private key of alg (RSA of at least 1024 bits, or Ed25519), when the selector is not a DNS
 * label, or when the domain already has a key of alg */
int dkim_signer_add_key(dkim_signer *s, const char *domain, const char *selector,
                        const char *key_pem, dkim_algorithm alg, mc_error *err);
/* adds the keys of each [dkim.DOMAIN] section of cfg (selector, private_key_file, algorithm;
 * ed25519_selector and ed25519_key_file for a second, Ed25519 key); returns 0, or -1 with
 * err->field "FILE:LINE" of the offending key */
int dkim_signer_load_config(dkim_signer *s, const config_t *cfg, mc_error *err);
/* returns the number of keys (a domain with both algorithms counts twice) */
size_t dkim_signer_count(const dkim_signer *s);

/* Signs message (complete CRLF bytes) with each key of domain and appends one
 * "DKIM-Signature: ...\r\n" per key (rsa-sha256 first) followed by the message to out, with a
 * final CRLF added when a body lacks one (as SMTP would add it, but signed).
 * returns 0 when signed, 1 when no key exists for domain (out gets the message unsigned),
 * -1 on a signing failure or a message without a header/body separator (err filled, out
 * unchanged). Safe to call from many threads at once. */
int dkim_signer_sign(const dkim_signer *s, str_t domain, str_t message, buf_t *out, mc_error *err);

/* The DNS record a receiver looks up for one key of a [dkim.DOMAIN] section. */
typedef struct {
    char *domain, *selector;
    char *algorithm;   /* rsa-sha256 or ed25519-sha256 (as configured, rsa-sha256 by default) */
    char *key_file;    /* NULL when the section names none */
    char *record_name; /* SELECTOR._domainkey.DOMAIN */
    char *txt;         /* "v=DKIM1; k=rsa|ed25519; p=BASE64" to publish; NULL when error is set */
    char *error;       /* why the key gives no record (unreadable file, wrong key type) */
} dkim_record;

/* Derives the TXT value from a private key in PEM and appends it to txt: for RSA
 * "v=DKIM1; k=rsa; p=<base64 SubjectPublicKeyInfo>", for Ed25519 "v=DKIM1; k=ed25519;
 * p=<base64 of the raw 32-byte public key>" (RFC 8463). returns 0, or -1 with err (400) when
 * the PEM is not an RSA or Ed25519 private key. */
int dkim_public_record(const char *key_pem, buf_t *txt, mc_error *err);
/* One record per key of each [dkim.DOMAIN] section of cfg (the private_key_file's, then the
 * ed25519_key_file's), in file order, each key file read now, so a key replaced since start-up
 * shows as it is on disk. returns the count with *out (NULL when 0; caller frees with
 * dkim_records_free()). */
size_t dkim_records_from_config(const config_t *cfg, dkim_record **out);
void dkim_records_free(dkim_record *records, size_t count);

#endif
