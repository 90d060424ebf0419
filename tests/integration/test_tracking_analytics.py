"""What comes back from a campaign, counted: opens and clicks written into engagement_inbox as
the tracking endpoints write them (after a real campaign went through the SMTP peer) are moved
by the worker into the history, told apart as a person's or a machine's (image proxies, link
scanners), and shown by the stats, comparison, activity and growth routes and the engagement
segment rules; several workers share the inbox without counting anything twice; retention
deletes old history and no number changes."""

import subprocess
import threading
import time
import unittest

from audience_fixtures import AudienceCase
from campaign_fixtures import SendingCase
from harness import MAILCAST_BIN, PgCluster, Server, base_env, check_sanitizers

CHROME = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
          "Chrome/120.0.0.0 Safari/537.36")
IPHONE_MAIL = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_1_2 like Mac OS X) AppleWebKit/605.1.15 "
               "(KHTML, like Gecko) Mobile/15E148")
APPLE_PROXY = "Mozilla/5.0"
GMAIL_PROXY = "Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)"

LINK_A = "https://example.org/ofertas/año-nuevo?utm_source=mailcast"
LINK_B = "https://example.org/новости"


def setUpModule():
    AudienceCase.cluster = PgCluster()


def tearDownModule():
    AudienceCase.cluster.destroy()


def q(text):
    """a SQL string literal"""
    return "'" + text.replace("'", "''") + "'"


