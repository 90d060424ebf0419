/* Key files are read with a size cap and wiped from memory once decoded: the decoded key is
 * all the signer keeps. */
#include "mail/dkim_key.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *dkim_algorithm_name(dkim_algorithm alg)
{
    return alg == DKIM_ALG_ED25519_SHA256 ? "ed25519-sha256" : "rsa-sha256";
}

bool dkim_algorithm_parse(const char *name, dkim_algorithm *alg)
{
    if (!strcmp(name, "rsa-sha256")) {
        *alg = DKIM_ALG_RSA_SHA256;
        return true;
    }
    if (!strcmp(name, "ed25519-sha256")) {
        *alg = DKIM_ALG_ED25519_SHA256;
        return true;
    }
    return false;
}

char *dkim_key_read_file(const char *path, const char *where, mc_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        mc_error_set(err, 400, "invalid_config", where, "%s: cannot read %s: %s", where, path,
                     strerror(errno));
        return NULL;
    }
    buf_t b = BUF_INIT;
    char chunk[4096];
    size_t got;
    while ((got = fread(chunk, 1, sizeof chunk, f)) > 0 && b.n < 64 * 1024)
        buf_append(&b, chunk, got);
    fclose(f);
    OPENSSL_cleanse(chunk, sizeof chunk);
    buf_putc(&b, '\0'); /* an empty file still gives a string */
    return buf_detach(&b, NULL);
}

void dkim_key_text_free(char *pem)
{
    if (!pem) return;
    OPENSSL_cleanse(pem, strlen(pem));
    free(pem);
}

EVP_PKEY *dkim_key_decode(const char *pem, dkim_algorithm alg, const char *where, mc_error *err)
{
    BIO *bio = BIO_new_mem_buf(pem, -1);
    EVP_PKEY *key = bio ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : NULL;
    BIO_free(bio);
    if (!key) {
        mc_error_set(err, 400, "invalid_config", where, "%s: the DKIM key is not a PEM private key",
                     where);
        return NULL;
    }
    int type = EVP_PKEY_get_base_id(key);
    if (alg == DKIM_ALG_RSA_SHA256 && type != EVP_PKEY_RSA) {
        mc_error_set(err, 400, "invalid_config", where,
                     "%s: algorithm rsa-sha256 needs an RSA key, and this key is %s", where,
                     type == EVP_PKEY_ED25519 ? "an Ed25519 key" : "of another type");
    } else if (alg == DKIM_ALG_ED25519_SHA256 && type != EVP_PKEY_ED25519) {
        mc_error_set(err, 400, "invalid_config", where,
                     "%s: algorithm ed25519-sha256 needs an Ed25519 key, and this key is %s", where,
                     type == EVP_PKEY_RSA ? "an RSA key" : "of another type");
    } else if (alg == DKIM_ALG_RSA_SHA256 && EVP_PKEY_get_bits(key) < 1024) {
        mc_error_set(err, 400, "invalid_config", where,
                     "%s: the RSA key is shorter than the 1024 bits receivers require", where);
    } else {
        return key;
    }
    EVP_PKEY_free(key);
    return NULL;
}
