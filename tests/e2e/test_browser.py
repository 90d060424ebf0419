"""The dashboard in a real browser: Debian's chromium, driven by playwright-core (walk.mjs), walks
through every page against a real server and database started here, with the capture transport
for mail. Each step (steps/*.mjs) acts as a person would, scans its pages with axe-core and saves
a screenshot; any console error or serious accessibility violation fails the test.

Screenshots go to MAILCAST_E2E_SHOTS (default: a temp folder); set it to docs/screenshots to
refresh the ones the README shows. MAILCAST_E2E_STEPS=lists,imports runs only those steps (the
login always runs)."""

import os
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
from harness import PgCluster, ServerTestCase, SOURCE_DIR  # noqa: E402
from dns_peer import DnsPeer, txt  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
WEB_DIR = os.path.join(SOURCE_DIR, "web")
cluster = None


def setUpModule():
    global cluster
    cluster = PgCluster()


def tearDownModule():
    cluster.destroy()


class BrowserWalkTest(ServerTestCase, unittest.TestCase):
    cluster_of = staticmethod(lambda: cluster)
    # no SMTP relay: the mail the campaigns send is captured under the data folder (the outbox)
    server_env = {"MAILCAST_MAIL_FROM_EMAIL": "news@example.com", "MAILCAST_MAIL_SENDER_NAME": "Tienda Ñandú",
                  "MAILCAST_MAIL_POSTAL_ADDRESS": "Calle Mayor 1, 28013 Madrid"}
    server_env["MAILCAST_WEBHOOKS_ALLOW_PRIVATE"] = "true"  # the settings step's webhook posts to 127.0.0.1

    # the settings step's DNS check: example.com as a real DNS server on loopback answers it
    DNS_RECORDS = [txt("example.com", "v=spf1 ip4:192.0.2.10 -all"),
                   txt("_dmarc.example.com", "v=DMARC1; p=none; rua=mailto:dmarc@example.com"),
                   "local-data: 'example.com. MX 10 mail.example.com.'",
                   "local-data: 'mail.example.com. A 192.0.2.10'",
                   "local-data-ptr: '192.0.2.10 mail.example.com.'"]

    @classmethod
    def setUpClass(cls):
        cls.dns = DnsPeer(["example.com", "2.0.192.in-addr.arpa", "100.51.198.in-addr.arpa"],
                          cls.DNS_RECORDS)
        cls.server_env = dict(cls.server_env, MAILCAST_DNS_RESOLVER=cls.dns.resolver,
                              MAILCAST_DELIVERABILITY_SENDING_ADDRESSES="192.0.2.10, 198.51.100.7")
        try:
            super().setUpClass()
        except Exception:
            cls.dns.stop()
            raise
        cls.client = cls.server.client()
        r = cls.client.login("admin@localhost", cls.server.admin_password)
        assert r.status == 200, r
        r = cls.client.request("POST", "/api/v1/users", {"email": "editor@example.com", "password": "editor-password-1", "role": "editor"})
        assert r.status == 201, r
        r = cls.client.request("POST", "/api/v1/tokens", {"name": "browser walk checks"})
        assert r.status == 201, r
        cls.token = r.json()["token"]

    @classmethod
    def tearDownClass(cls):
        try:
            super().tearDownClass()
        finally:
            cls.dns.stop()

    def test_a_person_walks_through_every_page(self):
        self.assertTrue(os.access(CHROMIUM, os.X_OK), "chromium is not installed (apt-get install chromium)")
        self.assertTrue(os.path.isdir(os.path.join(WEB_DIR, "node_modules", "playwright-core")),
                        "the dashboard's packages are not installed (npm ci in web/)")
        shots = os.environ.get("MAILCAST_E2E_SHOTS") or tempfile.mkdtemp(prefix="mailcast-shots-")
        env = dict(os.environ,
                   MAILCAST_E2E_BASE="http://127.0.0.1:%d" % self.server.port,
                   MAILCAST_E2E_ADMIN_EMAIL="admin@localhost",
                   MAILCAST_E2E_ADMIN_PASSWORD=self.server.admin_password,
                   MAILCAST_E2E_EDITOR_EMAIL="editor@example.com",
                   MAILCAST_E2E_EDITOR_PASSWORD="editor-password-1",
                   MAILCAST_E2E_TOKEN=self.token,
                   MAILCAST_E2E_SHOTS=shots,
                   MAILCAST_E2E_WEB_DIR=WEB_DIR,
                   MAILCAST_E2E_CHROMIUM=CHROMIUM)
        walk = os.path.join(os.path.dirname(os.path.abspath(__file__)), "walk.mjs")
        result = subprocess.run(["node", walk], env=env, timeout=900)
        if result.returncode != 0:
            print("the server's last log lines:\n" + "\n".join(self.server.stderr_lines[-60:]))
        self.assertEqual(result.returncode, 0, "the browser walk failed (its output is above)")
        if not os.environ.get("MAILCAST_E2E_SHOTS"):
            shutil.rmtree(shots, ignore_errors=True)


if __name__ == "__main__":
    unittest.main()
