"""The DNS preflight (GET /api/v1/deliverability/check) against a real DNS server on loopback
(unbound with prepared records): a correct domain passes every check, and each broken record
(SPF without the relay, two SPF records, an include loop past 10 lookups, a DKIM key other
than the configured one or revoked, no DMARC, p=none, no MX, a PTR missing or not
forward-confirmed) fails or warns with the exact record to publish. A dead resolver gives a
clear error in bounded time."""

import os
import tempfile
import time
import unittest

from dns_peer import DnsPeer, SilentDns, txt
from harness import PgCluster, ServerTestCase
from mail_peer import free_port, send_test, write_config
from test_settings import ed25519_key, rsa_key

cluster = None


def setUpModule():
    global cluster
    cluster = PgCluster()


def tearDownModule():
    cluster.destroy()


def items(answer, check, **match):
    return [i for i in answer["items"] if i["check"] == check
            and all(i.get(k) == v for k, v in match.items())]


def item(answer, check, **match):
    found = items(answer, check, **match)
    assert len(found) == 1, (check, match, answer["items"])
    return found[0]


class PreflightServer(ServerTestCase):
    """A server whose [dns] resolver is a DnsPeer with the class's records."""

    zones, records, extra, env = (), (), "", {}

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix="mailcast-preflight-")
        os.chmod(cls.tmp.name, 0o755)
        cls.prepare(cls.tmp.name)
        cls.dns = DnsPeer(cls.zones, cls.records)
        config = write_config(cls.tmp.name, extra=cls.extra + "\n[dns]\nresolver = %s\n"
                              % cls.dns.resolver)
        cls.server_env = dict(cls.env, MAILCAST_CONFIG=config)
        try:
            super().setUpClass()
        except Exception:
            cls.dns.stop()
            raise
        cls.admin = cls.server.client()
        assert cls.admin.login("admin@localhost", cls.server.admin_password).status == 200

    @classmethod
    def prepare(cls, directory):
        pass

    @classmethod
    def tearDownClass(cls):
        try:
            super().tearDownClass()
        finally:
            cls.dns.stop()
            cls.tmp.cleanup()

    def check(self, domain):
        r = self.admin.request("GET", "/api/v1/deliverability/check?domain=" + domain)
        self.assertEqual(r.status, 200, r)
        return r.json()


