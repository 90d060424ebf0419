/* The pure parts of the DNS preflight: SPF record syntax and the CIDR match, the record with
 * missing addresses added, DKIM and DMARC tag lists, reverse names and resolver settings. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "mail/dns_resolver.h"
#include "mail/dns_tags.h"
#include "mail/spf_record.h"

static void recognizes_spf_records_among_txt_records(void **state)
{
    (void)state;
    assert_true(spf_is_record("v=spf1 -all"));
    assert_true(spf_is_record("V=SPF1"));
    assert_false(spf_is_record("v=spf10 -all"));
    assert_false(spf_is_record("v=spf1-all"));
    assert_false(spf_is_record("google-site-verification=x"));
    assert_false(spf_is_record(" v=spf1"));
}

static void parses_mechanisms_qualifiers_prefixes_and_redirect(void **state)
{
    (void)state;
    spf_record r;
    mc_error err;
    assert_int_equal(spf_record_parse("v=spf1  ip4:192.0.2.0/24 -ip6:2001:db8::/32 "
                                      "include:_spf.example.com a mx:mail.example.com/28//64 "
                                      "~a/24 exp=explain.example.com redirect=other.example ?all",
                                      &r, &err),
                     0);
    assert_int_equal(r.count, 7);
    assert_int_equal(r.terms[0].mechanism, SPF_IP4);
    assert_int_equal(r.terms[0].prefix4, 24);
    assert_int_equal(r.terms[0].qualifier, '+');
    assert_int_equal(r.terms[1].mechanism, SPF_IP6);
    assert_int_equal(r.terms[1].qualifier, '-');
    assert_int_equal(r.terms[1].prefix6, 32);
    assert_string_equal(r.terms[2].domain, "_spf.example.com");
    assert_int_equal(r.terms[3].mechanism, SPF_A);
    assert_null(r.terms[3].domain);
    assert_string_equal(r.terms[4].domain, "mail.example.com");
    assert_int_equal(r.terms[4].prefix4, 28);
    assert_int_equal(r.terms[4].prefix6, 64);
    assert_int_equal(r.terms[5].qualifier, '~');
    assert_int_equal(r.terms[5].prefix4, 24);
    assert_null(r.terms[5].domain);
    assert_int_equal(r.terms[6].mechanism, SPF_ALL);
    assert_int_equal(r.terms[6].qualifier, '?');
    assert_string_equal(r.redirect, "other.example");
    spf_record_free(&r);
}

static void refuses_terms_that_are_not_valid(void **state)
{
    (void)state;
    static const char *const BAD[] = {"v=spf1 ip4:192.0.2.0/33",
                                      "v=spf1 ip4:2001:db8::1",
                                      "v=spf1 ip6:192.0.2.1",
                                      "v=spf1 include:",
                                      "v=spf1 all:x",
                                      "v=spf1 foo",
                                      "v=spf1 a/40",
                                      "v=spf1 redirect=a redirect=b"};
    for (size_t i = 0; i < sizeof BAD / sizeof BAD[0]; i++) {
        spf_record r;
        mc_error err;
        assert_int_equal(spf_record_parse(BAD[i], &r, &err), -1);
        assert_string_equal(err.code, "spf_syntax");
    }
}

static void notes_macros_without_expanding_them(void **state)
{
    (void)state;
    spf_record r;
    mc_error err;
    assert_int_equal(spf_record_parse("v=spf1 exists:%{i}._spf.example.com -all", &r, &err), 0);
    assert_true(r.terms[0].has_macros);
    spf_record_free(&r);
}

static bool in(const char *addr, const char *net, int prefix)
{
    spf_addr a, n;
    assert_int_equal(spf_addr_parse(addr, &a), 0);
    assert_int_equal(spf_addr_parse(net, &n), 0);
    return spf_cidr_match(&a, &n, prefix);
}

static void matches_addresses_against_networks(void **state)
{
    (void)state;
    assert_true(in("192.0.2.10", "192.0.2.0", 24));
    assert_false(in("192.0.3.10", "192.0.2.0", 24));
    assert_true(in("192.0.2.10", "192.0.2.10", 32));
    assert_false(in("192.0.2.11", "192.0.2.10", 32));
    assert_true(in("192.0.2.130", "192.0.2.128", 25));
    assert_false(in("192.0.2.127", "192.0.2.128", 25));
    assert_true(in("203.0.113.7", "0.0.0.0", 0));
    assert_true(in("2001:db8::7", "2001:db8::", 32));
    assert_false(in("2001:db9::7", "2001:db8::", 32));
    assert_true(in("2001:db8:0:ff::1", "2001:db8:0:fe::", 63));
    assert_false(in("2001:db8:0:ff::1", "2001:db8:0:fe::", 64));
    assert_false(in("192.0.2.10", "::ffff:192.0.2.0", 120)); /* families differ */
    assert_false(in("192.0.2.10", "192.0.2.0", 33));
    spf_addr a;
    assert_int_equal(spf_addr_parse("192.0.2", &a), -1);
}

