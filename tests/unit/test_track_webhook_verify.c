/* The webhooks' authentication: each provider's signature accepted when right and refused when
 * missing, altered or made with another key. Keys are generated here. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "track/webhook_verify.h"

/* returns base64 of data (caller frees with free()) */
static char *b64(const unsigned char *data, size_t n)
{
    size_t cap = sodium_base64_encoded_len(n, sodium_base64_VARIANT_ORIGINAL);
    char *out = malloc(cap);
    sodium_bin2base64(out, cap, data, n, sodium_base64_VARIANT_ORIGINAL);
    return out;
}

/* returns the base64 signature of data with key under md (caller frees) */
static char *sign(EVP_PKEY *key, const EVP_MD *md, const void *data, size_t n)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    size_t len = 0;
    assert_int_equal(EVP_DigestSignInit(ctx, NULL, md, NULL, key), 1);
    assert_int_equal(EVP_DigestSign(ctx, NULL, &len, data, n), 1);
    unsigned char *sig = malloc(len);
    assert_int_equal(EVP_DigestSign(ctx, sig, &len, data, n), 1);
    EVP_MD_CTX_free(ctx);
    char *out = b64(sig, len);
    free(sig);
    return out;
}

static void test_mailgun_signatures_are_checked_with_their_age(void **state)
{
    (void)state;
    const char *key = "key-ñandú-секрет";
    unsigned char mac[32];
    unsigned len = sizeof mac;
    HMAC(EVP_sha256(), key, (int)strlen(key), (const unsigned char *)"1700000000tok123", 16, mac,
         &len);
    char hex[65];
    sodium_bin2hex(hex, sizeof hex, mac, sizeof mac);
    assert_true(webhook_mailgun_valid(key, "1700000000", "tok123", hex, 1700000100));
    assert_false(webhook_mailgun_valid(key, "1700000000", "tok124", hex, 1700000100));
    assert_false(webhook_mailgun_valid("other", "1700000000", "tok123", hex, 1700000100));
    /* too old, or from the future */
    assert_false(webhook_mailgun_valid(key, "1700000000", "tok123", hex,
                                       1700000000 + WEBHOOK_MAX_AGE_SECONDS + 1));
    assert_false(webhook_mailgun_valid(key, "1700000000", "tok123", hex, 1699990000));
    assert_false(webhook_mailgun_valid(key, "1700000000", "tok123", NULL, 1700000100));
    assert_false(webhook_mailgun_valid("", "1700000000", "tok123", hex, 1700000100));
}

static void test_sendgrid_signatures_verify_with_the_public_key(void **state)
{
    (void)state;
    EVP_PKEY *key = EVP_EC_gen("P-256"), *other = EVP_EC_gen("P-256");
    unsigned char *der = NULL;
    int der_len = i2d_PUBKEY(key, &der);
    char *public_key = b64(der, (size_t)der_len);
    OPENSSL_free(der);
    const char payload[] = "[{\"email\":\"josé@example.org\",\"event\":\"bounce\"}]\r\n";
    char *sig = sign(key, EVP_sha256(),
                     "1700000000"
                     "[{\"email\":\"josé@example.org\",\"event\":"
                     "\"bounce\"}]\r\n",
                     10 + sizeof payload - 1);
    char *wrong = sign(other, EVP_sha256(), "1700000000", 10);
    assert_true(webhook_sendgrid_valid(public_key, "1700000000", STR_LIT(payload), sig));
    assert_false(webhook_sendgrid_valid(public_key, "1700000001", STR_LIT(payload), sig));
    assert_false(webhook_sendgrid_valid(public_key, "1700000000",
                                        STR_LIT("[{\"email\":\"x@example.org\"}]"), sig));
    assert_false(webhook_sendgrid_valid(public_key, "1700000000", STR_LIT(payload), wrong));
    assert_false(webhook_sendgrid_valid(public_key, "1700000000", STR_LIT(payload), "not base64!"));
    assert_false(webhook_sendgrid_valid("", "1700000000", STR_LIT(payload), sig));
    free(public_key);
    free(sig);
    free(wrong);
    EVP_PKEY_free(key);
    EVP_PKEY_free(other);
}

static void test_basic_credentials_must_match_both_parts(void **state)
{
    (void)state;
    char *ok = b64((const unsigned char *)"postmark:contraseña", strlen("postmark:contraseña"));
    char header[200];
    snprintf(header, sizeof header, "Basic %s", ok);
    assert_true(webhook_basic_valid(header, "postmark", "contraseña"));
    assert_false(webhook_basic_valid(header, "postmark", "contrasena"));
    assert_false(webhook_basic_valid(header, "postmark", ""));
    assert_false(webhook_basic_valid("Bearer abc", "postmark", "contraseña"));
    assert_false(webhook_basic_valid(NULL, "postmark", "contraseña"));
    free(ok);
}

