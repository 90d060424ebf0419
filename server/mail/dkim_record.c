/* The DNS TXT record of each DKIM key, derived from the private key file as it is on disk:
 * what GET /api/v1/settings/dkim shows and what a DNS check compares with. */
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "mail/dkim_key.h"
#include "mail/dkim_signer.h"

static void append_base64(buf_t *txt, const unsigned char *data, size_t n)
{
    size_t b64_len = 4 * ((n + 2) / 3);
    unsigned char *b64 = xmalloc(b64_len + 1);
    EVP_EncodeBlock(b64, data, (int)n);
    buf_append(txt, b64, b64_len);
    free(b64);
}

int dkim_public_record(const char *key_pem, buf_t *txt, mc_error *err)
{
    BIO *bio = BIO_new_mem_buf(key_pem, -1);
    EVP_PKEY *key = bio ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : NULL;
    BIO_free(bio);
    if (!key) return mc_error_set(err, 400, "invalid_key", "", "the file is not a PEM private key");
    int type = EVP_PKEY_get_base_id(key);
    if (type == EVP_PKEY_ED25519) {
        /* RFC 8463: the bare 32-byte public key, not a SubjectPublicKeyInfo */
        unsigned char raw[32];
        size_t raw_len = sizeof raw;
        int ok = EVP_PKEY_get_raw_public_key(key, raw, &raw_len) == 1 && raw_len == sizeof raw;
        EVP_PKEY_free(key);
        if (!ok) return mc_error_set(err, 400, "invalid_key", "", "the key has no public half");
        buf_append_cstr(txt, "v=DKIM1; k=ed25519; p=");
        append_base64(txt, raw, raw_len);
        return 0;
    }
    if (type != EVP_PKEY_RSA) {
        EVP_PKEY_free(key);
        return mc_error_set(err, 400, "invalid_key", "", "the key is neither RSA nor Ed25519");
    }
    /* the public half as DER SubjectPublicKeyInfo, what "openssl rsa -pubout" writes */
    unsigned char *der = NULL;
    int der_len = i2d_PUBKEY(key, &der);
    EVP_PKEY_free(key);
    if (der_len <= 0)
        return mc_error_set(err, 400, "invalid_key", "", "the key has no public half");
    buf_append_cstr(txt, "v=DKIM1; k=rsa; p=");
    append_base64(txt, der, (size_t)der_len);
    OPENSSL_free(der);
    return 0;
}

/* Fills r for one key of domain: its file read now, its record derived, or why not. */
static void fill_record(dkim_record *r, const char *domain, const char *selector,
                        dkim_algorithm alg, const char *key_file)
{
    memset(r, 0, sizeof *r);
    r->domain = xstrdup(domain);
    r->selector = xstrdup(selector ? selector : "");
    r->algorithm = xstrdup(dkim_algorithm_name(alg));
    r->key_file = key_file && *key_file ? xstrdup(key_file) : NULL;
    buf_t b = BUF_INIT;
    buf_appendf(&b, "%s._domainkey.%s", r->selector, r->domain);
    r->record_name = buf_detach(&b, NULL);
    mc_error err;
    char *pem = r->key_file ? dkim_key_read_file(r->key_file, r->key_file, &err) : NULL;
    EVP_PKEY *key = pem ? dkim_key_decode(pem, alg, r->key_file, &err) : NULL;
    buf_t txt = BUF_INIT;
    if (!r->key_file)
        mc_error_set(&err, 400, "invalid_config", "", "no private_key_file is configured");
    if (key && dkim_public_record(pem, &txt, &err) == 0) {
        r->txt = buf_detach(&txt, NULL);
    } else {
        buf_free(&txt);
        r->error = xstrdup(err.message);
    }
    EVP_PKEY_free(key);
    dkim_key_text_free(pem);
}

size_t dkim_records_from_config(const config_t *cfg, dkim_record **out)
{
    *out = NULL;
    size_t count = 0;
    for (size_t i = 0; i < cfg->named_count; i++) {
        const config_named_section *sec = &cfg->named[i];
        if (strcmp(sec->kind, "dkim")) continue;
        int line = sec->line;
        const char *selector = config_named_get(sec, "selector", &line);
        const char *alg_name = config_named_get(sec, "algorithm", &line);
        const char *key_file = config_named_get(sec, "private_key_file", &line);
        const char *ed_selector = config_named_get(sec, "ed25519_selector", &line);
        const char *ed_file = config_named_get(sec, "ed25519_key_file", &line);
        dkim_algorithm alg = DKIM_ALG_RSA_SHA256;
        if (alg_name && *alg_name) dkim_algorithm_parse(alg_name, &alg);
        *out = xrealloc(*out, (count + 2) * sizeof **out);
        fill_record(&(*out)[count++], sec->name, selector, alg, key_file);
        if (ed_selector || ed_file)
            fill_record(&(*out)[count++], sec->name, ed_selector, DKIM_ALG_ED25519_SHA256, ed_file);
    }
    return count;
}

void dkim_records_free(dkim_record *records, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        dkim_record *r = &records[i];
        free(r->domain);
        free(r->selector);
        free(r->algorithm);
        free(r->key_file);
        free(r->record_name);
        free(r->txt);
        free(r->error);
    }
    free(records);
}
