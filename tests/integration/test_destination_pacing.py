"""Pacing per destination group against a receiver that throttles one domain: the SMTP peer
answers "421 4.7.0 Try again later" to gmail.com recipients once MOST of them arrived in the
last WINDOW seconds, and accepts every other domain. The campaign finishes with every message
sent and none failed (a throttled message is deferred without counting an attempt), gmail's
accepted rate settles under the peer's limit, example.org is not slowed, and the slow-down is
visible in the log, in /metrics and in the campaign's progress."""

import re
import threading
import time
import unittest

from audience_fixtures import AudienceCase
from campaign_fixtures import SendingCase
from harness import PgCluster, Server
from mail_peer import SmtpPeer, temp_dir, write_config

MOST, WINDOW = 4, 4.0  # the peer's limit for gmail.com: 60 a minute
GMAIL, OTHERS = 16, 16
CONFIGURED = 240.0  # four times what the peer takes

# gmail with a rate configured; corp.example with none: its slow-down starts from the rate
# observed
PACING = """[destination.gmail]
rate_per_minute = %g
min_rate_per_minute = 30
quiet_seconds = 4
max_connections = 2
messages_per_connection = 5
[destination.corp]
domains = corp.example
min_rate_per_minute = 30
quiet_seconds = 4
""" % CONFIGURED

LOG_LINE = re.compile(r'pacing: destination gmail: rate [0-9.]+/min → [0-9.]+/min after '
                      r'"421 4\.7\.0 Try again later"')


def setUpModule():
    AudienceCase.cluster = PgCluster()


def tearDownModule():
    AudienceCase.cluster.destroy()


