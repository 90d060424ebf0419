"""Campaigns sent by the worker loop to a real SMTP peer (aiosmtpd on 127.0.0.1): exactly the
audience, personalized, with List-Unsubscribe; 4xx retried until accepted; 5xx failed with the
reply and a hard bounce; temporary failures given up after max_attempts; pause, resume and
cancel hold."""

import os
import time
import unittest

from audience_fixtures import AudienceCase
from campaign_fixtures import SendingCase
from harness import PgCluster


def setUpModule():
    AudienceCase.cluster = PgCluster()


def tearDownModule():
    AudienceCase.cluster.destroy()


class CampaignSendTest(SendingCase):
    server_env = {
        "MAILCAST_QUEUE_BATCH_SIZE": "2", "MAILCAST_QUEUE_MAX_ATTEMPTS": "3",
        "MAILCAST_QUEUE_RETRY_BASE_SECONDS": "1", "MAILCAST_QUEUE_RETRY_MAX_SECONDS": "1",
        "MAILCAST_SERVER_PUBLIC_URL": "https://news.example.org"}

    def campaign(self, emails, **fields):
        lst = self.create_list("Lista %d" % time.monotonic_ns())
        subs = [self.create_subscriber(e, name=n, lists=[lst["id"]], attributes=a)
                for e, n, a in emails]
        body = {"name": "Campaña", "subject": "Hola {{first_name}}",
                "from_email": "news@example.com", "from_name": "Noticias",
                "body": "<p>Привет, {{name}}! Ciudad: {{city}}</p>"
                        "<a href=\"{{unsubscribe_url}}\">baja</a>",
                "lists": [lst["id"]]}
        body.update(fields)
        r = self.api.request("POST", "/api/v1/campaigns", body)
        self.assertEqual(r.status, 201, r)
        return r.json(), subs

    def rows(self, campaign):
        out = self.psql("SELECT email, state, attempts, coalesce(smtp_code, 0),"
                        " coalesce(smtp_enhanced, ''), coalesce(smtp_text, ''), coalesce(reason, '')"
                        " FROM messages WHERE campaign_id = %d ORDER BY email" % campaign["id"])
        return [line.split("|") for line in out.split("\n") if line]

    def test_the_audience_receives_one_personalized_message_each(self):
        people = [("ana@example.org", "Ana María López", {"city": "Sevilla"}),
                  ("ivan@example.org", "Иван Петров", {"city": "Москва"}),
                  ("zoe@example.org", "Zoë", {"city": "Zürich"})]
        c, subs = self.campaign(people + [("blocked@example.org", "B", {})])
        self.api.request("PATCH", "/api/v1/subscribers/%d" % subs[-1]["id"], {"status": "blocklisted"})
        self.create_subscriber("outsider@example.org")
        self.assertEqual(self.send(c)["total"], 3)
        self.wait_state(c, "finished")
        progress = self.api.request("GET", "/api/v1/campaigns/%d/progress" % c["id"]).json()
        self.assertEqual((progress["sent"], progress["failed"], progress["last_errors"]), (3, 0, []))
        got = self.received()
        for address, name, attrs in people:
            self.assertEqual(len(got.get(address, [])), 1, address)
            msg = got[address][0]
            self.assertEqual(msg["Subject"], "Hola " + name.split()[0])
            html = msg.get_body(("html",)).get_content()
            self.assertIn("Привет, %s! Ciudad: %s" % (name, attrs["city"]), html)
            self.assertIn("https://news.example.org/preferences/", msg["List-Unsubscribe"])
            self.assertIn("https://news.example.org/preferences/", html)
            text = msg.get_body(("plain",)).get_content()
            self.assertIn("Привет, %s! Ciudad: %s baja (https://news.example.org/preferences/"
                          % (name, attrs["city"]), " ".join(text.split()))
            self.assertTrue(msg["Message-ID"])
        self.assertNotIn("blocked@example.org", got)
        self.assertNotIn("outsider@example.org", got)
        for row in self.rows(c):
            self.assertEqual(row[1:4], ["sent", "1", "250"], row)
        log = self.psql("SELECT string_agg(action || ':' || actor, ',' ORDER BY id)"
                        " FROM campaign_transitions WHERE campaign_id = %d" % c["id"])
        self.assertEqual(log, "send:api,finish:worker")

    def test_utm_settings_tag_the_links_of_the_message(self):
        c, _ = self.campaign(
            [("utm@example.org", "Utm", {})],
            utm={"source": "boletín", "medium": "email", "campaign": "otoño 2026"},
            # the tagged links as written; behind click tracking they are the redirect's
            # targets (test_tracking)
            track_clicks=False,
            body="<p>Hola {{name}}</p><a href=\"https://shop.example/p/{{subscriber_id}}?ref=1#top\">"
                 "Ver</a> <a href=\"{{unsubscribe_url}}\">baja</a>")
        self.send(c)
        self.wait_state(c, "finished")
        msg = self.received()["utm@example.org"][0]
        tagged = ("https://shop.example/p/%s?ref=1&utm_source=bolet%%C3%%ADn&utm_medium=email"
                  "&utm_campaign=oto%%C3%%B1o%%202026#top"
                  % self.psql("SELECT id FROM subscribers WHERE email = 'utm@example.org'"))
        html = msg.get_body(("html",)).get_content()
        self.assertIn(tagged.replace("&", "&amp;"), html)
        # the unsubscribe link is the subscriber's own page: not tagged
        self.assertRegex(html, r'href="https://news\.example\.org/preferences/[^"?]+"')
        self.assertIn("Ver (%s)" % tagged, " ".join(msg.get_body(("plain",)).get_content().split()))

    def test_a_temporary_refusal_is_retried_until_accepted(self):
        c, _ = self.campaign([("flaky1@example.org", "Flaky", {}), ("fine@example.org", "Fine", {})])
        self.send(c)
        self.wait_state(c, "finished")
        rows = {r[0]: r for r in self.rows(c)}
        self.assertEqual(rows["flaky1@example.org"][1:4], ["sent", "2", "250"])
        self.assertEqual(rows["fine@example.org"][1:3], ["sent", "1"])
        self.assertEqual(len(self.received()["flaky1@example.org"]), 1)

    def test_a_permanent_refusal_fails_with_the_reply_and_a_hard_bounce(self):
        c, subs = self.campaign([("rcpt550-gone@example.org", "Gone", {}),
                                 ("ok550@example.org", "Ok", {})])
        self.send(c)
        self.wait_state(c, "finished")
        rows = {r[0]: r for r in self.rows(c)}
        row = rows["rcpt550-gone@example.org"]
        self.assertEqual(row[1:5], ["failed", "1", "550", "5.1.1"])
        self.assertIn("No such user", row[5])
        self.assertEqual(rows["ok550@example.org"][1], "sent")
        self.assertEqual(self.psql("SELECT kind || ':' || smtp_code FROM bounces WHERE subscriber_id = %d"
                                   % subs[0]["id"]), "hard:550")
        # a hard-bounced subscriber is left out of the next campaign
        again = self.api.request("POST", "/api/v1/campaigns/%d/duplicate" % c["id"]).json()
        self.assertEqual(self.send(again)["total"], 1)

    def test_temporary_failures_give_up_after_max_attempts(self):
        c, _ = self.campaign([("rcpt450-busy@example.org", "Busy", {})])
        self.send(c)
        self.wait_state(c, "finished")
        row = self.rows(c)[0]
        self.assertEqual(row[1:5], ["failed", "3", "450", "4.2.1"])
        self.assertEqual(row[6], "gave up after 3 attempts")
        progress = self.api.request("GET", "/api/v1/campaigns/%d/progress" % c["id"]).json()
        self.assertEqual({k: progress[k] for k in ("state", "total", "queued", "sending", "sent",
                                                   "deferred", "failed", "eta_s")},
                         {"state": "finished", "total": 1, "queued": 0, "sending": 0, "sent": 0,
                          "deferred": 0, "failed": 1, "eta_s": None})
        error = progress["last_errors"][0]
        self.assertEqual((error["email"], error["smtp_code"], error["reason"]),
                         ("rcpt450-busy@example.org", 450, "gave up after 3 attempts"))
        message = self.api.request("GET", "/api/v1/messages/%d" % error["message_id"]).json()
        self.assertEqual((message["state"], message["attempts"], message["smtp_enhanced"]),
                         ("failed", 3, "4.2.1"))
        self.assertIn("Mailbox busy", message["smtp_text"])
        self.assertEqual(self.api.request("GET", "/api/v1/messages/999999999").status, 404)

    def test_a_reply_lost_after_the_data_marks_a_possible_duplicate(self):
        # the peer read the whole message and closed the connection: it may have kept it,
        # so every resend may deliver it twice; a refusal at RCPT TO delivered nothing
        lost, _ = self.campaign([("lostreply-1@example.org", "Lost", {})])
        busy, _ = self.campaign([("rcpt450-dup@example.org", "Busy", {})])
        self.send(lost)
        self.send(busy)
        self.wait_state(lost, "finished")
        self.wait_state(busy, "finished")
        flags = self.psql("SELECT email || ':' || state || ':' || possible_duplicate FROM messages"
                          " WHERE campaign_id IN (%d, %d) ORDER BY email" % (lost["id"], busy["id"]))
        self.assertEqual(flags.split("\n"), ["lostreply-1@example.org:failed:true",
                                             "rcpt450-dup@example.org:failed:false"])

    def test_pause_holds_and_resume_finishes(self):
        people = [("pause%02d@example.org" % i, "P %d" % i, {}) for i in range(40)]
        c, _ = self.campaign(people)
        self.send(c)
        r = self.api.request("POST", "/api/v1/campaigns/%d/pause" % c["id"])
        self.assertEqual(r.status, 200, r)
        at_pause = sum(len(v) for k, v in self.received().items() if k.startswith("pause"))
        time.sleep(2)
        after = sum(len(v) for k, v in self.received().items() if k.startswith("pause"))
        self.assertEqual(after, at_pause)
        states = self.psql("SELECT string_agg(DISTINCT state, ',') FROM messages WHERE campaign_id = %d"
                           " AND state <> 'sent'" % c["id"])
        self.assertEqual(states, "queued")
        self.assertEqual(self.api.request("POST", "/api/v1/campaigns/%d/resume" % c["id"]).status, 200)
        self.wait_state(c, "finished")
        got = self.received()
        self.assertEqual(sorted(k for k in got if k.startswith("pause")), sorted(p[0] for p in people))
        self.assertTrue(all(len(got[p[0]]) == 1 for p in people))

    def test_nothing_is_sent_after_cancel_returns(self):
        people = [("cancel%02d@example.org" % i, "C %d" % i, {}) for i in range(40)]
        c, _ = self.campaign(people)
        self.send(c)
        r = self.api.request("POST", "/api/v1/campaigns/%d/cancel" % c["id"])
        self.assertEqual(r.status, 200, r)
        at_cancel = {k for k in self.received() if k.startswith("cancel")}
        time.sleep(2)
        self.assertEqual({k for k in self.received() if k.startswith("cancel")}, at_cancel)
        rows = self.rows(c)
        self.assertEqual({r[0] for r in rows if r[1] == "sent"}, at_cancel)
        self.assertEqual({r[1] for r in rows if r[1] != "sent"} or {"cancelled"}, {"cancelled"})

    def test_outside_its_sending_window_nothing_is_sent(self):
        now = time.gmtime()
        start = "%02d:%02d" % ((now.tm_hour + 2) % 24, now.tm_min)
        end = "%02d:%02d" % ((now.tm_hour + 3) % 24, now.tm_min)
        c, _ = self.campaign([("window@example.org", "W", {})], window_start=start, window_end=end)
        self.send(c)
        time.sleep(2.5)
        self.assertEqual(self.rows(c)[0][1], "queued")
        self.assertNotIn("window@example.org", self.received())
        self.api.request("POST", "/api/v1/campaigns/%d/cancel" % c["id"])


    def test_a_scheduled_campaign_starts_at_send_at(self):
        c, _ = self.campaign([("scheduled@example.org", "S", {})], send_at="2020-01-01T00:00:00Z")
        later, _ = self.campaign([("later@example.org", "L", {})], send_at="2099-01-01T00:00:00Z")
        for campaign in (c, later):
            r = self.api.request("POST", "/api/v1/campaigns/%d/schedule" % campaign["id"])
            self.assertEqual(r.json()["state"], "scheduled")
        self.wait_state(c, "finished")
        self.assertEqual(len(self.received()["scheduled@example.org"]), 1)
        log = self.psql("SELECT string_agg(action || ':' || actor, ',' ORDER BY id)"
                        " FROM campaign_transitions WHERE campaign_id = %d" % c["id"])
        self.assertEqual(log, "schedule:api,start:scheduler,finish:worker")
        self.assertEqual(self.api.request("GET", "/api/v1/campaigns/%d" % later["id"]).json()["state"],
                         "scheduled")
        self.api.request("POST", "/api/v1/campaigns/%d/cancel" % later["id"])

    def test_a_test_send_reaches_only_the_given_addresses(self):
        c, subs = self.campaign([("real@example.org", "Lucía Fernández", {"city": "Lima"})])
        r = self.api.request("POST", "/api/v1/campaigns/%d/test" % c["id"],
                             {"to": ["qa1@example.org", "qa2@example.org"], "subscriber_id": subs[0]["id"]})
        self.assertEqual(r.status, 202, r)
        ids = r.json()["message_ids"]
        self.assertEqual(len(ids), 2)
        deadline = time.monotonic() + 60
        while any(self.api.request("GET", "/api/v1/messages/%d" % i).json()["state"] != "sent" for i in ids):
            self.assertLess(time.monotonic(), deadline)
            time.sleep(0.2)
        got = self.received()
        for address in ("qa1@example.org", "qa2@example.org"):
            [msg] = got[address]
            self.assertEqual(msg["Subject"], "[Test] Hola Lucía")
            self.assertIn("Привет, Lucía Fernández! Ciudad: Lima", msg.get_body(("html",)).get_content())
        self.assertNotIn("real@example.org", got)
        self.assertEqual(self.api.request("GET", "/api/v1/campaigns/%d" % c["id"]).json()["state"], "draft")
        r = self.api.request("POST", "/api/v1/campaigns/%d/test" % c["id"], {"to": ["nope"]})
        self.assertEqual(r.json()["error"]["field"], "to")
        r = self.api.request("POST", "/api/v1/campaigns/999999/test", {"to": ["a@example.org"]})
        self.assertEqual(r.status, 404)


if __name__ == "__main__":
    unittest.main()
