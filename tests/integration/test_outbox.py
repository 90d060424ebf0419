"""The capture outbox over the API: with no SMTP relay, messages are kept as .eml files that
the dashboard lists and reads."""

import base64
import email
import email.policy
import os
import time
import unittest

from harness import PgCluster, ServerTestCase, base_env, run_mailcast

cluster = None


def setUpModule():
    global cluster
    cluster = PgCluster()


def tearDownModule():
    cluster.destroy()


class OutboxTest(ServerTestCase, unittest.TestCase):
    cluster_of = staticmethod(lambda: cluster)
    server_env = {"MAILCAST_MAIL_FROM_EMAIL": "news@example.com"}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.client = cls.server.client()
        cls.client.login("admin@localhost", cls.server.admin_password)

    def capture(self, to, subject):
        env = base_env(MAILCAST_DATABASE_URL=self.dsn, MAILCAST_PATHS_DATA_DIR=self.server.data_dir,
                       MAILCAST_MAIL_FROM_EMAIL="news@example.com")
        result = run_mailcast("send-test", "--to", to, "--subject", subject, env=env)
        self.assertEqual(result.returncode, 0, result.stderr)

    def test_captured_messages_are_listed_newest_first_and_readable(self):
        self.capture("ana@example.com", "Primero")
        self.capture("boris@example.com", "Второе письмо")
        r = self.client.request("GET", "/api/v1/outbox?total=true")
        self.assertEqual(r.status, 200, r)
        listing = r.json()
        self.assertGreaterEqual(listing["total"], 2)
        names = [item["name"] for item in listing["items"]]
        self.assertEqual(names, sorted(names, reverse=True))
        newest = self.client.request("GET", "/api/v1/outbox/" + names[0])
        self.assertEqual(newest.status, 200)
        self.assertEqual(newest.header("Content-Type"), "message/rfc822")
        msg = email.message_from_bytes(newest.body.encode("utf-8"), policy=email.policy.default)
        self.assertEqual(str(msg["Subject"]), "Второе письмо")
        self.assertIn("boris@example.com", str(msg["To"]))

    def test_outbox_pages_with_a_cursor(self):
        for i in range(3):
            self.capture("page%d@example.com" % i, "Page %d" % i)
        first = self.client.request("GET", "/api/v1/outbox?limit=2").json()
        self.assertEqual(len(first["items"]), 2)
        self.assertIsNotNone(first["next_cursor"])
        second = self.client.request("GET", "/api/v1/outbox?limit=2&cursor=" + first["next_cursor"]).json()
        self.assertTrue(set(i["name"] for i in first["items"]).isdisjoint(i["name"] for i in second["items"]))

    def test_names_outside_the_outbox_are_refused(self):
        for name in ["..%2Fsecret", "x.txt", ".hidden.eml", "missing-0.eml"]:
            r = self.client.request("GET", "/api/v1/outbox/" + name)
            self.assertIn(r.status, (400, 404), name)
            self.assertIn("error", r.json())


    def test_the_listing_shows_who_and_what_and_pages_by_name(self):
        self.capture("zoe@example.com", "Último aviso — срочно")
        listing = self.client.request("GET", "/api/v1/outbox?limit=1").json()
        first = listing["items"][0]
        self.assertEqual(first["subject"], "Último aviso — срочно")
        self.assertIn("zoe@example.com", first["to"])
        self.assertIn("news@example.com", first["from"])
        self.assertEqual(listing["next_cursor"], first["name"])
        # a message captured meanwhile does not shift the next page
        self.capture("late@example.com", "Tarde")
        second = self.client.request("GET", "/api/v1/outbox?limit=1&cursor=" + listing["next_cursor"]).json()
        self.assertLess(second["items"][0]["name"], first["name"])
        self.assertEqual(self.client.request("GET", "/api/v1/outbox?cursor=../x.eml").status, 400)

    def test_parts_and_html_frame_of_a_captured_message(self):
        t = self.client.request("POST", "/api/v1/templates", {
            "name": "Pedido", "kind": "transactional", "subject": "Заказ принят ✓",
            "body": "<p style=\"color:#c00\">Спасибо, {{who}} — ¡gracias! " + "ñ" * 80 + "</p>",
            "text_body": "Спасибо, {{who}} — ¡gracias!"})
        self.assertEqual(t.status, 201, t)
        r = self.client.request("POST", "/api/v1/tx", {"to": "olga@example.com", "template_id": t.json()["id"],
                                                      "data": {"who": "Ольга"}})
        self.assertEqual(r.status, 202, r)
        name = None
        for _ in range(300):
            items = self.client.request("GET", "/api/v1/outbox?limit=20").json()["items"]
            found = [i for i in items if i["subject"] == "Заказ принят ✓"]
            if found:
                name = found[0]["name"]
                break
            time.sleep(0.1)
        self.assertIsNotNone(name, "the message was not captured")
        parts = self.client.request("GET", "/api/v1/outbox/%s/parts" % name)
        self.assertEqual(parts.status, 200, parts)
        p = parts.json()
        self.assertEqual(p["subject"], "Заказ принят ✓")
        self.assertEqual(p["text"].strip(), "Спасибо, Ольга — ¡gracias!")
        self.assertTrue(p["has_html"])
        headers = {h["name"].lower(): h["value"] for h in p["headers"]}
        self.assertEqual(headers["subject"], "Заказ принят ✓")
        html = self.client.request("GET", "/api/v1/outbox/%s/html" % name)
        self.assertEqual(html.status, 200, html)
        self.assertIn("<p style=\"color:#c00\">Спасибо, Ольга — ¡gracias! " + "ñ" * 80 + "</p>", html.body)
        raw = self.client.request("GET", "/api/v1/outbox/" + name).body
        self.assertIn("/t/o/", raw.replace("=\r\n", ""))
        # the open pixel is not shown: reading the outbox is not the recipient opening the mail
        self.assertNotIn("/t/o/", html.body)
        self.assertEqual(html.header("Content-Type"), "text/html; charset=utf-8")
        self.assertEqual(html.header("Content-Security-Policy"),
                         "sandbox; default-src 'none'; img-src * data:; style-src 'unsafe-inline' *;"
                         " font-src * data:; frame-ancestors 'self'")
        self.assertEqual(html.header("Cache-Control"), "no-store")
        self.assertEqual(html.header("Referrer-Policy"), "no-referrer")
        anonymous = self.server.client().request("GET", "/api/v1/outbox/%s/html" % name)
        self.assertEqual(anonymous.status, 401)

    def test_a_message_of_another_charset_and_base64_is_decoded(self):
        outbox = os.path.join(self.server.data_dir, "outbox")
        os.makedirs(outbox, exist_ok=True)
        name = "20000101T000000.000000Z-00-000001.eml"
        html = "<p>Año nuevo, señor Muñoz</p>".encode("iso-8859-1")
        body = (b"From: a@example.com\r\nTo: =?ISO-8859-1?Q?Jos=E9?= <jose@example.com>\r\n"
                b"Subject: =?UTF-8?B?" + base64.b64encode("Привет".encode()) + b"?=\r\n"
                b"  =?UTF-8?Q?_=C2=A1hola!?=\r\n"
                b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"out\"\r\n\r\n"
                b"--out\r\nContent-Type: multipart/alternative; boundary=in\r\n\r\n"
                b"--in\r\nContent-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
                b"A=F1o nuevo=\r\n, se=F1or\r\n"
                b"--in\r\nContent-Type: text/html; charset=\"ISO-8859-1\"\r\nContent-Transfer-Encoding: base64\r\n\r\n"
                + base64.encodebytes(html).replace(b"\n", b"\r\n") +
                b"--in--\r\n"
                b"--out\r\nContent-Type: text/html\r\nContent-Disposition: attachment; filename=x.html\r\n\r\n<p>no</p>\r\n"
                b"--out--\r\n")
        with open(os.path.join(outbox, name), "wb") as f:
            f.write(body)
        p = self.client.request("GET", "/api/v1/outbox/%s/parts" % name).json()
        self.assertEqual(p["subject"], "Привет ¡hola!")
        self.assertEqual(p["to"], "José <jose@example.com>")
        self.assertEqual(p["text"], "Año nuevo, señor")
        html_answer = self.client.request("GET", "/api/v1/outbox/%s/html" % name)
        self.assertEqual(html_answer.body, "<p>Año nuevo, señor Muñoz</p>")
        plain = "20000101T000000.000000Z-00-000002.eml"
        with open(os.path.join(outbox, plain), "wb") as f:
            f.write(b"From: a@example.com\r\nSubject: solo texto\r\n\r\nhola\r\n")
        self.assertEqual(self.client.request("GET", "/api/v1/outbox/%s/html" % plain).status, 404)
        self.assertFalse(self.client.request("GET", "/api/v1/outbox/%s/parts" % plain).json()["has_html"])
        self.assertEqual(self.client.request("GET", "/api/v1/outbox/nope.eml/parts").status, 404)


if __name__ == "__main__":
    unittest.main()
