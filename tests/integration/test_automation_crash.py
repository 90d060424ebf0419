"""Trigger steps across a kill -9: `mailcast worker` killed while it runs the steps of hundreds
of due enrollments, then started again. Every step ran once (one trigger_step_runs row each,
one message per send step) and none was forgotten: every enrollment completes and the SMTP
peer gets every message, told apart by its Message-ID."""

import signal
import time
import unittest

from harness import PgCluster, check_sanitizers
from worker_fixtures import WorkersCase

SUBSCRIBERS = 400


def setUpModule():
    WorkersCase.cluster = PgCluster()


def tearDownModule():
    WorkersCase.cluster.destroy()


class TriggerCrashTest(WorkersCase):
    worker_env = {"MAILCAST_AUTOMATION_SUBSCRIBER_CAP": "0"}

    def message_ids(self):
        """{recipient: [Message-ID, ...]} of everything the peer accepted"""
        out = {}
        with self.peer.recorder.lock:
            messages = list(self.peer.recorder.messages)
        for _, rcpts, data in messages:
            head = data.split(b"\r\n\r\n", 1)[0].decode()
            mid = [line.split(":", 1)[1].strip() for line in head.split("\r\n")
                   if line.lower().startswith("message-id:")][0]
            for rcpt in rcpts:
                out.setdefault(rcpt, []).append(mid)
        return out

    def test_kill_9_while_steps_run_then_restart(self):
        post = lambda path, body: self.api.request("POST", path, body)
        templates = [post("/api/v1/templates", {"name": n, "subject": s,
                                                "body": "<p>{{name}}: {{event.properties.n}}</p>"}
                          ).json()["id"]
                     for n, s in (("uno", "Primer aviso"), ("dos", "Второе напоминание"))]
        r = post("/api/v1/triggers", {"name": "Resistente", "entry": {"event": "kick"},
                                      "steps": [{"send": templates[0]}, {"wait": "1s"},
                                                {"send": templates[1]}],
                                      "reentry": "once"})
        self.assertEqual(r.status, 201, r)
        self.psql("INSERT INTO subscribers (email, name) SELECT 'k' || g || '@example.org',"
                  " 'Получатель ' || g FROM generate_series(1, %d) g" % SUBSCRIBERS)
        ids = self.psql("SELECT id FROM subscribers ORDER BY id").split()
        r = post("/api/v1/events", {"events": [
            {"subscriber_id": int(i), "name": "kick", "properties": {"n": n}}
            for n, i in enumerate(ids)]})
        self.assertEqual(r.status, 202, r)

        # killed twice while it runs steps: once early, once later
        for threshold in (40, SUBSCRIBERS):
            w = self.start_worker()
            deadline = time.monotonic() + 120
            while int(self.psql("SELECT count(*) FROM trigger_step_runs")) < threshold:
                self.assertLess(time.monotonic(), deadline, "no steps ran")
                self.assertIsNone(w.poll(), "the worker stopped")
                time.sleep(0.02)
            w.send_signal(signal.SIGKILL)
            w.wait(timeout=30)
            check_sanitizers(w.stderr.read(), "mailcast worker")
            w.stderr.close()
        ran = int(self.psql("SELECT count(*) FROM trigger_step_runs"))
        print("\nkilled with %d of %d steps run" % (ran, 3 * SUBSCRIBERS))

        self.start_worker()
        deadline = time.monotonic() + 240
        while self.psql("SELECT count(*) FROM trigger_enrollments WHERE state = 'completed'")\
                != str(SUBSCRIBERS) or len(self.message_ids()) < SUBSCRIBERS or \
                sum(len(set(v)) for v in self.message_ids().values()) < 2 * SUBSCRIBERS:
            self.assertLess(time.monotonic(), deadline, self.psql(
                "SELECT string_agg(state || ':' || n, ' ') FROM (SELECT state, count(*) n FROM"
                " trigger_enrollments GROUP BY state) x"))
            time.sleep(0.2)

        # every step once: three runs per enrollment, in order, and one message per send
        self.assertEqual(self.psql(
            "SELECT count(*) FROM (SELECT enrollment_id, string_agg(outcome, ',' ORDER BY step)"
            " o FROM trigger_step_runs GROUP BY enrollment_id) x WHERE o = 'sent,waited,sent'"),
            str(SUBSCRIBERS))
        self.assertEqual(self.psql("SELECT count(*) FROM trigger_step_runs"),
                         str(3 * SUBSCRIBERS))
        self.assertEqual(self.psql("SELECT count(*), count(DISTINCT idempotency_key) FROM"
                                   " messages WHERE kind = 'trigger'"),
                         "%d|%d" % (2 * SUBSCRIBERS, 2 * SUBSCRIBERS))
        # the peer got both messages of every subscriber; a copy sent again by a killed worker
        # carries the same Message-ID
        got = self.message_ids()
        self.assertEqual(len(got), SUBSCRIBERS)
        for rcpt, mids in got.items():
            self.assertEqual(len(set(mids)), 2, rcpt)
        self.wait_sent()

    def wait_sent(self):
        deadline = time.monotonic() + 60
        while self.psql("SELECT count(*) FROM messages WHERE state <> 'sent'") != "0":
            self.assertLess(time.monotonic(), deadline, "messages left unsent")
            time.sleep(0.2)


if __name__ == "__main__":
    unittest.main()
