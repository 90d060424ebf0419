"""Shared set-up for the tests that send campaigns: an SMTP peer on loopback, a server on a new
database whose relay it is, and a logged-in client."""

import email
import email.policy
import time

from audience_fixtures import AudienceCase
from harness import Server
from mail_peer import SmtpPeer, temp_dir, write_config


class SendingCase(AudienceCase):
    """One peer, database and server per test class; `self.config` is the server's file, which
    other processes on the same database may use. Subclasses may set `server_env`."""

    server_env = None

    @classmethod
    def setUpClass(cls):
        cls.peer = SmtpPeer().__enter__()
        cls.tmp = temp_dir()
        cls.dsn = cls.cluster.new_database()
        # A generous relay timeout: a reply that a busy machine delays past it is a failed
        # attempt (retried and counted), which would change the attempt counts and the copies
        # these tests assert. Timeouts themselves are tested with a peer that stalls
        # (test_mail_failures).
        cls.config = write_config(cls.tmp.name, cls.peer.port, timeout=30)
        cls.server = Server(dsn=cls.dsn, args=("--config", cls.config), extra_env=cls.server_env)
        cls.api = cls.server.client()
        assert cls.api.login("admin@localhost", cls.server.admin_password).status == 200

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        cls.peer.__exit__(None, None, None)
        cls.tmp.cleanup()

    def received(self):
        """{address: [parsed message, ...]} of everything the peer accepted so far"""
        with self.peer.recorder.lock:
            messages = list(self.peer.recorder.messages)
        out = {}
        for _, rcpts, data in messages:
            for rcpt in rcpts:
                out.setdefault(rcpt, []).append(
                    email.message_from_bytes(data, policy=email.policy.default))
        return out

    def send(self, campaign):
        r = self.api.request("POST", "/api/v1/campaigns/%d/send" % campaign["id"])
        self.assertEqual(r.status, 200, r)
        return r.json()

    def wait_state(self, campaign, state, timeout=90):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            got = self.api.request("GET", "/api/v1/campaigns/%d" % campaign["id"]).json()
            if got["state"] == state:
                return got
            time.sleep(0.2)
        self.fail("campaign %d never became %s (is %s)" % (campaign["id"], state, got["state"]))
