"""A `mailcast worker` process LISTENs for queued work: a transactional message queued through
`mailcast serve --no-worker` is sent at once although the worker polls only once a minute, and
after a PostgreSQL restart the worker LISTENs again and still wakes at once. A confirmation
mail, an import and a started campaign wake it too, and a scheduled campaign starts at its
send_at rather than at the next poll."""

import datetime
import subprocess
import threading
import time
import unittest
import urllib.parse

from harness import MAILCAST_BIN, PgCluster, Server, base_env, check_sanitizers
from mail_peer import SmtpPeer, temp_dir, write_config
from test_imports import multipart

# The worker looks for work on its own only this often: anything sent sooner was woken.
POLL_INTERVAL_MS = 60000
# How long a test waits for a message: a third of the poll interval.
WAIT_SECONDS = 20
WORKER_NAME = "mailcast-worker-under-test"

cluster = None


def setUpModule():
    global cluster
    cluster = PgCluster()


def tearDownModule():
    cluster.destroy()


class WorkerWakeTest(unittest.TestCase):
    def setUp(self):
        self.peer = SmtpPeer().__enter__()
        self.tmp = temp_dir()
        self.dsn = cluster.new_database()
        self.dbname = self.dsn.split("dbname=")[1].split()[0]
        self.config = write_config(self.tmp.name, self.peer.port,
                                   extra="[queue]\npoll_interval_ms = %d\n" % POLL_INTERVAL_MS)
        self.server = Server(dsn=self.dsn, args=("--config", self.config, "--no-worker"))
        self.api = self.server.client()
        self.assertEqual(self.api.login("admin@localhost", self.server.admin_password).status, 200)
        r = self.api.request("POST", "/api/v1/templates", {
            "name": "Receipt", "kind": "transactional", "subject": "Receipt {{n}}",
            "body": "<p>Receipt {{n}}</p>"})
        self.assertEqual(r.status, 201, r)
        self.template = r.json()["id"]
        # libpq names the worker's sessions, so that the test can tell them apart
        env = base_env(MAILCAST_DATABASE_URL=self.dsn, MAILCAST_PATHS_DATA_DIR=self.server.data_dir,
                       PGAPPNAME=WORKER_NAME)
        self.worker = subprocess.Popen([MAILCAST_BIN, "worker", "--config", self.config], env=env,
                                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        self.worker_lines = []
        self.reader = threading.Thread(target=lambda: self.worker_lines.extend(self.worker.stderr),
                                       daemon=True)
        self.reader.start()

    def tearDown(self):
        if self.worker.poll() is None:
            self.worker.send_signal(15)
            self.worker.wait(timeout=60)
        self.reader.join(5)
        check_sanitizers("".join(self.worker_lines), "mailcast worker")
        self.server.stop()
        self.peer.__exit__(None, None, None)
        self.tmp.cleanup()

    def worker_backends(self):
        """(state, when it changed, whether it is the LISTEN) of each of the worker's sessions"""
        rows = cluster.psql(self.dbname, "SELECT state, state_change, query LIKE 'LISTEN %%'"
                            " FROM pg_stat_activity WHERE application_name = '%s' ORDER BY pid"
                            % WORKER_NAME)
        return [tuple(line.split("|")) for line in rows.splitlines()]

    def wait_idle(self):
        """Until the worker LISTENs, has looked for work since (a query after the LISTEN) and
        has run no query for a while: it is waiting, and what is queued next can only be
        found by a wake, or by the poll a minute later."""
        deadline = time.monotonic() + 60
        before = None
        while time.monotonic() < deadline:
            now = self.worker_backends()
            listen = [changed for _, changed, is_listen in now if is_listen == "t"]
            looked = listen and any(changed > listen[0] for _, changed, is_listen in now
                                    if is_listen == "f")
            if looked and all(state == "idle" for state, _, _ in now) and now == before:
                return
            before = now
            time.sleep(0.3)
        self.fail("the worker does not LISTEN: %s\n%s" % (self.worker_backends(),
                                                             "".join(self.worker_lines)))

    def queue(self, n):
        """POST /api/v1/tx; a request on a connection that a restart broke is answered 503 once,
        and the same key makes the retry queue it once"""
        for _ in range(5):
            r = self.api.request("POST", "/api/v1/tx", {
                "to": "wake-%d@example.org" % n, "template_id": self.template, "data": {"n": n}},
                headers={"Idempotency-Key": "wake-%d" % n})
            if r.status != 503:
                break
        self.assertEqual(r.status, 202, r)
        return r.json()["message_id"]

    def wait_state(self, path, wanted):
        """until GET path answers wanted as its state, for at most WAIT_SECONDS"""
        deadline = time.monotonic() + WAIT_SECONDS
        state = None
        while time.monotonic() < deadline:
            r = self.api.request("GET", path)
            state = r.json()["state"] if r.status == 200 else state
            if state == wanted:
                return
            time.sleep(0.1)
        self.fail("%s is %s %d s later, with a poll interval of %d s:\n%s"
                  % (path, state, WAIT_SECONDS, POLL_INTERVAL_MS // 1000,
                     "".join(self.worker_lines)))

    def wait_sent(self, message_id):
        self.wait_state("/api/v1/messages/%d" % message_id, "sent")

    def delivered_to(self, address):
        with self.peer.recorder.lock:
            return sum(1 for _, rcpts, _ in self.peer.recorder.messages if address in rcpts)

    def test_a_queued_message_wakes_a_worker_of_another_process(self):
        self.wait_idle()
        self.wait_sent(self.queue(1))
        self.assertEqual(self.delivered_to("wake-1@example.org"), 1)

    def test_a_confirmation_mail_wakes_the_worker(self):
        r = self.api.request("POST", "/api/v1/lists",
                             {"name": "Letters", "visibility": "public", "optin": "double"})
        self.assertEqual(r.status, 201, r)
        self.wait_idle()
        form = urllib.parse.urlencode({"email": "confirm@example.org", "list": r.json()["id"]})
        r = self.server.client().request(
            "POST", "/subscribe", raw=form.encode(),
            headers={"Content-Type": "application/x-www-form-urlencoded"})
        self.assertEqual(r.status, 200, r)
        deadline = time.monotonic() + WAIT_SECONDS
        while time.monotonic() < deadline and not self.delivered_to("confirm@example.org"):
            time.sleep(0.1)
        self.assertEqual(self.delivered_to("confirm@example.org"), 1, "".join(self.worker_lines))

    def test_a_queued_import_wakes_the_worker(self):
        self.wait_idle()
        body, headers = multipart(b"email,name\nimported@example.org,Imported\n")
        r = self.api.request("POST", "/api/v1/imports", raw=body, headers=headers)
        self.assertEqual(r.status, 202, r)
        self.wait_state("/api/v1/imports/%d" % r.json()["id"], "finished")

    def test_the_worker_listens_again_after_a_postgresql_restart(self):
        self.wait_idle()
        self.wait_sent(self.queue(1))
        cluster.stop(mode="fast")
        cluster.start()
        self.wait_idle()
        self.wait_sent(self.queue(2))
        self.assertEqual(self.delivered_to("wake-2@example.org"), 1)
        self.assertTrue(any("listening on mailcast_work again" in l for l in self.worker_lines),
                        "".join(self.worker_lines))

    def campaign(self, address, **fields):
        r = self.api.request("POST", "/api/v1/lists", {"name": "List of " + address})
        self.assertEqual(r.status, 201, r)
        lst = r.json()["id"]
        r = self.api.request("POST", "/api/v1/subscribers", {"email": address, "lists": [lst]})
        self.assertEqual(r.status, 201, r)
        r = self.api.request("POST", "/api/v1/campaigns", dict(
            {"name": "News", "subject": "News", "from_email": "news@example.com",
             "body": "<p>News</p>", "lists": [lst]}, **fields))
        self.assertEqual(r.status, 201, r)
        return r.json()["id"]

    def wait_finished(self, campaign):
        self.wait_state("/api/v1/campaigns/%d" % campaign, "finished")

    def test_a_started_campaign_wakes_the_worker(self):
        campaign = self.campaign("started@example.org")
        self.wait_idle()
        r = self.api.request("POST", "/api/v1/campaigns/%d/send" % campaign)
        self.assertEqual(r.status, 200, r)
        self.wait_finished(campaign)
        self.assertEqual(self.delivered_to("started@example.org"), 1)

    def test_a_scheduled_campaign_starts_at_its_send_at_not_at_the_next_poll(self):
        # scheduling wakes the worker before the campaign is due: it then sleeps until send_at
        send_at = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=3)
        campaign = self.campaign("scheduled@example.org",
                                 send_at=send_at.strftime("%Y-%m-%dT%H:%M:%SZ"))
        self.wait_idle()
        r = self.api.request("POST", "/api/v1/campaigns/%d/schedule" % campaign)
        self.assertEqual(r.json()["state"], "scheduled", r)
        self.wait_finished(campaign)
        self.assertEqual(self.delivered_to("scheduled@example.org"), 1)


if __name__ == "__main__":
    unittest.main()
