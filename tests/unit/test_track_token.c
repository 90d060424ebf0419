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
    track_token t = {TRACK_CLICK, 9876543210LL, 42, 1234567, 77, STR_NULL}, got;
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
    track_token t = {TRACK_OPEN, 5, 0, 0, 0, STR_NULL}, got;
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
    track_token t = {TRACK_CLICK, big, big, big, big, STR_NULL}, got;
    char text[TRACK_TOKEN_MAX];
    size_t n = track_token_make(SECRET, &t, text);
    assert_true(n < TRACK_TOKEN_MAX);
    assert_true(track_token_check(SECRET, str_from_cstr(text), TRACK_CLICK, &got));
    assert_true(got.message_id == big && got.link_id == big);
}

static void test_every_altered_character_is_refused(void **state)
{
    (void)state;
    track_token t = {TRACK_CLICK, 123456, 78, 9012, 345, STR_NULL}, got;
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
    track_token t = {TRACK_OPEN, 123456, 78, 9012, 0, STR_NULL}, got;
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
    track_token open = {TRACK_OPEN, 10, 2, 3, 0, STR_NULL},
                click = {TRACK_CLICK, 10, 2, 3, 4, STR_NULL}, got;
    char text[TRACK_TOKEN_MAX];
    track_token_make(SECRET, &open, text);
    assert_false(track_token_check(SECRET, str_from_cstr(text), TRACK_CLICK, &got));
    track_token_make(SECRET, &click, text);
    assert_false(track_token_check(SECRET, str_from_cstr(text), TRACK_OPEN, &got));
}

static void test_a_token_signed_with_another_secret_is_refused(void **state)
{
    (void)state;
    track_token t = {TRACK_CLICK, 10, 2, 3, 4, STR_NULL}, got;
    char text[TRACK_TOKEN_MAX];
    track_token_make(OTHER, &t, text);
    assert_false(track_token_check(SECRET, str_from_cstr(text), TRACK_CLICK, &got));
    assert_false(track_token_check(SECRET, STR_LIT(""), TRACK_CLICK, &got));
}

static void test_a_click_token_carries_a_personalized_url_inside_its_signature(void **state)
{
    (void)state;
    const char *url = "https://tienda.example.es/oferta?u=4711&ciudad=Málaga";
    track_token t = {TRACK_CLICK, 501, 7, 4711, 12, str_from_cstr(url)}, got;
    buf_t text = BUF_INIT, read = BUF_INIT;
    track_token_append(SECRET, &t, &text);
    assert_true(track_token_check_click(SECRET, buf_view(&text), &got, &read));
    assert_int_equal(got.link_id, 12);
    assert_int_equal(got.subscriber_id, 4711);
    assert_true(str_eq(got.url, str_from_cstr(url)));
    /* the plain check knows no URL and refuses the token rather than drop it */
    assert_false(track_token_check(SECRET, buf_view(&text), TRACK_CLICK, &got));
    /* a literal token reads back with no URL */
    track_token literal = {TRACK_CLICK, 501, 7, 4711, 13, STR_NULL};
    char fixed[TRACK_TOKEN_MAX];
    size_t n = track_token_make(SECRET, &literal, fixed);
    assert_true(track_token_check_click(SECRET, str_make(fixed, n), &got, &read));
    assert_int_equal(got.link_id, 13);
    assert_null(got.url.p);
    /* an empty part is one too: a section that printed nothing */
    t.url = str_make(url, 0);
    buf_reset(&text);
    track_token_append(SECRET, &t, &text);
    assert_true(track_token_check_click(SECRET, buf_view(&text), &got, &read));
    assert_non_null(got.url.p);
    assert_int_equal(got.url.n, 0);
    buf_free(&text);
    buf_free(&read);
}

static void test_a_token_whose_url_was_changed_is_refused(void **state)
{
    (void)state;
    track_token t = {TRACK_CLICK, 501, 7,
                     4711,        12,  STR_LIT("https://tienda.example.es/oferta?u=4711")},
                got;
    buf_t text = BUF_INIT, read = BUF_INIT;
    track_token_append(SECRET, &t, &text);
    /* every character changed in turn, the URL's included */
    for (size_t i = 0; i < text.n; i++) {
        char saved = text.p[i];
        text.p[i] = saved == 'A' ? 'B' : 'A';
        assert_false(track_token_check_click(SECRET, buf_view(&text), &got, &read));
        text.p[i] = saved;
    }
    /* another subscriber's URL signed as this token's is not this token */
    track_token other = t;
    other.url = STR_LIT("https://tienda.example.es/oferta?u=4712");
    buf_t forged = BUF_INIT;
    track_token_append(OTHER, &other, &forged);
    assert_false(track_token_check_click(SECRET, buf_view(&forged), &got, &read));
    buf_free(&forged);
    buf_free(&text);
    buf_free(&read);
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
        cmocka_unit_test(test_a_click_token_carries_a_personalized_url_inside_its_signature),
        cmocka_unit_test(test_a_token_whose_url_was_changed_is_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
