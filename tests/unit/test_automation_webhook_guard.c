/* Outgoing webhooks: which addresses the guard refuses (IPv4, IPv6, IPv4 inside IPv6), and the
 * signature a receiver checks. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <string.h>

#include "automation/webhook_address.h"
#include "automation/webhook_sign.h"

/* the guard's answer for a numeric address, v4 or v6 */
static const char *refusal(const char *text)
{
    struct sockaddr_in in = {.sin_family = AF_INET};
    if (inet_pton(AF_INET, text, &in.sin_addr) == 1)
        return webhook_address_refusal((const struct sockaddr *)&in);
    struct sockaddr_in6 in6 = {.sin6_family = AF_INET6};
    assert_int_equal(inet_pton(AF_INET6, text, &in6.sin6_addr), 1);
    return webhook_address_refusal((const struct sockaddr *)&in6);
}

static void assert_refused(const char *address, const char *range)
{
    const char *why = refusal(address);
    if (!why) fail_msg("%s was not refused", address);
    if (!strstr(why, range)) fail_msg("%s: \"%s\" does not say %s", address, why, range);
}

static void test_private_and_special_ipv4_addresses_are_refused(void **state)
{
    (void)state;
    assert_refused("127.0.0.1", "loopback");
    assert_refused("127.255.255.254", "loopback");
    assert_refused("10.0.0.1", "RFC 1918");
    assert_refused("172.16.0.1", "RFC 1918");
    assert_refused("172.31.255.255", "RFC 1918");
    assert_refused("192.168.1.1", "RFC 1918");
    assert_refused("169.254.169.254", "link-local");
    assert_refused("100.64.0.1", "CGNAT");
    assert_refused("100.127.255.255", "CGNAT");
    assert_refused("0.0.0.0", "this network");
    assert_refused("0.1.2.3", "this network");
    assert_refused("224.0.0.1", "multicast");
    assert_refused("239.255.255.250", "multicast");
    assert_refused("255.255.255.255", "broadcast");
    assert_refused("192.0.2.10", "documentation");
    assert_refused("198.18.0.1", "benchmarking");
}

static void test_public_ipv4_addresses_pass(void **state)
{
    (void)state;
    const char *public[] = {"8.8.8.8",       "1.1.1.1",        "172.15.255.255", "172.32.0.1",
                            "100.63.0.1",    "100.128.0.1",    "169.253.1.1",    "11.0.0.1",
                            "93.184.216.34", "223.255.255.255"};
    for (size_t i = 0; i < sizeof public / sizeof public[0]; i++)
        if (refusal(public[i])) fail_msg("%s was refused: %s", public[i], refusal(public[i]));
}

static void test_private_and_special_ipv6_addresses_are_refused(void **state)
{
    (void)state;
    assert_refused("::1", "loopback");
    assert_refused("::", "unspecified");
    assert_refused("fe80::1", "link-local");
    assert_refused("febf:ffff::1", "link-local");
    assert_refused("fc00::1", "unique-local");
    assert_refused("fd12:3456::1", "unique-local");
    assert_refused("ff02::1", "multicast");
    assert_refused("2001:db8::1", "documentation");
    assert_refused("fec0::1", "site-local");
}

static void test_ipv4_inside_ipv6_is_judged_as_ipv4(void **state)
{
    (void)state;
    assert_refused("::ffff:127.0.0.1", "loopback");
    assert_refused("::ffff:10.1.2.3", "RFC 1918");
    assert_refused("::ffff:169.254.0.1", "link-local");
    assert_refused("64:ff9b::192.168.0.1", "RFC 1918");
    assert_refused("2002:7f00:1::1", "loopback"); /* 6to4 of 127.0.0.1 */
    assert_refused("::127.0.0.1", "IPv4-compatible");
    assert_null(refusal("::ffff:8.8.8.8"));
    assert_null(refusal("64:ff9b::8.8.8.8"));
    assert_null(refusal("2002:808:808::1"));
    assert_null(refusal("2606:4700:4700::1111"));
    assert_null(refusal("2a00:1450:4001:80b::200e"));
}

static void test_url_hosts_are_judged_when_they_are_literal_addresses(void **state)
{
    (void)state;
    assert_non_null(webhook_host_refusal("127.0.0.1"));
    assert_non_null(webhook_host_refusal("[::1]"));
    assert_non_null(webhook_host_refusal("[fe80::1%25eth0]"));
    assert_non_null(webhook_host_refusal("[::ffff:192.168.0.1]"));
    assert_null(webhook_host_refusal("203.0.114.1"));
    assert_null(webhook_host_refusal("[2606:4700::1]"));
    /* names are judged when they are resolved, at each attempt */
    assert_null(webhook_host_refusal("localhost"));
    assert_null(webhook_host_refusal("hooks.example.org"));
    assert_null(webhook_host_refusal("[not-an-address]"));
}

static void test_the_signature_is_hmac_sha256_of_timestamp_dot_body(void **state)
{
    (void)state;
    char out[WEBHOOK_SIGNATURE_SIZE];
    /* expected values from Python's hmac module */
    const char *body = "{\"id\": \"message.sent:1\", \"event\": \"message.sent\"}";
    webhook_sign("clave-secreta-ñandú", 1700000000, body, strlen(body), out);
    assert_string_equal(out, "v1=56484d6ee5b5b5e2c5aa5b4ba73efe220c29fa8c85fa4a41a093b1f17617c642");
    webhook_sign("key", 0, "", 0, out);
    assert_string_equal(out, "v1=85841b4efc3cd7776c3c8f9b7cca9e281c550e5d19889d78e9e669c6337f000d");
    /* a different timestamp, body or secret gives another signature */
    char other[WEBHOOK_SIGNATURE_SIZE];
    webhook_sign("key", 1, "", 0, other);
    assert_string_not_equal(out, other);
    webhook_sign("key", 0, "x", 1, other);
    assert_string_not_equal(out, other);
    webhook_sign("kez", 0, "", 0, other);
    assert_string_not_equal(out, other);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_private_and_special_ipv4_addresses_are_refused),
        cmocka_unit_test(test_public_ipv4_addresses_pass),
        cmocka_unit_test(test_private_and_special_ipv6_addresses_are_refused),
        cmocka_unit_test(test_ipv4_inside_ipv6_is_judged_as_ipv4),
        cmocka_unit_test(test_url_hosts_are_judged_when_they_are_literal_addresses),
        cmocka_unit_test(test_the_signature_is_hmac_sha256_of_timestamp_dot_body),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
