"""Messages sent by `mailcast send-test` to a real SMTP server (aiosmtpd on 127.0.0.1):
they parse without defects in Python's email package, DKIM (rsa-sha256, ed25519-sha256, both)
verifies with dkimpy and with libopendkim, non-ASCII
text round-trips, bulk headers are right, and CR/LF in any input never makes a header."""
import email
import email.policy
import os
import re
import unittest

import dkim

from mail_peer import DkimKey, SmtpPeer, send_test, temp_dir, verify_dkim, write_config

UNSUBSCRIBE = "https://lists.example.com/u/abc123?l=7"


def parse(data):
    return email.message_from_bytes(data, policy=email.policy.default)


def all_defects(msg):
    found = []
    for part in msg.walk():
        found += [(part.get_content_type(), d) for d in part.defects]
        for name, value in part.items():
            found += [(name, d) for d in getattr(value, "defects", ())]
    return found


class DeliveryTest(unittest.TestCase):
    def setUp(self):
        self.tmp = temp_dir()
        self.dir = self.tmp.name
        self.peer = SmtpPeer().__enter__()

    def tearDown(self):
        self.peer.__exit__(None, None, None)
        self.tmp.cleanup()

    def send(self, *args, dkim_key=None, algorithm="rsa-sha256", ed25519_key=None):
        dkim = ("s1", dkim_key.path, algorithm) if dkim_key else None
        if ed25519_key:
            dkim += ("e1", ed25519_key.path)
        cfg = write_config(self.dir, self.peer.port, dkim=dkim)
        status, results, out, err = send_test(cfg, *args)
        return status, results, out, err

    def received(self):
        self.assertEqual(len(self.peer.recorder.messages), 1)
        return self.peer.recorder.messages[0]

    def test_message_parses_without_defects_and_round_trips_unicode(self):
        subject = "Größere Rabatte für Zürich 😀 — jetzt, nur heute, solange der Vorrat reicht!"
        status, results, out, err = self.send(
            "--to", "ann@example.org", "--subject", subject, "--from-name", "Zoë „News“ Ünal",
            "--to-name", "Ann O'Neil, Jr.", "--list-id", "news.example.com",
            "--list-name", "Nëwsletter", "--unsubscribe-url", UNSUBSCRIBE)
        self.assertEqual(status, 0, out + err)
        self.assertEqual(results[0]["result"], "sent")
        self.assertEqual(results[0]["code"], "250")
        _, _, data = self.received()
        msg = parse(data)
        self.assertEqual(all_defects(msg), [])
        self.assertEqual(str(msg["Subject"]), subject)
        self.assertEqual(msg["From"].addresses[0].display_name, "Zoë „News“ Ünal")
        self.assertEqual(msg["From"].addresses[0].addr_spec, "news@example.com")
        self.assertEqual(msg["To"].addresses[0].display_name, "Ann O'Neil, Jr.")
        self.assertEqual(msg.get_content_type(), "multipart/alternative")
        plain = msg.get_body(("plain",)).get_content()
        html = msg.get_body(("html",)).get_content()
        self.assertIn("mail layer (https://example.com/docs/mail)", plain)
        self.assertIn("<h1>mailcast test message</h1>", html)
        self.assertNotIn("<", plain)
        self.assertIn(b"\r\n", data)
        self.assertNotRegex(data, rb"[^\r]\n")
        for line in data.split(b"\r\n"):
            self.assertLessEqual(len(line), 78, line)
        self.assertRegex(msg["Message-ID"], r"^<[0-9a-f]{32}@example\.com>$")
        self.assertIsNotNone(msg["Date"].datetime)
        self.assertEqual(msg["MIME-Version"], "1.0")

    def test_one_click_unsubscribe_list_id_and_feedback_headers(self):
        status, _, out, err = self.send(
            "--to", "ann@example.org", "--unsubscribe-url", UNSUBSCRIBE,
            "--unsubscribe-mailto", "unsubscribe@example.com", "--list-id", "news.example.com",
            "--feedback-id", "c42:l7:campaign:mailcast")
        self.assertEqual(status, 0, out + err)
        _, _, data = self.received()
        msg = parse(data)
        self.assertEqual(msg["List-Unsubscribe-Post"], "List-Unsubscribe=One-Click")
        urls = re.findall(r"<([^>]*)>", str(msg["List-Unsubscribe"]))
        self.assertEqual(urls, [UNSUBSCRIBE, "mailto:unsubscribe@example.com?subject=unsubscribe"])
        self.assertEqual(msg["List-Id"], "<news.example.com>")
        self.assertEqual(msg["Feedback-ID"], "c42:l7:campaign:mailcast")

    def test_envelope_sender_is_the_verp_address_of_the_message(self):
        status, results, out, err = self.send("--to", "ann@example.org")
        self.assertEqual(status, 0, out + err)
        mail_from, rcpts, data = self.received()
        self.assertEqual(rcpts, ["ann@example.org"])
        token = results[0]["message_id"][1:33]
        self.assertEqual(mail_from, f"bounces+{token}@example.com")

    def test_rsa_dkim_signature_verifies_with_dkimpy(self):
        key = DkimKey(self.dir, "rsa")
        status, _, out, err = self.send("--to", "ann@example.org", "--subject", "Signé ✓",
                                        "--unsubscribe-url", UNSUBSCRIBE, dkim_key=key)
        self.assertEqual(status, 0, out + err)
        _, _, data = self.received()
        self.assertTrue(data.startswith(b"DKIM-Signature: "))
        sig = parse(data)["DKIM-Signature"]
        self.assertIn("a=rsa-sha256", sig)
        self.assertIn("c=relaxed/relaxed", sig)
        signed = re.search(r"(?:^|;)h=([^;]*)", re.sub(r"\s", "", str(sig))).group(1).lower().split(":")
        for field in ["from", "to", "subject", "date", "message-id", "mime-version",
                      "content-type", "list-unsubscribe", "list-unsubscribe-post"]:
            self.assertIn(field, signed)
        self.assertTrue(dkim.verify(data, dnsfunc=key.dnsfunc("s1", "example.com")))
        passed, report = verify_dkim(data, [(key, "s1")])
        self.assertTrue(passed, report)
        tampered = data.replace(b"mailcast test message", b"mailcast test messagE", 1)
        self.assertNotEqual(tampered, data)
        self.assertFalse(dkim.verify(tampered, dnsfunc=key.dnsfunc("s1", "example.com")))
        passed, report = verify_dkim(tampered, [(key, "s1")])
        self.assertFalse(passed, report)

    def test_ed25519_dkim_signature_verifies_with_both_verifiers(self):
        key = DkimKey(self.dir, "ed25519")
        status, _, out, err = self.send("--to", "ann@example.org", "--subject", "Signé ✓",
                                        dkim_key=key, algorithm="ed25519-sha256")
        self.assertEqual(status, 0, out + err)
        _, _, data = self.received()
        sig = parse(data)["DKIM-Signature"]
        self.assertIn("a=ed25519-sha256", sig)
        self.assertIn("s=s1", sig)
        self.assertTrue(dkim.verify(data, dnsfunc=key.dnsfunc("s1", "example.com")))
        passed, report = verify_dkim(data, [(key, "s1")])
        self.assertTrue(passed, report)
        self.assertEqual(report.count(" pass"), 2, report)

    def test_domain_with_both_keys_gets_both_signatures_rsa_first(self):
        rsa, ed = DkimKey(self.dir, "rsa"), DkimKey(self.dir, "ed25519")
        status, _, out, err = self.send("--to", "ann@example.org", "--subject", "Zwei Signaturen",
                                        "--from-name", "Zoë", "--unsubscribe-url", UNSUBSCRIBE,
                                        dkim_key=rsa, ed25519_key=ed)
        self.assertEqual(status, 0, out + err)
        _, _, data = self.received()
        sigs = parse(data).get_all("DKIM-Signature")
        self.assertEqual(len(sigs), 2)
        self.assertIn("a=rsa-sha256", sigs[0])
        self.assertIn("a=ed25519-sha256", sigs[1])
        # the same fields, signed and over-signed, in both
        h = [re.search(r"(?:^|;)h=([^;]*)", re.sub(r"\s", "", str(s))).group(1) for s in sigs]
        self.assertEqual(h[0], h[1])
        passed, report = verify_dkim(data, [(rsa, "s1"), (ed, "e1")])
        self.assertTrue(passed, report)
        self.assertEqual(report.count(" pass"), 4, report)
        d = dkim.DKIM(data)
        for idx, (key, selector) in enumerate([(rsa, "s1"), (ed, "e1")]):
            self.assertTrue(d.verify(idx=idx, dnsfunc=key.dnsfunc(selector, "example.com")))

    def test_an_rsa_key_under_algorithm_ed25519_stops_start_up_naming_its_line(self):
        key = DkimKey(self.dir, "rsa")
        status, results, out, err = self.send("--to", "ann@example.org", dkim_key=key,
                                              algorithm="ed25519-sha256")
        self.assertEqual(status, 2, out + err)
        # write_config: [dkim.example.com] is line 12, private_key_file line 14
        self.assertRegex(err, r"mailcast\.ini:14: algorithm ed25519-sha256 needs an Ed25519 key, "
                              r"and this key is an RSA key")
        self.assertEqual(results, [])
        self.assertEqual(self.peer.recorder.messages, [])

    def test_dkim_verifies_on_awkward_bodies_and_folded_headers(self):
        key, ed = DkimKey(self.dir, "rsa"), DkimKey(self.dir, "ed25519")
        html = os.path.join(self.dir, "awkward.html")
        text = os.path.join(self.dir, "awkward.txt")
        with open(html, "w") as f:
            f.write("<p>Trailing spaces   \t</p>\n\n\n<p>\tTabs\tand  runs</p>\n"
                    + "<p>" + "x" * 3000 + "</p>\n.\n..leading dots\n\n\n\n")
        with open(text, "w") as f:
            f.write("line with trailing space \nfrom here\r\n\r\n\tindented\n\n\n\n")
        status, _, out, err = self.send(
            "--to", "ann@example.org", "--html-file", html, "--text-file", text,
            "--subject", "A very long subject line that needs folding over several lines "
            "because it goes on and on — with ünïcödé too",
            "--header", "X-Campaign-Tag:   spaced    value  ", "--from-name", "Zoë",
            "--unsubscribe-url", UNSUBSCRIBE, "--unsubscribe-mailto", "u@example.com",
            dkim_key=key, ed25519_key=ed)
        self.assertEqual(status, 0, out + err)
        _, _, data = self.received()
        self.assertEqual(all_defects(parse(data)), [])
        self.assertTrue(dkim.verify(data, dnsfunc=key.dnsfunc("s1", "example.com")))
        passed, report = verify_dkim(data, [(key, "s1"), (ed, "e1")])
        self.assertTrue(passed, report)

    def test_attachment_with_non_ascii_name_round_trips(self):
        payload = os.urandom(5000)
        path = os.path.join(self.dir, "report.bin")
        with open(path, "wb") as f:
            f.write(payload)
        status, _, out, err = self.send("--to", "ann@example.org", "--attach", path,
                                        "--attach-name", "Jahresbericht Übersicht 2026 — "
                                        "endgültige Fassung für den Vorstand.pdf",
                                        "--attach-type", "application/pdf")
        self.assertEqual(status, 0, out + err)
        _, _, data = self.received()
        msg = parse(data)
        self.assertEqual(all_defects(msg), [])
        self.assertEqual(msg.get_content_type(), "multipart/mixed")
        attachments = list(msg.iter_attachments())
        self.assertEqual(len(attachments), 1)
        self.assertEqual(attachments[0].get_filename(), "Jahresbericht Übersicht 2026 — "
                         "endgültige Fassung für den Vorstand.pdf")
        self.assertEqual(attachments[0].get_content(), payload)
        for line in data.split(b"\r\n"):
            self.assertLessEqual(len(line), 78)

    def test_line_breaks_in_any_field_never_become_headers(self):
        evil_values = ["Hi\r\nX-Injected: yes", "Hi\nX-Injected: yes", "Hi\rX-Injected: yes"]
        options = [("--subject", "subject"), ("--from-name", "from.name"),
                   ("--to-name", "to.name"), ("--list-name", "list_name"),
                   ("--header", "headers[0]")]
        for evil in evil_values:
            for option, field in options:
                value = "X-Campaign: " + evil if option == "--header" else evil
                extra = ["--list-id", "news.example.com"] if option == "--list-name" else []
                status, _, out, err = self.send("--to", "ann@example.org", option, value, *extra)
                self.assertEqual(status, 2, (option, out, err))
                self.assertIn(field, err)
        attachment = os.path.join(self.dir, "a.txt")
        with open(attachment, "w") as f:
            f.write("x")
        for option, value, *extra in [
                ("--attach-name", "a.txt\r\nX-Injected: yes", "--attach", attachment),
                ("--from", "news@example.com\r\nX-Injected: yes"),
                ("--feedback-id", "a:b\r\nX-Injected: yes"),
                ("--unsubscribe-mailto", "u@example.com\r\nX-Injected: yes")]:
            status, _, out, err = self.send("--to", "ann@example.org", option, value, *extra)
            self.assertEqual(status, 2, (option, out, err))
        for option, value in [("--to", "ann@example.org\r\nX-Injected: yes"),
                              ("--unsubscribe-url", "https://x.example/\r\nX-Injected: yes"),
                              ("--header", "X-Bad\r\nX-Injected: yes"),
                              ("--header", "Bcc: victim@example.net"),
                              ("--list-id", "a.b\r\nX-Injected: yes")]:
            status, _, out, err = self.send("--to", "ann@example.org", option, value)
            self.assertEqual(status, 2, (option, out, err))
        self.assertEqual(self.peer.recorder.messages, [])

    def test_sessions_carry_at_most_messages_per_connection(self):
        config = write_config(self.dir, self.peer.port, extra="messages_per_connection = 2\n")
        status, results, out, err = send_test(config, "--to", "ann@example.org", "--count", "5")
        self.assertEqual(status, 0, out + err)
        self.assertEqual(len(self.peer.recorder.messages), 5)
        self.assertEqual(self.peer.recorder.mail_sessions, 3)

    def test_many_messages_share_one_connection_with_per_recipient_results(self):
        status, results, out, err = self.send(
            "--to", "ann@example.org,rcpt550@example.org,bob@example.org", "--count", "3")
        self.assertEqual(status, 1, out + err)
        self.assertEqual([r["result"] for r in results],
                         ["sent"] * 3 + ["permanent"] * 3 + ["sent"] * 3)
        self.assertEqual(len(self.peer.recorder.messages), 6)
        self.assertEqual(self.peer.recorder.mail_sessions, 1)
        ids = {r["message_id"] for r in results}
        self.assertEqual(len(ids), 9)


if __name__ == "__main__":
    unittest.main()
