/* Tracking tokens: what goes in comes out, and nothing else is accepted. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "track/track_token.h"

static const unsigned char SECRET[32] = "0123456789abcdef0123456789abcde";
static const unsigned char OTHER[32] = "0123456789abcdef0123456789abcdX";
static const char ALPHABET[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static void test_a_click_token_reads_back_its_fields(void **state)
{
    (void)state;
    track_token t = {TRACK_CLICK, 9876543210LL, 42, 1234567, 77}, got;
    char text[TRACK_TOKEN_MAX];
    size_t n = track_token_make(SECRET, &t, text);
    assert_int_equal(n, strlen(text));
    assert_true(n < 48); /* short enough for a link */
    assert_true(track_token_check(SECRET, str_from_cstr(text), TRACK_CLICK, &got));
    assert_int_equal(got.kind, TRACK_CLICK);
    assert_int_equal(got.message_id, 9876543210LL);
    assert_int_equal(got.campaign_id, 42);
    assert_int_equal(got.subscriber_id, 1234567);
    assert_int_equal(got.link_id, 77);
}

static void test_an_open_token_of_transactional_mail_has_zeros(void **state)
{
    (void)state;
    track_token t = {TRACK_OPEN, 5, 0, 0, 0}, got;
    char text[TRACK_TOKEN_MAX];
    track_token_make(SECRET, &t, text);
    assert_true(track_token_check(SECRET, str_from_cstr(text), TRACK_OPEN, &got));
    assert_int_equal(got.message_id, 5);
    assert_int_equal(got.campaign_id, 0);
    assert_int_equal(got.subscriber_id, 0);
    assert_int_equal(got.link_id, 0);
}

static void test_the_largest_ids_round_trip(void **state)
{
    (void)state;
    long long big = 9223372036854775807LL;
    track_token t = {TRACK_CLICK, big, big, big, big}, got;
    char text[TRACK_TOKEN_MAX];
    size_t n = track_token_make(SECRET, &t, text);
    assert_true(n < TRACK_TOKEN_MAX);
    assert_true(track_token_check(SECRET, str_from_cstr(text), TRACK_CLICK, &got));
    assert_true(got.message_id == big && got.link_id == big);
}

static void test_every_altered_character_is_refused(void **state)
{
    (void)state;
    track_token t = {TRACK_CLICK, 123456, 78, 9012, 345}, got;
    char text[TRACK_TOKEN_MAX];
    size_t n = track_token_make(SECRET, &t, text);
    for (size_t i = 0; i < n; i++) {
        for (size_t a = 0; a < sizeof ALPHABET - 1; a++) {
            char altered[TRACK_TOKEN_MAX];
            memcpy(altered, text, n + 1);
            if (altered[i] == ALPHABET[a]) continue;
            altered[i] = ALPHABET[a];
            assert_false(track_token_check(SECRET, str_make(altered, n), TRACK_CLICK, &got));
        }
        /* a character outside the alphabet */
        char altered[TRACK_TOKEN_MAX];
        memcpy(altered, text, n + 1);
        altered[i] = '.';
        assert_false(track_token_check(SECRET, str_make(altered, n), TRACK_CLICK, &got));
    }
}

static void test_cut_or_extended_tokens_are_refused(void **state)
{
    (void)state;
    track_token t = {TRACK_OPEN, 123456, 78, 9012, 0}, got;
    char text[TRACK_TOKEN_MAX];
    size_t n = track_token_make(SECRET, &t, text);
    for (size_t k = 0; k < n; k++)
        assert_false(track_token_check(SECRET, str_make(text, k), TRACK_OPEN, &got));
    char longer[TRACK_TOKEN_MAX + 1];
    memcpy(longer, text, n);
    for (size_t a = 0; a < sizeof ALPHABET - 1; a++) {
        longer[n] = ALPHABET[a];
        assert_false(track_token_check(SECRET, str_make(longer, n + 1), TRACK_OPEN, &got));
    }
}

static void test_a_token_of_the_other_kind_is_refused(void **state)
{
    (void)state;
    track_token open = {TRACK_OPEN, 10, 2, 3, 0}, click = {TRACK_CLICK, 10, 2, 3, 4}, got;
    char text[TRACK_TOKEN_MAX];
    track_token_make(SECRET, &open, text);
    assert_false(track_token_check(SECRET, str_from_cstr(text), TRACK_CLICK, &got));
    track_token_make(SECRET, &click, text);
    assert_false(track_token_check(SECRET, str_from_cstr(text), TRACK_OPEN, &got));
}

static void test_a_token_signed_with_another_secret_is_refused(void **state)
{
    (void)state;
    track_token t = {TRACK_CLICK, 10, 2, 3, 4}, got;
    char text[TRACK_TOKEN_MAX];
    track_token_make(OTHER, &t, text);
    assert_false(track_token_check(SECRET, str_from_cstr(text), TRACK_CLICK, &got));
    assert_false(track_token_check(SECRET, STR_LIT(""), TRACK_CLICK, &got));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_click_token_reads_back_its_fields),
        cmocka_unit_test(test_an_open_token_of_transactional_mail_has_zeros),
        cmocka_unit_test(test_the_largest_ids_round_trip),
        cmocka_unit_test(test_every_altered_character_is_refused),
        cmocka_unit_test(test_cut_or_extended_tokens_are_refused),
        cmocka_unit_test(test_a_token_of_the_other_kind_is_refused),
        cmocka_unit_test(test_a_token_signed_with_another_secret_is_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
