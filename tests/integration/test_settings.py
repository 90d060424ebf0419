"""Settings an admin reads and checks: the SMTP relays with a connection test against real SMTP
peers (aiosmtpd: plain with AUTH, STARTTLS with a test CA, refused AUTH, nothing listening),
the DKIM records to publish, and each user's own dashboard language."""

import base64
import os
import subprocess
import tempfile
import unittest

from aiosmtpd.smtp import AuthResult, LoginPassword

from harness import PgCluster, ServerTestCase
from mail_peer import SmtpPeer, free_port, write_config
from test_mail_tls import make_certificate

cluster = None


def setUpModule():
    global cluster
    cluster = PgCluster()


def tearDownModule():
    cluster.destroy()


def authenticator(server, session, envelope, mechanism, auth_data):
    ok = (isinstance(auth_data, LoginPassword) and auth_data.login == b"mailer"
          and auth_data.password == b"s3cret pass")
    # handled=False: aiosmtpd answers a refusal with 535 (its default is to answer nothing)
    return AuthResult(success=ok, handled=False, auth_data=auth_data.login if ok else None)


def rsa_key(path):
    """An RSA key made by openssl genrsa, and its public half as `openssl rsa -pubout` writes it
    (base64 DER without the PEM lines)."""
    subprocess.run(["openssl", "genrsa", "-out", path, "2048"], check=True, capture_output=True)
    pem = subprocess.run(["openssl", "rsa", "-in", path, "-pubout"], check=True,
                         capture_output=True, text=True).stdout
    return "".join(line for line in pem.splitlines() if not line.startswith("-----"))


def ed25519_key(path):
    """An Ed25519 key made by openssl genpkey, and its public half as a DKIM record's p= holds
    it (RFC 8463: base64 of the raw 32 bytes, the end of the DER SubjectPublicKeyInfo)."""
    subprocess.run(["openssl", "genpkey", "-algorithm", "ed25519", "-out", path], check=True,
                   capture_output=True)
    der = subprocess.run(["openssl", "pkey", "-in", path, "-pubout", "-outform", "DER"],
                         check=True, capture_output=True).stdout
    return base64.b64encode(der[-32:]).decode()