class DomainChecksTest(PreflightServer, unittest.TestCase):
    cluster_of = staticmethod(lambda: cluster)
    env = {"MAILCAST_MAIL_BOUNCE_ADDRESS": "bounces+{token}@bounce.good.test"}
    zones = ("good.test", "relayless.test", "redirect.test", "badsyntax.test", "twospf.test", "loop.test", "wrongkey.test",
             "revoked.test", "dual.test", "nodmarc.test", "pnone.test", "2.0.192.in-addr.arpa",
             "8.b.d.0.1.0.0.2.ip6.arpa")

    @classmethod
    def prepare(cls, d):
        cls.key = rsa_key(os.path.join(d, "good.pem"))
        cls.other_key = rsa_key(os.path.join(d, "other.pem"))
        cls.ed_key = ed25519_key(os.path.join(d, "dual-ed.pem"))
        cls.other_ed_key = ed25519_key(os.path.join(d, "other-ed.pem"))
        record = "v=DKIM1; k=rsa; p=" + cls.key
        cls.records = [
            # good.test: every check passes
            txt("good.test", "v=spf1 ip4:192.0.2.0/24 include:_spf.good.test -all"),
            txt("good.test", "google-site-verification=abc"),
            txt("_spf.good.test", "v=spf1 ip6:2001:db8::/32 ~all"),
            txt("s1._domainkey.good.test", record),
            txt("_dmarc.good.test", "v=DMARC1; p=reject; sp=quarantine; adkim=s; "
                                    "rua=mailto:dmarc@good.test"),
            "local-data: 'good.test. MX 10 mx.good.test.'",
            "local-data: 'mx.good.test. A 192.0.2.25'",
            txt("bounce.good.test", "v=spf1 ip4:192.0.2.10 ip6:2001:db8::10 -all"),
            "local-data: 'out.good.test. A 192.0.2.10'",
            "local-data: 'out.good.test. AAAA 2001:db8::10'",
            "local-data-ptr: '192.0.2.10 out.good.test.'",
            "local-data-ptr: '2001:db8::10 out.good.test.'",
            # the relay's addresses are missing from the record (its mx resolves elsewhere)
            txt("relayless.test", "v=spf1 ip4:198.51.100.0/24 mx -all"),
            "local-data: 'relayless.test. MX 10 mx.relayless.test.'",
            "local-data: 'mx.relayless.test. A 198.51.100.5'",
            # a: and redirect=: the IPv4 address is left to _spf.good.test's ~all
            txt("redirect.test", "v=spf1 a:mx.good.test redirect=_spf.good.test"),
            # two SPF records
            txt("twospf.test", "v=spf1 ip4:192.0.2.10 -all"),
            txt("twospf.test", "v=spf1 include:_spf.elsewhere.test ~all"),
            # an include loop: past 10 lookups
            txt("loop.test", "v=spf1 include:a.loop.test ip4:192.0.2.10 ip6:2001:db8::10 -all"),
            txt("a.loop.test", "v=spf1 include:b.loop.test -all"),
            txt("b.loop.test", "v=spf1 include:a.loop.test -all"),
            # a term that is not SPF
            txt("badsyntax.test", "v=spf1 ip4:192.0.2.10 foo:bar include:x.test -all"),
            # DKIM: another key, a revoked key
            txt("s1._domainkey.wrongkey.test", "v=DKIM1; k=rsa; p=" + cls.other_key),
            txt("s1._domainkey.revoked.test", "v=DKIM1; k=rsa; p="),
            # an rsa and an ed25519 key: the rsa record right, the ed25519 one another key
            txt("s1._domainkey.dual.test", record),
            txt("e1._domainkey.dual.test", "v=DKIM1; k=ed25519; p=" + cls.other_ed_key),
            # DMARC: none at all (and no MX), p=none
            txt("nodmarc.test", "v=spf1 ip4:192.0.2.10 ip6:2001:db8::10 -all"),
            txt("_dmarc.pnone.test", "v=DMARC1; p=none; rua=mailto:r@pnone.test"),
        ]
        key_file = os.path.join(d, "good.pem")
        cls.extra = "".join("[dkim.%s]\nselector = s1\nprivate_key_file = %s\n" % (dom, key_file)
                            for dom in ("good.test", "wrongkey.test", "revoked.test",
                                        "pnone.test"))
        cls.extra += ("[dkim.dual.test]\nselector = s1\nprivate_key_file = %s\n"
                      "ed25519_selector = e1\ned25519_key_file = %s\n"
                      % (key_file, os.path.join(d, "dual-ed.pem")))
        # written as people do: spaces, upper-case hex
        cls.extra += "[deliverability]\nsending_addresses = 192.0.2.10, 2001:DB8::10\n"

    def test_a_correct_domain_passes_every_check(self):
        a = self.check("Good.Test.")
        self.assertEqual(a["domain"], "good.test")
        self.assertEqual(a["resolver"], self.dns.resolver)
        self.assertEqual(a["sending_addresses"], ["192.0.2.10", "2001:db8::10"])
        statuses = [(i["check"], i.get("scope"), i["status"]) for i in a["items"]]
        self.assertEqual(statuses, [("spf", "from", "pass"), ("spf", "envelope", "pass"),
                                    ("dkim", None, "pass"), ("dmarc", None, "pass"),
                                    ("reverse_dns", None, "pass"), ("reverse_dns", None, "pass"),
                                    ("mx", None, "pass")], a)
        self.assertEqual(a["summary"], {"pass": 7, "warn": 0, "fail": 0})
        spf = item(a, "spf", scope="from")
        self.assertEqual(spf["found"], "v=spf1 ip4:192.0.2.0/24 include:_spf.good.test -all")
        self.assertIsNone(spf["publish"])
        self.assertEqual([(x["address"], x["result"]) for x in spf["addresses"]],
                         [("192.0.2.10", "pass"), ("2001:db8::10", "pass")])
        dkim = item(a, "dkim")
        self.assertEqual((dkim["selector"], dkim["found"]), ("s1", "v=DKIM1; k=rsa; p=" + self.key))
        dmarc = item(a, "dmarc")
        self.assertEqual((dmarc["policy"], dmarc["adkim"], dmarc["aspf"]), ("reject", "s", "r"))
        # the envelope domain bounce.good.test aligns in relaxed mode
        self.assertEqual(dmarc["aligned"], {"dkim": True, "spf": True})
        self.assertEqual(item(a, "reverse_dns", address="2001:db8::10")["found"],
                         ["out.good.test"])
        self.assertEqual(item(a, "mx")["found"], ["10 mx.good.test"])

    def test_the_envelope_domain_is_checked_when_it_differs(self):
        a = self.check("twospf.test")
        self.assertEqual(a["envelope_domain"], "bounce.good.test")
        spf = item(a, "spf", scope="envelope")
        self.assertEqual((spf["domain"], spf["status"]), ("bounce.good.test", "pass"))
        self.assertEqual(item(a, "dmarc")["status"], "fail")  # no DMARC record
        a = self.check("bounce.good.test")
        self.assertEqual(items(a, "spf", scope="envelope"), [])

    def test_spf_without_the_relay_gives_the_record_with_it_added(self):
        spf = item(self.check("relayless.test"), "spf", scope="from")
        self.assertEqual(spf["status"], "fail")
        self.assertEqual(spf["publish"], {
            "type": "TXT", "name": "relayless.test",
            "value": "v=spf1 ip4:198.51.100.0/24 mx ip4:192.0.2.10 ip6:2001:db8::10 -all"})
        self.assertEqual([x["result"] for x in spf["addresses"]], ["fail", "fail"])

    def test_a_and_redirect_are_followed_and_addresses_go_before_redirect(self):
        spf = item(self.check("redirect.test"), "spf", scope="from")
        self.assertEqual([(x["result"], x["lookups"]) for x in spf["addresses"]],
                         [("softfail", 2), ("pass", 2)])
        self.assertEqual(spf["publish"]["value"],
                         "v=spf1 a:mx.good.test ip4:192.0.2.10 redirect=_spf.good.test")

    def test_two_spf_records_are_a_failure_with_one_record_to_publish(self):
        spf = item(self.check("twospf.test"), "spf", scope="from")
        self.assertEqual(spf["status"], "fail")
        self.assertEqual(sorted(spf["found"]), ["v=spf1 include:_spf.elsewhere.test ~all",
                                                "v=spf1 ip4:192.0.2.10 -all"])
        self.assertIn("2 SPF records", spf["message"])
        self.assertEqual(spf["publish"]["name"], "twospf.test")
        self.assertIn(spf["publish"]["value"], [
            "v=spf1 ip4:192.0.2.10 ip6:2001:db8::10 -all",
            "v=spf1 include:_spf.elsewhere.test ip4:192.0.2.10 ip6:2001:db8::10 ~all"])

    def test_an_include_loop_stops_at_ten_lookups(self):
        spf = item(self.check("loop.test"), "spf", scope="from")
        self.assertEqual(spf["status"], "fail")
        self.assertIn("more than 10 DNS lookups", spf["message"])
        self.assertEqual([(x["result"], x["lookups"]) for x in spf["addresses"]],
                         [("permerror", 11), ("permerror", 11)])
        self.assertEqual(spf["publish"], {"type": "TXT", "name": "loop.test",
                                          "value": "v=spf1 ip4:192.0.2.10 ip6:2001:db8::10 -all"})

    def test_a_record_that_does_not_parse_is_replaced_by_its_direct_terms(self):
        spf = item(self.check("badsyntax.test"), "spf", scope="from")
        self.assertEqual(spf["status"], "fail")
        self.assertIn('"foo:bar" is not valid', spf["message"])
        self.assertEqual([x["result"] for x in spf["addresses"]], ["permerror", "permerror"])
        self.assertEqual(spf["publish"]["value"], "v=spf1 ip4:192.0.2.10 ip6:2001:db8::10 -all")

    def test_a_dkim_record_with_another_key_fails_with_the_record_of_our_key(self):
        dkim = item(self.check("wrongkey.test"), "dkim")
        self.assertEqual(dkim["status"], "fail")
        self.assertIn("different key", dkim["message"])
        self.assertEqual(dkim["found"], "v=DKIM1; k=rsa; p=" + self.other_key)
        self.assertEqual(dkim["publish"], {"type": "TXT", "name": "s1._domainkey.wrongkey.test",
                                           "value": "v=DKIM1; k=rsa; p=" + self.key})

    def test_a_revoked_or_missing_dkim_record_fails(self):
        dkim = item(self.check("revoked.test"), "dkim")
        self.assertEqual(dkim["status"], "fail")
        self.assertIn("revoked", dkim["message"])
        dkim = item(self.check("pnone.test"), "dkim")
        self.assertEqual(dkim["status"], "fail")
        self.assertIsNone(dkim["found"])
        self.assertEqual(dkim["publish"]["value"], "v=DKIM1; k=rsa; p=" + self.key)

    def test_each_key_of_a_domain_with_two_is_checked_against_its_own_record(self):
        a = self.check("dual.test")
        rsa = item(a, "dkim", selector="s1")
        self.assertEqual((rsa["status"], rsa["algorithm"]), ("pass", "rsa-sha256"))
        ed = item(a, "dkim", selector="e1")
        self.assertEqual((ed["status"], ed["algorithm"]), ("fail", "ed25519-sha256"))
        self.assertIn("different key", ed["message"])
        self.assertEqual(ed["found"], "v=DKIM1; k=ed25519; p=" + self.other_ed_key)
        self.assertEqual(ed["publish"], {"type": "TXT", "name": "e1._domainkey.dual.test",
                                         "value": "v=DKIM1; k=ed25519; p=" + self.ed_key})

    def test_a_domain_without_a_dkim_key_is_told_what_to_configure(self):
        dkim = item(self.check("relayless.test"), "dkim")
        self.assertEqual(dkim["status"], "fail")
        self.assertIn("[dkim.relayless.test]", dkim["message"])

    def test_no_dmarc_record_fails_with_a_p_none_record_to_publish(self):
        dmarc = item(self.check("nodmarc.test"), "dmarc")
        self.assertEqual((dmarc["status"], dmarc["found"]), ("fail", None))
        self.assertEqual(dmarc["publish"], {"type": "TXT", "name": "_dmarc.nodmarc.test",
                                            "value": "v=DMARC1; p=none; "
                                                     "rua=mailto:dmarc@nodmarc.test"})

    def test_p_none_warns_and_suggests_quarantine(self):
        dmarc = item(self.check("pnone.test"), "dmarc")
        self.assertEqual((dmarc["status"], dmarc["policy"]), ("warn", "none"))
        self.assertEqual(dmarc["publish"]["value"],
                         "v=DMARC1; p=quarantine; rua=mailto:dmarc@pnone.test")

    def test_a_subdomain_falls_back_to_the_organizational_domains_policy(self):
        dmarc = item(self.check("news.good.test"), "dmarc")
        self.assertEqual((dmarc["record_name"], dmarc["policy"]), ("_dmarc.good.test",
                                                                   "quarantine"))
        self.assertIn("organizational domain", dmarc["note"])
        # no key signs for news.good.test, but the envelope domain aligns (relaxed)
        self.assertEqual(dmarc["aligned"], {"dkim": False, "spf": True})
        self.assertEqual(dmarc["status"], "pass")

    def test_no_mx_warns(self):
        mx = item(self.check("nodmarc.test"), "mx")
        self.assertEqual((mx["status"], mx["found"]), ("warn", None))
        self.assertEqual(mx["publish"], {"type": "MX", "name": "nodmarc.test",
                                         "value": "10 mail.nodmarc.test"})

    def test_the_domain_is_required_and_must_be_a_domain(self):
        for query in ("", "?domain=", "?domain=localhost", "?domain=bad_%20name.test",
                      "?domain=-x.test"):
            r = self.admin.request("GET", "/api/v1/deliverability/check" + query)
            self.assertEqual(r.status, 400, (query, r))
            self.assertEqual(r.json()["error"]["field"], "domain")


