/* buf_t and the UTF-8 helpers every text path relies on. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/error.h"
#include "core/utf8.h"

static void test_buffer_grows_and_stays_nul_terminated(void **state)
{
    (void)state;
    buf_t b = BUF_INIT;
    assert_string_equal(buf_cstr(&b), "");
    for (int i = 0; i < 1000; i++)
        buf_appendf(&b, "%d,", i);
    assert_int_equal(b.n, strlen(b.p));
    assert_memory_equal(b.p, "0,1,2,", 6);
    buf_reset(&b);
    assert_int_equal(b.n, 0);
    assert_string_equal(buf_cstr(&b), "");
    buf_append_cstr(&b, "привет");
    size_t len;
    char *owned = buf_detach(&b, &len);
    assert_int_equal(len, strlen("привет"));
    assert_null(b.p);
    free(owned);
}

static void test_valid_utf8_is_accepted_in_every_script(void **state)
{
    (void)state;
    const char *samples[] = {"hello", "ñandú", "привет", "Ελληνικά", "日本語", "😀"};
    for (size_t i = 0; i < sizeof samples / sizeof samples[0]; i++)
        assert_true(utf8_valid(samples[i], strlen(samples[i]), NULL));
}

static void test_malformed_utf8_is_rejected_with_offset(void **state)
{
    (void)state;
    size_t bad;
    assert_false(utf8_valid("ab\xC3", 3, &bad)); /* cut in the middle */
    assert_int_equal(bad, 2);
    assert_false(utf8_valid("\xC0\xAF", 2, &bad));         /* overlong '/' */
    assert_false(utf8_valid("\xED\xA0\x80", 3, &bad));     /* surrogate */
    assert_false(utf8_valid("\xF4\x90\x80\x80", 4, &bad)); /* past U+10FFFF */
}

static void test_truncation_never_cuts_a_character(void **state)
{
    (void)state;
    const char *s = "añb"; /* a, ñ (2 bytes), b */
    assert_int_equal(utf8_truncate_len(s, 4, 2), 1);
    assert_int_equal(utf8_truncate_len(s, 4, 3), 3);
    assert_int_equal(utf8_prefix_bytes("привет", 12, 2), 4);
    assert_int_equal(utf8_count("привет", 12), 6);
}

static void test_error_message_is_truncated_on_a_character_boundary(void **state)
{
    (void)state;
    mc_error err;
    char long_text[2000];
    for (size_t i = 0; i + 2 < sizeof long_text; i += 2)
        memcpy(long_text + i, "ж", 2);
    long_text[sizeof long_text - 2] = '\0';
    assert_int_equal(mc_error_set(&err, 400, "invalid_field", "name", "%s", long_text), -1);
    assert_true(utf8_valid(err.message, strlen(err.message), NULL));
    assert_int_equal(err.status, 400);
    assert_string_equal(err.field, "name");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_buffer_grows_and_stays_nul_terminated),
        cmocka_unit_test(test_valid_utf8_is_accepted_in_every_script),
        cmocka_unit_test(test_malformed_utf8_is_rejected_with_offset),
        cmocka_unit_test(test_truncation_never_cuts_a_character),
        cmocka_unit_test(test_error_message_is_truncated_on_a_character_boundary),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
