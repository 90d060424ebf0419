/* The MIME builder and header encoding: structure, encodings, line limits, and that no
 * caller-supplied value can start a new header field. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "mail/encoding.h"
#include "mail/header_encode.h"
#include "mail/message_id.h"
#include "mail/mime.h"

static mail_message sample(void)
{
    mail_message m = {0};
    m.from = (mail_address){STR_LIT("news@example.com"), STR_LIT("Example News")};
    m.to = (mail_address){STR_LIT("ann@example.org"), STR_LIT("Ann")};
    m.subject = STR_LIT("Hello");
    m.html = STR_LIT("<p>Hello <b>Ann</b></p>");
    m.message_id = STR_LIT("<abc123@example.com>");
    m.date = 1795438800; /* 2026-11-23 */
    return m;
}

static void assert_lines_within(const buf_t *b, size_t max)
{
    size_t start = 0;
    for (size_t i = 0; i + 1 < b->n; i++) {
        if (b->p[i] == '\r') {
            assert_int_equal(b->p[i + 1], '\n');
            assert_true(i - start <= max);
            start = i + 2;
        } else {
            assert_true(b->p[i] != '\n' || (i > 0 && b->p[i - 1] == '\r'));
        }
    }
}

static void builds_multipart_alternative_with_generated_text(void **state)
{
    (void)state;
    mail_message m = sample();
    buf_t out = BUF_INIT;
    mc_error err;
    assert_int_equal(mime_build(&m, &out, &err), 0);
    assert_non_null(strstr(out.p, "Content-Type: multipart/alternative;"));
    assert_non_null(strstr(out.p, "Content-Type: text/plain; charset=utf-8"));
    assert_non_null(strstr(out.p, "Content-Type: text/html; charset=utf-8"));
    assert_non_null(strstr(out.p, "\r\n\r\nHello Ann\r\n"));
    assert_non_null(strstr(out.p, "MIME-Version: 1.0\r\n"));
    assert_non_null(strstr(out.p, "Date: Mon, 23 Nov 2026 "));
    assert_non_null(strstr(out.p, "Message-ID: <abc123@example.com>\r\n"));
    assert_non_null(strstr(out.p, "From: \"Example News\" <news@example.com>\r\n"));
    assert_lines_within(&out, 78);
    buf_free(&out);
}

static void rejects_line_break_in_subject(void **state)
{
    (void)state;
    mail_message m = sample();
    m.subject = STR_LIT("Hi\r\nBcc: victim@example.net");
    buf_t out = BUF_INIT;
    mc_error err;
    assert_int_equal(mime_build(&m, &out, &err), -1);
    assert_string_equal(err.field, "subject");
    buf_free(&out);
}

static void rejects_line_break_in_names_and_custom_headers(void **state)
{
    (void)state;
    const char *fields[] = {"from.name", "to.name", "headers[0]", "list_name"};
    for (int i = 0; i < 4; i++) {
        mail_message m = sample();
        mail_header h = {STR_LIT("X-Campaign"), STR_LIT("ok")};
        m.headers = &h;
        m.header_count = 1;
        str_t evil = STR_LIT("x\nX-Evil: 1");
        if (i == 0) m.from.name = evil;
        if (i == 1) m.to.name = evil;
        if (i == 2) h.value = evil;
        if (i == 3) {
            m.list_id = STR_LIT("news.example.com");
            m.list_name = evil;
        }
        buf_t out = BUF_INIT;
        mc_error err;
        assert_int_equal(mime_build(&m, &out, &err), -1);
        assert_string_equal(err.field, fields[i]);
        buf_free(&out);
    }
}

static void rejects_blocked_custom_header(void **state)
{
    (void)state;
    mail_message m = sample();
    mail_header h = {STR_LIT("content-type"), STR_LIT("text/plain")};
    m.headers = &h;
    m.header_count = 1;
    buf_t out = BUF_INIT;
    mc_error err;
    assert_int_equal(mime_build(&m, &out, &err), -1);
    assert_string_equal(err.field, "headers[0]");
    assert_true(mime_header_blocked(STR_LIT("List-Unsubscribe-Post")));
    assert_true(mime_header_blocked(STR_LIT("DKIM-Signature")));
    assert_false(mime_header_blocked(STR_LIT("X-Campaign")));
    buf_free(&out);
}

static void rejects_address_with_angle_bracket(void **state)
{
    (void)state;
    mail_message m = sample();
    m.to.email = STR_LIT("ann@example.org>, <x@evil.test");
    buf_t out = BUF_INIT;
    mc_error err;
    assert_int_equal(mime_build(&m, &out, &err), -1);
    assert_string_equal(err.field, "to.email");
    buf_free(&out);
}

static void encodes_non_ascii_subject_as_folded_encoded_words(void **state)
{
    (void)state;
    buf_t out = BUF_INIT;
    header_write_unstructured(&out, "Subject",
                              STR_LIT("Größere Rabatte für alle Kunden in Zürich, "
                                      "Genève und Bern 😀 – nur heute"));
    assert_true(strncmp(out.p, "Subject: =?UTF-8?B?", 19) == 0);
    assert_non_null(strstr(out.p, "?=\r\n =?UTF-8?B?"));
    assert_lines_within(&out, 78);
    buf_free(&out);
}

static void folds_long_ascii_subject_at_spaces(void **state)
{
    (void)state;
    buf_t out = BUF_INIT;
    header_write_unstructured(&out, "Subject",
                              STR_LIT("one two three four five six seven eight nine ten eleven "
                                      "twelve thirteen fourteen"));
    assert_non_null(strstr(out.p, "\r\n "));
    assert_null(strstr(out.p, "=?"));
    assert_lines_within(&out, 78);
    buf_free(&out);
}