class ReverseDnsTest(PreflightServer, unittest.TestCase):
    """Sending addresses from the relays' host names; PTR present, missing, not confirmed."""
    cluster_of = staticmethod(lambda: cluster)
    zones = ("rdns.test", "2.0.192.in-addr.arpa")
    records = [
        "local-data: 'out.rdns.test. A 192.0.2.21'",
        "local-data: 'out.rdns.test. A 192.0.2.22'",
        "local-data: 'out.rdns.test. A 192.0.2.23'",
        "local-data-ptr: '192.0.2.22 other.rdns.test.'",
        "local-data: 'other.rdns.test. A 192.0.2.99'",
        "local-data-ptr: '192.0.2.23 ok.rdns.test.'",
        "local-data: 'ok.rdns.test. A 192.0.2.23'",
    ]
    extra = ("[smtp.out]\nhost = out.rdns.test\nport = 25\ntls = off\nhelo = mta.rdns.test\n"
             "[smtp.local]\nhost = 127.0.0.1\nport = 25\ntls = off\n")

    def test_each_sending_address_has_forward_confirmed_reverse_dns_or_a_record_to_fix(self):
        a = self.check("rdns.test")
        self.assertEqual(sorted(a["sending_addresses"]), ["192.0.2.21", "192.0.2.22",
                                                          "192.0.2.23"])
        local = item(a, "sending_addresses")
        self.assertEqual((local["status"], local["found"]), ("warn", "127.0.0.1"))
        self.assertIn("sending_addresses", local["message"])
        missing = item(a, "reverse_dns", address="192.0.2.21")
        self.assertEqual((missing["status"], missing["found"]), ("fail", None))
        self.assertEqual(missing["publish"], {"type": "PTR", "name": "21.2.0.192.in-addr.arpa",
                                              "value": "mta.rdns.test"})
        unconfirmed = item(a, "reverse_dns", address="192.0.2.22")
        self.assertEqual((unconfirmed["status"], unconfirmed["found"]),
                         ("fail", ["other.rdns.test"]))
        self.assertIn("not forward-confirmed", unconfirmed["message"])
        self.assertEqual(unconfirmed["publish"], {"type": "A", "name": "other.rdns.test",
                                                  "value": "192.0.2.22"})
        ok = item(a, "reverse_dns", address="192.0.2.23")
        self.assertEqual((ok["status"], ok["found"]), ("pass", ["ok.rdns.test"]))

    def test_a_domain_without_spf_gets_a_record_listing_the_relays(self):
        spf = item(self.check("rdns.test"), "spf", scope="from")
        self.assertEqual((spf["status"], spf["found"]), ("fail", None))
        addrs = sorted(self.check("rdns.test")["sending_addresses"])
        self.assertEqual(spf["publish"]["name"], "rdns.test")
        self.assertEqual(sorted(spf["publish"]["value"].split()[1:-1]),
                         ["ip4:" + x for x in addrs])
        self.assertTrue(spf["publish"]["value"].endswith(" ~all"))


