/* The DKIM signer's contract: which domains sign, the fields signed and over-signed, the
 * shape of the field, both algorithms and both at once, and config errors. Every signature
 * made here is also checked by libopendkim and dkimpy (tests/dkim) when the test runs under
 * ctest, which names those verifiers in the environment. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mail/dkim_signer.h"

/* the public half of pem as its DNS record's TXT value */
static char *record_of(const char *pem)
{
    buf_t txt = BUF_INIT;
    mc_error err;
    assert_int_equal(dkim_public_record(pem, &txt, &err), 0);
    return buf_detach(&txt, NULL);
}

/* Runs one verifier (command line of the environment variable var) over message with the
 * records of selectors s1 (rsa_pem) and e1 (ed_pem) of example.com; returns its exit status,
 * or 0 when the variable is unset (the test runs outside ctest). */
static int run_verifier(const char *var, const char *prefix, str_t message, const char *rsa_pem,
                        const char *ed_pem)
{
    const char *tool = getenv(var);
    if (!tool) return 0;
    char keys[80], msg[80], cmd[1024];
    snprintf(keys, sizeof keys, "/tmp/mailcast-dkim-keys-%d", (int)getpid());
    snprintf(msg, sizeof msg, "/tmp/mailcast-dkim-msg-%d", (int)getpid());
    FILE *f = fopen(keys, "w");
    if (rsa_pem) {
        char *txt = record_of(rsa_pem);
        fprintf(f, "s1._domainkey.example.com %s\n", txt);
        free(txt);
    }
    if (ed_pem) {
        char *txt = record_of(ed_pem);
        fprintf(f, "e1._domainkey.example.com %s\n", txt);
        free(txt);
    }
    fclose(f);
    f = fopen(msg, "wb");
    fwrite(message.p, 1, message.n, f);
    fclose(f);
    snprintf(cmd, sizeof cmd, "%s%s %s < %s", prefix, tool, keys, msg);
    int status = system(cmd);
    unlink(keys);
    unlink(msg);
    return status;
}

/* both independent verifiers accept every signature of message */
static void assert_verifies(str_t message, const char *rsa_pem, const char *ed_pem)
{
    assert_int_equal(run_verifier("MAILCAST_DKIM_VERIFY_OPENDKIM", "", message, rsa_pem, ed_pem),
                     0);
    assert_int_equal(
        run_verifier("MAILCAST_DKIM_VERIFY_DKIMPY", "/usr/bin/python3 ", message, rsa_pem, ed_pem),
        0);
}

static const char MESSAGE[] = "From: News <news@example.com>\r\n"
                              "To: ann@example.org\r\n"
                              "Subject: Hello\r\n"
                              "List-Unsubscribe: <https://example.com/u/1>\r\n"
                              "X-Not-Signed: 1\r\n"
                              "\r\n"
                              "Body  text \r\n\r\n\r\n";

static char *make_pem_bits(int type, unsigned bits)
{
    EVP_PKEY *key =
        type == EVP_PKEY_RSA ? EVP_RSA_gen(bits) : EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    BIO *bio = BIO_new(BIO_s_mem());
    PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL);
    char *data;
    long n = BIO_get_mem_data(bio, &data);
    char *pem = strndup(data, (size_t)n);
    BIO_free(bio);
    EVP_PKEY_free(key);
    return pem;
}

static char *make_pem(int type)
{
    return make_pem_bits(type, 2048);
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
    assert_non_null(strstr(field.p, "t="));
    assert_non_null(strstr(field.p, "bh="));
    buf_free(&field);
    assert_verifies(buf_view(&out), pem, NULL);
    buf_free(&out);
    dkim_signer_free(s);
    free(pem);
}

/* counts the DKIM-Signature fields at the top of signed, checks each line of them is CRLF
 * and within 78 columns, and returns where the message starts */
static const char *signature_fields(const char *signed_message, int *count)
{
    const char *p = signed_message;
    *count = 0;
    while (!strncmp(p, "DKIM-Signature: ", 16)) {
        (*count)++;
        do {
            const char *eol = strstr(p, "\r\n");
            assert_non_null(eol);
            assert_true(eol - p <= 78);
            assert_null(memchr(p, '\n', (size_t)(eol - p)));
            p = eol + 2;
        } while (*p == '\t' || *p == ' ');
    }
    return p;
}

