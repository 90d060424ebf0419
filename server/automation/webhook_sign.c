#include "automation/webhook_sign.h"

#include <openssl/evp.h>
#include <openssl/params.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void webhook_sign(const char *secret, long long timestamp, const char *body, size_t body_len,
                  char out[WEBHOOK_SIGNATURE_SIZE])
{
    char prefix[32];
    int prefix_len = snprintf(prefix, sizeof prefix, "%lld.", timestamp);
    /* the MAC over the prefix then the body, without copying the body */
    EVP_MAC *hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    EVP_MAC_CTX *ctx = hmac ? EVP_MAC_CTX_new(hmac) : NULL;
    if (!ctx) abort(); /* only fails when out of memory */
    char digest[] = "SHA256";
    OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string("digest", digest, 0),
                           OSSL_PARAM_construct_end()};
    unsigned char mac[EVP_MAX_MD_SIZE];
    size_t mac_len = 0;
    if (!EVP_MAC_init(ctx, (const unsigned char *)secret, strlen(secret), params) ||
        !EVP_MAC_update(ctx, (const unsigned char *)prefix, (size_t)prefix_len) ||
        !EVP_MAC_update(ctx, (const unsigned char *)body, body_len) ||
        !EVP_MAC_final(ctx, mac, &mac_len, sizeof mac) || mac_len != 32)
        abort();
    EVP_MAC_CTX_free(ctx);
    EVP_MAC_free(hmac);
    static const char hex[] = "0123456789abcdef";
    memcpy(out, "v1=", 3);
    for (size_t i = 0; i < 32; i++) {
        out[3 + 2 * i] = hex[mac[i] >> 4];
        out[3 + 2 * i + 1] = hex[mac[i] & 15];
    }
    out[3 + 64] = '\0';
}