class TrackingCase(SendingCase):
    def sent_campaign(self, people, sent_ago):
        """a campaign sent through the peer to people [(email, name)], with two tracked links,
        its messages' sent_at moved sent_ago back; returns (campaign, {email: (subscriber id,
        message id)}, list, [link ids])"""
        lst = self.create_list("Clientes de España %d" % time.monotonic_ns())
        subs = [self.create_subscriber(e, name=n, lists=[lst["id"]]) for e, n in people]
        r = self.api.request("POST", "/api/v1/campaigns", {
            "name": "Boletín de diciembre", "subject": "Hola {{name}}",
            "from_email": "news@example.com", "lists": [lst["id"]],
            "body": "<p>Привет, {{name}}</p><a href=\"%s\">a</a> <a href=\"%s\">b</a>"
                    "<a href=\"{{unsubscribe_url}}\">baja</a>" % (LINK_A, LINK_B)})
        self.assertEqual(r.status, 201, r)
        campaign = r.json()
        self.send(campaign)
        self.wait_state(campaign, "finished")
        self.psql("UPDATE messages SET sent_at = sent_at - interval '%s' WHERE campaign_id = %d"
                  % (sent_ago, campaign["id"]))
        # the send loop made the links' rows when it compiled the campaign
        links = [int(self.psql("SELECT id FROM tracked_links WHERE campaign_id = %d AND url = %s"
                               % (campaign["id"], q(url)))) for url in (LINK_A, LINK_B)]
        messages = self.campaign_messages(campaign)
        self.assertEqual(len(messages), len(people))
        return campaign, messages, lst, links

    def campaign_messages(self, campaign):
        """{email: (subscriber id, message id)} of the campaign's messages"""
        rows = self.psql("SELECT s.email, s.id, m.id FROM messages m JOIN subscribers s"
                         " ON s.id = m.subscriber_id WHERE m.campaign_id = %d" % campaign["id"])
        messages = {}
        for line in rows.split("\n"):
            email, sid, mid = line.split("|")
            messages[email] = (int(sid), int(mid))
        return messages

    def inbox(self, campaign, messages, events):
        """writes events [(email, kind, link id or None, seconds after sending, user agent,
        method, client hint)] into the inbox as the tracking endpoints do"""
        values = []
        for email, kind, link, after, agent, method, hint in events:
            sid, mid = messages[email]
            values.append("((SELECT sent_at FROM messages WHERE id = %d) + make_interval(secs => %s),"
                          " %s, %d, %d, %d, %s, %s, %s, %s)"
                          % (mid, after, q(kind), mid, campaign["id"], sid,
                             link if link else "NULL", q(method), q(agent), q(hint) if hint else "NULL"))
        self.psql("INSERT INTO engagement_inbox (occurred_at, kind, message_id, campaign_id,"
                  " subscriber_id, link_id, method, user_agent, client_hint) VALUES "
                  + ", ".join(values))

    def wait_inbox_empty(self, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.psql("SELECT count(*) FROM engagement_inbox") == "0":
                return
            time.sleep(0.2)
        self.fail("the worker left rows in engagement_inbox")

    def stats(self, campaign):
        r = self.api.request("GET", "/api/v1/campaigns/%d/stats" % campaign["id"])
        self.assertEqual(r.status, 200, r)
        return r.json()


class AnalyticsTest(TrackingCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        self = cls("run")
        people = [("ana@example.org", "Ana María"), ("ivan@example.org", "Иван Петров"),
                  ("zoe@example.org", "Zoë"), ("nadie@example.org", "Nadie Núñez")]
        cls.campaign, cls.messages, cls.list, cls.links = self.sent_campaign(people, "3 hours")
        a, b = cls.links
        hour = 3600
        self.inbox(cls.campaign, cls.messages, [
            # Ana reads on her phone, clicks in a browser, reads again
            ("ana@example.org", "open", None, hour, IPHONE_MAIL, "GET", "203.0.113.0"),
            ("ana@example.org", "click", a, hour + 60, CHROME, "GET", "203.0.113.0"),
            ("ana@example.org", "open", None, 2 * hour, IPHONE_MAIL, "GET", "203.0.113.0"),
            # Ivan's Apple Mail fetches the pixel on arrival through Apple's proxy; he never
            # loads images but clicks a link: a human open is implied
            ("ivan@example.org", "open", None, 3, APPLE_PROXY, "GET", "17.58.63.0"),
            ("ivan@example.org", "click", b, hour, CHROME, "GET", "198.51.100.0"),
            # Zoë's gateway looks at every link at once, one with HEAD; her webmail's proxy
            # fetches the pixel
            ("zoe@example.org", "click", a, 1800, CHROME, "HEAD", "198.51.100.0"),
            ("zoe@example.org", "click", a, 1800.2, CHROME, "GET", "198.51.100.0"),
            ("zoe@example.org", "click", b, 1800.4, CHROME, "GET", "198.51.100.0"),
            ("zoe@example.org", "open", None, 1900, GMAIL_PROXY, "GET", "66.102.8.0"),
        ])
        self.wait_inbox_empty()
        # what the bounce handling and the preferences page write
        zoe, nadie = cls.messages["zoe@example.org"], cls.messages["nadie@example.org"]
        ana = cls.messages["ana@example.org"]
        self.psql("INSERT INTO bounces (subscriber_id, message_id, campaign_id, kind, source, reason)"
                  " VALUES (%d, %d, %d, 'hard', 'dsn', '550 5.1.1 usuario desconocido'),"
                  " (%d, %d, %d, 'complaint', 'arf', 'abuse')"
                  % (zoe[0], zoe[1], cls.campaign["id"], nadie[0], nadie[1], cls.campaign["id"]))
        self.psql("INSERT INTO consents (subscriber_id, list_id, action, source, campaign_id, message_id)"
                  " VALUES (%d, %d, 'unsubscribe', 'preferences', %d, %d)"
                  % (nadie[0], cls.list["id"], cls.campaign["id"], nadie[1]))
        self.psql("INSERT INTO events (subscriber_id, name, properties, occurred_at) VALUES"
                  " (%d, 'compra', '{\"producto\": \"café\"}', now() - interval '1 minute')" % ana[0])

    def test_stats_count_people_and_machines_apart(self):
        s = self.stats(self.campaign)
        self.assertEqual((s["recipients"], s["sent"], s["failed"]), (4, 4, 0))
        self.assertEqual(s["delivered"], 3)  # Zoë's address bounced after delivery
        self.assertEqual(s["bounces"], {"hard": 1, "soft": 0})
        self.assertEqual(s["opens"], {"unique_human": 2, "total_human": 3,
                                      "unique_machine": 2, "total_machine": 2})
        self.assertEqual(s["clicks"], {"unique_human": 2, "total_human": 2,
                                       "unique_machine": 1, "total_machine": 3})
        self.assertEqual(s["click_to_open"], 1)
        links = {link["url"]: (link["unique_human"], link["total"]) for link in s["links"]}
        self.assertEqual(links, {LINK_A: (1, 3), LINK_B: (1, 2)})
        self.assertEqual((s["unsubscribes"], s["complaints"]), (1, 1))
        series = s["series"]
        self.assertGreaterEqual(len(series), 2)
        self.assertEqual([h["hour"] for h in series], sorted(h["hour"] for h in series))
        self.assertTrue(all(h["hour"].endswith(":00:00Z") for h in series), series)
        for key, total in [("opens_human", 3), ("opens_machine", 2), ("clicks_human", 2),
                           ("clicks_machine", 3)]:
            self.assertEqual(sum(h[key] for h in series), total, key)

    def test_history_names_the_rule_that_judged_a_machine(self):
        rows = self.psql("SELECT kind, machine, reason FROM message_engagements WHERE"
                         " campaign_id = %d ORDER BY occurred_at, kind" % self.campaign["id"])
        got = [tuple(line.split("|")) for line in rows.split("\n")]
        self.assertIn(("open", "t", "apple_privacy_proxy"), got)
        self.assertIn(("open", "t", "image_proxy"), got)
        self.assertIn(("click", "t", "head_request"), got)
        self.assertEqual(got.count(("click", "t", "all_links_at_once")), 2)
        self.assertIn(("open", "f", "implied_by_click"), got)
        self.assertEqual(len(got), 10)  # nine events and one implied open

    def test_compare_answers_campaigns_in_the_order_asked(self):
        r = self.api.request("POST", "/api/v1/campaigns", {
            "name": "Borrador", "subject": "Hola", "from_email": "news@example.com",
            "body": "<p>hola</p>", "lists": [self.list["id"]]})
        draft = r.json()
        r = self.api.request("GET", "/api/v1/campaigns/stats?ids=%d,%d" % (draft["id"], self.campaign["id"]))
        self.assertEqual(r.status, 200, r)
        items = r.json()["items"]
        self.assertEqual([i["id"] for i in items], [draft["id"], self.campaign["id"]])
        self.assertEqual(items[0]["opens"]["unique_human"], 0)
        self.assertEqual(items[0]["series"], [])
        self.assertEqual(items[1], self.stats(self.campaign))
        for bad in ["", "abc", "1,,2", "1,", "-1", "1,1", ",".join(str(i) for i in range(1, 22))]:
            self.assert_error(self.api.request("GET", "/api/v1/campaigns/stats?ids=" + bad), 400, "ids")
        self.assert_error(self.api.request("GET", "/api/v1/campaigns/stats"), 400, "ids")
        self.assert_error(self.api.request("GET", "/api/v1/campaigns/stats?ids=%d,999999"
                                           % self.campaign["id"]), 404, "ids")
        self.assert_error(self.api.request("GET", "/api/v1/campaigns/999999/stats"), 404)

    def test_segment_rules_count_people_unless_asked(self):
        def count(rule):
            r = self.api.request("POST", "/api/v1/segments/evaluate",
                                 {"rule": {"all": [{"list": self.list["id"]}, rule]}})
            self.assertEqual(r.status, 200, r)
            return r.json()["count"]
        c = self.campaign["id"]
        self.assertEqual(count({"engagement": "opened", "campaign": c}), 2)  # Ana, Ivan
        self.assertEqual(count({"engagement": "opened", "campaign": c, "include_machine": True}), 3)
        self.assertEqual(count({"engagement": "clicked", "campaign": c}), 2)
        self.assertEqual(count({"engagement": "clicked", "include_machine": True}), 3)
        self.assertEqual(count({"engagement": "not_opened", "campaign": c}), 2)  # Zoë, Nadie
        self.assertEqual(count({"engagement": "not_clicked", "campaign": c, "include_machine": True}), 1)
        r = self.api.request("POST", "/api/v1/segments/evaluate",
                             {"rule": {"engagement": "opened", "include_machine": 1}})
        self.assert_error(r, 400, "include_machine")

    def test_activity_is_newest_first_and_paged(self):
        ana_id = self.messages["ana@example.org"][0]
        seen, cursor = [], None
        while True:
            path = "/api/v1/subscribers/%d/activity?limit=2" % ana_id
            if cursor:
                path += "&cursor=" + cursor
            r = self.api.request("GET", path)
            self.assertEqual(r.status, 200, r)
            page = r.json()
            self.assertLessEqual(len(page["items"]), 2)
            seen += page["items"]
            cursor = page["next_cursor"]
            if not cursor:
                break
        self.assertEqual([i["type"] for i in seen], ["event", "opened", "clicked", "opened", "sent"])
        self.assertEqual([i["at"] for i in seen], sorted((i["at"] for i in seen), reverse=True))
        self.assertEqual(seen[0]["properties"], {"producto": "café"})
        self.assertEqual(seen[2]["url"], LINK_A)
        self.assertFalse(seen[2]["machine"])
        self.assertEqual(seen[4]["campaign_name"], "Boletín de diciembre")
        self.assertEqual(seen[4]["campaign_id"], self.campaign["id"])
        nadie = self.api.request("GET", "/api/v1/subscribers/%d/activity"
                                 % self.messages["nadie@example.org"][0]).json()["items"]
        self.assertEqual(sorted(i["type"] for i in nadie), ["bounced", "sent", "unsubscribed"])
        unsub = [i for i in nadie if i["type"] == "unsubscribed"][0]
        self.assertEqual(unsub["list_name"], self.list["name"])
        self.assertEqual([i["kind"] for i in nadie if i["type"] == "bounced"], ["complaint"])
        zoe = self.api.request("GET", "/api/v1/subscribers/%d/activity"
                               % self.messages["zoe@example.org"][0]).json()["items"]
        self.assertTrue(all(i["machine"] for i in zoe if i["type"] in ("opened", "clicked")))
        self.assert_error(self.api.request("GET", "/api/v1/subscribers/999999/activity"), 404)
        self.assert_error(self.api.request("GET", "/api/v1/subscribers/%d/activity?limit=0" % ana_id), 400, "limit")

    def test_list_growth_per_day_week_and_month(self):
        lst = self.list["id"]
        nadie = self.messages["nadie@example.org"][0]
        r = self.api.request("PUT", "/api/v1/lists/%d/subscribers" % lst,
                             {"subscriber_ids": [nadie], "status": "unsubscribed"})
        self.assertEqual(r.status, 200, r)
        today = self.psql("SELECT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD')")
        before = self.psql("SELECT to_char((now() AT TIME ZONE 'UTC') - interval '2 days', 'YYYY-MM-DD')")
        r = self.api.request("GET", "/api/v1/lists/%d/growth?from=%s&to=%s&interval=day" % (lst, before, today))
        self.assertEqual(r.status, 200, r)
        g = r.json()
        self.assertEqual((g["from"], g["to"], g["interval"]), (before, today, "day"))
        self.assertEqual([p["start"] for p in g["series"]][-1], today)
        self.assertEqual(len(g["series"]), 3)
        last = g["series"][-1]
        self.assertEqual((last["subscribed"], last["unsubscribed"], last["bounced"]), (4, 1, 1))
        self.assertEqual(sum(p["subscribed"] for p in g["series"]), 4)
        for interval in ("week", "month"):
            g = self.api.request("GET", "/api/v1/lists/%d/growth?interval=%s" % (lst, interval)).json()
            self.assertEqual(sum(p["subscribed"] for p in g["series"]), 4, interval)
            self.assertEqual(sum(p["bounced"] for p in g["series"]), 1, interval)
        self.assertEqual(len(self.api.request("GET", "/api/v1/lists/%d/growth" % lst).json()["series"]), 30)
        self.assert_error(self.api.request("GET", "/api/v1/lists/%d/growth?interval=year" % lst), 400, "interval")
        self.assert_error(self.api.request("GET", "/api/v1/lists/%d/growth?from=2026-02-30" % lst), 400, "from")
        self.assert_error(self.api.request("GET", "/api/v1/lists/%d/growth?to=ayer" % lst), 400, "to")
        self.assert_error(self.api.request("GET", "/api/v1/lists/%d/growth?from=%s&to=%s"
                                           % (lst, today, before)), 400, "from")
        self.assert_error(self.api.request("GET", "/api/v1/lists/%d/growth?from=2000-01-01" % lst), 400, "from")
        self.assert_error(self.api.request("GET", "/api/v1/lists/999999/growth"), 404)


class SharedInboxTest(TrackingCase):
    def test_two_workers_move_every_event_once(self):
        people = [("p%d@example.org" % i, "Persona %d" % i) for i in range(30)]
        campaign, messages, _, links = self.sent_campaign(people, "5 hours")
        events = []
        for i, (email, _) in enumerate(people):
            for j in range(40):
                click = j % 4 == 0  # 10 clicks, on both links, and 30 opens each
                events.append((email, "click" if click else "open",
                               links[(j // 4) % 2] if click else None, 3600 + i * 60 + j * 30,
                               CHROME if i % 3 else APPLE_PROXY, "GET", None))
        # a second worker process on the same database, next to the server's own
        env = base_env(MAILCAST_DATABASE_URL=self.dsn, MAILCAST_PATHS_DATA_DIR=self.server.data_dir)
        worker = subprocess.Popen([MAILCAST_BIN, "worker", "--config", self.config], env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        lines = []
        reader = threading.Thread(target=lambda: lines.extend(worker.stderr), daemon=True)
        reader.start()
        try:
            for start in range(0, len(events), 100):
                self.inbox(campaign, messages, events[start:start + 100])
            self.wait_inbox_empty()
        finally:
            worker.send_signal(15)
            worker.wait(timeout=60)
            reader.join(5)
            worker.stderr.close()
        check_sanitizers("".join(lines), "mailcast worker")
        self.assertEqual(self.psql("SELECT count(*) FROM message_engagements WHERE campaign_id = %d"
                                   % campaign["id"]), str(len(events)))
        # a third of the people read through Apple's proxy (every open and click a machine's)
        s = self.stats(campaign)
        self.assertEqual(s["opens"], {"unique_human": 20, "total_human": 600,
                                      "unique_machine": 10, "total_machine": 300})
        self.assertEqual(s["clicks"], {"unique_human": 20, "total_human": 200,
                                       "unique_machine": 10, "total_machine": 100})
        self.assertEqual(sum(h["opens_human"] + h["opens_machine"] for h in s["series"]), 900)
        self.assertEqual(sum(h["clicks_human"] + h["clicks_machine"] for h in s["series"]), 300)
        self.assertEqual(sum(link["total"] for link in s["links"]), 300)
        self.assertEqual(sum(link["unique_human"] for link in s["links"]), 40)


class RetentionTest(TrackingCase):
    def test_old_history_is_deleted_and_no_number_changes(self):
        people = [("ana@example.org", "Ana"), ("oleg@example.org", "Олег")]
        campaign, messages, lst, links = self.sent_campaign(people, "131 days")
        # the month of the events 70 days old has its partition, as the worker created it then;
        # the events 130 days old fall in the default partition
        bounds = self.psql("SELECT to_char(m, 'YYYY-MM-DD') || '|' || to_char(m + interval '1 month',"
                           " 'YYYY-MM-DD') FROM (SELECT date_trunc('month', (now() - interval"
                           " '70 days') AT TIME ZONE 'UTC') AS m) x").split("|")
        name = "message_engagements_y%sm%s" % (bounds[0][:4], bounds[0][5:7])
        self.psql("CREATE TABLE %s PARTITION OF message_engagements FOR VALUES FROM"
                  " ('%s 00:00:00+00') TO ('%s 00:00:00+00')" % (name, bounds[0], bounds[1]))
        day = 86400
        a, b = links
        self.inbox(campaign, messages, [
            ("ana@example.org", "open", None, day, IPHONE_MAIL, "GET", None),
            ("ana@example.org", "click", a, day + 10, CHROME, "GET", None),
            ("oleg@example.org", "open", None, 2, APPLE_PROXY, "GET", None),
            ("ana@example.org", "open", None, 61 * day, IPHONE_MAIL, "GET", None),
            ("oleg@example.org", "click", b, 61 * day, CHROME, "GET", None),
        ])
        self.wait_inbox_empty()
        before = self.stats(campaign)
        self.assertEqual(before["opens"]["total_human"], 3)
        self.assertEqual(self.psql("SELECT count(*) FROM %s" % name), "3")  # and Oleg's implied open
        self.assertEqual(self.psql("SELECT count(*) FROM message_engagements_default"), "3")

        # the list grew three and two days ago, and the worker has not added those days to
        # the growth rollup yet (it was stopped): they are counted from the memberships
        ana_id, oleg_id = messages["ana@example.org"][0], messages["oleg@example.org"][0]
        self.psql("UPDATE list_subscribers SET created_at = now() - interval '3 days' WHERE"
                  " list_id = %d; UPDATE list_subscribers SET unsubscribed_at = now() - interval"
                  " '2 days', status = 'unsubscribed' WHERE subscriber_id = %d;"
                  " INSERT INTO bounces (subscriber_id, kind, source, created_at) VALUES"
                  " (%d, 'hard', 'dsn', now() - interval '2 days');"
                  " UPDATE list_growth_progress SET done_through = (now() AT TIME ZONE 'UTC')::date - 10"
                  % (lst["id"], oleg_id, ana_id))
        growth_path = "/api/v1/lists/%d/growth?interval=week" % lst["id"]
        growth = self.api.request("GET", growth_path).json()
        self.assertEqual([sum(p[k] for p in growth["series"]) for k in ("subscribed", "unsubscribed", "bounced")],
                         [2, 1, 1])

        # the server again, now keeping 30 days of history: its first round applies it, and adds
        # the days that ended to the growth rollup
        data_dir = self.server.data_dir
        type(self).server.stop()
        type(self).server = Server(dsn=self.dsn, data_dir=data_dir, args=("--config", self.config),
                                   extra_env={"MAILCAST_TRACKING_EVENT_RETENTION_DAYS": "30"})
        self.api.port = self.server.port  # the same session, on the new server
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and self.psql("SELECT count(*) FROM message_engagements") != "0":
            time.sleep(0.2)
        self.assertEqual(self.psql("SELECT count(*) FROM message_engagements"), "0")
        self.assertEqual(self.psql("SELECT to_regclass(%s) IS NULL" % q(name)), "t")  # dropped whole
        self.assertEqual(self.stats(campaign), before)
        self.assertEqual(self.psql("SELECT sum(subscribed) || ',' || sum(unsubscribed) || ',' ||"
                                   " sum(bounced) FROM list_growth_days WHERE list_id = %d" % lst["id"]),
                         "2,1,1")
        self.assertEqual(self.api.request("GET", growth_path).json(), growth)
        activity = self.api.request("GET", "/api/v1/subscribers/%d/activity"
                                    % messages["ana@example.org"][0]).json()["items"]
        self.assertEqual([i["type"] for i in activity], ["bounced", "sent"])  # no open or click left

        # a later click on an old message is one more click, not one more clicker
        self.inbox(campaign, messages, [("ana@example.org", "click", a, 130 * day, CHROME, "GET", None)])
        self.wait_inbox_empty()
        after = self.stats(campaign)
        self.assertEqual(after["clicks"]["total_human"], before["clicks"]["total_human"] + 1)
        self.assertEqual(after["clicks"]["unique_human"], before["clicks"]["unique_human"])
        self.assertEqual(after["opens"], before["opens"])


if __name__ == "__main__":
    unittest.main()