static void ed25519_key_signs_with_ed25519_sha256(void **state)
{
    (void)state;
    char *pem = make_pem(EVP_PKEY_ED25519);
    dkim_signer *s = dkim_signer_new();
    mc_error err;
    assert_int_equal(
        dkim_signer_add_key(s, "example.com", "e1", pem, DKIM_ALG_ED25519_SHA256, &err), 0);
    assert_int_equal(dkim_signer_count(s), 1);
    buf_t out = BUF_INIT;
    assert_int_equal(dkim_signer_sign(s, STR_LIT("example.com"), STR_LIT(MESSAGE), &out, &err), 0);
    int count;
    assert_string_equal(signature_fields(out.p, &count), MESSAGE);
    assert_int_equal(count, 1);
    assert_true(strncmp(out.p, "DKIM-Signature: v=1; a=ed25519-sha256; c=relaxed/relaxed;", 57) ==
                0);
    assert_verifies(buf_view(&out), NULL, pem);
    buf_free(&out);
    dkim_signer_free(s);
    free(pem);
}

/* returns a new signer with an Ed25519 key (selector e1) and an RSA key (s1) for example.com,
 * added in that order, and their PEM texts; caller frees all three */
static dkim_signer *signer_with_both_keys(char **rsa, char **ed)
{
    *rsa = make_pem(EVP_PKEY_RSA);
    *ed = make_pem(EVP_PKEY_ED25519);
    dkim_signer *s = dkim_signer_new();
    mc_error err;
    assert_int_equal(
        dkim_signer_add_key(s, "example.com", "e1", *ed, DKIM_ALG_ED25519_SHA256, &err), 0);
    assert_int_equal(dkim_signer_add_key(s, "example.com", "s1", *rsa, DKIM_ALG_RSA_SHA256, &err),
                     0);
    return s;
}

/* a domain with both keys gets both signatures, rsa-sha256 first, over the same message */
static void domain_with_both_keys_gets_both_signatures(void **state)
{
    (void)state;
    char *rsa, *ed;
    dkim_signer *s = signer_with_both_keys(&rsa, &ed);
    mc_error err;
    assert_int_equal(dkim_signer_count(s), 2);
    /* a second key of one algorithm for one domain is refused */
    assert_int_equal(dkim_signer_add_key(s, "example.com", "s2", rsa, DKIM_ALG_RSA_SHA256, &err),
                     -1);
    assert_non_null(strstr(err.message, "already has a rsa-sha256 key"));
    static const char awkward[] = "From: =?UTF-8?Q?Zo=C3=AB?= <news@example.com>\r\n"
                                  "To: \"Ann \xc3\x9cnal\" <ann@example.org>\r\n"
                                  "Subject:   A folded\r\n\t  subject   \r\n"
                                  "To: second@example.org\r\n"
                                  "\r\n"
                                  "no final line break  ";
    buf_t out = BUF_INIT;
    assert_int_equal(dkim_signer_sign(s, STR_LIT("example.com"), STR_LIT(awkward), &out, &err), 0);
    int count;
    const char *message = signature_fields(out.p, &count);
    assert_int_equal(count, 2);
    /* the body's missing line break is added, and signed */
    assert_int_equal(strlen(message), sizeof awkward - 1 + 2);
    assert_memory_equal(message, awkward, sizeof awkward - 1);
    assert_string_equal(message + sizeof awkward - 1, "\r\n");
    const char *second = strstr(out.p + 1, "DKIM-Signature: ");
    assert_non_null(second);
    assert_true(strncmp(out.p, "DKIM-Signature: v=1; a=rsa-sha256;", 34) == 0);
    assert_true(strncmp(second, "DKIM-Signature: v=1; a=ed25519-sha256;", 38) == 0);
    assert_verifies(buf_view(&out), rsa, ed);
    /* an empty body verifies too */
    buf_reset(&out);
    assert_int_equal(dkim_signer_sign(s, STR_LIT("example.com"),
                                      STR_LIT("From: a@example.com\r\n\r\n"), &out, &err),
                     0);
    assert_verifies(buf_view(&out), rsa, ed);
    /* a 3000-byte line, white space at line ends, and empty lines at the end */
    buf_t long_message = BUF_INIT;
    buf_append_cstr(&long_message, "From: a@example.com\r\nSubject: long\r\n\r\n");
    for (int i = 0; i < 300; i++)
        buf_append_cstr(&long_message, "0123456 89");
    buf_append_cstr(&long_message, " \t\r\n\t  tab  run \r\n\r\n \r\n\r\n");
    buf_reset(&out);
    assert_int_equal(
        dkim_signer_sign(s, STR_LIT("example.com"), buf_view(&long_message), &out, &err), 0);
    assert_verifies(buf_view(&out), rsa, ed);
    buf_free(&long_message);
    buf_free(&out);
    dkim_signer_free(s);
    free(rsa);
    free(ed);
}