static void test_sns_certificate_urls_must_match_the_pattern(void **state)
{
    (void)state;
    const char *pattern = "https://sns.*.amazonaws.com/";
    assert_true(webhook_sns_url_allowed(
        pattern, "https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-abc.pem"));
    assert_false(webhook_sns_url_allowed(pattern, "https://sns.evil.example/x.pem"));
    assert_false(webhook_sns_url_allowed(pattern, "https://sns.a.b.amazonaws.com/x.pem"));
    assert_false(webhook_sns_url_allowed(pattern, "http://sns.eu-west-1.amazonaws.com/x.pem"));
    assert_false(webhook_sns_url_allowed(pattern, "https://sns..amazonaws.com/x.pem"));
    assert_false(
        webhook_sns_url_allowed(pattern, "https://sns.eu-west-1.amazonaws.com.evil.example/"));
    assert_false(webhook_sns_url_allowed(pattern, "https://sns.x.amazonaws.com/../x?y"));
    assert_false(webhook_sns_url_allowed(pattern, "https://sns.x.amazonaws.com@evil.example/"));
    assert_true(webhook_sns_url_allowed(
        pattern, "https://sns.x.amazonaws.com/?Action=ConfirmSubscription&Token=t"));
}

/* a self-signed certificate of key */
static char *certificate(EVP_PKEY *key)
{
    X509 *x = X509_new();
    ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
    X509_gmtime_adj(X509_getm_notBefore(x), 0);
    X509_gmtime_adj(X509_getm_notAfter(x), 3600);
    X509_set_pubkey(x, key);
    X509_NAME *name = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"sns.test", -1, -1,
                               0);
    X509_set_issuer_name(x, name);
    assert_true(X509_sign(x, key, EVP_sha256()) > 0);
    BIO *bio = BIO_new(BIO_s_mem());
    PEM_write_bio_X509(bio, x);
    char *data;
    long n = BIO_get_mem_data(bio, &data);
    char *pem = strndup(data, (size_t)n);
    BIO_free(bio);
    X509_free(x);
    return pem;
}

static void test_sns_messages_verify_with_the_signing_certificate(void **state)
{
    (void)state;
    EVP_PKEY *key = EVP_RSA_gen(2048), *other = EVP_RSA_gen(2048);
    char *pem = certificate(key), *other_pem = certificate(other);
    json_t *m = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "Type", "Notification", "MessageId",
                          "m-1", "TopicArn", "arn:aws:sns:eu-west-1:1:bounces", "Message",
                          "{\"notificationType\":\"Bounce\",\"x\":\"Ñ\"}", "Timestamp",
                          "2026-12-06T06:00:00.000Z", "SignatureVersion", "2");
    buf_t text = BUF_INIT;
    assert_true(webhook_sns_string_to_sign(m, &text));
    assert_string_equal(buf_cstr(&text), "Message\n{\"notificationType\":\"Bounce\",\"x\":\"Ñ\"}\n"
                                         "MessageId\nm-1\nTimestamp\n2026-12-06T06:00:00.000Z\n"
                                         "TopicArn\narn:aws:sns:eu-west-1:1:bounces\n"
                                         "Type\nNotification\n");
    char *sig2 = sign(key, EVP_sha256(), text.p, text.n);
    char *sig1 = sign(key, EVP_sha1(), text.p, text.n);
    assert_true(webhook_sns_signature_valid(str_from_cstr(pem), buf_view(&text), sig2, "2"));
    assert_true(webhook_sns_signature_valid(str_from_cstr(pem), buf_view(&text), sig1, "1"));
    assert_false(webhook_sns_signature_valid(str_from_cstr(pem), buf_view(&text), sig1, "2"));
    assert_false(webhook_sns_signature_valid(str_from_cstr(other_pem), buf_view(&text), sig2, "2"));
    assert_false(webhook_sns_signature_valid(str_from_cstr(pem), buf_view(&text), sig2, "3"));
    /* an altered message no longer verifies */
    json_object_set_new(m, "Message", json_string("{\"notificationType\":\"Complaint\"}"));
    buf_reset(&text);
    assert_true(webhook_sns_string_to_sign(m, &text));
    assert_false(webhook_sns_signature_valid(str_from_cstr(pem), buf_view(&text), sig2, "2"));
    /* a subscription message signs its token and SubscribeURL; a missing field is refused */
    json_object_set_new(m, "Type", json_string("SubscriptionConfirmation"));
    buf_reset(&text);
    assert_false(webhook_sns_string_to_sign(m, &text));
    json_object_set_new(m, "Token", json_string("tok"));
    json_object_set_new(m, "SubscribeURL", json_string("https://sns.x.amazonaws.com/?a=b"));
    buf_reset(&text);
    assert_true(webhook_sns_string_to_sign(m, &text));
    assert_non_null(strstr(buf_cstr(&text), "SubscribeURL\nhttps://sns.x.amazonaws.com/?a=b\n"));
    buf_free(&text);
    json_decref(m);
    free(pem);
    free(other_pem);
    free(sig1);
    free(sig2);
    EVP_PKEY_free(key);
    EVP_PKEY_free(other);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mailgun_signatures_are_checked_with_their_age),
        cmocka_unit_test(test_sendgrid_signatures_verify_with_the_public_key),
        cmocka_unit_test(test_basic_credentials_must_match_both_parts),
        cmocka_unit_test(test_sns_certificate_urls_must_match_the_pattern),
        cmocka_unit_test(test_sns_messages_verify_with_the_signing_certificate),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
