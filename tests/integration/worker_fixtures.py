"""Shared set-up for the tests of `mailcast worker` processes: an API process that sends
nothing, an SMTP peer, and workers started and killed by the test."""

import signal
import subprocess
import time
import unittest

from harness import MAILCAST_BIN, Server, base_env
from mail_peer import SmtpPeer, temp_dir, write_config

RECIPIENTS = 1500


class WorkersCase(unittest.TestCase):
    """An API process that sends nothing, an SMTP peer, and `mailcast worker` processes."""

    cluster = None  # set by each module's setUpModule
    relay_extra = ""
    worker_env = None  # more environment of the workers

    def setUp(self):
        self.peer = SmtpPeer().__enter__()
        self.tmp = temp_dir()
        self.dsn = self.cluster.new_database()
        self.dbname = self.dsn.split("dbname=")[1].split()[0]
        # a generous relay timeout: these tests are about crashes, not a slow peer on a busy machine
        self.config = write_config(self.tmp.name, self.peer.port, timeout=30, extra=self.relay_extra)
        # the API process sends nothing: only the workers started below do
        self.server = Server(dsn=self.dsn, args=("--config", self.config, "--no-worker"))
        self.env = base_env(MAILCAST_DATABASE_URL=self.dsn,
                            MAILCAST_PATHS_DATA_DIR=self.server.data_dir,
                            MAILCAST_QUEUE_BATCH_SIZE="25", MAILCAST_QUEUE_LEASE_SECONDS="15",
                            # a session cut by a kill or a restart defers its messages: retry soon
                            MAILCAST_QUEUE_RETRY_BASE_SECONDS="1",
                            MAILCAST_QUEUE_RETRY_MAX_SECONDS="2", **(self.worker_env or {}))
        self.workers = []
        api = self.server.client()
        assert api.login("admin@localhost", self.server.admin_password).status == 200
        self.api = api

    def tearDown(self):
        for w in self.workers:
            if w.poll() is None:
                w.send_signal(signal.SIGTERM)
                w.wait(timeout=60)
            if not w.stderr.closed:
                w.stderr.close()
        self.server.stop()
        self.peer.__exit__(None, None, None)
        self.tmp.cleanup()

    def psql(self, sql):
        return self.cluster.psql(self.dbname, sql)

    def start_worker(self):
        w = subprocess.Popen([MAILCAST_BIN, "worker", "--config", self.config], env=self.env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        self.workers.append(w)
        return w

    def accepted(self):
        with self.peer.recorder.lock:
            return [rcpt for _, rcpts, _ in self.peer.recorder.messages for rcpt in rcpts]

    def wait_accepted(self, count, timeout=120):
        deadline = time.monotonic() + timeout
        while len(self.accepted()) < count:
            self.assertLess(time.monotonic(), deadline, "the peer got only %d" % len(self.accepted()))
            time.sleep(0.01)

    def campaign(self, recipients=RECIPIENTS, local="r"):
        """a running campaign to LOCALn@example.org for n in 1..recipients"""
        lst = self.api.request("POST", "/api/v1/lists", {"name": "Crash"}).json()
        self.psql("INSERT INTO subscribers (email, name) SELECT '%s' || g || '@example.org',"
                  " 'Получатель ' || g FROM generate_series(1, %d) g;"
                  " INSERT INTO list_subscribers (list_id, subscriber_id, status)"
                  " SELECT %d, id, 'confirmed' FROM subscribers" % (local, recipients, lst["id"]))
        r = self.api.request("POST", "/api/v1/campaigns", {
            "name": "Resistente", "subject": "Hola {{name}}", "from_email": "news@example.com",
            "body": "<p>{{name}}</p>", "lists": [lst["id"]]})
        self.assertEqual(r.status, 201, r)
        c = r.json()
        r = self.api.request("POST", "/api/v1/campaigns/%d/send" % c["id"])
        self.assertEqual(r.json()["total"], recipients)
        return c

    def slow_campaign(self, recipients):
        """a running campaign to slowN@example.org, whom the peer accepts a second apart"""
        return self.campaign(recipients, local="slow")

    def wait_finished(self, c, timeout=240):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            r = self.api.request("GET", "/api/v1/campaigns/%d" % c["id"])
            # a request on a connection the database restart broke fails once; poll on
            if r.status == 200 and r.json()["state"] == "finished":
                return
            time.sleep(0.2)
        self.fail("the campaign did not finish: %s" % self.psql(
            "SELECT string_agg(state || ':' || n, ' ') FROM (SELECT state, count(*) n FROM"
            " messages GROUP BY state) x"))

    def check_outcome(self, c, recipients=RECIPIENTS):
        rows = self.psql("SELECT email, state, possible_duplicate FROM messages"
                         " WHERE campaign_id = %d" % c["id"]).split("\n")
        self.assertEqual(len(rows), recipients)
        states = {}
        flagged = set()
        for row in rows:
            address, state, duplicate = row.split("|")
            states[address] = state
            if duplicate == "t":
                flagged.add(address)
        self.assertEqual(set(states.values()), {"sent"})
        counts = {}
        for rcpt in self.accepted():
            counts[rcpt] = counts.get(rcpt, 0) + 1
        self.assertEqual(set(counts), set(states))
        twice = {a for a, n in counts.items() if n > 1}
        self.assertLessEqual(twice, flagged)
        return twice, flagged
