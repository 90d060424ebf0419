/* Every comparison of secrets is constant-time; every decoding failure is a refusal. */
#include "track/webhook_verify.h"

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Decodes base64 text into out (malloc'd, caller frees). returns the length, or 0 on error. */
static size_t base64_decode(const char *text, unsigned char **out)
{
    size_t n = strlen(text);
    *out = malloc(n + 1);
    size_t len = 0;
    if (!*out || sodium_base642bin(*out, n + 1, text, n, " \r\n\t", &len, NULL,
                                   sodium_base64_VARIANT_ORIGINAL) != 0) {
        free(*out);
        *out = NULL;
        return 0;
    }
    return len;
}

bool webhook_mailgun_valid(const char *key, const char *timestamp, const char *token,
                           const char *signature_hex, time_t now)
{
    if (!key || !key[0] || !timestamp || !token || !signature_hex) return false;
    char *end;
    long long ts = strtoll(timestamp, &end, 10);
    if (!timestamp[0] || *end || ts <= 0) return false;
    if (llabs((long long)now - ts) > WEBHOOK_MAX_AGE_SECONDS) return false;
    size_t tn = strlen(timestamp), kn = strlen(token);
    unsigned char *data = malloc(tn + kn + 1);
    if (!data) return false;
    memcpy(data, timestamp, tn);
    memcpy(data + tn, token, kn);
    unsigned char mac[32];
    unsigned mac_len = sizeof mac;
    HMAC(EVP_sha256(), key, (int)strlen(key), data, tn + kn, mac, &mac_len);
    free(data);
    char hex[65];
    sodium_bin2hex(hex, sizeof hex, mac, sizeof mac);
    return strlen(signature_hex) == 64 && CRYPTO_memcmp(hex, signature_hex, 64) == 0;
}

/* returns true when sig (DER) verifies data with key under md */
static bool evp_verify(EVP_PKEY *key, const EVP_MD *md, const unsigned char *sig, size_t sig_len,
                       const void *data, size_t n)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    bool ok = ctx && EVP_DigestVerifyInit(ctx, NULL, md, NULL, key) == 1 &&
              EVP_DigestVerify(ctx, sig, sig_len, data, n) == 1;
    EVP_MD_CTX_free(ctx);
    return ok;
}

bool webhook_sendgrid_valid(const char *public_key_b64, const char *timestamp, str_t payload,
                            const char *signature_b64)
{
    if (!public_key_b64 || !public_key_b64[0] || !timestamp || !timestamp[0] || !signature_b64)
        return false;
    unsigned char *der = NULL, *sig = NULL;
    size_t der_len = base64_decode(public_key_b64, &der);
    size_t sig_len = base64_decode(signature_b64, &sig);
    bool ok = false;
    if (der_len && sig_len) {
        const unsigned char *p = der;
        EVP_PKEY *key = d2i_PUBKEY(NULL, &p, (long)der_len);
        if (key && EVP_PKEY_is_a(key, "EC")) {
            buf_t data = BUF_INIT;
            buf_append_cstr(&data, timestamp);
            buf_append_str(&data, payload);
            ok = evp_verify(key, EVP_sha256(), sig, sig_len, data.p, data.n);
            buf_free(&data);
        }
        EVP_PKEY_free(key);
    }
    free(der);
    free(sig);
    return ok;
}

bool webhook_basic_valid(const char *authorization, const char *user, const char *password)
{
    if (!authorization || !user || !user[0] || !password || !password[0]) return false;
    if (strncasecmp(authorization, "Basic ", 6)) return false;
    unsigned char *decoded = NULL;
    size_t n = base64_decode(authorization + 6, &decoded);
    if (!n) return false;
    buf_t want = BUF_INIT;
    buf_appendf(&want, "%s:%s", user, password);
    bool ok = n == want.n && CRYPTO_memcmp(decoded, want.p, n) == 0;
    buf_free(&want);
    free(decoded);
    return ok;
}

bool webhook_sns_url_allowed(const char *pattern, const char *url)
{
    if (!pattern || !url) return false;
    const char *p = pattern, *u = url;
    while (*p) {
        if (*p == '*') {
            const char *start = u;
            while ((*u >= 'a' && *u <= 'z') || (*u >= 'A' && *u <= 'Z') ||
                   (*u >= '0' && *u <= '9') || *u == '-')
                u++;
            if (u == start) return false;
            p++;
        } else if (*p++ != *u++) {
            return false;
        }
    }
    /* the rest is a path and query on the host the pattern fixes (SubscribeURL has a query) */
    return !strstr(u, "..") && !strchr(u, '@') && !strchr(u, '#') && !strchr(u, '\\');
}

static bool add_field(json_t *message, const char *key, bool optional, buf_t *out)
{
    json_t *v = json_object_get(message, key);
    if (!json_is_string(v)) return optional && !v;
    buf_appendf(out, "%s\n", key);
    buf_append(out, json_string_value(v), json_string_length(v));
    buf_putc(out, '\n');
    return true;
}

bool webhook_sns_string_to_sign(json_t *message, buf_t *out)
{
    const char *type = json_string_value(json_object_get(message, "Type"));
    if (!type) return false;
    static const char *const notification[] = {"Message",  "MessageId", "?Subject", "Timestamp",
                                               "TopicArn", "Type",      NULL};
    static const char *const subscription[] = {"Message", "MessageId", "SubscribeURL", "Timestamp",
                                               "Token",   "TopicArn",  "Type",         NULL};
    const char *const *fields;
    if (!strcmp(type, "Notification"))
        fields = notification;
    else if (!strcmp(type, "SubscriptionConfirmation") || !strcmp(type, "UnsubscribeConfirmation"))
        fields = subscription;
    else
        return false;
    for (int i = 0; fields[i]; i++) {
        bool optional = fields[i][0] == '?';
        if (!add_field(message, fields[i] + optional, optional, out)) return false;
    }
    return true;
}

bool webhook_sns_signature_valid(str_t cert, str_t text, const char *signature_b64,
                                 const char *version)
{
    const EVP_MD *md = NULL;
    if (version && !strcmp(version, "1"))
        md = EVP_sha1();
    else if (version && !strcmp(version, "2"))
        md = EVP_sha256();
    if (!md || !signature_b64 || !cert.n) return false;
    unsigned char *sig = NULL;
    size_t sig_len = base64_decode(signature_b64, &sig);
    bool ok = false;
    BIO *bio = BIO_new_mem_buf(cert.p, (int)cert.n);
    X509 *x509 = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
    EVP_PKEY *key = x509 ? X509_get_pubkey(x509) : NULL;
    if (key && sig_len && EVP_PKEY_is_a(key, "RSA"))
        ok = evp_verify(key, md, sig, sig_len, text.p, text.n);
    EVP_PKEY_free(key);
    X509_free(x509);
    BIO_free(bio);
    free(sig);
    return ok;
}