class DestinationPacingTest(SendingCase):
    @classmethod
    def setUpClass(cls):
        cls.peer = SmtpPeer().__enter__()
        cls.peer.recorder.throttle = {"gmail.com": (MOST, WINDOW), "corp.example": (MOST, WINDOW)}
        cls.tmp = temp_dir()
        cls.dsn = cls.cluster.new_database()
        cls.config = write_config(cls.tmp.name, cls.peer.port, timeout=30, extra=PACING)
        # two attempts at most: a throttled message counted as an attempt would fail
        env = {"MAILCAST_QUEUE_BATCH_SIZE": "10", "MAILCAST_QUEUE_MAX_ATTEMPTS": "2",
               "MAILCAST_QUEUE_RETRY_BASE_SECONDS": "1", "MAILCAST_QUEUE_RETRY_MAX_SECONDS": "1"}
        cls.server = Server(dsn=cls.dsn, args=("--config", cls.config), extra_env=env)
        cls.api = cls.server.client()
        assert cls.api.login("admin@localhost", cls.server.admin_password).status == 200

    def metric(self, name, destination="gmail"):
        text = self.api.request("GET", "/metrics").body
        m = re.search(r'^%s\{destination="%s"\} ([0-9.]+)$' % (name, destination), text, re.M)
        return float(m.group(1)) if m else None

    def accepted(self, domain):
        """(times the peer accepted the domain's recipients, times it refused them)"""
        rec = self.peer.recorder
        with rec.lock:
            return (sorted(rec.domain_accepted.get(domain, [])),
                    sorted(t for t, d in rec.throttled if d == domain))

    def send_to(self, addresses):
        """sends a campaign to addresses; returns it once it has finished, with its progress"""
        lst = self.create_list("Pacing %d" % time.monotonic_ns())
        for address in addresses:
            self.create_subscriber(address, lists=[lst["id"]])
        r = self.api.request("POST", "/api/v1/campaigns", {
            "name": "Pacing", "subject": "Hi", "from_email": "news@example.com",
            "body": "<p>Hi</p><a href=\"{{unsubscribe_url}}\">unsubscribe</a>",
            "lists": [lst["id"]]})
        self.assertEqual(r.status, 201, r)
        campaign = r.json()
        self.assertEqual(self.send(campaign)["total"], len(addresses))
        return campaign

    def test_a_throttling_destination_is_slowed_and_nothing_fails(self):
        # the two domains interleaved, so that every batch holds both
        addresses = []
        for i in range(GMAIL):
            addresses += ["g%02d@gmail.com" % i, "o%02d@example.org" % i]
        campaign = self.send_to(addresses)

        # watched while it sends: the slow-down shows in /metrics and in the progress
        seen = {"metric": None, "progress": None}
        done = threading.Event()

        def watch():
            while not done.is_set():
                rate = self.metric("mailcast_destination_rate_per_minute")
                if rate is not None and rate < CONFIGURED and seen["metric"] is None:
                    seen["metric"] = rate
                progress = self.api.request(
                    "GET", "/api/v1/campaigns/%d/progress" % campaign["id"]).json()
                for d in progress.get("destinations", []):
                    if d["name"] == "gmail" and d["state"] == "slowed" and not seen["progress"]:
                        seen["progress"] = d
                time.sleep(0.3)
        watcher = threading.Thread(target=watch)
        watcher.start()
        try:
            self.wait_state(campaign, "finished", timeout=75)
        finally:
            done.set()
            watcher.join()

        progress = self.api.request("GET", "/api/v1/campaigns/%d/progress" % campaign["id"]).json()
        self.assertEqual((progress["sent"], progress["failed"]), (GMAIL + OTHERS, 0), progress)
        rows = self.psql("SELECT state || ':' || attempts || ':' || count(*) FROM messages"
                         " WHERE campaign_id = %d GROUP BY state, attempts" % campaign["id"])
        # every message sent at its first attempt: the deferrals counted none
        self.assertEqual(rows, "sent:1:%d" % (GMAIL + OTHERS))

        gmail, refused = self.accepted("gmail.com")
        others, _ = self.accepted("example.org")
        self.assertEqual((len(gmail), len(others)), (GMAIL, OTHERS))
        self.assertTrue(refused, "the peer never throttled: the test proves nothing")
        # settled under the limit: after the first refusal, gmail's accepted rate over the rest
        # is at most the peer's limit (a margin for the window's edges)
        after = [t for t in gmail if t > refused[0]]
        if len(after) >= 2:
            rate = (len(after) - 1) / (after[-1] - after[0]) * 60
            self.assertLess(rate, MOST / WINDOW * 60 * 1.5, after)
        # and it adapted rather than hammered: far fewer refusals than the resends a sender
        # ignoring them would make (one per message a second for the whole run)
        self.assertLess(len(refused), GMAIL * 2, len(refused))
        # example.org was not slowed: all of it went while gmail still had most to go (the
        # peer takes gmail's last ones WINDOW seconds at least after the middle ones)
        self.assertLess(others[-1], gmail[GMAIL // 2], (others, gmail))

        # the slow-down is logged with the reply, exported and in the progress
        self.assertTrue(any(LOG_LINE.search(line) for line in self.server.stderr_lines),
                        "\n".join(l for l in self.server.stderr_lines if "pacing" in l))
        self.assertIsNotNone(seen["metric"], "the gmail rate never went below %g" % CONFIGURED)
        self.assertGreater(self.metric("mailcast_destination_throttle_replies_total"), 0)
        self.assertGreater(self.metric("mailcast_destination_deferrals_total"), 0)
        slowed = seen["progress"]
        self.assertIsNotNone(slowed, "the progress never showed gmail slowed")
        self.assertLess(slowed["rate_per_minute"], CONFIGURED)
        self.assertEqual(slowed["configured_per_minute"], CONFIGURED)
        final = {d["name"]: d for d in progress["destinations"]}
        self.assertEqual(final["gmail"]["sent"], GMAIL)
        self.assertGreater(final["gmail"]["throttled_replies"], 0)
        self.assertGreater(final["gmail"]["deferred"], 0)
        self.assertEqual((final["default"]["state"], final["default"]["sent"],
                          final["default"]["throttled_replies"], final["default"]["deferred"]),
                         ("normal", OTHERS, 0, 0))
        # every connection slot was given back
        self.assertEqual(self.psql("SELECT count(*) FROM destination_slots"
                                   " WHERE expires_at > now()"), "0")

    def test_without_a_configured_rate_the_observed_one_is_halved(self):
        campaign = self.send_to(["c%02d@corp.example" % i for i in range(12)])
        self.wait_state(campaign, "finished", timeout=75)
        progress = self.api.request("GET", "/api/v1/campaigns/%d/progress" % campaign["id"]).json()
        self.assertEqual((progress["sent"], progress["failed"]), (12, 0), progress)
        self.assertEqual(self.psql("SELECT string_agg(DISTINCT state || ':' || attempts, ',')"
                                   " FROM messages WHERE campaign_id = %d" % campaign["id"]),
                         "sent:1")
        accepted, refused = self.accepted("corp.example")
        self.assertEqual(len(accepted), 12)
        self.assertTrue(refused, "the peer never throttled: the test proves nothing")
        # from no limit to a rate: what it had accepted, halved, not below the floor of 30
        line = re.compile(r'pacing: destination corp: rate unlimited → ([0-9.]+)/min after '
                          r'"421 4\.7\.0 Try again later"')
        rates = [float(m.group(1)) for m in map(line.search, self.server.stderr_lines) if m]
        self.assertTrue(rates, "\n".join(l for l in self.server.stderr_lines if "pacing" in l))
        self.assertTrue(all(r >= 30 for r in rates), rates)
        corp = {d["name"]: d for d in progress["destinations"]}["corp"]
        self.assertEqual(corp["configured_per_minute"], None)
        self.assertGreater(corp["deferred"], 0)


if __name__ == "__main__":
    unittest.main()
