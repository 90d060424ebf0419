/* Signed tokens of the public pages, and the form decoding those pages read. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "audience/public_token.h"
#include "http/form.h"

static const unsigned char SECRET[32] = "0123456789abcdef0123456789abcde";

static void test_a_token_checks_with_its_subscriber_and_reference(void **state)
{
    (void)state;
    char token[PUBLIC_TOKEN_MAX];
    public_token_make(SECRET, TOKEN_CONFIRM, 42, 7, 2000, token);
    long long sub = 0, ref = 0;
    assert_int_equal(public_token_check(SECRET, token, TOKEN_CONFIRM, 1999, &sub, &ref), TOKEN_OK);
    assert_int_equal(sub, 42);
    assert_int_equal(ref, 7);
}

static void test_a_token_past_its_expiry_is_expired(void **state)
{
    (void)state;
    char token[PUBLIC_TOKEN_MAX];
    long long sub, ref;
    public_token_make(SECRET, TOKEN_CONFIRM, 42, 7, 2000, token);
    assert_int_equal(public_token_check(SECRET, token, TOKEN_CONFIRM, 2001, &sub, &ref),
                     TOKEN_EXPIRED);
    public_token_make(SECRET, TOKEN_PREFERENCES, 42, 0, 0, token);
    assert_int_equal(public_token_check(SECRET, token, TOKEN_PREFERENCES, 1LL << 40, &sub, &ref),
                     TOKEN_OK);
}

static void test_changed_tokens_and_other_secrets_are_forged(void **state)
{
    (void)state;
    char token[PUBLIC_TOKEN_MAX], changed[PUBLIC_TOKEN_MAX];
    long long sub, ref;
    public_token_make(SECRET, TOKEN_PREFERENCES, 42, 0, 0, token);
    strcpy(changed, token);
    changed[2] = '4' == changed[2] ? '5' : '4'; /* another subscriber */
    assert_int_equal(public_token_check(SECRET, changed, TOKEN_PREFERENCES, 0, &sub, &ref),
                     TOKEN_FORGED);
    assert_int_equal(public_token_check(SECRET, token, TOKEN_CONFIRM, 0, &sub, &ref), TOKEN_FORGED);
    unsigned char other[32];
    memcpy(other, SECRET, 32);
    other[0] ^= 1;
    assert_int_equal(public_token_check(other, token, TOKEN_PREFERENCES, 0, &sub, &ref),
                     TOKEN_FORGED);
    const char *junk[] = {
        "",           "p",           "p.",          "p.1.0.0.",
        "p.1.0.0.zz", "p.-1.0.0.00", "p.1.0.0.0.0", "x.1.0.0.0123456789abcdef0123456789abcdef"};
    for (size_t i = 0; i < sizeof junk / sizeof *junk; i++)
        assert_int_equal(public_token_check(SECRET, junk[i], TOKEN_PREFERENCES, 0, &sub, &ref),
                         TOKEN_FORGED);
}

static void test_form_values_are_decoded_and_repeated_fields_indexed(void **state)
{
    (void)state;
    str_t body =
        STR_LIT("email=ana%40example.com&name=Jos%C3%A9+N%C3%BA%C3%B1ez&list=1&list=22&x=");
    buf_t v = BUF_INIT;
    assert_true(http_form_value(body, "email", 0, &v));
    assert_string_equal(buf_cstr(&v), "ana@example.com");
    assert_true(http_form_value(body, "name", 0, &v));
    assert_string_equal(buf_cstr(&v), "José Núñez");
    assert_true(http_form_value(body, "list", 1, &v));
    assert_string_equal(buf_cstr(&v), "22");
    assert_false(http_form_value(body, "list", 2, &v));
    assert_true(http_form_value(body, "x", 0, &v));
    assert_string_equal(buf_cstr(&v), "");
    assert_false(http_form_value(body, "missing", 0, &v));
    buf_free(&v);
}

static void test_form_fields_of_either_encoding_are_read(void **state)
{
    (void)state;
    buf_t v = BUF_INIT;
    const char *urlencoded = "application/x-www-form-urlencoded";
    assert_true(http_form_field(urlencoded, STR_LIT("List-Unsubscribe=One-Click"),
                                "List-Unsubscribe", 0, &v));
    assert_string_equal(buf_cstr(&v), "One-Click");
    assert_true(http_form_field(NULL, STR_LIT("a=1&a=2"), "a", 1, &v));
    assert_string_equal(buf_cstr(&v), "2");

    /* as mail clients and Python's email package write it: quoted boundary, preamble, a file */
    const char *multipart = "Multipart/Form-Data; charset=utf-8; boundary=\"b;0\"";
    str_t body = STR_LIT("preamble\r\n"
                         "--b;0\r\n"
                         "Content-Disposition: form-data; name=\"upload\"; filename=\"x.txt\"\r\n"
                         "\r\n"
                         "One-Click\r\n"
                         "--b;0  \r\n"
                         "content-type: text/plain; charset=utf-8\r\n"
                         "CONTENT-DISPOSITION: form-data; name=\"List-Unsubscribe\"\r\n"
                         "\r\n"
                         "One-Click\r\n"
                         "--b;0\r\n"
                         "Content-Disposition: form-data; name=\"name\"\r\n"
                         "\r\n"
                         "José\r\nNúñez\r\n"
                         "--b;0--\r\n");
    assert_true(http_form_field(multipart, body, "List-Unsubscribe", 0, &v));
    assert_string_equal(buf_cstr(&v), "One-Click");
    assert_true(http_form_field(multipart, body, "name", 0, &v));
    assert_string_equal(buf_cstr(&v), "José\r\nNúñez");
    assert_false(http_form_field(multipart, body, "upload", 0, &v)); /* a file, not a field */
    assert_false(http_form_field(multipart, body, "List-Unsubscribe", 1, &v));

    str_t plain = STR_LIT("--xyz\r\nContent-Disposition: form-data; name=List-Unsubscribe\r\n\r\n"
                          "One-Click\r\n--xyz--");
    assert_true(
        http_form_field("multipart/form-data; boundary=xyz", plain, "List-Unsubscribe", 0, &v));
    assert_string_equal(buf_cstr(&v), "One-Click");
    /* no boundary, another boundary, or a part that never ends: no fields */
    assert_false(http_form_field("multipart/form-data", plain, "List-Unsubscribe", 0, &v));
    assert_false(
        http_form_field("multipart/form-data; boundary=abc", plain, "List-Unsubscribe", 0, &v));
    str_t cut = str_make(plain.p, plain.n - 10);
    assert_false(
        http_form_field("multipart/form-data; boundary=xyz", cut, "List-Unsubscribe", 0, &v));
    assert_false(http_form_field("multipart/form-data; boundary=xyz", STR_LIT("--xyz"),
                                 "List-Unsubscribe", 0, &v));
    buf_free(&v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_token_checks_with_its_subscriber_and_reference),
        cmocka_unit_test(test_a_token_past_its_expiry_is_expired),
        cmocka_unit_test(test_changed_tokens_and_other_secrets_are_forged),
        cmocka_unit_test(test_form_values_are_decoded_and_repeated_fields_indexed),
        cmocka_unit_test(test_form_fields_of_either_encoding_are_read),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
