"""The complaint guard: a campaign paced at one message a second through the real SMTP peer
gets complaints (Mailgun's signed webhook, naming the Message-ID received) that take its rate
over the threshold; within seconds it pauses with the reason in progress and in the campaign,
the pause is counted in /metrics next to the domain's rate, logged, and posted to a webhook on
loopback as campaign.paused. A resume is refused with 409 while the rate is over the
threshold; with the override it goes on, and only a higher rate pauses it again."""

import hashlib
import hmac
import json
import time
import unittest

from audience_fixtures import AudienceCase
from harness import PgCluster
from test_metrics import parse
from test_webhooks import WebhookCase


MAILGUN_KEY = "clave-de-mailgun-ñ"


def setUpModule():
    AudienceCase.cluster = PgCluster()


def tearDownModule():
    AudienceCase.cluster.destroy()


class ComplaintGuardTest(WebhookCase):
    server_env = {"MAILCAST_WEBHOOKS_ALLOW_PRIVATE": "true",
                  "MAILCAST_WEBHOOKS_RETRY_BASE_SECONDS": "1",
                  "MAILCAST_DELIVERABILITY_COMPLAINT_THRESHOLD": "10%",
                  "MAILCAST_DELIVERABILITY_COMPLAINT_MIN_SENT": "4",
                  "MAILCAST_BOUNCES_MAILGUN_SIGNING_KEY": MAILGUN_KEY}

    def progress(self, campaign):
        r = self.api.request("GET", "/api/v1/campaigns/%d/progress" % campaign["id"])
        self.assertEqual(r.status, 200, r)
        return r.json()

    def campaign(self, name, people, sender="news@example.com", **fields):
        lst = self.create_list(name)
        for address in people:
            self.create_subscriber(address, lists=[lst["id"]])
        r = self.api.request("POST", "/api/v1/campaigns", dict({
            "name": name, "subject": "Hola", "from_email": sender, "body": "<p>Hola</p>",
            "lists": [lst["id"]]}, **fields))
        self.assertEqual(r.status, 201, r)
        return r.json()

    def wait_paused(self, campaign, what):
        """the campaign's progress once it is paused"""
        return self.wait_for(lambda: (lambda p: p["state"] == "paused" and p)(
            self.progress(campaign)), what, timeout=30)

    def complain(self, campaign):
        """a complaint, as Mailgun's signed webhook posts it, about the campaign's first sent
        message that has none yet (named by the Message-ID its recipient received)"""
        message, address = self.psql(
            "SELECT id, email FROM messages m WHERE campaign_id = %d AND state = 'sent' AND NOT"
            " EXISTS (SELECT 1 FROM bounces b WHERE b.message_id = m.id) ORDER BY id LIMIT 1"
            % campaign["id"]).split("|")
        message_id = self.received()[address][-1]["Message-ID"].strip()[1:-1]
        ts, token = str(int(time.time())), "tok-%s" % message
        event = {"id": "mg-%s" % message, "event": "complained", "recipient": address,
                 "message": {"headers": {"message-id": message_id}}}
        body = {"event-data": event, "signature": {
            "timestamp": ts, "token": token,
            "signature": hmac.new(MAILGUN_KEY.encode(), (ts + token).encode(),
                                  hashlib.sha256).hexdigest()}}
        r = self.server.client().request("POST", "/webhooks/mailgun", raw=json.dumps(body).encode(),
                                         headers={"Content-Type": "application/json"})
        self.assertEqual((r.status, r.json()), (200, {"recorded": 1}), r)
        self.assertEqual(self.psql("SELECT kind || '/' || source || '/' || campaign_id FROM bounces"
                                   " WHERE message_id = %s" % message),
                         "complaint/mailgun/%d" % campaign["id"])

    def metrics(self):
        return parse(self.api.request("GET", "/metrics").body)

    def test_complaints_over_the_threshold_pause_until_resumed_with_the_override(self):
        self.webhook("/guard", ["campaign.paused"])
        campaign = self.campaign("Quejas", ["queja%02d@example.org" % i for i in range(40)],
                                 rate_per_s=1)
        pauses = self.metrics()["mailcast_complaint_guard_pauses_total"]
        self.send(campaign)
        # two complaints once 5 went: 2 of 5 or more is over 10% (the minimum of sent messages
        # is the unit tests' matter)
        self.wait_for(lambda: self.progress(campaign)["sent"] >= 5, "5 messages sent")
        self.complain(campaign)
        self.complain(campaign)
        got = self.wait_paused(campaign, "the guard's pause")
        reason = got["paused_reason"]
        self.assertEqual((reason["code"], reason["scope"], reason["complaints"]),
                         ("complaint_rate", "campaign", 2))
        self.assertAlmostEqual(reason["threshold"], 0.1)
        self.assertAlmostEqual(reason["rate"], 2 / reason["sent"])
        self.assertIn("above the threshold of 10.00%", reason["message"])
        self.assertIn("%.2f%%" % (200 / reason["sent"]), reason["message"])
        self.assertEqual(self.api.request("GET", "/api/v1/campaigns/%d" % campaign["id"])
                         .json()["paused_reason"], reason)
        self.assertEqual(self.psql("SELECT string_agg(action || ':' || actor, ',' ORDER BY id)"
                                   " FROM campaign_transitions WHERE campaign_id = %d"
                                   % campaign["id"]), "send:api,pause:complaint guard")
        self.assertTrue(any("complaint guard: campaign %d paused" % campaign["id"] in line
                            for line in self.server.stderr_lines))
        metrics = self.metrics()
        self.assertEqual(metrics["mailcast_complaint_guard_pauses_total"], pauses + 1)
        self.assertGreater(metrics['mailcast_complaint_rate{domain="example.com"}'], 0.1)
        # the webhook
        event = self.wait_for(lambda: [e for e in self.receiver.events("/guard")
                                       if e["event"] == "campaign.paused"], "campaign.paused")[0]
        self.assertEqual((event["data"]["campaign_id"], event["data"]["actor"]),
                         (campaign["id"], "complaint guard"))
        self.assertEqual(event["data"]["reason"], reason)
        sent_when_paused = self.progress(campaign)["sent"]

        # a resume while the rate is over the threshold is refused, naming the override
        r = self.api.request("POST", "/api/v1/campaigns/%d/resume" % campaign["id"])
        error = self.assert_error(r, 409, "override_complaint_guard", "complaint_rate")
        self.assertIn("override_complaint_guard", error["message"])
        r = self.api.request("POST", "/api/v1/campaigns/%d/resume" % campaign["id"],
                             {"override_complaint_guard": "yes"})
        self.assert_error(r, 400, "override_complaint_guard")
        time.sleep(1.5)
        self.assertEqual(self.progress(campaign)["sent"], sent_when_paused)
        r = self.api.request("POST", "/api/v1/campaigns/%d/resume" % campaign["id"],
                             {"override_complaint_guard": True})
        self.assertEqual(r.status, 200, r)
        self.assertEqual((r.json()["state"], r.json()["paused_reason"]), ("running", None))

        # at the same rate level the guard leaves it alone; a higher rate pauses it again
        self.wait_for(lambda: self.progress(campaign)["sent"] >= sent_when_paused + 2,
                      "sending after the resume")
        self.assertEqual(self.progress(campaign)["state"], "running")
        self.complain(campaign)
        self.complain(campaign)
        got = self.wait_paused(campaign, "the second pause")
        self.assertEqual(got["paused_reason"]["complaints"], 4)
        self.assertEqual(self.metrics()["mailcast_complaint_guard_pauses_total"], pauses + 2)
        r = self.api.request("POST", "/api/v1/campaigns/%d/cancel" % campaign["id"])
        self.assertEqual(r.status, 200, r)

    def test_a_domain_over_the_threshold_pauses_its_running_campaigns(self):
        # an earlier campaign from the domain went out whole, then drew complaints: 12 sent, so
        # that one complaint (8.3%) stays under the 10% and the second (2 in 12 plus the few the
        # running campaign sends meanwhile at one a second) crosses it
        earlier = self.campaign("Marca 1", ["marca%d@example.org" % i for i in range(12)],
                                sender="hola@marca.example")
        self.send(earlier)
        self.wait_state(earlier, "finished")
        running = self.campaign("Marca 2", ["marca-b%d@example.org" % i for i in range(30)],
                                sender="hola@marca.example", rate_per_s=1)
        other = self.campaign("Otra", ["otra%d@example.org" % i for i in range(30)],
                              sender="hola@otra.example", rate_per_s=1)
        self.send(running)
        self.send(other)
        self.complain(earlier)
        self.complain(earlier)
        got = self.wait_paused(running, "the domain's pause")
        reason = got["paused_reason"]
        self.assertEqual((reason["scope"], reason["domain"], reason["complaints"]),
                         ("domain", "marca.example", 2))
        self.assertIn("the complaint rate of marca.example over the last 7 days",
                      reason["message"])
        # another domain's campaign goes on
        self.assertEqual(self.progress(other)["state"], "running")
        for c in (running, other):
            self.assertEqual(self.api.request("POST", "/api/v1/campaigns/%d/cancel" % c["id"])
                             .status, 200)

    def test_a_pause_by_a_person_has_no_reason_and_resumes_freely(self):
        campaign = self.campaign("Manual", ["manual%d@example.org" % i for i in range(5)],
                                 rate_per_s=1)
        self.send(campaign)
        r = self.api.request("POST", "/api/v1/campaigns/%d/pause" % campaign["id"])
        self.assertEqual((r.status, r.json()["paused_reason"]), (200, None))
        self.assertIsNone(self.progress(campaign)["paused_reason"])
        r = self.api.request("POST", "/api/v1/campaigns/%d/resume" % campaign["id"])
        self.assertEqual(r.status, 200, r)
        r = self.api.request("POST", "/api/v1/campaigns/%d/cancel" % campaign["id"])
        self.assertEqual(r.status, 200, r)


if __name__ == "__main__":
    unittest.main()
