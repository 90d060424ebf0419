/* The capture outbox: atomic .eml files, listing newest first, reading by name, and no
 * path outside the outbox reachable through a name. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mail/transport_capture.h"

static char dir[64];

static int make_dir(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/mailcast-capture-XXXXXX");
    assert_non_null(mkdtemp(dir));
    return 0;
}

static int remove_dir(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static void captures_messages_and_lists_them_newest_first(void **state)
{
    (void)state;
    char outbox[96];
    snprintf(outbox, sizeof outbox, "%s/var/outbox", dir);
    mail_transport *t = transport_capture_new(outbox);
    mail_envelope msgs[2] = {
        {STR_LIT("b@example.com"), STR_LIT("x@example.org"), STR_LIT("Subject: 1\r\n\r\nbody1\r\n"),
         STR_LIT("<aaaa@example.com>")},
        {STR_LIT("b@example.com"), STR_LIT("y@example.org"), STR_LIT("Subject: 2\r\n\r\nbody2\r\n"),
         STR_LIT("<bbbb@example.com>")},
    };
    mail_result results[2];
    mc_error err;
    assert_int_equal(mail_transport_send(t, msgs, 2, results, &err), 0);
    assert_int_equal(results[0].outcome, MAIL_SENT);
    assert_int_equal(results[1].code, 250);
    mail_transport_free(t);

    capture_entry *entries;
    size_t count, total;
    assert_int_equal(capture_list(outbox, 0, 10, &entries, &count, &total, &err), 0);
    assert_int_equal(count, 2);
    assert_int_equal(total, 2);
    assert_non_null(strstr(entries[0].name, "-bbbb-"));
    assert_non_null(strstr(entries[1].name, "-aaaa-"));
    buf_t body = BUF_INIT;
    assert_int_equal(capture_read(outbox, entries[1].name, &body, &err), 0);
    assert_string_equal(body.p, "Subject: 1\r\n\r\nbody1\r\n");
    assert_int_equal(entries[1].size, body.n);
    free(entries);

    assert_int_equal(capture_list(outbox, 1, 10, &entries, &count, &total, &err), 0);
    assert_int_equal(count, 1);
    assert_int_equal(total, 2);
    free(entries);
    buf_free(&body);
}

static void missing_outbox_is_empty(void **state)
{
    (void)state;
    char outbox[96];
    snprintf(outbox, sizeof outbox, "%s/none", dir);
    capture_entry *entries;
    size_t count, total;
    mc_error err;
    assert_int_equal(capture_list(outbox, 0, 10, &entries, &count, &total, &err), 0);
    assert_int_equal(count, 0);
    assert_null(entries);
}

static void names_outside_the_outbox_are_refused(void **state)
{
    (void)state;
    const char *bad[] = {"../secret.eml", "/etc/passwd", "a/b.eml", "..eml",      ".hidden.eml",
                         "x.eml/..",      "x.txt",       "",        "%2e%2e.eml", "a..b.eml"};
    buf_t out = BUF_INIT;
    mc_error err;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_false(capture_name_valid(bad[i]));
        assert_int_equal(capture_read(dir, bad[i], &out, &err), -1);
        assert_int_equal(err.status, 400);
    }
    assert_int_equal(capture_read(dir, "20261123T000000Z-none-000001.eml", &out, &err), -1);
    assert_int_equal(err.status, 404);
    buf_free(&out);
}

static void the_to_header_names_the_recipient_in_any_case_bare_named_or_folded(void **state)
{
    (void)state;
    str_t email = STR_LIT("José@Ejemplo.es");
    assert_true(
        capture_addressed_to(STR_LIT("From: a@b.c\r\nTo: josé@ejemplo.ES\r\n\r\nx"), email));
    assert_true(capture_addressed_to(
        STR_LIT("to: =?UTF-8?Q?Jos=C3=A9?=\r\n <JOSÉ@ejemplo.es>\r\nSubject: s\r\n\r\n"),
        STR_LIT("JOSÉ@ejemplo.es")));
    assert_true(capture_addressed_to(STR_LIT("To:  José@Ejemplo.es \n\nx"), email));
    /* a different address, a longer one, an address in the body or in another field */
    assert_false(capture_addressed_to(STR_LIT("To: jose@ejemplo.es\r\n\r\n"), email));
    assert_false(capture_addressed_to(STR_LIT("To: xjosé@ejemplo.es\r\n\r\n"), email));
    assert_false(
        capture_addressed_to(STR_LIT("To: otra@ejemplo.es\r\n\r\nTo: josé@ejemplo.es\r\n"), email));
    assert_false(capture_addressed_to(STR_LIT("Reply-To: josé@ejemplo.es\r\n\r\n"), email));
    assert_false(capture_addressed_to(STR_LIT("To: otra@ejemplo.es\r\n\r\n"), STR_LIT("")));
}

static void removing_a_recipient_deletes_only_their_copies(void **state)
{
    (void)state;
    char outbox[96];
    snprintf(outbox, sizeof outbox, "%s/outbox", dir);
    mail_transport *t = transport_capture_new(outbox);
    mail_envelope msgs[3] = {
        {STR_LIT("b@example.com"), STR_LIT("olga@example.org"),
         STR_LIT("To: olga@example.org\r\nSubject: 1\r\n\r\nTo: ivan@example.org\r\n"),
         STR_LIT("<aaaa@example.com>")},
        {STR_LIT("b@example.com"), STR_LIT("ivan@example.org"),
         STR_LIT("To: ivan@example.org\r\nSubject: 2\r\n\r\nbody\r\n"),
         STR_LIT("<bbbb@example.com>")},
        {STR_LIT("b@example.com"), STR_LIT("ivan@example.org"),
         STR_LIT("To: Ivan <IVAN@example.org>\r\nSubject: 3\r\n\r\nbody\r\n"),
         STR_LIT("<cccc@example.com>")},
    };
    mail_result results[3];
    mc_error err;
    assert_int_equal(mail_transport_send(t, msgs, 3, results, &err), 0);
    mail_transport_free(t);

    size_t removed = 99;
    assert_int_equal(capture_remove_recipient(outbox, STR_LIT("ivan@example.org"), &removed, &err),
                     0);
    assert_int_equal(removed, 2);
    capture_entry *entries;
    size_t count, total;
    assert_int_equal(capture_list(outbox, 0, 10, &entries, &count, &total, &err), 0);
    assert_int_equal(count, 1);
    assert_non_null(strstr(entries[0].name, "-aaaa-"));
    free(entries);
    assert_int_equal(capture_remove_recipient(outbox, STR_LIT("ivan@example.org"), &removed, &err),
                     0);
    assert_int_equal(removed, 0);

    char missing[96];
    snprintf(missing, sizeof missing, "%s/none", dir);
    assert_int_equal(capture_remove_recipient(missing, STR_LIT("ivan@example.org"), &removed, &err),
                     0);
    assert_int_equal(removed, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(captures_messages_and_lists_them_newest_first, make_dir,
                                        remove_dir),
        cmocka_unit_test_setup_teardown(missing_outbox_is_empty, make_dir, remove_dir),
        cmocka_unit_test_setup_teardown(names_outside_the_outbox_are_refused, make_dir, remove_dir),
        cmocka_unit_test(the_to_header_names_the_recipient_in_any_case_bare_named_or_folded),
        cmocka_unit_test_setup_teardown(removing_a_recipient_deletes_only_their_copies, make_dir,
                                        remove_dir),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
