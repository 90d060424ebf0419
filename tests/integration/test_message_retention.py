"""Retention of the message queue: a campaign keeps its final counts when it finishes or is
cancelled, and progress answers them."""

import time
import unittest

from audience_fixtures import AudienceCase
from campaign_fixtures import SendingCase
from harness import PgCluster


def setUpModule():
    AudienceCase.cluster = PgCluster()


def tearDownModule():
    AudienceCase.cluster.destroy()


class MessageRetentionTest(SendingCase):
    """A server that sends to an SMTP peer."""

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


if __name__ == "__main__":
    unittest.main()
