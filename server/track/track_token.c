/* Packing, signing and checking tracking tokens. Decoding is strict (canonical base64url,
 * canonical numbers, nothing left over), so that every altered character is refused rather
 * than read as the same token; the MAC is compared in constant time. */
#include "track/track_token.h"

#include <openssl/crypto.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"

#define MAC_BYTES     12
#define PAYLOAD_MAX   (1 + 4 * 10)
#define RAW_MAX       (PAYLOAD_MAX + MAC_BYTES)
#define MAC_CONTEXT   "mailcast-track-v1"
#define CONTEXT_BYTES (sizeof MAC_CONTEXT - 1)
/* the kind byte of a click token that carries its URL after the numbers */
#define CLICK_WITH_URL 'u'

static const char ALPHABET[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* HMAC's keyed states, made once per thread and secret and copied for each token: a one-shot
 * HMAC() sets them up again for every token, which cost more than the rest of a tracked
 * message's rewriting. The context string is absorbed once too. */
static _Thread_local struct {
    bool ready;
    unsigned char secret[32];
    crypto_auth_hmacsha256_state state;
} keyed;

static void mac(const unsigned char secret[32], const unsigned char *payload, size_t n,
                unsigned char out[MAC_BYTES])
{
    if (!keyed.ready || sodium_memcmp(keyed.secret, secret, 32) != 0) {
        crypto_auth_hmacsha256_init(&keyed.state, secret, 32);
        crypto_auth_hmacsha256_update(&keyed.state, (const unsigned char *)MAC_CONTEXT,
                                      CONTEXT_BYTES);
        memcpy(keyed.secret, secret, 32);
        keyed.ready = true;
    }
    crypto_auth_hmacsha256_state state = keyed.state;
    crypto_auth_hmacsha256_update(&state, payload, n);
    unsigned char full[32];
    crypto_auth_hmacsha256_final(&state, full);
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

/* Packs t into raw (room for RAW_MAX bytes plus t->url for a click with a URL) and signs it.
 * returns the length. */
static size_t pack(const unsigned char secret[32], const track_token *t, unsigned char *raw)
{
    bool with_url = t->kind == TRACK_CLICK && t->url.p;
    size_t n = 0;
    raw[n++] = with_url ? CLICK_WITH_URL : (unsigned char)t->kind;
    n += put_number(raw + n, (unsigned long long)t->message_id);
    n += put_number(raw + n, (unsigned long long)t->campaign_id);
    n += put_number(raw + n, (unsigned long long)t->subscriber_id);
    if (t->kind == TRACK_CLICK) n += put_number(raw + n, (unsigned long long)t->link_id);
    if (with_url) {
        memcpy(raw + n, t->url.p, t->url.n);
        n += t->url.n;
    }
    mac(secret, raw, n, raw + n);
    return n + MAC_BYTES;
}

size_t track_token_make(const unsigned char secret[32], const track_token *t,
                        char out[TRACK_TOKEN_MAX])
{
    unsigned char raw[RAW_MAX];
    track_token fixed = *t;
    fixed.url = STR_NULL; /* no room for one here */
    return encode(raw, pack(secret, &fixed, raw), out);
}

void track_token_append(const unsigned char secret[32], const track_token *t, buf_t *out)
{
    size_t room = RAW_MAX + (t->kind == TRACK_CLICK && t->url.p ? t->url.n : 0);
    unsigned char stack[RAW_MAX];
    unsigned char *raw = room <= RAW_MAX ? stack : xmalloc(room);
    size_t n = pack(secret, t, raw);
    buf_reserve(out, n / 3 * 4 + 4);
    out->n += encode(raw, n, out->p + out->n);
    if (raw != stack) free(raw);
}

/* Checks text as a token of kind (with_url: a click token with or without a URL); the URL
 * goes into url. */
static bool check(const unsigned char secret[32], str_t text, track_kind kind, bool with_url,
                  track_token *t, buf_t *url)
{
    unsigned char stack[RAW_MAX + 3];
    size_t cap = with_url ? text.n / 4 * 3 + 3 : sizeof stack;
    unsigned char *raw = cap <= sizeof stack ? stack : xmalloc(cap);
    bool ok = false;
    long len = decode(text, raw, cap);
    if (len >= 1 + 3 + MAC_BYTES) {
        size_t n = (size_t)len - MAC_BYTES;
        unsigned char expected[MAC_BYTES];
        mac(secret, raw, n, expected);
        ok = CRYPTO_memcmp(expected, raw + n, MAC_BYTES) == 0;
        bool has_url = with_url && raw[0] == CLICK_WITH_URL;
        ok = ok && (raw[0] == (unsigned char)kind || has_url);
        track_token got = {.kind = kind};
        size_t at = 1;
        ok = ok && get_number(raw, n, &at, &got.message_id) &&
             get_number(raw, n, &at, &got.campaign_id) &&
             get_number(raw, n, &at, &got.subscriber_id);
        if (ok && kind == TRACK_CLICK) ok = get_number(raw, n, &at, &got.link_id);
        if (ok && has_url) {
            /* the URL is the rest, and may be empty */
            buf_reserve(url, n - at + 1);
            buf_append(url, raw + at, n - at);
            got.url = str_make(url->p, n - at);
            at = n;
        }
        ok = ok && at == n && got.message_id > 0;
        if (ok) *t = got;
    }
    if (raw != stack) free(raw);
    return ok;
}

bool track_token_check(const unsigned char secret[32], str_t text, track_kind kind, track_token *t)
{
    return check(secret, text, kind, false, t, NULL);
}

bool track_token_check_click(const unsigned char secret[32], str_t text, track_token *t, buf_t *url)
{
    buf_reset(url);
    return check(secret, text, TRACK_CLICK, true, t, url);
}
