/* Reading the bounce mailbox's mail: DSNs (RFC 3464), complaint reports (RFC 5965), the
 * plain-text bounces of large providers, and what is none of them. The samples are the
 * fixtures of tests/fixtures/bounces, with their placeholders filled in. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/file.h"
#include "core/utf8.h"
#include "track/bounce_parse.h"
#include "track/unsubscribe_address.h"

#define TOKEN "0123456789abcdef0123456789abcdef"
#define RCPT  "usuario.ñ@destino.example"
#define VERP  "bounces+" TOKEN "@example.com"

static const unsigned char SECRET[32] = "0123456789abcdef0123456789abcde";

/* Reads fixture name with {token}, {rcpt}, {verp} and {unsubscribe} replaced. */
static void fixture(const char *name, const char *unsubscribe, buf_t *out)
{
    char path[512];
    snprintf(path, sizeof path, "%s/tests/fixtures/bounces/%s", MAILCAST_SOURCE_DIR, name);
    buf_t raw = BUF_INIT;
    assert_int_equal(file_read_all(path, 1 << 20, &raw), 0);
    buf_reset(out);
    static const char *const keys[] = {"{token}", "{rcpt}", "{verp}", "{unsubscribe}"};
    const char *values[] = {TOKEN, RCPT, VERP, unsubscribe ? unsubscribe : ""};
    for (size_t i = 0; i < raw.n;) {
        bool replaced = false;
        for (int k = 0; k < 4 && !replaced; k++) {
            size_t len = strlen(keys[k]);
            if (i + len <= raw.n && !memcmp(raw.p + i, keys[k], len)) {
                buf_append_cstr(out, values[k]);
                i += len;
                replaced = true;
            }
        }
        if (!replaced) buf_putc(out, raw.p[i++]);
    }
    buf_free(&raw);
}

static bounce_mail_type parse(const char *name, bounce_report *r)
{
    buf_t mail = BUF_INIT;
    fixture(name, NULL, &mail);
    bounce_mail_type type = bounce_parse_mail(buf_view(&mail), STR_LIT("bounces+"), r);
    buf_free(&mail);
    return type;
}

static void test_a_failed_dsn_is_a_hard_bounce_of_its_final_recipient(void **state)
{
    (void)state;
    bounce_report r;
    assert_int_equal(parse("dsn_hard.eml", &r), BOUNCE_MAIL_DSN);
    assert_string_equal(r.kind, "hard");
    assert_string_equal(r.token, TOKEN);
    assert_int_equal(r.address_count, 1);
    assert_string_equal(r.addresses[0], RCPT);
    assert_int_equal(r.smtp_code, 550);
    assert_non_null(strstr(r.reason, "5.1.1"));
    assert_non_null(strstr(r.reason, "User unknown"));
}

static void test_a_delayed_dsn_is_a_soft_bounce(void **state)
{
    (void)state;
    bounce_report r;
    assert_int_equal(parse("dsn_delayed.eml", &r), BOUNCE_MAIL_DSN);
    assert_string_equal(r.kind, "soft");
    assert_int_equal(r.smtp_code, 451);
    assert_string_equal(r.token, TOKEN);
}

static void test_a_dsn_of_a_delivery_is_not_a_bounce(void **state)
{
    (void)state;
    bounce_report r;
    assert_int_equal(parse("dsn_delivered.eml", &r), BOUNCE_MAIL_OTHER);
}

static void test_an_abuse_report_is_a_complaint_of_its_original_recipient(void **state)
{
    (void)state;
    bounce_report r;
    assert_int_equal(parse("arf_abuse.eml", &r), BOUNCE_MAIL_ARF);
    assert_string_equal(r.kind, "complaint");
    assert_string_equal(r.token, TOKEN);
    assert_string_equal(r.addresses[0], RCPT);
    assert_string_equal(r.reason, "feedback-type: abuse");
}

static void test_a_not_spam_report_is_no_complaint(void **state)
{
    (void)state;
    bounce_report r;
    assert_int_equal(parse("arf_not_spam.eml", &r), BOUNCE_MAIL_OTHER);
}

static void test_a_plain_provider_bounce_is_found_by_the_quoted_message(void **state)
{
    (void)state;
    bounce_report r;
    assert_int_equal(parse("plain_provider.eml", &r), BOUNCE_MAIL_PLAIN);
    assert_string_equal(r.kind, "hard");
    assert_string_equal(r.token, TOKEN);
    assert_int_equal(r.smtp_code, 550);
    bool has_rcpt = false;
    for (size_t i = 0; i < r.address_count; i++) {
        has_rcpt |= !strcmp(r.addresses[i], RCPT);
        /* our own VERP address is never taken for the recipient */
        assert_null(strstr(r.addresses[i], "bounces+"));
    }
    assert_true(has_rcpt);
}

static void test_an_auto_reply_to_the_verp_address_is_not_a_bounce(void **state)
{
    (void)state;
    bounce_report r;
    assert_int_equal(parse("auto_reply.eml", &r), BOUNCE_MAIL_OTHER);
}

