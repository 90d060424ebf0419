"""Each SMTP failure a relay can produce, injected by a real SMTP server on 127.0.0.1, is
classified right by the libesmtp transport: 2xx sent, 4xx / dropped / stalled temporary,
5xx permanent; the process never crashes and never waits past the configured timeout."""
import os
import socket
import threading
import time
import unittest

from mail_peer import SmtpPeer, send_test, temp_dir, write_config

TIMEOUT = 2  # seconds, the relay's configured timeout


class FailureTest(unittest.TestCase):
    def setUp(self):
        self.tmp = temp_dir()
        self.dir = self.tmp.name
        self.peer = SmtpPeer().__enter__()
        self.config = write_config(self.dir, self.peer.port, timeout=TIMEOUT)

    def tearDown(self):
        self.peer.__exit__(None, None, None)
        self.tmp.cleanup()

    def one(self, recipient):
        status, results, out, err = send_test(self.config, "--to", recipient)
        self.assertEqual(len(results), 1, out + err)
        self.assertNotIn("AddressSanitizer", err)
        return status, results[0]

    def test_450_on_recipient_is_temporary_with_full_reply(self):
        status, r = self.one("rcpt450@example.org")
        self.assertEqual(status, 1)
        self.assertEqual((r["result"], r["code"], r["status"]), ("temporary", "450", "4.2.1"))
        self.assertIn("Mailbox busy", r["text"])

    def test_550_on_recipient_is_permanent(self):
        status, r = self.one("rcpt550@example.org")
        self.assertEqual((r["result"], r["code"], r["status"]), ("permanent", "550", "5.1.1"))
        self.assertIn("No such user", r["text"])

    def test_421_is_temporary(self):
        _, r = self.one("rcpt421@example.org")
        self.assertEqual((r["result"], r["code"]), ("temporary", "421"))

    def test_refused_sender_is_temporary_never_a_bounce(self):
        # the relay refuses our MAIL FROM: a sending-side problem, not the recipient's
        config = write_config(self.dir, self.peer.port, timeout=TIMEOUT)
        with open(config) as f:
            text = f.read().replace("bounce_address = bounces+{token}@example.com",
                                    "bounce_address = refused+{token}@example.com")
        with open(config, "w") as f:
            f.write(text)
        status, results, out, err = send_test(config, "--to", "a@example.org")
        self.assertEqual((results[0]["result"], results[0]["code"], results[0]["status"]),
                         ("temporary", "553", "5.7.1"), out + err)

    def test_550_after_data_is_permanent(self):
        _, r = self.one("data550@example.org")
        self.assertEqual((r["result"], r["code"], r["status"]), ("permanent", "550", "5.7.1"))

    def test_connection_dropped_during_data_is_temporary(self):
        _, r = self.one("dropdata@example.org")
        self.assertEqual(r["result"], "temporary")
        self.assertEqual(r["code"], "0")

    def test_a_reply_lost_after_the_data_is_temporary_and_maybe_delivered(self):
        _, r = self.one("lostreply@example.org")
        self.assertEqual((r["result"], r["code"], r["maybe_delivered"]), ("temporary", "0", "yes"))
        _, r = self.one("rcpt450@example.org")
        self.assertEqual((r["result"], r["maybe_delivered"]), ("temporary", "no"))

    def test_stalled_reply_is_temporary_within_the_timeout(self):
        started = time.monotonic()
        _, r = self.one("stall@example.org")
        elapsed = time.monotonic() - started
        self.assertEqual(r["result"], "temporary")
        # generous bound: catches a hang, not a slow machine
        self.assertLess(elapsed, 25)

    def test_failures_in_a_batch_do_not_spoil_the_other_messages(self):
        status, results, out, err = send_test(
            self.config, "--to",
            "a@example.org,rcpt450@example.org,b@example.org,data550@example.org,c@example.org")
        self.assertEqual([r["result"] for r in results],
                         ["sent", "temporary", "sent", "permanent", "sent"], out + err)
        self.assertEqual(len(self.peer.recorder.messages), 3)

    def test_refused_connection_is_temporary(self):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]  # bound, never listening: connections are refused
            config = write_config(os.path.join(self.dir), port, timeout=TIMEOUT)
            status, results, out, err = send_test(config, "--to", "a@example.org,b@example.org")
        self.assertEqual(status, 1)
        self.assertEqual([r["result"] for r in results], ["temporary", "temporary"])
        self.assertIn("relay test", err)

    def test_relay_that_never_answers_the_connection_fails_within_the_timeout(self):
        # a listener whose accept queue is full drops new SYNs: connect() would wait for the
        # kernel's retries (over two minutes) without the transport's own connect timeout
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        port = listener.getsockname()[1]
        fillers = []
        try:
            for _ in range(3):
                s = socket.socket()
                s.setblocking(False)
                s.connect_ex(("127.0.0.1", port))
                fillers.append(s)
            time.sleep(0.3)
            config = write_config(self.dir, port, timeout=TIMEOUT)
            started = time.monotonic()
            status, results, out, err = send_test(config, "--to", "a@example.org")
            self.assertLess(time.monotonic() - started, 25)
            self.assertEqual(results[0]["result"], "temporary", out + err)
            self.assertIn("relay test", err)
        finally:
            for s in fillers:
                s.close()
            listener.close()

    def test_421_greeting_is_temporary_with_its_reply(self):
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        listener.listen(4)
        listener.settimeout(30)

        def refuse():
            try:
                conn, _ = listener.accept()  # the transport's connect check
                conn.close()
                conn, _ = listener.accept()
                conn.sendall(b"421 4.3.2 Too busy, come back later\r\n")
                time.sleep(0.5)
                conn.close()
            except OSError:
                pass
        thread = threading.Thread(target=refuse, daemon=True)
        thread.start()
        try:
            config = write_config(self.dir, listener.getsockname()[1], timeout=TIMEOUT)
            status, results, out, err = send_test(config, "--to", "a@example.org")
            self.assertEqual((results[0]["result"], results[0]["code"], results[0]["status"]),
                             ("temporary", "421", "4.3.2"), out + err)
            self.assertIn("Too busy", results[0]["text"])
        finally:
            thread.join(35)
            listener.close()

    def test_silent_server_times_out_as_temporary(self):
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        listener.listen(4)
        accepted = []
        stop = threading.Event()

        def accept():
            listener.settimeout(0.2)
            while not stop.is_set():
                try:
                    accepted.append(listener.accept()[0])  # never greets
                except OSError:
                    pass
        thread = threading.Thread(target=accept, daemon=True)
        thread.start()
        try:
            config = write_config(self.dir, listener.getsockname()[1], timeout=TIMEOUT)
            started = time.monotonic()
            status, results, out, err = send_test(config, "--to", "a@example.org")
            self.assertLess(time.monotonic() - started, 25)
            self.assertEqual(results[0]["result"], "temporary", out + err)
        finally:
            stop.set()
            thread.join(5)
            for c in accepted:
                c.close()
            listener.close()


if __name__ == "__main__":
    unittest.main()
