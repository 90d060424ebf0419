"""The capture outbox over the API: with no SMTP relay, messages are kept as .eml files that
the dashboard lists and reads."""

import email
import email.policy
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


if __name__ == "__main__":
    unittest.main()
