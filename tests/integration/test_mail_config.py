"""Mail configuration at start-up, through `mailcast send-test`: no relay means the capture
outbox (and says so), and a bad [smtp.NAME], [dkim.DOMAIN] or [mail] value stops with
FILE:LINE and exit status 2."""
import email
import email.policy
import os
import re
import unittest

from mail_peer import send_test, temp_dir, write_config


class ConfigTest(unittest.TestCase):
    def setUp(self):
        self.tmp = temp_dir()
        self.dir = self.tmp.name

    def tearDown(self):
        self.tmp.cleanup()

    def test_without_relay_messages_are_captured_in_the_outbox(self):
        status, results, out, err = send_test(write_config(self.dir), "--to",
                                              "ann@example.org", "--subject", "Captured ✓")
        self.assertEqual(status, 0, out + err)
        outbox = os.path.join(self.dir, "var", "outbox")
        self.assertIn(f"messages are captured in {outbox}", out)
        self.assertIn("no [smtp.*] relay configured", err)
        files = os.listdir(outbox)
        self.assertEqual(len(files), 1)
        self.assertRegex(files[0], r"^\d{8}T\d{6}\.\d{6}Z-[0-9a-f]{32}-\d{6}\.eml$")
        self.assertIn(files[0], results[0]["text"])
        with open(os.path.join(outbox, files[0]), "rb") as f:
            msg = email.message_from_bytes(f.read(), policy=email.policy.default)
        self.assertEqual(str(msg["Subject"]), "Captured ✓")
        self.assertEqual([d for part in msg.walk() for d in part.defects], [])

    def assert_config_error(self, extra, line_pattern, *args):
        config = write_config(self.dir, extra=extra)
        status, results, out, err = send_test(config, "--to", "ann@example.org", *args)
        self.assertEqual(status, 2, out + err)
        self.assertRegex(err, line_pattern)
        self.assertEqual(results, [])
        self.assertFalse(os.path.exists(os.path.join(self.dir, "var", "outbox")))

    def test_bad_tls_mode_names_its_line(self):
        # write_config writes 5 lines before extra
        self.assert_config_error("[smtp.main]\nhost = 127.0.0.1\ntls = maybe\n",
                                 r"mailcast\.ini:8: \[smtp\.main\] tls")

    def test_relay_without_host_names_its_section(self):
        # the section is located at its first key
        self.assert_config_error("[smtp.main]\nport = 25\n", r"mailcast\.ini:7: \[smtp\.main\]")

    def test_unreadable_dkim_key_names_its_line(self):
        self.assert_config_error("[dkim.example.com]\nselector = s1\n"
                                 "private_key_file = /nonexistent/key.pem\n",
                                 r"mailcast\.ini:8: cannot read /nonexistent/key\.pem")

    def test_dkim_key_of_the_wrong_type_is_refused(self):
        path = os.path.join(self.dir, "not-a-key.pem")
        with open(path, "w") as f:
            f.write("-----BEGIN PRIVATE KEY-----\nnot base64\n-----END PRIVATE KEY-----\n")
        self.assert_config_error(f"[dkim.example.com]\nselector = s1\nprivate_key_file = {path}\n",
                                 r"mailcast\.ini:8: .*not a PEM private key")

    def config_with(self, pattern, replacement):
        """write_config's file with pattern replaced"""
        config = write_config(self.dir)
        with open(config) as f:
            text = f.read()
        with open(config, "w") as f:
            f.write(re.sub(pattern, replacement, text))
        return config

    def test_bad_bounce_address_is_refused(self):
        config = self.config_with(r"bounce_address = .*", "bounce_address = bounces <{token}>")
        status, _, out, err = send_test(config, "--to", "ann@example.org")
        self.assertEqual(status, 2, out + err)
        self.assertIn("bounce_address", err)

    def test_without_a_from_address_it_names_the_setting(self):
        config = self.config_with(r"from_email = .*\n", "")
        status, results, out, err = send_test(config, "--to", "ann@example.org")
        self.assertEqual(status, 2, out + err)
        self.assertIn("no From address: set [mail] from_email in the configuration", err)
        self.assertIn("--from", err)
        self.assertEqual(results, [])
        status, results, out, err = send_test(config, "--to", "ann@example.org",
                                              "--from", "news@example.com")
        self.assertEqual((status, results[0]["result"]), (0, "sent"), out + err)


if __name__ == "__main__":
    unittest.main()
