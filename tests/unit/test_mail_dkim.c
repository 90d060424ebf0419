/* The DKIM signer's contract (signatures themselves are verified by dkimpy in the
 * integration tests): which domains sign, the shape of the field, and config errors. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mail/dkim_signer.h"

static const char MESSAGE[] = "From: News <news@example.com>\r\n"
                              "To: ann@example.org\r\n"
                              "Subject: Hello\r\n"
                              "List-Unsubscribe: <https://example.com/u/1>\r\n"
                              "X-Not-Signed: 1\r\n"
                              "\r\n"
                              "Body  text \r\n\r\n\r\n";

static char *make_pem(int type)
{
    EVP_PKEY *key =
        type == EVP_PKEY_RSA ? EVP_RSA_gen(2048) : EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    BIO *bio = BIO_new(BIO_s_mem());
    PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL);
    char *data;
    long n = BIO_get_mem_data(bio, &data);
    char *pem = strndup(data, (size_t)n);
    BIO_free(bio);
    EVP_PKEY_free(key);
    return pem;
}

static void domain_without_key_is_copied_unsigned(void **state)
{
    (void)state;
    dkim_signer *s = dkim_signer_new();
    buf_t out = BUF_INIT;
    mc_error err;
    assert_int_equal(dkim_signer_sign(s, STR_LIT("example.com"), STR_LIT(MESSAGE), &out, &err), 1);
    assert_string_equal(out.p, MESSAGE);
    buf_free(&out);
    dkim_signer_free(s);
}

static void signature_field_is_folded_crlf_and_names_the_signed_fields(void **state)
{
    (void)state;
    char *pem = make_pem(EVP_PKEY_RSA);
    dkim_signer *s = dkim_signer_new();
    mc_error err;
    assert_int_equal(dkim_signer_add_key(s, "example.com", "s1", pem, DKIM_ALG_RSA_SHA256, &err),
                     0);
    buf_t out = BUF_INIT;
    assert_int_equal(dkim_signer_sign(s, STR_LIT("EXAMPLE.com"), STR_LIT(MESSAGE), &out, &err), 0);
    assert_true(strncmp(out.p, "DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed;", 53) == 0);
    const char *end = strstr(out.p, "\r\nFrom: News");
    assert_non_null(end);
    assert_string_equal(end + 2, MESSAGE);
    /* every line of the field within 78 columns, every line break CRLF */
    size_t start = 0;
    for (size_t i = 0; out.p + i < end + 2; i++) {
        if (out.p[i] == '\n') {
            assert_int_equal(out.p[i - 1], '\r');
            assert_true(i - start <= 79);
            start = i + 1;
        }
    }
    /* white space removed and lower case: h= names are compared without case (RFC 6376
     * 3.5), and libopendkim writes them as the message spells them */
    buf_t field = BUF_INIT;
    for (const char *p = out.p; p < end; p++)
        if (*p != '\r' && *p != '\n' && *p != '\t' && *p != ' ')
            buf_putc(&field, (*p >= 'A' && *p <= 'Z') ? (char)(*p + 32) : *p);
    assert_non_null(strstr(field.p, "d=example.com;s=s1;"));
    assert_non_null(strstr(field.p, "h=from:to:subject:list-unsubscribe:from:subject:reply-to:"
                                    "list-unsubscribe:list-unsubscribe-post;"));
    assert_null(strstr(field.p, "x-not-signed"));
    buf_free(&field);
    buf_free(&out);
    dkim_signer_free(s);
    free(pem);
}

/* libopendkim 2.11 leaks the key it decodes for every Ed25519 signature: refused, with the
 * reason, even for a valid Ed25519 key */
static void ed25519_key_is_refused_because_the_library_leaks(void **state)
{
    (void)state;
    char *pem = make_pem(EVP_PKEY_ED25519);
    dkim_signer *s = dkim_signer_new();
    mc_error err;
    assert_int_equal(
        dkim_signer_add_key(s, "example.com", "s1", pem, DKIM_ALG_ED25519_SHA256, &err), -1);
    assert_non_null(strstr(err.message, "leaks memory on every ed25519 signature"));
    assert_non_null(strstr(err.message, "use rsa-sha256"));
    assert_int_equal(dkim_signer_count(s), 0);
    buf_t out = BUF_INIT;
    assert_int_equal(dkim_signer_sign(s, STR_LIT("example.com"), STR_LIT(MESSAGE), &out, &err), 1);
    buf_free(&out);
    dkim_signer_free(s);
    free(pem);
}

static void key_of_the_wrong_type_is_refused(void **state)
{
    (void)state;
    char *pem = make_pem(EVP_PKEY_ED25519);
    dkim_signer *s = dkim_signer_new();
    mc_error err;
    assert_int_equal(dkim_signer_add_key(s, "example.com", "s1", pem, DKIM_ALG_RSA_SHA256, &err),
                     -1);
    assert_non_null(strstr(err.message, "RSA"));
    assert_int_equal(dkim_signer_count(s), 0);
    dkim_signer_free(s);
    free(pem);
}

static void bad_algorithm_in_config_names_file_and_line(void **state)
{
    (void)state;
    char path[64];
    snprintf(path, sizeof path, "/tmp/mailcast-dkim-test-%d.ini", (int)getpid());
    FILE *f = fopen(path, "w");
    fputs("[dkim.example.com]\nselector = s1\nalgorithm = rsa-sha1\n", f);
    fclose(f);
    char *envp[] = {NULL};
    config_t cfg;
    mc_error err;
    assert_int_equal(config_load(&cfg, path, envp, &err), 0);
    dkim_signer *s = dkim_signer_new();
    assert_int_equal(dkim_signer_load_config(s, &cfg, &err), -1);
    assert_non_null(strstr(err.field, ".ini:3"));
    assert_non_null(strstr(err.message, "rsa-sha256 or ed25519-sha256"));
    dkim_signer_free(s);
    config_free(&cfg);
    unlink(path);
}

static void ed25519_in_config_is_refused_naming_file_and_line(void **state)
{
    (void)state;
    char path[64];
    snprintf(path, sizeof path, "/tmp/mailcast-dkim-test-%d.ini", (int)getpid());
    FILE *f = fopen(path, "w");
    fputs("[dkim.example.com]\nselector = s1\nprivate_key_file = /nonexistent\n"
          "algorithm = ed25519-sha256\n",
          f);
    fclose(f);
    char *envp[] = {NULL};
    config_t cfg;
    mc_error err;
    assert_int_equal(config_load(&cfg, path, envp, &err), 0);
    dkim_signer *s = dkim_signer_new();
    assert_int_equal(dkim_signer_load_config(s, &cfg, &err), -1);
    assert_non_null(strstr(err.field, ".ini:4"));
    assert_non_null(strstr(err.message, ".ini:4: algorithm ed25519-sha256 is not supported"));
    assert_non_null(strstr(err.message, "Debian 12"));
    dkim_signer_free(s);
    config_free(&cfg);
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(domain_without_key_is_copied_unsigned),
        cmocka_unit_test(signature_field_is_folded_crlf_and_names_the_signed_fields),
        cmocka_unit_test(ed25519_key_is_refused_because_the_library_leaks),
        cmocka_unit_test(key_of_the_wrong_type_is_refused),
        cmocka_unit_test(bad_algorithm_in_config_names_file_and_line),
        cmocka_unit_test(ed25519_in_config_is_refused_naming_file_and_line),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
