/* The signature covers every field, so none can be changed; comparison is constant-time. */
#include "audience/public_token.h"

#include <openssl/crypto.h>
#include <stdbool.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAC_BYTES ((size_t)16)

static void mac_hex(const unsigned char secret[32], const char *payload, size_t n, char out[33])
{
    char message[PUBLIC_TOKEN_MAX + 32];
    int len = snprintf(message, sizeof message, "mailcast-public-v1:%.*s", (int)n, payload);
    unsigned char mac[32];
    unsigned int mac_len = sizeof mac;
    HMAC(EVP_sha256(), secret, 32, (const unsigned char *)message, (size_t)len, mac, &mac_len);
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < MAC_BYTES; i++) {
        out[i * 2] = hex[mac[i] >> 4];
        out[i * 2 + 1] = hex[mac[i] & 15];
    }
    out[2 * MAC_BYTES] = '\0';
}

void public_token_make(const unsigned char secret[32], char purpose, long long subscriber_id,
                       long long ref, time_t expires, char out[PUBLIC_TOKEN_MAX])
{
    char payload[80], mac[33];
    int n = snprintf(payload, sizeof payload, "%c.%lld.%lld.%lld", purpose, subscriber_id, ref,
                     (long long)expires);
    mac_hex(secret, payload, (size_t)n, mac);
    snprintf(out, PUBLIC_TOKEN_MAX, "%s.%s", payload, mac);
}

/* Reads a decimal number of 1 to 18 digits ending at a '.'. */
static bool number(const char **p, long long *out)
{
    const char *s = *p;
    long long v = 0;
    int digits = 0;
    while (*s >= '0' && *s <= '9' && digits < 18) {
        v = v * 10 + (*s++ - '0');
        digits++;
    }
    if (!digits || *s != '.') return false;
    *out = v;
    *p = s + 1;
    return true;
}

int public_token_check(const unsigned char secret[32], const char *token, char purpose, time_t now,
                       long long *subscriber_id, long long *ref)
{
    if (!token || strlen(token) >= PUBLIC_TOKEN_MAX || token[0] != purpose || token[1] != '.')
        return TOKEN_FORGED;
    const char *p = token + 2;
    long long sub, r, expires;
    if (!number(&p, &sub) || !number(&p, &r) || !number(&p, &expires) || sub <= 0)
        return TOKEN_FORGED;
    size_t payload_len = (size_t)(p - 1 - token);
    if (strlen(p) != 2 * MAC_BYTES) return TOKEN_FORGED;
    char expected[33];
    mac_hex(secret, token, payload_len, expected);
    if (CRYPTO_memcmp(expected, p, 2 * MAC_BYTES) != 0) return TOKEN_FORGED;
    if (expires != 0 && (long long)now > expires) return TOKEN_EXPIRED;
    *subscriber_id = sub;
    *ref = r;
    return TOKEN_OK;
}
