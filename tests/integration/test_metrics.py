"""GET /metrics shows what the sender did: messages by relay, outcome and reply class, SMTP
session and per-message latency histograms, rate-limit waits, import rows, the worker loop's
lag, and the queue's depth by state read from PostgreSQL; every line is in the text format."""

import re
import time
import unittest

from audience_fixtures import AudienceCase
from campaign_fixtures import SendingCase
from harness import PgCluster
from test_imports import multipart

SAMPLE = re.compile(r'^([a-z_]+)(\{(?:[a-z_]+="(?:[^"\\\n]|\\.)*",?)*\})? ([0-9.e+-]+)$')


def setUpModule():
    AudienceCase.cluster = PgCluster()


def tearDownModule():
    AudienceCase.cluster.destroy()


def parse(text):
    """{'name{labels}': value} of every sample; fails on a line that is not in the format"""
    samples = {}
    for line in text.splitlines():
        if line.startswith("# HELP ") or line.startswith("# TYPE "):
            continue
        m = SAMPLE.match(line)
        assert m, "not a sample line: %r" % line
        samples[m.group(1) + (m.group(2) or "")] = float(m.group(3))
    return samples


class MetricsTest(SendingCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        r = cls.api.request("POST", "/api/v1/templates", {
            "name": "Receipt", "kind": "transactional", "subject": "Receipt",
            "body": "<p>Thanks</p>"})
        assert r.status == 201, r
        cls.template = r.json()["id"]

    def send_to(self, address):
        r = self.api.request("POST", "/api/v1/tx", {"to": address, "template_id": self.template})
        self.assertEqual(r.status, 202, r)
        return r.json()["message_id"]

    def wait_state(self, message_id, states, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            m = self.api.request("GET", "/api/v1/messages/%d" % message_id).json()
            if m["state"] in states:
                return m
            time.sleep(0.2)
        self.fail("message %d is still %s" % (message_id, m["state"]))

    def metrics(self):
        r = self.api.request("GET", "/metrics")
        self.assertEqual(r.status, 200, r)
        return parse(r.body)

    def test_messages_by_relay_and_reply_class_histograms_and_queue_depth(self):
        before = self.metrics()
        self.assertEqual(before['mailcast_queue_messages{state="queued"}'], 0)
        self.assertEqual(before['mailcast_rate_limit_waits_total{relay="test"}'], 0)
        accepted = self.send_to("metrics-ok@example.org")
        busy = self.send_to("rcpt450-metrics@example.org")
        refused = self.send_to("rcpt550-metrics@example.org")
        self.assertEqual(self.wait_state(accepted, ("sent",))["smtp_code"], 250)
        self.assertEqual(self.wait_state(refused, ("failed",))["smtp_code"], 550)
        # retried a minute later at the earliest ([queue] retry_base_seconds)
        self.assertEqual(self.wait_state(busy, ("deferred",))["smtp_code"], 450)

        got = self.metrics()
        sent = 'mailcast_messages_total{relay="test",outcome="sent",class="2xx"}'
        deferred = 'mailcast_messages_total{relay="test",outcome="deferred",class="4xx"}'
        failed = 'mailcast_messages_total{relay="test",outcome="failed",class="5xx"}'
        self.assertEqual((got.get(sent), got.get(deferred), got.get(failed)), (1, 1, 1), got)
        self.assertNotIn('mailcast_messages_total{relay="test",outcome="deferred",class="none"}',
                         got)
        # one observation per message; a session carries one or more of them
        self.assertEqual(got['mailcast_message_send_duration_seconds_count{relay="test"}'], 3)
        self.assertEqual(
            got['mailcast_message_send_duration_seconds_bucket{relay="test",le="+Inf"}'], 3)
        sessions = got['mailcast_smtp_session_duration_seconds_count{relay="test"}']
        self.assertGreaterEqual(sessions, 1)
        self.assertLessEqual(sessions, 3)
        self.assertGreater(got['mailcast_smtp_session_duration_seconds_sum{relay="test"}'], 0)
        # the queue as PostgreSQL has it
        self.assertEqual(got['mailcast_queue_messages{state="deferred"}'], 1)
        self.assertEqual(got['mailcast_queue_messages{state="queued"}'], 0)
        self.assertEqual(got['mailcast_queue_messages{state="sending"}'], 0)
        # the loop has run its jobs more than once by now: their lag is recorded
        self.assertGreaterEqual(
            got['mailcast_worker_job_lag_seconds_count{job="scheduled campaigns"}'], 1)
        # nothing was rate-limited
        self.assertEqual(got['mailcast_rate_limit_waits_total{relay="test"}'], 0)

    def test_import_rows_imported_and_failed(self):
        before = self.metrics()
        body, headers = multipart(b"email,name\nimp-a@example.org,A\nnot an address,B\n"
                                  b"imp-b@example.org,C\n")
        r = self.api.request("POST", "/api/v1/imports", raw=body, headers=headers)
        self.assertEqual(r.status, 202, r)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            job = self.api.request("GET", "/api/v1/imports/%d" % r.json()["id"]).json()
            if job["state"] in ("finished", "failed"):
                break
            time.sleep(0.1)
        self.assertEqual((job["state"], job["rows_done"], job["rows_failed"]), ("finished", 2, 1))
        got = self.metrics()
        imported = 'mailcast_import_rows_total{result="imported"}'
        failed = 'mailcast_import_rows_total{result="failed"}'
        self.assertEqual((got[imported] - before[imported], got[failed] - before[failed]), (2, 1))


if __name__ == "__main__":
    unittest.main()
