"""Double opt-in end to end at a real SMTP peer: the public form queues a confirmation mail
(a system message from templates/system/optin_confirm.mustache, or the stored template that
overrides it) carrying the signed link; opening the link confirms the membership; a form
posted again within minutes sends no second mail; an unsubscribe from everything ends only
with the person's own subscription."""

import email
import email.policy
import re
import time
import unittest
import urllib.parse

from audience_fixtures import AudienceCase
from campaign_fixtures import SendingCase
from harness import PgCluster


def setUpModule():
    AudienceCase.cluster = PgCluster()


def tearDownModule():
    AudienceCase.cluster.destroy()


class OptinMailTest(SendingCase):
    server_env = {"MAILCAST_SERVER_PUBLIC_URL": "https://news.example.org"}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        post = lambda body: cls.api.request("POST", "/api/v1/lists", body).json()
        cls.boletin = post({"name": "Boletín", "visibility": "public", "optin": "double"})
        cls.noticias = post({"name": "Новости", "visibility": "public", "optin": "double"})
        cls.semanal = post({"name": "Semanal", "visibility": "public"})

    def mails_to(self, address):
        with self.peer.recorder.lock:
            messages = list(self.peer.recorder.messages)
        return [(sender, email.message_from_bytes(data, policy=email.policy.default))
                for sender, rcpts, data in messages if address in rcpts]

    def wait_mail(self, address, timeout=60):
        deadline = time.monotonic() + timeout
        while not self.mails_to(address):
            self.assertLess(time.monotonic(), deadline, "no mail reached " + address)
            time.sleep(0.05)
        return self.mails_to(address)[0][1]

    def confirm_path(self, msg):
        html = msg.get_body(("html",)).get_content()
        links = set(re.findall(r'href="(https://news\.example\.org/confirm/[^"]+)"', html))
        self.assertEqual(len(links), 1, html)
        # the text part carries the same link for mail readers without HTML
        self.assertIn(links.pop().replace("&amp;", "&"), msg.get_body(("plain",)).get_content())
        return urllib.parse.urlsplit(re.search(r'https://news\.example\.org/confirm/[^"]+', html)
                                     .group(0)).path

    def test_the_form_mails_a_link_that_confirms_the_subscription(self):
        r = self.submit({"email": "jose@example.org", "name": "José Núñez",
                         "list": [self.boletin["id"], self.noticias["id"]]})
        self.assertEqual(r.status, 200, r)
        self.assertIn("we have sent you an email", r.body)
        msg = self.wait_mail("jose@example.org")
        self.assertEqual(msg["Subject"], "Please confirm your subscription to Boletín, Новости")
        self.assertEqual(msg["From"].addresses[0].addr_spec, "news@example.com")
        html = msg.get_body(("html",)).get_content()
        self.assertIn("Hello José,", html)
        self.assertIn("Boletín, Новости", html)
        self.assertEqual(self.psql("SELECT kind || ':' || priority || ':' || state FROM messages"
                                   " WHERE email = 'jose@example.org'"), "system:0:sent")
        s = self.subscriber("jose@example.org")
        self.assertEqual({l["status"] for l in s["lists"]}, {"unconfirmed"})
        # as a browser opens it, without a session
        r = self.server.client().request("GET", self.confirm_path(msg))
        self.assertEqual(r.status, 200, r)
        self.assertIn("Subscription confirmed", r.body)
        self.assertEqual(self.subscriber("jose@example.org")["lists"],
                         [{"id": self.boletin["id"], "status": "confirmed"},
                          {"id": self.noticias["id"], "status": "confirmed"}])

    def test_a_second_form_within_minutes_sends_no_second_mail(self):
        first = self.submit({"email": "maria@example.org", "name": "María",
                             "list": [self.boletin["id"]]})
        again = self.submit({"email": "MARIA@example.org", "list": [self.noticias["id"]]})
        # the answers cannot tell the two apart
        self.assertEqual((first.status, first.body), (again.status, again.body))
        msg = self.wait_mail("maria@example.org")
        # the queue holds one confirmation for the address, whatever the worker did meanwhile
        self.assertEqual(self.psql("SELECT count(*) FROM messages WHERE lower(email) ="
                                   " 'maria@example.org'"), "1")
        time.sleep(1)
        self.assertEqual(len(self.mails_to("maria@example.org")), 1)
        # the one link confirms the lists of both forms
        r = self.server.client().request("GET", self.confirm_path(msg))
        self.assertEqual(r.status, 200, r)
        self.assertEqual({l["id"]: l["status"] for l in self.subscriber("maria@example.org")["lists"]},
                         {self.boletin["id"]: "confirmed", self.noticias["id"]: "confirmed"})

    def test_the_stored_template_overrides_the_built_in_one(self):
        self.submit({"email": "primero@example.org", "list": [self.boletin["id"]]})
        self.wait_mail("primero@example.org")
        found = [t for t in self.api.request("GET", "/api/v1/templates?limit=1000").json()["items"]
                 if t["name"] == "system/optin_confirm"]
        self.assertEqual(len(found), 1, found)
        r = self.api.request("PATCH", "/api/v1/templates/%d" % found[0]["id"], {
            "subject": "Confirma tu suscripción a {{list_name}}",
            "body": "<p>Hola {{first_name}}, confirma aquí: <a href=\"{{confirm_url}}\">sí</a></p>"})
        self.assertEqual(r.status, 200, r)
        self.submit({"email": "segundo@example.org", "name": "Сергей", "list": [self.noticias["id"]]})
        msg = self.wait_mail("segundo@example.org")
        self.assertEqual(msg["Subject"], "Confirma tu suscripción a Новости")
        self.assertIn("Hola Сергей, confirma aquí", msg.get_body(("html",)).get_content())
        self.assertEqual(self.server.client().request("GET", self.confirm_path(msg)).status, 200)
        self.assertEqual(self.subscriber("segundo@example.org")["lists"],
                         [{"id": self.noticias["id"], "status": "confirmed"}])

    def test_only_a_new_subscription_of_their_own_ends_an_unsubscribe_from_everything(self):
        s = self.create_subscriber("vuelve@example.org", name="Vuelve", status="unsubscribed")
        # double opt-in: unsubscribed until the link is opened
        self.submit({"email": "vuelve@example.org", "list": [self.boletin["id"]]})
        self.assertEqual(self.subscriber("vuelve@example.org")["status"], "unsubscribed")
        msg = self.wait_mail("vuelve@example.org")
        self.assertEqual(self.server.client().request("GET", self.confirm_path(msg)).status, 200)
        self.assertEqual(self.subscriber("vuelve@example.org")["status"], "active")
        self.assertEqual(self.psql("SELECT action || '/' || source FROM consents WHERE"
                                   " subscriber_id = %d AND list_id IS NULL" % s["id"]),
                         "subscribe/form")
        # single opt-in: the form itself
        t = self.create_subscriber("otra.vez@example.org", status="unsubscribed")
        self.assertEqual(self.submit({"email": "otra.vez@example.org",
                                      "list": [self.semanal["id"]]}).status, 200)
        self.assertEqual(self.subscriber("otra.vez@example.org")["status"], "active")
        self.assertEqual(self.psql("SELECT action || '/' || source FROM consents WHERE"
                                   " subscriber_id = %d AND list_id IS NULL" % t["id"]),
                         "subscribe/form")


class WithoutSenderTest(AudienceCase):
    """A server with no [mail] from_email: the confirmation cannot go out, and its message says
    which setting is missing instead of failing on an empty address."""

    def test_the_confirmation_fails_naming_the_setting(self):
        lst = self.api.request("POST", "/api/v1/lists", {
            "name": "Boletín", "visibility": "public", "optin": "double"}).json()
        r = self.submit({"email": "sin.remitente@example.org", "list": [lst["id"]]})
        self.assertEqual(r.status, 200, r)
        query = ("SELECT state || ':' || reason FROM messages"
                 " WHERE email = 'sin.remitente@example.org' AND state <> 'queued'")
        deadline = time.monotonic() + 60
        while not self.psql(query):
            self.assertLess(time.monotonic(), deadline, "the confirmation was never tried")
            time.sleep(0.05)
        state, reason = self.psql(query).split(":", 1)
        self.assertEqual(state, "failed")
        self.assertIn("[mail] from_email", reason)


if __name__ == "__main__":
    unittest.main()
