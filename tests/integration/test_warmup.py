"""Warm-up schedules: a relay's daily cap (daily = 5, 10) holds across two sending processes (a
server and a `mailcast worker` on the same database): a campaign of 12 sends exactly 5 today,
the other 7 wait for the next UTC midnight without an attempt counted or a failure, and
progress and /metrics show the schedule. Restarted with `start` set so that today is day 2
(cap 10), the held messages are due again at start-up and go up to the new cap; with today past
the last day, the rest goes and the campaign finishes."""

import datetime
import os
import subprocess
import threading
import time
import unittest

from audience_fixtures import AudienceCase
from campaign_fixtures import SendingCase
from harness import MAILCAST_BIN, PgCluster, Server, base_env, check_sanitizers
from mail_peer import SmtpPeer, temp_dir, write_config
from test_metrics import parse


def setUpModule():
    AudienceCase.cluster = PgCluster()


def tearDownModule():
    AudienceCase.cluster.destroy()


ENV = {"MAILCAST_QUEUE_BATCH_SIZE": "2", "MAILCAST_QUEUE_POLL_INTERVAL_MS": "200"}


def schedule(start=None):
    return "[warmup.first]\nrelay = test\ndaily = 5, 10\n" + (
        "start = %s\n" % start if start else "")


class WarmupTest(SendingCase):
    @classmethod
    def setUpClass(cls):
        cls.peer = SmtpPeer().__enter__()
        cls.tmp = temp_dir()
        cls.dsn = cls.cluster.new_database()
        cls.config = write_config(cls.tmp.name, cls.peer.port, timeout=30, extra=schedule())
        cls.server = Server(dsn=cls.dsn, args=("--config", cls.config), extra_env=ENV)
        cls.password = cls.server.admin_password
        cls.api = cls.server.client()
        assert cls.api.login("admin@localhost", cls.password).status == 200

    def restart(self, start):
        """the server again, with the schedule's start set to start"""
        self.server.stop()
        write_config(self.tmp.name, self.peer.port, timeout=30, extra=schedule(start))
        type(self).server = Server(dsn=self.dsn, args=("--config", self.config), extra_env=ENV)
        type(self).api = self.server.client()
        self.assertEqual(self.api.login("admin@localhost", self.password).status, 200)

    def start_worker(self):
        env = base_env(MAILCAST_DATABASE_URL=self.dsn, **ENV)
        proc = subprocess.Popen([MAILCAST_BIN, "worker", "--config", self.config], env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        lines = []
        threading.Thread(target=lambda: lines.extend(proc.stderr), daemon=True).start()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not any("worker running" in l for l in lines):
            time.sleep(0.05)
        self.assertTrue(any("worker running" in l for l in lines), "".join(lines))
        return proc, lines

    def progress(self, campaign):
        r = self.api.request("GET", "/api/v1/campaigns/%d/progress" % campaign["id"])
        self.assertEqual(r.status, 200, r)
        return r.json()

    def wait_progress(self, campaign, what, predicate, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            got = self.progress(campaign)
            if predicate(got):
                return got
            time.sleep(0.2)
        self.fail("waited in vain for %s: %s" % (what, got))

    def delivered(self):
        with self.peer.recorder.lock:
            return sum(len(rcpts) for _, rcpts, _ in self.peer.recorder.messages)

    def test_a_daily_cap_holds_across_workers_and_moves_with_the_day(self):
        utc = datetime.datetime.now(datetime.timezone.utc)
        tomorrow = utc.date() + datetime.timedelta(days=1)
        if datetime.datetime.combine(tomorrow, datetime.time(), datetime.timezone.utc) - utc \
                < datetime.timedelta(minutes=3):
            self.skipTest("the UTC day ends during the test")
        midnight = tomorrow.isoformat() + "T00:00:00Z"
        worker, worker_lines = self.start_worker()
        try:
            lst = self.create_list("Calentamiento")
            for i in range(12):
                self.create_subscriber("warm%02d@example.org" % i, lists=[lst["id"]])
            r = self.api.request("POST", "/api/v1/campaigns", {
                "name": "Calentamiento", "subject": "Hola", "from_email": "news@example.com",
                "body": "<p>Hola</p>", "lists": [lst["id"]]})
            self.assertEqual(r.status, 201, r)
            campaign = r.json()
            self.send(campaign)
            got = self.wait_progress(campaign, "5 sent and 7 held",
                                     lambda p: p["sent"] == 5 and p["warmup"]
                                     and p["warmup"]["held"] == 7)
            warm = got["warmup"]
            self.assertEqual((warm["schedule"], warm["day"], warm["days"], warm["cap_today"],
                              warm["sent_today"]), ("first", 1, 2, 5, 5))
            self.assertEqual(warm["next_release_at"], midnight)
            # the 7 left fit in day 2's cap of 10
            self.assertEqual(warm["finish_estimate_at"], midnight)
            self.assertEqual((got["state"], got["queued"], got["failed"], got["deferred"]),
                             ("running", 7, 0, 0))
            rows = self.psql("SELECT count(*), max(attempts), min(run_at) = max(run_at),"
                             " to_char(min(run_at) AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
                             " bool_and(reason LIKE 'warm-up first: today''s cap of 5%%'),"
                             # the wait is not counted in the age that gives up on a message
                             " bool_and(held_seconds > 0 AND run_at - now() <= held_seconds"
                             " * interval '1 second' AND held_by = 'first')"
                             " FROM messages WHERE campaign_id = %d AND state = 'queued'"
                             % campaign["id"])
            self.assertEqual(rows, "7|0|t|%s|t|t" % midnight)
            # both processes went on looking: still 5, and the day is recorded once
            time.sleep(2)
            self.assertEqual(self.delivered(), 5)
            self.assertEqual(self.psql("SELECT string_agg(first_day::text || '/' || name, ',')"
                                       " FROM warmup_starts"), "%s/first" % utc.date())
            metrics = parse(self.api.request("GET", "/metrics").body)
            self.assertEqual(metrics['mailcast_warmup_cap_messages{schedule="first"}'], 5)
            self.assertEqual(metrics['mailcast_warmup_sent_messages{schedule="first"}'], 5)
            self.assertEqual(metrics['mailcast_warmup_day{schedule="first"}'], 1)
        finally:
            worker.send_signal(15)
            self.assertEqual(worker.wait(timeout=60), 0)
            check_sanitizers("".join(worker_lines), "mailcast worker")

        # today is day 2 (cap 10): the held messages are due at start-up and 5 more go today
        self.restart((utc.date() - datetime.timedelta(days=1)).isoformat())
        got = self.wait_progress(campaign, "10 sent", lambda p: p["sent"] == 10
                                 and p["warmup"]["held"] == 2)
        self.assertEqual((got["warmup"]["day"], got["warmup"]["cap_today"],
                          got["warmup"]["sent_today"]), (2, 10, 10))
        self.assertEqual((got["state"], got["failed"]), ("running", 0))
        time.sleep(1)
        self.assertEqual(self.delivered(), 10)

        # past the last day nothing caps: the rest goes
        self.restart((utc.date() - datetime.timedelta(days=2)).isoformat())
        self.wait_state(campaign, "finished")
        got = self.progress(campaign)
        self.assertEqual((got["sent"], got["failed"]), (12, 0))
        self.assertEqual(got["warmup"]["cap_today"], None)
        self.assertEqual(self.delivered(), 12)
        self.assertEqual(len(self.received()), 12)
        self.assertEqual(self.psql("SELECT max(attempts) FROM messages WHERE campaign_id = %d"
                                   % campaign["id"]), "1")

    def test_a_bad_schedule_stops_start_up_naming_the_line(self):
        path = os.path.join(self.tmp.name, "bad.ini")
        with open(self.config) as f:
            text = f.read().split("[warmup.first]")[0]
        with open(path, "w") as f:
            f.write(text + "[warmup.other]\nrelay = nowhere\ndaily = 5\n")
        line = text.count("\n") + 2
        proc = subprocess.run([MAILCAST_BIN, "worker", "--config", path],
                              env=base_env(MAILCAST_DATABASE_URL=self.dsn),
                              capture_output=True, text=True, timeout=60)
        self.assertEqual(proc.returncode, 2, proc.stderr)
        self.assertIn("%s:%d: [warmup.other] relay = \"nowhere\" names no [smtp.nowhere]"
                      % (path, line), proc.stderr)


if __name__ == "__main__":
    unittest.main()
