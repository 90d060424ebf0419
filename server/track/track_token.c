/* Packing, signing and checking tracking tokens. Decoding is strict (canonical base64url,
 * canonical numbers, nothing left over), so that every altered character is refused rather
 * than read as the same token; the MAC is compared in constant time. */
#include "track/track_token.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <string.h>

#define MAC_BYTES     12
#define PAYLOAD_MAX   (1 + 4 * 10)
#define RAW_MAX       (PAYLOAD_MAX + MAC_BYTES)
#define MAC_CONTEXT   "mailcast-track-v1"
#define CONTEXT_BYTES (sizeof MAC_CONTEXT - 1)

static const char ALPHABET[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static void mac(const unsigned char secret[32], const unsigned char *payload, size_t n,
                unsigned char out[MAC_BYTES])
{
    unsigned char message[CONTEXT_BYTES + PAYLOAD_MAX];
    memcpy(message, MAC_CONTEXT, CONTEXT_BYTES);
    memcpy(message + CONTEXT_BYTES, payload, n);
    unsigned char full[32];
    unsigned int full_len = sizeof full;
    HMAC(EVP_sha256(), secret, 32, message, CONTEXT_BYTES + n, full, &full_len);
    memcpy(out, full, MAC_BYTES);
}

static size_t put_number(unsigned char *p, unsigned long long v)
{
    size_t n = 0;
    do {
        unsigned char byte = v & 0x7f;
        v >>= 7;
        p[n++] = (unsigned char)(byte | (v ? 0x80 : 0));
    } while (v);
    return n;
}

/* Reads a canonical LEB128 number of at most 63 bits from p[*at..n). */
static bool get_number(const unsigned char *p, size_t n, size_t *at, long long *out)
{
    unsigned long long v = 0;
    for (unsigned shift = 0; *at < n && shift < 63; shift += 7) {
        unsigned char byte = p[(*at)++];
        if (shift == 56 && byte > 0x7f) return false;
        v |= (unsigned long long)(byte & 0x7f) << shift;
        if (!(byte & 0x80)) {
            /* a zero last byte after others would give a second spelling of the same number */
            if (byte == 0 && shift > 0) return false;
            *out = (long long)v;
            return true;
        }
    }
    return false;
}

static size_t encode(const unsigned char *in, size_t n, char *out)
{
    size_t o = 0, i = 0;
    for (; i + 3 <= n; i += 3) {
        unsigned v = (unsigned)in[i] << 16 | (unsigned)in[i + 1] << 8 | in[i + 2];
        out[o++] = ALPHABET[v >> 18];
        out[o++] = ALPHABET[(v >> 12) & 63];
        out[o++] = ALPHABET[(v >> 6) & 63];
        out[o++] = ALPHABET[v & 63];
    }
    if (n - i == 1) {
        unsigned v = (unsigned)in[i] << 16;
        out[o++] = ALPHABET[v >> 18];
        out[o++] = ALPHABET[(v >> 12) & 63];
    } else if (n - i == 2) {
        unsigned v = (unsigned)in[i] << 16 | (unsigned)in[i + 1] << 8;
        out[o++] = ALPHABET[v >> 18];
        out[o++] = ALPHABET[(v >> 12) & 63];
        out[o++] = ALPHABET[(v >> 6) & 63];
    }
    out[o] = '\0';
    return o;
}

static int sextet(char c)
{
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '-') return 62;
    if (c == '_') return 63;
    return -1;
}

/* returns the decoded length, or -1 when s is not canonical unpadded base64url */
static long decode(str_t s, unsigned char *out, size_t cap)
{
    if (s.n % 4 == 1 || s.n / 4 * 3 + 2 > cap) return -1;
    size_t o = 0;
    unsigned v = 0;
    int bits = 0;
    for (size_t i = 0; i < s.n; i++) {
        int x = sextet(s.p[i]);
        if (x < 0) return -1;
        v = (v << 6) | (unsigned)x;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (unsigned char)(v >> bits);
            v &= (1u << bits) - 1;
        }
    }
    /* the bits left over must be zero: otherwise two spellings decode alike */
    if (v != 0) return -1;
    return (long)o;
}

size_t track_token_make(const unsigned char secret[32], const track_token *t,
                        char out[TRACK_TOKEN_MAX])
{
    unsigned char raw[RAW_MAX];
    size_t n = 0;
    raw[n++] = (unsigned char)t->kind;
    n += put_number(raw + n, (unsigned long long)t->message_id);
    n += put_number(raw + n, (unsigned long long)t->campaign_id);
    n += put_number(raw + n, (unsigned long long)t->subscriber_id);
    if (t->kind == TRACK_CLICK) n += put_number(raw + n, (unsigned long long)t->link_id);
    mac(secret, raw, n, raw + n);
    return encode(raw, n + MAC_BYTES, out);
}

bool track_token_check(const unsigned char secret[32], str_t text, track_kind kind, track_token *t)
{
    unsigned char raw[RAW_MAX + 3];
    long len = decode(text, raw, sizeof raw);
    if (len < 1 + 3 + MAC_BYTES) return false;
    size_t n = (size_t)len - MAC_BYTES;
    unsigned char expected[MAC_BYTES];
    mac(secret, raw, n, expected);
    if (CRYPTO_memcmp(expected, raw + n, MAC_BYTES) != 0) return false;
    if (raw[0] != (unsigned char)kind) return false;
    track_token got = {.kind = kind};
    size_t at = 1;
    if (!get_number(raw, n, &at, &got.message_id) || !get_number(raw, n, &at, &got.campaign_id) ||
        !get_number(raw, n, &at, &got.subscriber_id))
        return false;
    if (kind == TRACK_CLICK && !get_number(raw, n, &at, &got.link_id)) return false;
    if (at != n || got.message_id <= 0) return false;
    *t = got;
    return true;
}
