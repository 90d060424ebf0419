/* The local part has to stay within 64 octets (RFC 5321): ids in decimal and 80 bits of MAC,
 * 56 octets at most. */
#include "track/unsubscribe_address.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <string.h>

#include "mail/message_id.h"

#define PREFIX    "unsubscribe+"
#define MAC_CHARS 20

static void mac_hex(const unsigned char secret[32], long long subscriber_id, long long message_id,
                    char out[MAC_CHARS + 1])
{
    char message[96];
    int n = snprintf(message, sizeof message, "mailcast-mailto-v1:%lld.%lld", subscriber_id,
                     message_id);
    unsigned char mac[32];
    unsigned mac_len = sizeof mac;
    HMAC(EVP_sha256(), secret, 32, (const unsigned char *)message, (size_t)n, mac, &mac_len);
    static const char hex[] = "0123456789abcdef";
    for (int i = 0; i < MAC_CHARS / 2; i++) {
        out[i * 2] = hex[mac[i] >> 4];
        out[i * 2 + 1] = hex[mac[i] & 15];
    }
    out[MAC_CHARS] = '\0';
}

bool unsubscribe_address_make(const unsigned char secret[32], long long subscriber_id,
                              long long message_id, str_t bounce_address, buf_t *out)
{
    str_t domain = mail_address_domain(bounce_address);
    if (!domain.n) return false;
    char mac[MAC_CHARS + 1];
    mac_hex(secret, subscriber_id, message_id, mac);
    buf_appendf(out, PREFIX "%lld.%lld.%s@%.*s", subscriber_id, message_id, mac, (int)domain.n,
                domain.p);
    return true;
}

/* Reads 1 to 18 decimal digits at *p followed by '.'. */
static bool number(const char **p, const char *end, long long *out)
{
    long long v = 0;
    int digits = 0;
    const char *s = *p;
    while (s < end && *s >= '0' && *s <= '9' && digits < 18) {
        v = v * 10 + (*s++ - '0');
        digits++;
    }
    if (!digits || s >= end || *s != '.') return false;
    *out = v;
    *p = s + 1;
    return true;
}

bool unsubscribe_address_find(const unsigned char secret[32], str_t text, long long *subscriber_id,
                              long long *message_id)
{
    const char *end = text.p + text.n;
    const char *p = text.p;
    while (p && (size_t)(end - p) >= sizeof PREFIX - 1) {
        const char *hit = memmem(p, (size_t)(end - p), PREFIX, sizeof PREFIX - 1);
        if (!hit) return false;
        const char *s = hit + sizeof PREFIX - 1;
        long long subscriber, message;
        if (number(&s, end, &subscriber) && number(&s, end, &message) &&
            (size_t)(end - s) >= MAC_CHARS + 1 && s[MAC_CHARS] == '@') {
            char mac[MAC_CHARS + 1];
            mac_hex(secret, subscriber, message, mac);
            if (CRYPTO_memcmp(mac, s, MAC_CHARS) == 0) {
                *subscriber_id = subscriber;
                *message_id = message;
                return true;
            }
        }
        p = hit + 1;
    }
    return false;
}
