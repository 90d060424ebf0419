"""TLS and AUTH against real SMTP servers on 127.0.0.1 (aiosmtpd with a test CA): STARTTLS
required and opportunistic through libesmtp, implicit TLS (smtps, port-465 style) through
libcurl, certificate checks, and AUTH PLAIN/LOGIN."""
import os
import ssl
import subprocess
import unittest

from aiosmtpd.smtp import AuthResult, LoginPassword

from mail_peer import SmtpPeer, send_test, temp_dir, write_config


def make_certificate(directory):
    key, cert = os.path.join(directory, "tls-key.pem"), os.path.join(directory, "tls-cert.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
                    "-out", cert, "-days", "1", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
                   check=True, capture_output=True)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return cert, context


def authenticator(server, session, envelope, mechanism, auth_data):
    ok = (isinstance(auth_data, LoginPassword) and auth_data.login == b"mailer"
          and auth_data.password == b"s3cret pass")
    return AuthResult(success=ok, auth_data=auth_data.login if ok else None)


class TlsTest(unittest.TestCase):
    def setUp(self):
        self.tmp = temp_dir()
        self.dir = self.tmp.name
        self.cert, self.context = make_certificate(self.dir)
        self.peers = []

    def tearDown(self):
        for peer in self.peers:
            peer.__exit__(None, None, None)
        self.tmp.cleanup()

    def peer(self, **kwargs):
        peer = SmtpPeer(**kwargs).__enter__()
        self.peers.append(peer)
        return peer

    def relay(self, peer, tls, host="localhost", ca=True, auth=None):
        lines = ["[smtp.test]", f"host = {host}", f"port = {peer.port}", f"tls = {tls}",
                 "timeout = 5"]
        if ca:
            lines.append(f"ca_file = {self.cert}")
        if auth:
            lines += [f"username = {auth[0]}", f"password = {auth[1]}"]
        return write_config(self.dir, None, extra="\n".join(lines) + "\n")

    def test_required_starttls_delivers_over_tls(self):
        peer = self.peer(tls_context=self.context, require_starttls=True)
        status, results, out, err = send_test(self.relay(peer, "starttls"), "--to",
                                              "a@example.org,b@example.org")
        self.assertEqual(status, 0, out + err)
        self.assertEqual([r["result"] for r in results], ["sent", "sent"])
        self.assertEqual(peer.recorder.sessions, [(True, None), (True, None)])

    def test_required_starttls_refuses_a_certificate_for_another_name(self):
        peer = self.peer(tls_context=self.context, require_starttls=True)
        # the certificate names localhost; 127.0.0.1 is not among its DNS names
        status, results, out, err = send_test(self.relay(peer, "starttls", host="127.0.0.1"),
                                              "--to", "a@example.org")
        self.assertEqual(results[0]["result"], "temporary", out + err)
        self.assertEqual(peer.recorder.messages, [])

    def test_required_starttls_refuses_an_untrusted_certificate(self):
        peer = self.peer(tls_context=self.context, require_starttls=True)
        status, results, out, err = send_test(self.relay(peer, "starttls", ca=False),
                                              "--to", "a@example.org")
        self.assertEqual(results[0]["result"], "temporary", out + err)
        self.assertEqual(peer.recorder.messages, [])

    def test_required_starttls_sends_nothing_when_the_relay_lacks_it(self):
        peer = self.peer()
        status, results, out, err = send_test(self.relay(peer, "starttls"), "--to",
                                              "a@example.org")
        self.assertEqual(results[0]["result"], "temporary", out + err)
        self.assertEqual(peer.recorder.messages, [])

    def test_opportunistic_tls_encrypts_without_a_trusted_certificate(self):
        peer = self.peer(tls_context=self.context)
        status, results, out, err = send_test(self.relay(peer, "opportunistic", ca=False),
                                              "--to", "a@example.org")
        self.assertEqual(results[0]["result"], "sent", out + err)
        self.assertEqual(peer.recorder.sessions, [(True, None)])

    def test_starttls_with_auth_login_or_plain(self):
        peer = self.peer(tls_context=self.context, require_starttls=True,
                         authenticator=authenticator, auth_required=True)
        status, results, out, err = send_test(
            self.relay(peer, "starttls", auth=("mailer", "s3cret pass")), "--to", "a@example.org")
        self.assertEqual(results[0]["result"], "sent", out + err)
        self.assertEqual(peer.recorder.sessions, [(True, b"mailer")])

    def test_wrong_password_delivers_nothing_and_is_temporary(self):
        peer = self.peer(tls_context=self.context, require_starttls=True,
                         authenticator=authenticator, auth_required=True)
        status, results, out, err = send_test(
            self.relay(peer, "starttls", auth=("mailer", "wrong")), "--to", "a@example.org")
        # a relay refusing our credentials is not the recipient's fault: never a bounce
        self.assertEqual(results[0]["result"], "temporary", out + err)
        self.assertIn("authentication", results[0]["text"])
        self.assertEqual(peer.recorder.messages, [])

    def test_implicit_tls_through_libcurl_with_per_recipient_results(self):
        peer = self.peer(ssl_context=self.context)
        status, results, out, err = send_test(
            self.relay(peer, "implicit"), "--to",
            "a@example.org,rcpt550@example.org,rcpt450@example.org,b@example.org")
        self.assertEqual([(r["result"], r["code"], r["status"]) for r in results],
                         [("sent", "250", "2.0.0"), ("permanent", "550", "5.1.1"),
                          ("temporary", "450", "4.2.1"), ("sent", "250", "2.0.0")], out + err)
        self.assertIn("No such user", results[1]["text"])
        self.assertEqual(len(peer.recorder.messages), 2)
        self.assertTrue(all(tls for tls, _ in peer.recorder.sessions))

    def test_implicit_tls_tells_a_reply_lost_after_the_data(self):
        peer = self.peer(ssl_context=self.context)
        status, results, out, err = send_test(
            self.relay(peer, "implicit"), "--to", "lostreply@example.org,rcpt450@example.org")
        self.assertEqual([(r["result"], r["maybe_delivered"]) for r in results],
                         [("temporary", "yes"), ("temporary", "no")], out + err)

    def test_implicit_tls_with_auth(self):
        peer = self.peer(ssl_context=self.context, authenticator=authenticator,
                         auth_required=True, auth_require_tls=False)
        status, results, out, err = send_test(
            self.relay(peer, "implicit", auth=("mailer", "s3cret pass")), "--to", "a@example.org")
        self.assertEqual(results[0]["result"], "sent", out + err)
        self.assertEqual(peer.recorder.sessions[0][1], b"mailer")

    def test_implicit_tls_wrong_password_is_temporary(self):
        peer = self.peer(ssl_context=self.context, authenticator=authenticator,
                         auth_required=True, auth_require_tls=False)
        status, results, out, err = send_test(
            self.relay(peer, "implicit", auth=("mailer", "wrong")), "--to", "a@example.org")
        self.assertEqual(results[0]["result"], "temporary", out + err)
        self.assertEqual(peer.recorder.messages, [])

    def test_implicit_tls_refuses_an_untrusted_certificate(self):
        peer = self.peer(ssl_context=self.context)
        status, results, out, err = send_test(self.relay(peer, "implicit", ca=False), "--to",
                                              "a@example.org")
        self.assertEqual(results[0]["result"], "temporary", out + err)
        self.assertEqual(peer.recorder.messages, [])


if __name__ == "__main__":
    unittest.main()
