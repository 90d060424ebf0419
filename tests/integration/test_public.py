"""Public pages: the subscription form with honeypot and rate limit, double opt-in confirmation
by signed link, preferences by signed link, the RFC 8058 one-click unsubscribe of a sent
campaign's List-Unsubscribe, and forged or expired tokens refused."""

import email
import email.policy
import re
import time
import unittest
import urllib.parse

from harness import PgCluster, Server
from audience_fixtures import AudienceCase

cluster = None


def setUpModule():
    global cluster
    cluster = PgCluster()
    AudienceCase.cluster = cluster


def tearDownModule():
    cluster.destroy()


class PublicCase(AudienceCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        post = lambda body: cls.api.request("POST", "/api/v1/lists", body).json()
        cls.weekly = post({"name": "Semanal <b>news</b>", "visibility": "public", "description": "Cada lunes"})
        cls.double = post({"name": "Ofertas", "visibility": "public", "optin": "double"})
        cls.private = post({"name": "Staff only", "visibility": "private"})


class SubscribeFormTest(PublicCase):
    def test_form_lists_public_lists_only_with_names_escaped(self):
        r = self.server.client().request("GET", "/subscribe")
        self.assertEqual(r.status, 200)
        self.assertTrue(r.header("Content-Type").startswith("text/html"))
        self.assertIn("Semanal &lt;b&gt;news&lt;/b&gt;", r.body)
        self.assertIn("Ofertas", r.body)
        self.assertNotIn("Staff only", r.body)
        self.assertIn('name="website"', r.body)

    def test_a_lists_own_link_shows_that_list_ticked(self):
        def ticked(path):
            body = self.server.client().request("GET", path).body
            return set(int(i) for i in re.findall(r'name="list" value="(\d+)" checked', body))
        self.assertEqual(ticked("/subscribe?list=%d" % self.double["id"]), {self.double["id"]})
        self.assertEqual(ticked("/subscribe"), set())
        # a private list is not offered, and a parameter that is not an id ticks nothing
        self.assertEqual(ticked("/subscribe?list=%d" % self.private["id"]), set())
        self.assertEqual(ticked("/subscribe?list=%d;x" % self.double["id"]), set())

    def test_single_optin_subscription_is_confirmed_with_consent_from_the_form(self):
        r = self.submit({"email": "Lector@Example.com", "name": "Lector", "list": [self.weekly["id"]]})
        self.assertEqual(r.status, 200, r)
        s = self.subscriber("lector@example.com")
        self.assertEqual(s["lists"], [{"id": self.weekly["id"], "status": "confirmed"}])
        self.assertEqual(self.psql("SELECT source || '/' || remote_addr FROM consents WHERE subscriber_id = %d" % s["id"]),
                         "form/127.0.0.1")

    def test_double_optin_waits_for_the_signed_link(self):
        self.assertEqual(self.submit({"email": "doble@example.com", "list": [self.double["id"]]}).status, 200)
        s = self.subscriber("doble@example.com")
        self.assertEqual(s["lists"], [{"id": self.double["id"], "status": "unconfirmed"}])
        request_id = int(self.psql("SELECT id FROM optin_requests WHERE subscriber_id = %d AND state = 'queued'" % s["id"]))
        link = "/confirm/" + self.token("c", s["id"], request_id, int(time.time()) + 3600)
        r = self.server.client().request("GET", link)
        self.assertEqual(r.status, 200, r)
        self.assertIn("Ofertas", r.body)
        self.assertEqual(self.subscriber("doble@example.com")["lists"], [{"id": self.double["id"], "status": "confirmed"}])

    def test_the_honeypot_answers_thanks_and_changes_nothing(self):
        r = self.submit({"email": "robot@example.com", "list": [self.weekly["id"]], "website": "http://spam"})
        self.assertEqual(r.status, 200)
        self.assertIsNone(self.subscriber("robot@example.com"))

    def test_invalid_input_shows_the_form_again_with_400(self):
        r = self.submit({"email": "not an address", "list": [self.weekly["id"]]})
        self.assertEqual(r.status, 400)
        self.assertIn("not an address", r.body)
        self.assertEqual(self.submit({"email": "x@example.com"}).status, 400)
        self.assertEqual(self.submit({"email": "x@example.com", "list": [self.private["id"]]}).status, 400)
        self.assertEqual(self.submit({"email": "x@example.com", "list": ["1; DROP TABLE lists"]}).status, 400)
        self.assertIsNone(self.subscriber("x@example.com"))

    def test_an_existing_subscriber_is_not_renamed_by_the_form(self):
        self.create_subscriber("named@example.com", name="Real Name")
        self.assertEqual(self.submit({"email": "named@example.com", "name": "Impostor", "list": [self.weekly["id"]]}).status, 200)
        self.assertEqual(self.subscriber("named@example.com")["name"], "Real Name")

    def test_an_erased_address_gets_the_same_answer_and_is_not_added(self):
        s = self.create_subscriber("olvidado@example.com")
        self.api.request("POST", "/api/v1/subscribers/%d/erase" % s["id"])
        r = self.submit({"email": "olvidado@example.com", "list": [self.weekly["id"]]})
        self.assertEqual(r.status, 200)
        self.assertIsNone(self.subscriber("olvidado@example.com"))

    def test_more_than_three_tries_for_one_address_within_an_hour_are_refused(self):
        for _ in range(3):
            self.assertEqual(self.submit({"email": "often@example.com", "list": [self.weekly["id"]]}).status, 200)
        self.assertEqual(self.submit({"email": "OFTEN@example.com", "list": [self.weekly["id"]]}).status, 429)
        self.assertEqual(self.psql("SELECT count(*) FROM form_attempts WHERE key LIKE '%often%'"), "0")


class TokenTest(PublicCase):
    def test_forged_and_tampered_tokens_get_a_friendly_400_without_data(self):
        s = self.create_subscriber("victim@example.com", lists=[self.weekly["id"]])
        good = self.token("p", s["id"])
        other = self.create_subscriber("other@example.com")
        tampered = good.replace("p.%d." % s["id"], "p.%d." % other["id"])
        for path in ["/preferences/" + tampered, "/preferences/nonsense", "/preferences/" + good[:-1] + ("1" if good[-1] == "0" else "0"),
                     "/preferences/" + self.token("c", s["id"]), "/confirm/" + good,
                     "/preferences/p.1.0.0.' OR 1=1 --"]:
            r = self.server.client().request("GET", urllib.parse.quote(path, safe="/"))
            self.assertEqual(r.status, 400, path)
            self.assertIn("not valid", r.body)
            self.assertNotIn("victim@example.com", r.body)
            self.assertNotIn("other@example.com", r.body)
        self.assertEqual(self.server.client().request("GET", "/preferences/" + good).status, 200)

    def test_an_expired_confirmation_link_is_refused(self):
        self.submit({"email": "late@example.com", "list": [self.double["id"]]})
        s = self.subscriber("late@example.com")
        request_id = int(self.psql("SELECT id FROM optin_requests WHERE subscriber_id = %d" % s["id"]))
        r = self.server.client().request("GET", "/confirm/" + self.token("c", s["id"], request_id, int(time.time()) - 1))
        self.assertEqual(r.status, 400)
        self.assertIn("expired", r.body)
        self.assertEqual(self.subscriber("late@example.com")["lists"][0]["status"], "unconfirmed")

    def test_a_confirmation_link_for_another_subscribers_request_does_nothing(self):
        self.submit({"email": "owner@example.com", "list": [self.double["id"]]})
        owner = self.subscriber("owner@example.com")
        request_id = int(self.psql("SELECT id FROM optin_requests WHERE subscriber_id = %d" % owner["id"]))
        intruder = self.create_subscriber("intruder@example.com")
        r = self.server.client().request("GET", "/confirm/" + self.token("c", intruder["id"], request_id, int(time.time()) + 60))
        self.assertEqual(r.status, 400)
        self.assertEqual(self.subscriber("owner@example.com")["lists"][0]["status"], "unconfirmed")


class PreferencesTest(PublicCase):
    def test_preferences_show_public_lists_and_the_subscribers_own(self):
        s = self.create_subscriber("prefs@example.com", lists=[self.private["id"]])
        r = self.server.client().request("GET", "/preferences/" + self.token("p", s["id"]))
        self.assertEqual(r.status, 200)
        self.assertIn("prefs@example.com", r.body)
        self.assertIn("Staff only", r.body)
        self.assertIn("Ofertas", r.body)
        self.assertRegex(r.body, r'value="%d" checked' % self.private["id"])

    def test_saving_changes_lists_and_unsubscribe_all_leaves_every_list(self):
        s = self.create_subscriber("change@example.com", lists=[self.weekly["id"], self.private["id"]])
        path = "/preferences/" + self.token("p", s["id"])
        body = urllib.parse.urlencode({"list": [self.double["id"], self.private["id"]], "action": "save"}, doseq=True)
        r = self.server.client().request("POST", path, raw=body.encode(), headers={"Content-Type": "application/x-www-form-urlencoded"})
        self.assertEqual(r.status, 200, r)
        lists = {l["id"]: l["status"] for l in self.subscriber("change@example.com")["lists"]}
        self.assertEqual(lists, {self.weekly["id"]: "unsubscribed", self.double["id"]: "confirmed", self.private["id"]: "confirmed"})
        r = self.server.client().request("POST", path, raw=b"action=unsubscribe_all", headers={"Content-Type": "application/x-www-form-urlencoded"})
        self.assertEqual(r.status, 200)
        statuses = {l["status"] for l in self.subscriber("change@example.com")["lists"]}
        self.assertEqual(statuses, {"unsubscribed"})
        self.assertEqual(self.psql("SELECT count(*) FROM consents WHERE subscriber_id = %d AND source = 'preferences'"
                                   " AND list_id IS NOT NULL" % s["id"]), "4")
        # unsubscribe_all is also an unsubscribe from everything, recorded without a list
        self.assertEqual(self.subscriber("change@example.com")["status"], "unsubscribed")
        self.assertEqual(self.psql("SELECT action || '/' || source FROM consents WHERE subscriber_id = %d"
                                   " AND list_id IS NULL" % s["id"]), "unsubscribe/preferences")


class OneClickUnsubscribeTest(PublicCase):
    """Campaign mail goes to the capture outbox with an https public URL, so it carries
    List-Unsubscribe-Post; the test posts to the URL a mailbox provider would take from it."""

    @classmethod
    def setUpClass(cls):
        cls.dsn = cls.cluster.new_database()
        cls.server = Server(dsn=cls.dsn, extra_env={
            "MAILCAST_SERVER_PUBLIC_URL": "https://news.example.org"})
        cls.api = cls.server.client()
        assert cls.api.login("admin@localhost", cls.server.admin_password).status == 200
        post = lambda body: cls.api.request("POST", "/api/v1/lists", body).json()
        cls.weekly = post({"name": "Semanal", "visibility": "public"})
        cls.private = post({"name": "Clientes", "visibility": "private"})

    def sent_message(self, address):
        """Sends a campaign to both lists and returns the message captured for address."""
        c = self.api.request("POST", "/api/v1/campaigns", {
            "name": "Boletín", "subject": "Hola {{name}}", "from_email": "news@example.org",
            "body": "<p>Hola</p>", "lists": [self.weekly["id"], self.private["id"]]}).json()
        r = self.api.request("POST", "/api/v1/campaigns/%d/send" % c["id"])
        self.assertEqual(r.status, 200, r)
        deadline = time.monotonic() + 60
        while self.api.request("GET", "/api/v1/campaigns/%d" % c["id"]).json()["state"] != "finished":
            self.assertLess(time.monotonic(), deadline, "the campaign was not sent")
            time.sleep(0.2)
        for item in self.api.request("GET", "/api/v1/outbox?limit=1000").json()["items"]:
            raw = self.api.request("GET", "/api/v1/outbox/" + item["name"]).body
            msg = email.message_from_bytes(raw.encode("utf-8"), policy=email.policy.default)
            if msg["To"].addresses[0].addr_spec == address:
                self.assertTrue(msg["Subject"].startswith("Hola "), msg["Subject"])
                return msg
        self.fail("no message was captured for " + address)

    def one_click_path(self, msg):
        self.assertEqual(msg["List-Unsubscribe-Post"], "List-Unsubscribe=One-Click")
        urls = re.findall(r"<([^>]+)>", msg["List-Unsubscribe"])
        https = [u for u in urls if u.startswith("https://news.example.org/preferences/")]
        self.assertEqual(len(https), 1, msg["List-Unsubscribe"])
        return urllib.parse.urlsplit(https[0]).path

    def statuses(self, subscriber):
        return {l["id"]: l["status"] for l in self.subscriber(subscriber["email"])["lists"]}

    def assert_unsubscribed_from_every_list(self, response, subscriber):
        self.assertEqual(response.status, 200, response)
        self.assertIsNone(response.header("Location"))
        self.assertTrue(response.header("Content-Type").startswith("text/plain"), response)
        self.assertIn("unsubscribed from every list", response.body)
        self.assertLess(len(response.body), 200)
        self.assertEqual(self.statuses(subscriber), {self.weekly["id"]: "unsubscribed",
                                                     self.private["id"]: "unsubscribed"})
        self.assertEqual(self.psql("SELECT string_agg(action || '/' || source, ',') FROM consents"
                                   " WHERE subscriber_id = %d AND action = 'unsubscribe'"
                                   " AND list_id IS NOT NULL" % subscriber["id"]),
                         "unsubscribe/preferences,unsubscribe/preferences")
        # and from everything: once, however often the link is posted
        self.assertEqual(self.subscriber(subscriber["email"])["status"], "unsubscribed")
        self.assertEqual(self.psql("SELECT string_agg(action || '/' || source, ',') FROM consents"
                                   " WHERE subscriber_id = %d AND list_id IS NULL" % subscriber["id"]),
                         "unsubscribe/preferences")

    def test_one_click_post_from_the_list_unsubscribe_header_leaves_every_list(self):
        ana = self.create_subscriber("ana.oneclick@example.org", name="Ana María",
                                     lists=[self.weekly["id"], self.private["id"]])
        other = self.create_subscriber("otro.oneclick@example.org", name="Другой",
                                       lists=[self.weekly["id"]])
        path = self.one_click_path(self.sent_message(ana["email"]))
        # as mailbox providers send it: no cookie, no CSRF token, a form body
        r = self.server.client().request("POST", path, raw=b"List-Unsubscribe=One-Click", headers={
            "Content-Type": "application/x-www-form-urlencoded"})
        self.assert_unsubscribed_from_every_list(r, ana)
        self.assertEqual(self.statuses(other), {self.weekly["id"]: "confirmed"})
        # a second click changes nothing and still succeeds
        r = self.server.client().request("POST", path, raw=b"List-Unsubscribe=One-Click", headers={
            "Content-Type": "application/x-www-form-urlencoded"})
        self.assert_unsubscribed_from_every_list(r, ana)

    def test_one_click_post_as_multipart_form_data_leaves_every_list(self):
        zoe = self.create_subscriber("zoe.oneclick@example.org", name="Zoë",
                                     lists=[self.weekly["id"], self.private["id"]])
        path = self.one_click_path(self.sent_message(zoe["email"]))
        body = ("--7MA4YWxkTrZu0gW\r\n"
                "Content-Disposition: form-data; name=\"List-Unsubscribe\"\r\n\r\n"
                "One-Click\r\n--7MA4YWxkTrZu0gW--\r\n").encode()
        r = self.server.client().request("POST", path, raw=body, headers={
            "Content-Type": "multipart/form-data; boundary=7MA4YWxkTrZu0gW"})
        self.assert_unsubscribed_from_every_list(r, zoe)

    def test_one_click_with_a_forged_or_expired_token_is_refused(self):
        eve = self.create_subscriber("eve.oneclick@example.org", lists=[self.weekly["id"]])
        good = self.token("p", eve["id"])
        for token in (good[:-1] + ("1" if good[-1] == "0" else "0"),
                      self.token("p", eve["id"], expires=int(time.time()) - 1),
                      self.token("c", eve["id"])):
            r = self.server.client().request("POST", "/preferences/" + token,
                                             raw=b"List-Unsubscribe=One-Click", headers={
                                                 "Content-Type": "application/x-www-form-urlencoded"})
            self.assertEqual(r.status, 400, token)
        self.assertEqual(self.statuses(eve), {self.weekly["id"]: "confirmed"})

    def test_the_preferences_form_still_saves_choices(self):
        s = self.create_subscriber("form.oneclick@example.org", lists=[self.private["id"]])
        body = urllib.parse.urlencode({"list": [self.weekly["id"]], "action": "save"}, doseq=True)
        r = self.server.client().request("POST", "/preferences/" + self.token("p", s["id"]),
                                         raw=body.encode(), headers={
                                             "Content-Type": "application/x-www-form-urlencoded"})
        self.assertEqual(r.status, 200, r)
        self.assertIn("Your choices are saved", r.body)
        self.assertEqual(self.statuses(s), {self.weekly["id"]: "confirmed",
                                            self.private["id"]: "unsubscribed"})


if __name__ == "__main__":
    unittest.main()