static void adds_missing_addresses_before_all_or_redirect(void **state)
{
    (void)state;
    const char *missing[] = {"192.0.2.10", "2001:db8::10"};
    char *s = spf_record_with_addresses("v=spf1 mx -all", missing, 2);
    assert_string_equal(s, "v=spf1 mx ip4:192.0.2.10 ip6:2001:db8::10 -all");
    free(s);
    s = spf_record_with_addresses("v=spf1 a redirect=_spf.example.com", missing, 1);
    assert_string_equal(s, "v=spf1 a ip4:192.0.2.10 redirect=_spf.example.com");
    free(s);
    s = spf_record_with_addresses("v=spf1 include:x.example", missing + 1, 1);
    assert_string_equal(s, "v=spf1 include:x.example ip6:2001:db8::10");
    free(s);
    s = spf_record_with_addresses("v=spf1 ~all", missing, 2);
    assert_string_equal(s, "v=spf1 ip4:192.0.2.10 ip6:2001:db8::10 ~all");
    free(s);
}

static void reads_dkim_key_records(void **state)
{
    (void)state;
    const char *rec = "v=DKIM1; k=rsa;\tt=s; p=MIIB AAA\r\n BBB ; n=notes";
    buf_t v = BUF_INIT;
    assert_true(dns_tag_get(rec, "p", true, &v));
    assert_string_equal(buf_cstr(&v), "MIIBAAABBB");
    buf_reset(&v);
    assert_true(dns_tag_get(rec, "k", false, &v));
    assert_string_equal(buf_cstr(&v), "rsa");
    buf_reset(&v);
    assert_false(dns_tag_get(rec, "h", false, &v));
    assert_true(dns_tag_get("v=DKIM1; p=", "p", true, &v)); /* revoked: present and empty */
    assert_int_equal(v.n, 0);
    assert_false(dns_tag_get("v=DKIM1; P=abc", "p", true, &v)); /* tag names are exact */
    buf_free(&v);
}

static void reads_dmarc_policy_records(void **state)
{
    (void)state;
    const char *rec = "v=DMARC1;p=quarantine; sp=reject ;adkim=s; pct=50; "
                      "rua=mailto:d@example.com";
    assert_true(dns_tag_first_is(rec, "DMARC1"));
    assert_false(dns_tag_first_is("p=none; v=DMARC1", "DMARC1"));
    assert_false(dns_tag_first_is("v=DMARC10; p=none", "DMARC1"));
    buf_t v = BUF_INIT;
    assert_true(dns_tag_get(rec, "sp", false, &v));
    assert_string_equal(buf_cstr(&v), "reject");
    buf_reset(&v);
    assert_true(dns_tag_get(rec, "rua", false, &v));
    assert_string_equal(buf_cstr(&v), "mailto:d@example.com");
    buf_reset(&v);
    assert_false(dns_tag_get(rec, "aspf", false, &v));
    buf_free(&v);
    assert_string_equal(dns_organizational_domain("news.mail.example.com"), "example.com");
    assert_string_equal(dns_organizational_domain("example.com"), "example.com");
    assert_string_equal(dns_organizational_domain("localhost"), "localhost");
}

static void writes_reverse_lookup_names(void **state)
{
    (void)state;
    char name[80];
    assert_int_equal(dns_reverse_name("192.0.2.10", name, sizeof name), 0);
    assert_string_equal(name, "10.2.0.192.in-addr.arpa");
    assert_int_equal(dns_reverse_name("2001:db8::7", name, sizeof name), 0);
    assert_string_equal(name,
                        "7.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa");
    assert_int_equal(dns_reverse_name("mail.example.com", name, sizeof name), -1);
    assert_int_equal(dns_reverse_name("192.0.2.10", name, 10), -1);
}

static void checks_resolver_settings(void **state)
{
    (void)state;
    mc_error err;
    assert_int_equal(dns_resolver_check("", "dns.resolver", &err), 0);
    assert_int_equal(
        dns_resolver_check("127.0.0.1@5353, 2001:db8::53 ,192.0.2.53@53", "dns.resolver", &err), 0);
    static const char *const BAD[] = {"127.0.0.1:53",    "ns.example.com", "127.0.0.1@0",
                                      "127.0.0.1@65536", "127.0.0.1,",     "127.0.0.1@"};
    for (size_t i = 0; i < sizeof BAD / sizeof BAD[0]; i++) {
        assert_int_equal(dns_resolver_check(BAD[i], "dns.resolver", &err), -1);
        assert_string_equal(err.field, "dns.resolver");
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(recognizes_spf_records_among_txt_records),
        cmocka_unit_test(parses_mechanisms_qualifiers_prefixes_and_redirect),
        cmocka_unit_test(refuses_terms_that_are_not_valid),
        cmocka_unit_test(notes_macros_without_expanding_them),
        cmocka_unit_test(matches_addresses_against_networks),
        cmocka_unit_test(adds_missing_addresses_before_all_or_redirect),
        cmocka_unit_test(reads_dkim_key_records),
        cmocka_unit_test(reads_dmarc_policy_records),
        cmocka_unit_test(writes_reverse_lookup_names),
        cmocka_unit_test(checks_resolver_settings),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