typedef struct {
    const dkim_signer *signer;
    buf_t out[5];
    int failures;
} signing_thread;

static void *sign_five(void *arg)
{
    signing_thread *t = arg;
    for (int i = 0; i < 5; i++) {
        mc_error err;
        if (dkim_signer_sign(t->signer, STR_LIT("example.com"), STR_LIT(MESSAGE), &t->out[i],
                             &err) != 0)
            t->failures++;
    }
    return NULL;
}

/* more threads at once than the signer keeps contexts for: every signature still verifies */
static void many_threads_sign_at_once(void **state)
{
    (void)state;
    char *rsa, *ed;
    dkim_signer *s = signer_with_both_keys(&rsa, &ed);
    enum { THREADS = 40 };
    signing_thread *threads = calloc(THREADS, sizeof *threads);
    pthread_t ids[THREADS];
    for (int i = 0; i < THREADS; i++) {
        threads[i].signer = s;
        pthread_create(&ids[i], NULL, sign_five, &threads[i]);
    }
    for (int i = 0; i < THREADS; i++)
        pthread_join(ids[i], NULL);
    for (int i = 0; i < THREADS; i++) {
        assert_int_equal(threads[i].failures, 0);
        if (i % 13 == 0) assert_verifies(buf_view(&threads[i].out[4]), rsa, ed);
        for (int k = 0; k < 5; k++) {
            int count;
            assert_string_equal(signature_fields(threads[i].out[k].p, &count), MESSAGE);
            assert_int_equal(count, 2);
            buf_free(&threads[i].out[k]);
        }
    }
    free(threads);
    dkim_signer_free(s);
    free(rsa);
    free(ed);
}

static void short_rsa_key_is_refused(void **state)
{
    (void)state;
    char *pem = make_pem_bits(EVP_PKEY_RSA, 768);
    dkim_signer *s = dkim_signer_new();
    mc_error err;
    assert_int_equal(dkim_signer_add_key(s, "example.com", "s1", pem, DKIM_ALG_RSA_SHA256, &err),
                     -1);
    assert_non_null(strstr(err.message, "shorter than the 1024 bits"));
    dkim_signer_free(s);
    free(pem);
}