static void test_a_base64_dsn_part_is_decoded(void **state)
{
    (void)state;
    /* "Action: failed\nStatus: 5.2.2\nFinal-Recipient: rfc822; box@full.example\n" */
    static const char mail[] =
        "To: bounces+" TOKEN "@example.com\r\n"
        "Content-Type: multipart/report; report-type=delivery-status; boundary=b1\r\n\r\n"
        "--b1\r\nContent-Type: message/delivery-status\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        "QWN0aW9uOiBmYWlsZWQKU3RhdHVzOiA1LjIuMgpGaW5hbC1SZWNpcGllbnQ6IHJmYzgyMjsgYm94QGZ1bGwuZXhh\r"
        "\n"
        "bXBsZQo=\r\n--b1--\r\n";
    bounce_report r;
    assert_int_equal(bounce_parse_mail(STR_LIT(mail), STR_LIT("bounces+"), &r), BOUNCE_MAIL_DSN);
    assert_string_equal(r.kind, "hard");
    assert_string_equal(r.addresses[0], "box@full.example");
    /* nothing returned: the token comes from the VERP address the report was sent to */
    assert_string_equal(r.token, TOKEN);
}

static void test_truncated_and_empty_mail_is_read_safely(void **state)
{
    (void)state;
    buf_t mail = BUF_INIT;
    fixture("dsn_hard.eml", NULL, &mail);
    bounce_report r;
    for (size_t n = 0; n <= mail.n; n += 7) {
        char *copy = malloc(n ? n : 1);
        memcpy(copy, mail.p, n);
        bounce_parse_mail(str_make(copy, n), STR_LIT("bounces+"), &r);
        free(copy);
    }
    buf_free(&mail);
}

static void test_reasons_keep_utf8_and_replace_bad_bytes(void **state)
{
    (void)state;
    bounce_report r = {0};
    bounce_report_add_reason(&r, STR_LIT("Buzón lleno \xff\x01 ящик"));
    assert_string_equal(r.reason, "Buzón lleno ?  ящик");
    char long_text[1000];
    memset(long_text, 'a', sizeof long_text);
    memcpy(long_text + BOUNCE_REASON_MAX - 20, "ñññññññññññññññññññ", 38);
    bounce_report_add_reason(&r, str_make(long_text, sizeof long_text));
    assert_true(strlen(r.reason) < BOUNCE_REASON_MAX);
    size_t bad;
    assert_true(utf8_valid(r.reason, strlen(r.reason), &bad));
}

static void test_status_codes_give_the_kind(void **state)
{
    (void)state;
    int code;
    assert_string_equal(bounce_kind_of_status(STR_LIT("smtp; 552 5.2.2 mailbox full"), &code),
                        "hard");
    assert_int_equal(code, 552);
    assert_string_equal(bounce_kind_of_status(STR_LIT("4.7.0 try later"), &code), "soft");
    assert_int_equal(code, 0);
    assert_null(bounce_kind_of_status(STR_LIT("version 15.4 of 2026"), &code));
}

static void test_the_mailto_unsubscribe_address_is_signed(void **state)
{
    (void)state;
    buf_t address = BUF_INIT, mail = BUF_INIT;
    assert_true(unsubscribe_address_make(SECRET, 1234567890, 987654321012,
                                         STR_LIT("bounces+{token}@bounces.example.com"), &address));
    assert_true(strncmp(buf_cstr(&address), "unsubscribe+", 12) == 0);
    assert_non_null(strstr(buf_cstr(&address), "@bounces.example.com"));
    /* the local part stays within 64 octets */
    assert_true(strchr(buf_cstr(&address), '@') - buf_cstr(&address) <= 64);
    fixture("mailto_unsubscribe.eml", buf_cstr(&address), &mail);
    long long subscriber = 0, message = 0;
    assert_true(unsubscribe_address_find(SECRET, buf_view(&mail), &subscriber, &message));
    assert_int_equal(subscriber, 1234567890);
    assert_int_equal(message, 987654321012);
    /* another subscriber's id under the same MAC is refused */
    char *digit = strstr(mail.p, "unsubscribe+1") + 12;
    *digit = '2';
    assert_false(unsubscribe_address_find(SECRET, buf_view(&mail), &subscriber, &message));
    assert_false(unsubscribe_address_make(SECRET, 1, 2, STR_LIT(""), &address));
    buf_free(&address);
    buf_free(&mail);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_failed_dsn_is_a_hard_bounce_of_its_final_recipient),
        cmocka_unit_test(test_a_delayed_dsn_is_a_soft_bounce),
        cmocka_unit_test(test_a_dsn_of_a_delivery_is_not_a_bounce),
        cmocka_unit_test(test_an_abuse_report_is_a_complaint_of_its_original_recipient),
        cmocka_unit_test(test_a_not_spam_report_is_no_complaint),
        cmocka_unit_test(test_a_plain_provider_bounce_is_found_by_the_quoted_message),
        cmocka_unit_test(test_an_auto_reply_to_the_verp_address_is_not_a_bounce),
        cmocka_unit_test(test_a_base64_dsn_part_is_decoded),
        cmocka_unit_test(test_truncated_and_empty_mail_is_read_safely),
        cmocka_unit_test(test_reasons_keep_utf8_and_replace_bad_bytes),
        cmocka_unit_test(test_status_codes_give_the_kind),
        cmocka_unit_test(test_the_mailto_unsubscribe_address_is_signed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
