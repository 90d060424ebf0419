/* Result classification shared by the transports, and the VERP envelope sender. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "mail/transport.h"
#include "mail/verp.h"

static void replies_are_classified_by_class(void **state)
{
    (void)state;
    assert_int_equal(mail_classify(250), MAIL_SENT);
    assert_int_equal(mail_classify(251), MAIL_SENT);
    assert_int_equal(mail_classify(421), MAIL_TEMPORARY);
    assert_int_equal(mail_classify(450), MAIL_TEMPORARY);
    assert_int_equal(mail_classify(550), MAIL_PERMANENT);
    assert_int_equal(mail_classify(554), MAIL_PERMANENT);
    assert_int_equal(mail_classify(0), MAIL_TEMPORARY);
    assert_int_equal(mail_classify(354), MAIL_TEMPORARY);
    assert_int_equal(mail_classify(999), MAIL_TEMPORARY);
}

static void result_text_is_cut_on_a_character_and_made_printable(void **state)
{
    (void)state;
    mail_result r;
    char text[600];
    memset(text, 'a', sizeof text);
    memcpy(text + 254, "é", 2); /* would end at byte 256: past the 255 that fit */
    text[sizeof text - 1] = '\0';
    mail_result_set(&r, 550, "5.1.1", text);
    assert_int_equal(strlen(r.text), 254);
    mail_result_set(&r, 450, "", "busy\r\nnow\r\n");
    assert_string_equal(r.text, "busy  now");
    assert_int_equal(r.outcome, MAIL_TEMPORARY);
}

static void verp_puts_the_token_in_the_local_part(void **state)
{
    (void)state;
    buf_t out = BUF_INIT;
    mc_error err;
    assert_int_equal(verp_envelope_sender(STR_LIT("bounces+{token}@example.com"), STR_LIT("ab12"),
                                          STR_LIT("news@example.com"), &out, &err),
                     0);
    assert_string_equal(out.p, "bounces+ab12@example.com");
    buf_reset(&out);
    assert_int_equal(
        verp_envelope_sender(STR_NULL, STR_LIT("ab12"), STR_LIT("news@example.com"), &out, &err),
        0);
    assert_string_equal(out.p, "news@example.com");
    buf_reset(&out);
    assert_int_equal(verp_envelope_sender(STR_LIT("bounces+{token}@example.com"), STR_LIT("a>b"),
                                          STR_LIT("news@example.com"), &out, &err),
                     -1);
    buf_free(&out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(replies_are_classified_by_class),
        cmocka_unit_test(result_text_is_cut_on_a_character_and_made_printable),
        cmocka_unit_test(verp_puts_the_token_in_the_local_part),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