static void message_without_header_end_is_refused(void **state)
{
    (void)state;
    char *pem = make_pem(EVP_PKEY_ED25519);
    dkim_signer *s = dkim_signer_new();
    mc_error err;
    assert_int_equal(
        dkim_signer_add_key(s, "example.com", "e1", pem, DKIM_ALG_ED25519_SHA256, &err), 0);
    buf_t out = BUF_INIT;
    buf_append_cstr(&out, "kept");
    assert_int_equal(
        dkim_signer_sign(s, STR_LIT("example.com"), STR_LIT("From: a@example.com\r\n"), &out, &err),
        -1);
    assert_string_equal(out.p, "kept");
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
    assert_non_null(strstr(err.message, "needs an RSA key, and this key is an Ed25519 key"));
    assert_int_equal(dkim_signer_count(s), 0);
    char *rsa = make_pem(EVP_PKEY_RSA);
    assert_int_equal(
        dkim_signer_add_key(s, "example.com", "s1", rsa, DKIM_ALG_ED25519_SHA256, &err), -1);
    assert_non_null(strstr(err.message, "needs an Ed25519 key, and this key is an RSA key"));
    dkim_signer_free(s);
    free(pem);
    free(rsa);
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

/* writes text as a config file and loads it into a new signer; returns the signer's
 * dkim_signer_load_config() result with err */
static int load_config_text(const char *text, mc_error *err, size_t *keys)
{
    char path[64];
    snprintf(path, sizeof path, "/tmp/mailcast-dkim-test-%d.ini", (int)getpid());
    FILE *f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
    char *envp[] = {NULL};
    config_t cfg;
    assert_int_equal(config_load(&cfg, path, envp, err), 0);
    dkim_signer *s = dkim_signer_new();
    int rc = dkim_signer_load_config(s, &cfg, err);
    *keys = dkim_signer_count(s);
    dkim_signer_free(s);
    config_free(&cfg);
    unlink(path);
    return rc;
}

/* returns the path of a new key file holding pem; caller unlinks and frees it */
static char *key_file(const char *name, const char *pem)
{
    char *path = malloc(96);
    snprintf(path, 96, "/tmp/mailcast-dkim-%s-%d.pem", name, (int)getpid());
    FILE *f = fopen(path, "w");
    fputs(pem, f);
    fclose(f);
    return path;
}

static void config_with_both_keys_loads_two_and_checks_each(void **state)
{
    (void)state;
    char *rsa = make_pem(EVP_PKEY_RSA), *ed = make_pem(EVP_PKEY_ED25519);
    char *rsa_path = key_file("rsa", rsa), *ed_path = key_file("ed", ed);
    char text[1024];
    mc_error err;
    size_t keys;
    snprintf(text, sizeof text,
             "[dkim.example.com]\nselector = s1\nprivate_key_file = %s\n"
             "ed25519_selector = e1\ned25519_key_file = %s\n",
             rsa_path, ed_path);
    assert_int_equal(load_config_text(text, &err, &keys), 0);
    assert_int_equal(keys, 2);
    /* the Ed25519 file holding an RSA key: its line is named */
    snprintf(text, sizeof text,
             "[dkim.example.com]\nselector = s1\nprivate_key_file = %s\n"
             "ed25519_selector = e1\ned25519_key_file = %s\n",
             rsa_path, rsa_path);
    assert_int_equal(load_config_text(text, &err, &keys), -1);
    assert_non_null(strstr(err.field, ".ini:5"));
    assert_non_null(strstr(err.message, "needs an Ed25519 key"));
    /* algorithm = ed25519-sha256 with an Ed25519 key alone */
    snprintf(text, sizeof text,
             "[dkim.example.com]\nselector = e1\nprivate_key_file = %s\nalgorithm = "
             "ed25519-sha256\n",
             ed_path);
    assert_int_equal(load_config_text(text, &err, &keys), 0);
    assert_int_equal(keys, 1);
    /* algorithm = rsa-sha256 with an Ed25519 key */
    snprintf(text, sizeof text,
             "[dkim.example.com]\nselector = s1\nprivate_key_file = %s\nalgorithm = rsa-sha256\n",
             ed_path);
    assert_int_equal(load_config_text(text, &err, &keys), -1);
    assert_non_null(strstr(err.field, ".ini:3"));
    assert_non_null(strstr(err.message, "needs an RSA key"));
    /* one selector for two keys, and a selector without its key file */
    snprintf(text, sizeof text,
             "[dkim.example.com]\nselector = s1\nprivate_key_file = %s\n"
             "ed25519_selector = s1\ned25519_key_file = %s\n",
             rsa_path, ed_path);
    assert_int_equal(load_config_text(text, &err, &keys), -1);
    assert_non_null(strstr(err.field, ".ini:4"));
    snprintf(text, sizeof text,
             "[dkim.example.com]\nselector = s1\nprivate_key_file = %s\ned25519_selector = e1\n",
             rsa_path);
    assert_int_equal(load_config_text(text, &err, &keys), -1);
    assert_non_null(strstr(err.message, "needs ed25519_key_file"));
    /* an unreadable Ed25519 key file */
    snprintf(text, sizeof text,
             "[dkim.example.com]\nselector = s1\nprivate_key_file = %s\n"
             "ed25519_selector = e1\ned25519_key_file = /nonexistent/ed.pem\n",
             rsa_path);
    assert_int_equal(load_config_text(text, &err, &keys), -1);
    assert_non_null(strstr(err.message, ".ini:5: cannot read /nonexistent/ed.pem"));
    unlink(rsa_path);
    unlink(ed_path);
    free(rsa_path);
    free(ed_path);
    free(rsa);
    free(ed);
}

static void public_records_name_each_algorithm(void **state)
{
    (void)state;
    char *rsa = make_pem(EVP_PKEY_RSA), *ed = make_pem(EVP_PKEY_ED25519);
    char *txt = record_of(rsa);
    assert_true(strncmp(txt, "v=DKIM1; k=rsa; p=MII", 21) == 0);
    free(txt);
    txt = record_of(ed);
    /* the raw 32-byte key: 44 base64 characters */
    assert_true(strncmp(txt, "v=DKIM1; k=ed25519; p=", 22) == 0);
    assert_int_equal(strlen(txt + 22), 44);
    free(txt);
    free(rsa);
    free(ed);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(domain_without_key_is_copied_unsigned),
        cmocka_unit_test(signature_field_is_folded_crlf_and_names_the_signed_fields),
        cmocka_unit_test(ed25519_key_signs_with_ed25519_sha256),
        cmocka_unit_test(domain_with_both_keys_gets_both_signatures),
        cmocka_unit_test(key_of_the_wrong_type_is_refused),
        cmocka_unit_test(many_threads_sign_at_once),
        cmocka_unit_test(short_rsa_key_is_refused),
        cmocka_unit_test(message_without_header_end_is_refused),
        cmocka_unit_test(bad_algorithm_in_config_names_file_and_line),
        cmocka_unit_test(config_with_both_keys_loads_two_and_checks_each),
        cmocka_unit_test(public_records_name_each_algorithm),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