static void quotes_ascii_display_name_with_specials(void **state)
{
    (void)state;
    buf_t out = BUF_INIT;
    header_write_address(&out, "To", STR_LIT("Doe, \"J\" \\ Ann"), STR_LIT("ann@example.org"));
    assert_string_equal(out.p, "To: \"Doe, \\\"J\\\" \\\\ Ann\" <ann@example.org>\r\n");
    buf_free(&out);
}

static void quoted_printable_keeps_lines_short_and_escapes(void **state)
{
    (void)state;
    buf_t out = BUF_INIT;
    char line[300];
    memset(line, 'a', sizeof line);
    line[10] = '=';
    line[299] = ' ';
    qp_append(&out, line, sizeof line);
    assert_non_null(strstr(out.p, "=3D"));
    assert_non_null(strstr(out.p, "=20"));
    assert_lines_within(&out, 76);
    buf_reset(&out);
    qp_append(&out, "é\n.x", 5);
    assert_string_equal(out.p, "=C3=A9\r\n=2Ex");
    buf_free(&out);
}

static void base64_lines_are_76_columns(void **state)
{
    (void)state;
    buf_t out = BUF_INIT;
    char data[200] = {0};
    base64_append_lines(&out, data, sizeof data);
    assert_int_equal(strchr(out.p, '\r') - out.p, 76);
    assert_lines_within(&out, 76);
    buf_free(&out);
}

static void attachment_with_non_ascii_name_uses_rfc2231(void **state)
{
    (void)state;
    mail_message m = sample();
    mail_attachment a = {STR_LIT("Résumé.pdf"), STR_LIT("application/pdf"), STR_LIT("%PDF-1.4")};
    m.attachments = &a;
    m.attachment_count = 1;
    buf_t out = BUF_INIT;
    mc_error err;
    assert_int_equal(mime_build(&m, &out, &err), 0);
    assert_non_null(strstr(out.p, "multipart/mixed"));
    assert_non_null(strstr(out.p, "filename*0*=UTF-8''R%C3%A9sum%C3%A9.pdf"));
    assert_non_null(strstr(out.p, "Content-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQ=\r\n"));
    buf_free(&out);
}

static void one_click_unsubscribe_needs_https(void **state)
{
    (void)state;
    mail_message m = sample();
    m.unsubscribe_url = STR_LIT("https://example.com/u/abc");
    m.unsubscribe_mailto = STR_LIT("unsubscribe@example.com");
    m.list_id = STR_LIT("news.example.com");
    buf_t out = BUF_INIT;
    mc_error err;
    assert_int_equal(mime_build(&m, &out, &err), 0);
    assert_non_null(strstr(out.p, "List-Unsubscribe: <https://example.com/u/abc>,"));
    assert_non_null(strstr(out.p, "<mailto:unsubscribe@example.com?subject=unsubscribe>"));
    assert_non_null(strstr(out.p, "List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n"));
    assert_non_null(strstr(out.p, "List-Id: <news.example.com>\r\n"));
    buf_reset(&out);
    m.unsubscribe_url = STR_LIT("http://example.com/u/abc");
    assert_int_equal(mime_build(&m, &out, &err), 0);
    assert_null(strstr(out.p, "List-Unsubscribe-Post"));
    buf_free(&out);
}

static void message_id_is_stable_and_distinct(void **state)
{
    (void)state;
    const uint8_t secret[] = "0123456789abcdef";
    buf_t a = BUF_INIT, b = BUF_INIT, c = BUF_INIT;
    mc_error err;
    assert_int_equal(message_id_make(&a, secret, 16, STR_LIT("campaign"), STR_LIT("7"),
                                     STR_LIT("42"), STR_LIT("example.com"), &err),
                     0);
    message_id_make(&b, secret, 16, STR_LIT("campaign"), STR_LIT("7"), STR_LIT("42"),
                    STR_LIT("example.com"), &err);
    message_id_make(&c, secret, 16, STR_LIT("campaign"), STR_LIT("7"), STR_LIT("43"),
                    STR_LIT("example.com"), &err);
    assert_string_equal(a.p, b.p);
    assert_string_not_equal(a.p, c.p);
    assert_int_equal(a.n, 1 + 32 + 1 + 11 + 1);
    assert_int_equal(message_id_make(&c, secret, 16, STR_LIT("campaign"), STR_LIT("7"),
                                     STR_LIT("43"), STR_LIT("exa mple>"), &err),
                     -1);
    buf_free(&a);
    buf_free(&b);
    buf_free(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(builds_multipart_alternative_with_generated_text),
        cmocka_unit_test(rejects_line_break_in_subject),
        cmocka_unit_test(rejects_line_break_in_names_and_custom_headers),
        cmocka_unit_test(rejects_blocked_custom_header),
        cmocka_unit_test(rejects_address_with_angle_bracket),
        cmocka_unit_test(encodes_non_ascii_subject_as_folded_encoded_words),
        cmocka_unit_test(folds_long_ascii_subject_at_spaces),
        cmocka_unit_test(quotes_ascii_display_name_with_specials),
        cmocka_unit_test(quoted_printable_keeps_lines_short_and_escapes),
        cmocka_unit_test(base64_lines_are_76_columns),
        cmocka_unit_test(attachment_with_non_ascii_name_uses_rfc2231),
        cmocka_unit_test(one_click_unsubscribe_needs_https),
        cmocka_unit_test(message_id_is_stable_and_distinct),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
