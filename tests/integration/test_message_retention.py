"""Retention of the message queue: a campaign keeps its final counts when it finishes or is
cancelled, and with [queue] retention_days the worker deletes the messages that ended of
campaigns that ended longer ago, and old transactional, system and test messages, while
progress still reports the counts and bounces and engagements stay."""

import signal
import subprocess
import time
import unittest

from audience_fixtures import AudienceCase
from campaign_fixtures import SendingCase
from harness import MAILCAST_BIN, PgCluster, base_env, check_sanitizers

AGED = "now() - interval '40 days'"


def setUpModule():
    AudienceCase.cluster = PgCluster()


def tearDownModule():
    AudienceCase.cluster.destroy()


class MessageRetentionTest(SendingCase):
    """A server that keeps messages forever (the default) and sends to an SMTP peer; the tests
    start `mailcast worker` processes with retention_days = 30 on the same database, whose
    housekeeping runs as they start."""

    def campaign(self, emails, **fields):
        lst = self.create_list("Lista %d" % time.monotonic_ns())
        subs = [self.create_subscriber(e, lists=[lst["id"]]) for e in emails]
        body = {"name": "Boletín", "subject": "Hola", "from_email": "news@example.com",
                "body": "<p>Hola {{name}}</p>", "lists": [lst["id"]]}
        body.update(fields)
        r = self.api.request("POST", "/api/v1/campaigns", body)
        self.assertEqual(r.status, 201, r)
        return r.json(), subs

    def get(self, campaign):
        return self.api.request("GET", "/api/v1/campaigns/%d" % campaign["id"]).json()

    def progress(self, campaign):
        r = self.api.request("GET", "/api/v1/campaigns/%d/progress" % campaign["id"])
        self.assertEqual(r.status, 200, r)
        return r.json()

    def counts(self, progress):
        return {k: progress[k] for k in ("state", "queued", "sending", "sent", "deferred",
                                         "failed", "cancelled")}

    def sent_test_message(self, campaign, address):
        r = self.api.request("POST", "/api/v1/campaigns/%d/test" % campaign["id"], {"to": [address]})
        self.assertEqual(r.status, 202, r)
        [message_id] = r.json()["message_ids"]
        deadline = time.monotonic() + 60
        while self.api.request("GET", "/api/v1/messages/%d" % message_id).json()["state"] != "sent":
            self.assertLess(time.monotonic(), deadline)
            time.sleep(0.2)
        return message_id

    def messages_of(self, campaign):
        return int(self.psql("SELECT count(*) FROM messages WHERE campaign_id = %d" % campaign["id"]))

    def age_campaign(self, campaign):
        self.psql("UPDATE campaigns SET finished_at = %s, updated_at = %s WHERE id = %d;"
                  " UPDATE messages SET updated_at = %s WHERE campaign_id = %d"
                  % (AGED, AGED, campaign["id"], AGED, campaign["id"]))

    def run_retention(self, done, timeout=60):
        """Starts `mailcast worker` with retention_days = 30 until done() holds (its
        housekeeping runs at start), stops it, and returns its log."""
        env = base_env(MAILCAST_DATABASE_URL=self.dsn, MAILCAST_PATHS_DATA_DIR=self.server.data_dir,
                       MAILCAST_QUEUE_RETENTION_DAYS="30")
        worker = subprocess.Popen([MAILCAST_BIN, "worker", "--config", self.config], env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        try:
            deadline = time.monotonic() + timeout
            while not done() and time.monotonic() < deadline:
                time.sleep(0.2)
        finally:
            worker.send_signal(signal.SIGTERM)
            _, log = worker.communicate(timeout=60)
        check_sanitizers(log, "mailcast worker")
        self.assertEqual(worker.returncode, 0, log)
        self.assertTrue(done(), log)
        return log

    def test_a_campaign_stores_its_counts_when_it_finishes_or_is_cancelled(self):
        finished, _ = self.campaign(["count-a@example.org", "count-b@example.org",
                                     "rcpt550-count@example.org"])
        self.assertEqual({k: self.get(finished)[k] for k in ("sent", "failed", "cancelled")},
                         {"sent": None, "failed": None, "cancelled": None})
        self.send(finished)
        got = self.wait_state(finished, "finished")
        self.assertEqual((got["sent"], got["failed"], got["cancelled"], got["messages_pruned_at"]),
                         (2, 1, 0, None))
        # outside its sending window a running campaign sends nothing: all three are cancelled
        now = time.gmtime()
        window = {"window_start": "%02d:00" % ((now.tm_hour + 2) % 24),
                  "window_end": "%02d:00" % ((now.tm_hour + 3) % 24)}
        cancelled, _ = self.campaign(["stop-%d@example.org" % i for i in range(3)], **window)
        self.send(cancelled)
        self.assertEqual(self.get(cancelled)["sent"], None)
        r = self.api.request("POST", "/api/v1/campaigns/%d/cancel" % cancelled["id"])
        self.assertEqual(r.status, 200, r)
        self.assertEqual((r.json()["sent"], r.json()["failed"], r.json()["cancelled"]), (0, 0, 3))
        self.assertEqual(self.counts(self.progress(cancelled)),
                         {"state": "cancelled", "queued": 0, "sending": 0, "sent": 0,
                          "deferred": 0, "failed": 0, "cancelled": 3})
        # a copy starts without counts
        copy = self.api.request("POST", "/api/v1/campaigns/%d/duplicate" % finished["id"]).json()
        self.assertEqual((copy["sent"], copy["failed"], copy["cancelled"]), (None, None, None))

    def test_retention_deletes_ended_messages_and_keeps_counts_bounces_and_engagements(self):
        old, subs = self.campaign(["old-a@example.org", "old-b@example.org",
                                   "rcpt550-old@example.org"])
        recent, _ = self.campaign(["recent@example.org"])
        for c in (old, recent):
            self.send(c)
            self.wait_state(c, "finished")
        bounced = subs[2]["id"]
        self.assertEqual(self.psql("SELECT count(*) FROM bounces WHERE subscriber_id = %d"
                                   " AND message_id IS NOT NULL" % bounced), "1")
        opened = self.psql("SELECT id FROM messages WHERE campaign_id = %d AND state = 'sent'"
                           " ORDER BY id LIMIT 1" % old["id"])
        self.psql("INSERT INTO message_engagements (message_id, campaign_id, subscriber_id, kind)"
                  " SELECT id, campaign_id, subscriber_id, 'open' FROM messages WHERE id = %s"
                  % opened)
        # a running campaign (held by its sending window) whose messages look old and ended
        now = time.gmtime()
        running, _ = self.campaign(["running-a@example.org", "running-b@example.org"],
                                   window_start="%02d:00" % ((now.tm_hour + 2) % 24),
                                   window_end="%02d:00" % ((now.tm_hour + 3) % 24))
        self.send(running)
        self.psql("UPDATE messages SET state = 'sent', sent_at = %s WHERE id = (SELECT min(id)"
                  " FROM messages WHERE campaign_id = %d)" % (AGED, running["id"]))
        self.psql("UPDATE campaigns SET updated_at = %s, started_at = %s WHERE id = %d"
                  % (AGED, AGED, running["id"]))
        # test sends: no campaign_id, pruned by their own age
        old_test = self.sent_test_message(recent, "qa-old@example.org")
        new_test = self.sent_test_message(recent, "qa-new@example.org")
        before = self.counts(self.progress(old))
        self.assertEqual(before, {"state": "finished", "queued": 0, "sending": 0, "sent": 2,
                                  "deferred": 0, "failed": 1, "cancelled": 0})
        self.assertEqual(len(self.progress(old)["last_errors"]), 1)

        self.age_campaign(old)
        self.age_campaign(running)
        self.psql("UPDATE messages SET updated_at = %s WHERE id = %d" % (AGED, old_test))
        log = self.run_retention(lambda: self.messages_of(old) == 0 and self.psql(
            "SELECT count(*) FROM messages WHERE id = %d" % old_test) == "0")
        self.assertIn("retention deleted 3 messages of campaigns that ended more than 30 days ago"
                      " and 1 other messages", log)

        after = self.progress(old)
        self.assertEqual(self.counts(after), before)
        self.assertEqual((after["total"], after["last_errors"]), (3, []))
        got = self.get(old)
        self.assertEqual((got["sent"], got["failed"], got["cancelled"]), (2, 1, 0))
        self.assertTrue(got["messages_pruned_at"])
        self.assertEqual(self.api.request("GET", "/api/v1/messages/%s" % opened).status, 404)
        # what has not ended long enough ago, or is still running, stays
        self.assertEqual(self.messages_of(recent), 1)
        self.assertEqual(self.get(recent)["messages_pruned_at"], None)
        self.assertEqual(self.messages_of(running), 2)
        self.assertEqual(self.api.request("GET", "/api/v1/messages/%d" % new_test).status, 200)
        # the bounce keeps the subscriber out of later campaigns; the open stays for segments
        self.assertEqual(self.psql("SELECT kind || ':' || smtp_code || ':' ||"
                                   " (message_id IS NULL) FROM bounces WHERE subscriber_id = %d"
                                   % bounced), "hard:550:true")
        self.assertEqual(self.psql("SELECT count(*) FROM message_engagements WHERE message_id = %s"
                                   % opened), "1")
        self.api.request("POST", "/api/v1/campaigns/%d/cancel" % running["id"])

    def test_a_backlog_larger_than_a_chunk_goes_in_several_statements(self):
        # a campaign finished long ago with 12,000 messages, more than one statement deletes
        c, _ = self.campaign(["bulk@example.org"])
        self.psql("INSERT INTO messages (kind, campaign_id, email, state, updated_at)"
                  " SELECT 'campaign', %d, 'bulk' || g || '@example.org', 'sent', %s"
                  " FROM generate_series(1, 12000) g;"
                  " UPDATE campaigns SET state = 'finished', started_at = %s, finished_at = %s,"
                  " total = 12000, sent_count = 12000, failed_count = 0, cancelled_count = 0"
                  " WHERE id = %d" % (c["id"], AGED, AGED, AGED, c["id"]))
        self.run_retention(lambda: self.get(c)["messages_pruned_at"] is not None)
        self.assertEqual(self.messages_of(c), 0)
        self.assertEqual(self.counts(self.progress(c)),
                         {"state": "finished", "queued": 0, "sending": 0, "sent": 12000,
                          "deferred": 0, "failed": 0, "cancelled": 0})


if __name__ == "__main__":
    unittest.main()
