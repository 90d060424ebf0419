"""Bounces and complaints: POST /api/v1/bounces, the rules every source goes through (hard
bounces and repeated soft bounces blocklist the address, a complaint unsubscribes it from
everything, SMTP-time refusals included), what the subscriber shows, and unsubscribes counted
per campaign through the one-click link and the mailto address. Campaigns go to a real SMTP
peer."""

import unittest
import urllib.parse

from audience_fixtures import AudienceCase
from bounce_fixtures import BounceCase, list_unsubscribe
from harness import PgCluster


def setUpModule():
    AudienceCase.cluster = PgCluster()


def tearDownModule():
    AudienceCase.cluster.destroy()


FORM = {"Content-Type": "application/x-www-form-urlencoded"}


class BounceApiTest(BounceCase):
    server_env = {"MAILCAST_SERVER_PUBLIC_URL": "https://news.example.org"}

    def test_bad_input_is_refused_naming_the_field_and_writes_nothing(self):
        _, sent = self.send_campaign([("valida@example.org", "Válida")])
        message = sent["valida@example.org"]["message_id"]
        before = self.psql("SELECT count(*) FROM bounces")
        for body, field in [({"email": "valida@example.org"}, "kind"),
                            ({"email": "valida@example.org", "kind": "rebote"}, "kind"),
                            ({"kind": "hard"}, "email"),
                            ({"email": "valida@example.org", "message_id": message, "kind": "hard"},
                             "message_id"),
                            ({"message_id": 987654321, "kind": "hard"}, "message_id"),
                            ({"message_id": "uno", "kind": "hard"}, "message_id"),
                            ({"email": "nadie@example.org", "kind": "hard"}, "email"),
                            ({"email": "valida@example.org", "kind": "hard", "motivo": "x"},
                             "motivo")]:
            self.assert_error(self.api.request("POST", "/api/v1/bounces", body), 400, field)
        self.assertEqual(self.psql("SELECT count(*) FROM bounces"), before)
        self.assertEqual(self.status(sent["valida@example.org"]["subscriber"]), "active")

    def test_a_hard_bounce_blocklists_and_shows_on_the_subscriber(self):
        campaign, sent = self.send_campaign([("dura@example.org", "Дура"),
                                             ("sigue@example.org", "Sigue")])
        s = sent["dura@example.org"]
        r = self.api.request("POST", "/api/v1/bounces", {
            "message_id": s["message_id"], "kind": "hard", "reason": "Buzón inexistente: нет"})
        self.assertEqual(r.status, 201, r)
        bounce = r.json()
        self.assertEqual((bounce["kind"], bounce["source"], bounce["campaign_id"],
                          bounce["message_id"], bounce["reason"]),
                         ("hard", "api", campaign["id"], s["message_id"], "Buzón inexistente: нет"))
        self.assertEqual(self.status(s["subscriber"]), "blocklisted")
        self.assertEqual(self.status(sent["sigue@example.org"]["subscriber"]), "active")
        got = self.api.request("GET", "/api/v1/subscribers/%d" % s["subscriber"]["id"]).json()
        self.assertEqual((got["bounces"]["hard"], got["bounces"]["soft"],
                          got["bounces"]["complaints"]), (1, 0, 0))
        self.assertTrue(got["bounces"]["last_at"])
        # a later soft bounce by address lists first
        r = self.api.request("POST", "/api/v1/bounces", {"email": "DURA@example.org",
                                                         "kind": "soft"})
        self.assertEqual(r.status, 201, r)
        self.assertEqual([(b["kind"], b["message_id"]) for b in self.bounces(s["subscriber"])],
                         [("soft", None), ("hard", s["message_id"])])
        self.assertEqual(self.api.request("GET", "/api/v1/subscribers/987654/bounces").status, 404)

    def test_soft_bounces_blocklist_after_the_limit_within_the_window(self):
        _, sent = self.send_campaign([("blanda@example.org", "Blanda")])
        sub = sent["blanda@example.org"]["subscriber"]
        for _ in range(2):
            self.assertEqual(self.api.request("POST", "/api/v1/bounces", {
                "email": "blanda@example.org", "kind": "soft"}).status, 201)
        self.assertEqual(self.status(sub), "active")
        # the two fall out of the 7-day window: a third alone is not enough
        self.psql("UPDATE bounces SET created_at = now() - interval '8 days'"
                  " WHERE subscriber_id = %d" % sub["id"])
        self.api.request("POST", "/api/v1/bounces", {"email": "blanda@example.org", "kind": "soft"})
        self.assertEqual(self.status(sub), "active")
        for _ in range(2):
            self.api.request("POST", "/api/v1/bounces", {"email": "blanda@example.org",
                                                         "kind": "soft"})
        self.assertEqual(self.status(sub), "blocklisted")

    def test_a_complaint_unsubscribes_from_everything_naming_its_campaign(self):
        campaign, sent = self.send_campaign([("queja@example.org", "Queja")])
        s = sent["queja@example.org"]
        otra = self.create_list("Новости")
        self.api.request("PATCH", "/api/v1/subscribers/%d" % s["subscriber"]["id"],
                         {"lists": [otra["id"]]})
        r = self.api.request("POST", "/api/v1/bounces", {"message_id": s["message_id"],
                                                         "kind": "complaint"})
        self.assertEqual(r.status, 201, r)
        self.assertEqual(self.status(s["subscriber"]), "unsubscribed")
        self.assertEqual(self.psql("SELECT count(*) FROM list_subscribers WHERE subscriber_id = %d"
                                   " AND status <> 'unsubscribed'" % s["subscriber"]["id"]), "0")
        self.assertEqual(self.psql(
            "SELECT string_agg(DISTINCT action || '/' || source || '/' || campaign_id || '/'"
            " || message_id, ',') FROM consents WHERE subscriber_id = %d AND source = 'complaint'"
            % s["subscriber"]["id"]),
            "unsubscribe/complaint/%d/%d" % (campaign["id"], s["message_id"]))
        self.assertEqual(self.api.request("GET", "/api/v1/subscribers/%d" % s["subscriber"]["id"])
                         .json()["bounces"]["complaints"], 1)

    def test_an_smtp_refusal_goes_through_the_same_rules(self):
        campaign, _ = self.send_campaign([("rcpt550-nadie@example.org", "Nadie")])
        sub = self.subscriber("rcpt550-nadie@example.org")
        self.wait_for(lambda: self.status(sub) == "blocklisted", "the refusal to blocklist")
        self.assertEqual(self.psql("SELECT kind || '/' || source || '/' || (applied_at IS NOT NULL)"
                                   " FROM bounces WHERE subscriber_id = %d" % sub["id"]),
                         "hard/smtp/true")
        self.assertEqual([b["kind"] for b in self.bounces(sub)], ["hard"])

    def test_one_click_unsubscribe_counts_for_the_campaign_and_message(self):
        campaign, sent = self.send_campaign([("baja@example.org", "Baja"),
                                             ("pagina@example.org", "Página"),
                                             ("vieja@example.org", "Vieja")])
        s = sent["baja@example.org"]
        url, mailto = list_unsubscribe(s["mail"])
        path = urllib.parse.urlparse(url).path
        r = self.server.client().request("POST", path, raw=b"List-Unsubscribe=One-Click",
                                         headers=FORM)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(self.psql(
            "SELECT campaign_id || '/' || message_id FROM consents WHERE subscriber_id = %d AND"
            " list_id IS NULL AND action = 'unsubscribe'" % s["subscriber"]["id"]),
            "%d/%d" % (campaign["id"], s["message_id"]))
        # the preferences page reached through the link records the same
        page = sent["pagina@example.org"]
        path = urllib.parse.urlparse(list_unsubscribe(page["mail"])[0]).path
        r = self.server.client().request("POST", path, raw=b"action=unsubscribe_all",
                                         headers=FORM)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(self.psql(
            "SELECT source || '/' || campaign_id || '/' || message_id FROM consents WHERE"
            " subscriber_id = %d AND list_id IS NULL" % page["subscriber"]["id"]),
            "preferences/%d/%d" % (campaign["id"], page["message_id"]))
        # a link made before messages were named in it still unsubscribes, naming nothing
        old = sent["vieja@example.org"]["subscriber"]
        r = self.server.client().request("POST", "/preferences/" + self.token("p", old["id"]),
                                         raw=b"List-Unsubscribe=One-Click", headers=FORM)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(self.psql(
            "SELECT coalesce(campaign_id::text, 'none') || '/' || coalesce(message_id::text,"
            " 'none') FROM consents WHERE subscriber_id = %d AND list_id IS NULL" % old["id"]),
            "none/none")

    def test_campaign_mail_offers_a_mailto_unsubscribe_on_the_bounce_domain(self):
        _, sent = self.send_campaign([("correo@example.org", "Correo")])
        url, mailto = list_unsubscribe(sent["correo@example.org"]["mail"])
        self.assertTrue(url.startswith("https://news.example.org/preferences/"), url)
        self.assertRegex(mailto, r"^unsubscribe\+%d\.%d\.[0-9a-f]{20}@example\.com$"
                         % (sent["correo@example.org"]["subscriber"]["id"],
                            sent["correo@example.org"]["message_id"]))


class HardLimitTest(BounceCase):
    server_env = {"MAILCAST_BOUNCES_HARD_LIMIT": "2"}

    def test_the_hard_limit_is_configurable(self):
        _, sent = self.send_campaign([("dos@example.org", "Dos")])
        sub = sent["dos@example.org"]["subscriber"]
        self.api.request("POST", "/api/v1/bounces", {"email": "dos@example.org", "kind": "hard"})
        self.assertEqual(self.status(sub), "active")
        self.api.request("POST", "/api/v1/bounces", {"email": "dos@example.org", "kind": "hard"})
        self.assertEqual(self.status(sub), "blocklisted")


if __name__ == "__main__":
    unittest.main()