class StartupTest(unittest.TestCase):
    def test_a_resolver_or_address_that_is_not_one_stops_start_up(self):
        with tempfile.TemporaryDirectory(prefix="mailcast-preflight-") as d:
            for extra, key in (("[dns]\nresolver = ns.example.com\n", "[dns] resolver"),
                               ("[deliverability]\nsending_addresses = 192.0.2.1, mail\n",
                                "[deliverability] sending_addresses")):
                status, _, out, err = send_test(write_config(d, extra=extra), "--to",
                                                "ann@example.org")
                self.assertEqual(status, 2, out + err)
                self.assertIn(key, err)


class BrokenResolverServer(ServerTestCase):
    """A server whose resolver is 127.0.0.1 on the port open_port() gives, asked with a
    timeout of one second."""

    @classmethod
    def open_port(cls):
        raise NotImplementedError

    @classmethod
    def close_port(cls):
        pass

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix="mailcast-preflight-")
        cls.port = cls.open_port()
        config = write_config(cls.tmp.name, extra="[dns]\nresolver = 127.0.0.1@%d\n"
                              "timeout_seconds = 1\n" % cls.port)
        cls.server_env = {"MAILCAST_CONFIG": config}
        super().setUpClass()
        cls.admin = cls.server.client()
        assert cls.admin.login("admin@localhost", cls.server.admin_password).status == 200

    @classmethod
    def tearDownClass(cls):
        try:
            super().tearDownClass()
        finally:
            cls.close_port()
            cls.tmp.cleanup()

    def assert_resolver_error(self, status, code):
        started = time.monotonic()
        r = self.admin.request("GET", "/api/v1/deliverability/check?domain=example.org")
        elapsed = time.monotonic() - started
        self.assertEqual(r.status, status, r)
        error = r.json()["error"]
        self.assertEqual(error["code"], code)
        self.assertIn("127.0.0.1@%d" % self.port, error["message"])
        # the first lookup's failure ends the whole check (a generous bound for a loaded machine)
        self.assertLess(elapsed, 20)


class DeadResolverTest(BrokenResolverServer, unittest.TestCase):
    cluster_of = staticmethod(lambda: cluster)

    @classmethod
    def open_port(cls):
        cls.silent = SilentDns()
        return cls.silent.port

    @classmethod
    def close_port(cls):
        cls.silent.close()

    def test_a_resolver_that_never_answers_gives_504_naming_it(self):
        self.assert_resolver_error(504, "dns_timeout")


class RefusingResolverTest(BrokenResolverServer, unittest.TestCase):
    cluster_of = staticmethod(lambda: cluster)

    @classmethod
    def open_port(cls):
        return free_port()  # nothing listens there

    def test_a_resolver_port_that_refuses_gives_502_naming_it(self):
        self.assert_resolver_error(502, "dns_unreachable")


if __name__ == "__main__":
    unittest.main()
