/* Which addresses a subscriber may have: RFC 5321 limits, RFC 5322 syntax, UTF-8 (RFC 6531). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "core/email_address.h"

static int check(const char *text, str_t *out, mc_error *err)
{
    return email_address_check(str_from_cstr(text), "email", out, err);
}

static void assert_accepted(const char *text)
{
    str_t out;
    mc_error err;
    if (check(text, &out, &err) != 0) fail_msg("refused %s: %s", text, err.message);
}

static void assert_refused(const char *text)
{
    str_t out;
    mc_error err;
    if (check(text, &out, &err) == 0) fail_msg("accepted %s", text);
    assert_int_equal(err.status, 400);
    assert_string_equal(err.field, "email");
}

static void test_common_addresses_are_accepted(void **state)
{
    (void)state;
    assert_accepted("ana@example.com");
    assert_accepted("first.last+tag@mail.example.co.uk");
    assert_accepted("o'brien@example.ie");
    assert_accepted("x@a-b.example");
    assert_accepted("\"john smith\"@example.com");
}

static void test_surrounding_white_space_is_trimmed(void **state)
{
    (void)state;
    str_t out;
    mc_error err;
    assert_int_equal(check("  ana@example.com\t\n", &out, &err), 0);
    assert_int_equal(out.n, strlen("ana@example.com"));
    assert_memory_equal(out.p, "ana@example.com", out.n);
}

static void test_internationalized_addresses_are_accepted(void **state)
{
    (void)state;
    assert_accepted("josé@correo.españa.es");
    assert_accepted("иван@почта.рф");
    assert_accepted("user@xn--bcher-kva.example");
}

static void test_malformed_addresses_are_refused(void **state)
{
    (void)state;
    assert_refused("");
    assert_refused("   ");
    assert_refused("no-at-sign.example.com");
    assert_refused("@example.com");
    assert_refused("ana@");
    assert_refused("ana@localhost");
    assert_refused("ana@example");
    assert_refused(".ana@example.com");
    assert_refused("ana.@example.com");
    assert_refused("an..a@example.com");
    assert_refused("ana@-example.com");
    assert_refused("ana@example-.com");
    assert_refused("ana@exa..mple.com");
    assert_refused("ana@192.168.0.1");
    assert_refused("ana@[192.168.0.1]");
    assert_refused("a na@example.com");
    assert_refused("ana@exam ple.com");
    assert_refused("ana@example.com\r\nBcc: x@example.com");
    assert_refused("a\"b@example.com");
    assert_refused("\"unterminated@example.com");
}

static void test_invalid_utf8_is_refused(void **state)
{
    (void)state;
    assert_refused("ana\xff@example.com");
    assert_refused("ana@ex\xc3\x28mple.com");
}

static void test_rfc5321_length_limits_are_enforced(void **state)
{
    (void)state;
    char local[80], address[400];
    memset(local, 'a', 64);
    local[64] = '\0';
    strcpy(address, local);
    strcat(address, "@example.com");
    assert_accepted(address);
    local[64] = 'a';
    local[65] = '\0';
    strcpy(address, local);
    strcat(address, "@example.com");
    assert_refused(address);

    /* a domain label may have 63 octets, not 64 */
    char label[70];
    memset(label, 'b', 63);
    label[63] = '\0';
    snprintf(address, sizeof address, "a@%s.com", label);
    assert_accepted(address);
    snprintf(address, sizeof address, "a@%sb.com", label);
    assert_refused(address);

    /* 254 octets in all is the limit */
    snprintf(address, sizeof address, "%.64s@%.63s.%.63s.%.63s.com", local, label, label, label);
    assert_true(strlen(address) > 254);
    assert_refused(address);
    snprintf(address, sizeof address, "%.60s@%.63s.%.63s.%.61s.com", local, label, label, label);
    assert_int_equal(strlen(address), 254);
    assert_accepted(address);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_common_addresses_are_accepted),
        cmocka_unit_test(test_surrounding_white_space_is_trimmed),
        cmocka_unit_test(test_internationalized_addresses_are_accepted),
        cmocka_unit_test(test_malformed_addresses_are_refused),
        cmocka_unit_test(test_invalid_utf8_is_refused),
        cmocka_unit_test(test_rfc5321_length_limits_are_enforced),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
