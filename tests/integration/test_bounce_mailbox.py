"""The bounce mailbox: DSNs, complaint reports, plain provider bounces and mail to the mailto
unsubscribe address, put into a real IMAP server (Debian's dovecot on loopback), are found by
the worker's poll, applied once, mapped to the messages they answer, and flagged so that the
next poll leaves them alone. Campaigns go to a real SMTP peer first."""

import unittest

from audience_fixtures import AudienceCase
from bounce_fixtures import BounceCase, fixture, list_unsubscribe
from harness import PgCluster
from imap_peer import PASSWORD, USER, Dovecot


def setUpModule():
    AudienceCase.cluster = PgCluster()


def tearDownModule():
    AudienceCase.cluster.destroy()


class BounceMailboxTest(BounceCase):
    @classmethod
    def setUpClass(cls):
        cls.imap = Dovecot()
        cls.server_env = {"MAILCAST_BOUNCES_IMAP_URL": cls.imap.url,
                          "MAILCAST_BOUNCES_USERNAME": USER,
                          "MAILCAST_BOUNCES_PASSWORD": PASSWORD,
                          "MAILCAST_BOUNCES_POLL_SECONDS": "1",
                          "MAILCAST_SERVER_PUBLIC_URL": "https://news.example.org"}
        try:
            super().setUpClass()
        except Exception:
            cls.imap.stop()
            raise

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        cls.imap.stop()

    def rows(self, campaign):
        """{address: "kind/source/message row"} of the campaign's bounces"""
        out = self.psql("SELECT s.email || '=' || b.kind || '/' || b.source || '/' || b.message_id"
                        " FROM bounces b JOIN subscribers s ON s.id = b.subscriber_id"
                        " WHERE b.campaign_id = %d ORDER BY s.email" % campaign["id"])
        return dict(line.split("=", 1) for line in out.splitlines() if line)

    def all_flagged(self):
        flags = self.imap.flags()
        return flags and all("$MailcastDone" in f and "\\Seen" in f for _, f in flags)

    def test_reports_are_applied_once_and_mapped_to_their_messages(self):
        campaign, sent = self.send_campaign([
            ("ana.dsn@example.org", "Ana"), ("boris.arf@example.org", "Борис"),
            ("carmen.plain@example.org", "Carmen"), ("dmitri.delay@example.org", "Дмитрий"),
            ("eva.auto@example.org", "Eva")])

        def mail(name, address):
            s = sent[address]
            return fixture(name, token=s["token"], rcpt=address,
                           verp="bounces+%s@example.com" % s["token"])

        self.imap.append(mail("dsn_hard.eml", "ana.dsn@example.org"))
        self.imap.append(mail("arf_abuse.eml", "boris.arf@example.org"))
        self.imap.append(mail("plain_provider.eml", "carmen.plain@example.org"))
        self.imap.append(mail("dsn_delayed.eml", "dmitri.delay@example.org"))
        self.imap.append(mail("auto_reply.eml", "eva.auto@example.org"))
        self.wait_for(self.all_flagged, "every message to be processed")
        expected = {
            "ana.dsn@example.org": "hard/dsn/%d" % sent["ana.dsn@example.org"]["message_id"],
            "boris.arf@example.org": "complaint/arf/%d" % sent["boris.arf@example.org"]["message_id"],
            "carmen.plain@example.org":
                "hard/dsn/%d" % sent["carmen.plain@example.org"]["message_id"],
            "dmitri.delay@example.org":
                "soft/dsn/%d" % sent["dmitri.delay@example.org"]["message_id"],
        }
        self.assertEqual(self.rows(campaign), expected)
        status = {a: self.status(s["subscriber"]) for a, s in sent.items()}
        self.assertEqual(status, {"ana.dsn@example.org": "blocklisted",
                                  "boris.arf@example.org": "unsubscribed",
                                  "carmen.plain@example.org": "blocklisted",
                                  "dmitri.delay@example.org": "active",
                                  "eva.auto@example.org": "active"})
        reason = self.bounces(sent["ana.dsn@example.org"]["subscriber"])[0]["reason"]
        self.assertIn("5.1.1", reason)

        # later polls leave the processed mail alone: a new report is read, the old ones not again
        self.imap.append(mail("dsn_hard.eml", "dmitri.delay@example.org")
                         .replace(b"20261206060000.AB12", b"20261206070000.CD34"))
        self.wait_for(lambda: "hard/dsn" in self.psql(
            "SELECT string_agg(kind || '/' || source, ',') FROM bounces WHERE subscriber_id = %d"
            % sent["dmitri.delay@example.org"]["subscriber"]["id"]), "the new report")
        self.wait_for(self.all_flagged, "the new message to be flagged")
        expected["dmitri.delay@example.org"] = None
        got = self.rows(campaign)
        self.assertEqual({k: v for k, v in got.items() if k != "dmitri.delay@example.org"},
                         {k: v for k, v in expected.items() if k != "dmitri.delay@example.org"})
        self.assertEqual(self.psql("SELECT count(*) FROM bounces WHERE campaign_id = %d"
                                   % campaign["id"]), "5")

    def test_mail_to_the_unsubscribe_address_unsubscribes(self):
        campaign, sent = self.send_campaign([("baja.correo@example.org", "Baja"),
                                             ("queda@example.org", "Queda")])
        s = sent["baja.correo@example.org"]
        _, mailto = list_unsubscribe(s["mail"])
        self.imap.append(fixture("mailto_unsubscribe.eml", rcpt="baja.correo@example.org",
                                 unsubscribe=mailto))
        # a forged address (another subscriber under the same signature) unsubscribes nobody
        other = sent["queda@example.org"]["subscriber"]["id"]
        forged = mailto.replace("+%d." % s["subscriber"]["id"], "+%d." % other, 1)
        self.imap.append(fixture("mailto_unsubscribe.eml", rcpt="queda@example.org",
                                 unsubscribe=forged))
        self.wait_for(lambda: self.status(s["subscriber"]) == "unsubscribed", "the unsubscribe")
        self.wait_for(self.all_flagged, "every message to be processed")
        self.assertEqual(self.status(sent["queda@example.org"]["subscriber"]), "active")
        self.assertEqual(self.psql(
            "SELECT string_agg(DISTINCT source || '/' || campaign_id || '/' || message_id, ',')"
            " FROM consents WHERE subscriber_id = %d AND action = 'unsubscribe'"
            % s["subscriber"]["id"]), "mailto/%d/%d" % (campaign["id"], s["message_id"]))


if __name__ == "__main__":
    unittest.main()