class SettingsTest(ServerTestCase, unittest.TestCase):
    cluster_of = staticmethod(lambda: cluster)

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix="mailcast-settings-")
        d = cls.tmp.name
        os.chmod(d, 0o755)
        cert, context = make_certificate(d)
        cls.plain = SmtpPeer(authenticator=authenticator, auth_require_tls=False).__enter__()
        cls.tls = SmtpPeer(tls_context=context, require_starttls=True,
                           authenticator=authenticator, auth_required=True).__enter__()
        cls.nobody_port = free_port()
        cls.public_com = rsa_key(os.path.join(d, "com.pem"))
        rsa_key(os.path.join(d, "org.pem"))
        # the Ed25519 key next to example.com's RSA key
        cls.public_com_ed = ed25519_key(os.path.join(d, "com-ed.pem"))
        relays = f"""[smtp.primary]
host = 127.0.0.1
port = {cls.plain.port}
tls = off
username = mailer
password = s3cret pass
group = bulk
weight = 3
timeout = 5
[smtp.secure]
host = localhost
port = {cls.tls.port}
tls = starttls
ca_file = {cert}
username = mailer
password = s3cret pass
timeout = 5
[smtp.wrongpass]
host = 127.0.0.1
port = {cls.plain.port}
tls = off
username = mailer
password = not it
timeout = 5
[smtp.nobody]
host = 127.0.0.1
port = {cls.nobody_port}
tls = off
timeout = 2
[dkim.example.com]
selector = mail2026
private_key_file = {d}/com.pem
ed25519_selector = mail2026e
ed25519_key_file = {d}/com-ed.pem
[dkim.example.org]
selector = old
private_key_file = {d}/org.pem
"""
        config = write_config(d, None, extra=relays)
        cls.server_env = {"MAILCAST_CONFIG": config}
        super().setUpClass()
        # a key file that goes away after start-up is shown with the error reading it
        os.remove(os.path.join(d, "org.pem"))
        cls.admin = cls.server.client()
        assert cls.admin.login("admin@localhost", cls.server.admin_password).status == 200

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        cls.plain.__exit__(None, None, None)
        cls.tls.__exit__(None, None, None)
        cls.tmp.cleanup()

    def test_relays_are_listed_with_their_settings_and_never_their_passwords(self):
        r = self.admin.request("GET", "/api/v1/settings/relays")
        self.assertEqual(r.status, 200, r)
        self.assertNotIn("s3cret", r.body)
        self.assertNotIn("not it", r.body)
        body = r.json()
        self.assertEqual(body["transport"], "smtp")
        relays = {x["name"]: x for x in body["relays"]}
        self.assertEqual(list(relays), ["primary", "secure", "wrongpass", "nobody"])
        p = relays["primary"]
        self.assertEqual((p["host"], p["port"], p["tls"], p["username"], p["group"], p["weight"]),
                         ("127.0.0.1", self.plain.port, "off", "mailer", "bulk", 3))
        self.assertNotIn("password", p)
        self.assertEqual((relays["nobody"]["username"], relays["secure"]["tls"]), (None, "starttls"))

    def test_a_working_relay_answers_ok_after_auth_and_no_mail_is_sent(self):
        before = len(self.plain.recorder.messages)
        r = self.admin.request("POST", "/api/v1/settings/relays/primary/test")
        self.assertEqual(r.status, 200, r)
        result = r.json()
        self.assertEqual((result["ok"], result["stage"], result["code"]), (True, "done", 250), result)
        self.assertGreaterEqual(result["elapsed_ms"], 0)
        self.assertEqual(len(self.plain.recorder.messages), before)
        self.assertEqual(self.plain.recorder.mail_sessions, 0)

    def test_starttls_with_the_relays_ca_file_and_auth_answers_ok(self):
        r = self.admin.request("POST", "/api/v1/settings/relays/secure/test")
        self.assertEqual(r.status, 200, r)
        self.assertEqual((r.json()["ok"], r.json()["stage"]), (True, "done"), r)

    def test_a_refused_login_names_the_auth_stage_and_the_relays_reply(self):
        r = self.admin.request("POST", "/api/v1/settings/relays/wrongpass/test")
        self.assertEqual(r.status, 200, r)
        result = r.json()
        self.assertEqual((result["ok"], result["stage"], result["code"]), (False, "auth", 535), result)
        self.assertIn("535", result["reply"])

    def test_a_relay_with_nothing_listening_names_the_connect_stage(self):
        r = self.admin.request("POST", "/api/v1/settings/relays/nobody/test")
        self.assertEqual(r.status, 200, r)
        result = r.json()
        self.assertEqual((result["ok"], result["stage"], result["code"]), (False, "connect", 0), result)
        self.assertTrue(result["reply"], result)

    def test_an_unknown_relay_is_404_naming_name(self):
        r = self.admin.request("POST", "/api/v1/settings/relays/nope/test")
        self.assertEqual((r.status, r.json()["error"]["field"]), (404, "name"), r)

    def test_dkim_records_carry_the_public_key_openssl_derives(self):
        r = self.admin.request("GET", "/api/v1/settings/dkim")
        self.assertEqual(r.status, 200, r)
        items = {x["domain"]: x for x in r.json()["items"] if x["algorithm"] == "rsa-sha256"}
        com = items["example.com"]
        self.assertEqual((com["selector"], com["algorithm"], com["record_name"]),
                         ("mail2026", "rsa-sha256", "mail2026._domainkey.example.com"))
        self.assertEqual(com["txt"], "v=DKIM1; k=rsa; p=" + self.public_com)
        self.assertIsNone(com["error"])
        self.assertEqual("".join(com["txt_strings"]), com["txt"])
        self.assertTrue(all(len(s.encode()) <= 255 for s in com["txt_strings"]))
        self.assertGreater(len(com["txt_strings"]), 1)  # a 2048-bit key does not fit one string
        self.assertTrue(com["zone"].startswith('mail2026._domainkey.example.com. IN TXT ( "v=DKIM1;'))
        base64.b64decode(com["txt"].split("p=")[1], validate=True)
        org = items["example.org"]
        self.assertIsNone(org["txt"])
        self.assertIn("org.pem", org["error"])

    def test_a_domain_with_two_keys_has_a_record_for_each(self):
        items = self.admin.request("GET", "/api/v1/settings/dkim").json()["items"]
        self.assertEqual([(x["domain"], x["selector"], x["algorithm"]) for x in items],
                         [("example.com", "mail2026", "rsa-sha256"),
                          ("example.com", "mail2026e", "ed25519-sha256"),
                          ("example.org", "old", "rsa-sha256")])
        ed = items[1]
        self.assertEqual(ed["record_name"], "mail2026e._domainkey.example.com")
        self.assertEqual(ed["txt"], "v=DKIM1; k=ed25519; p=" + self.public_com_ed)
        self.assertEqual(ed["txt_strings"], [ed["txt"]])
        self.assertIsNone(ed["error"])

    def test_users_choose_their_language_and_the_user_list_shows_it(self):
        r = self.admin.request("POST", "/api/v1/users", {"email": "lectora@example.com", "password": "contraseña-larga", "role": "viewer"})
        self.assertEqual(r.status, 201, r)
        self.assertIsNone(r.json()["language"])
        viewer = self.server.client()
        self.assertEqual(viewer.login("lectora@example.com", "contraseña-larga").status, 200)
        r = viewer.request("PATCH", "/api/v1/auth/me", {"language": "ru"})
        self.assertEqual((r.status, r.json()["user"]["language"]), (200, "ru"), r)
        self.assertEqual(viewer.request("GET", "/api/v1/auth/me").json()["user"]["language"], "ru")
        users = self.admin.request("GET", "/api/v1/users").json()["items"]
        self.assertEqual([u["language"] for u in users if u["email"] == "lectora@example.com"], ["ru"])
        # a new login answers the user with the language, so the dashboard applies it at once
        again = self.server.client()
        self.assertEqual(again.login("lectora@example.com", "contraseña-larga").json()["user"]["language"], "ru")
        r = viewer.request("PATCH", "/api/v1/auth/me", {"language": None})
        self.assertEqual((r.status, r.json()["user"]["language"]), (200, None), r)

    def test_an_unknown_language_is_refused_naming_language(self):
        for bad in ["xx", "RU", "", 7, "ru-RU"]:
            r = self.admin.request("PATCH", "/api/v1/auth/me", {"language": bad})
            self.assertEqual((r.status, r.json()["error"]["field"]), (400, "language"), r)
        self.assertIn("es", r.json()["error"]["message"])
        r = self.admin.request("PATCH", "/api/v1/auth/me", {})
        self.assertEqual((r.status, r.json()["error"]["field"]), (400, "language"), r)

    def test_a_token_has_no_language_to_change(self):
        r = self.admin.request("POST", "/api/v1/tokens", {"name": "script", "role": "viewer"})
        c = self.server.client()
        c.token = r.json()["token"]
        r = c.request("PATCH", "/api/v1/auth/me", {"language": "es"})
        self.assertEqual((r.status, r.json()["error"]["code"]), (400, "not_a_session"), r)


class CaptureSettingsTest(ServerTestCase, unittest.TestCase):
    cluster_of = staticmethod(lambda: cluster)

    def test_without_relays_the_capture_transport_and_its_outbox_are_named(self):
        admin = self.server.client()
        self.assertEqual(admin.login("admin@localhost", self.server.admin_password).status, 200)
        body = admin.request("GET", "/api/v1/settings/relays").json()
        self.assertEqual((body["transport"], body["relays"]), ("capture", []))
        self.assertEqual(body["outbox_dir"], self.server.data_dir + "/outbox")
        self.assertEqual(admin.request("GET", "/api/v1/settings/dkim").json(), {"items": []})
        r = admin.request("POST", "/api/v1/settings/relays/any/test")
        self.assertEqual(r.status, 404, r)


if __name__ == "__main__":
    unittest.main()
