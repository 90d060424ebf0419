"""Revenue attribution on a data set with a known answer: two campaigns go through the SMTP
peer, opens and clicks reach the history through the tracking inbox as the endpoints write them,
and orders posted to POST /api/v1/events are attributed to the message with the last human click
within [automation] click_window_days (5) before the order, else the last human open within
open_window_days (1), else to none; the campaign stats add them up."""

import unittest

from audience_fixtures import AudienceCase
from harness import PgCluster
from test_tracking_analytics import CHROME, IPHONE_MAIL, TrackingCase

DAY = 86400
HOUR = 3600


def setUpModule():
    AudienceCase.cluster = PgCluster()


def tearDownModule():
    AudienceCase.cluster.destroy()


class AttributionTest(TrackingCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        self = cls("run")
        people = [("ana@example.es", "Ana"), ("ivan@example.ru", "Иван"),
                  ("zoe@example.org", "Zoë"), ("nadie@example.es", "Nadie"),
                  ("pablo@example.es", "Pablo"), ("olga@example.ru", "Ольга")]
        cls.a, cls.in_a, lst, links = self.sent_campaign(people, "10 days")
        cls.b, cls.in_b = self.second_campaign(lst, "9 days")
        link = links[0]
        self.inbox(cls.a, cls.in_a, [
            ("ana@example.es", "click", link, HOUR, CHROME, "GET", None),
            ("ivan@example.ru", "click", link, HOUR, CHROME, "GET", None),
            # a link scanner's HEAD: a machine's click, never credited
            ("zoe@example.org", "click", link, 2 * HOUR, CHROME, "HEAD", None),
            ("zoe@example.org", "open", None, 3 * HOUR, IPHONE_MAIL, "GET", None),
            ("nadie@example.es", "click", link, HOUR, CHROME, "GET", None),
            ("olga@example.ru", "click", link, HOUR, CHROME, "GET", None),
        ])
        self.inbox(cls.b, cls.in_b, [
            # Ana clicks the later campaign too: the last click wins
            ("ana@example.es", "click", None, HOUR, CHROME, "GET", None),
            # Iván only opens the later one: his earlier click still wins
            ("ivan@example.ru", "open", None, 2 * HOUR, IPHONE_MAIL, "GET", None),
            ("pablo@example.es", "open", None, 2 * HOUR, IPHONE_MAIL, "GET", None),
        ])
        self.wait_inbox_empty()

    def second_campaign(self, lst, sent_ago):
        """a second campaign to the list lst, sent through the peer, its sent_at moved sent_ago
        back; returns (campaign, {email: (subscriber id, message id)})"""
        r = self.api.request("POST", "/api/v1/campaigns", {
            "name": "Rebajas de enero", "subject": "¡Rebajas, {{name}}!",
            "from_email": "news@example.com", "lists": [lst["id"]],
            "body": "<p>Скидки</p><a href=\"{{unsubscribe_url}}\">baja</a>"})
        self.assertEqual(r.status, 201, r)
        campaign = r.json()
        self.send(campaign)
        self.wait_state(campaign, "finished")
        self.psql("UPDATE messages SET sent_at = sent_at - interval '%s' WHERE campaign_id = %d"
                  % (sent_ago, campaign["id"]))
        return campaign, self.campaign_messages(campaign)

    def engaged_at(self, email, campaign, kind, machine="false"):
        """the time of the subscriber's one engagement of kind with campaign, as RFC 3339"""
        sid = self.in_a[email][0]
        at = self.psql("SELECT mc_rfc3339(occurred_at) FROM message_engagements WHERE"
                       " subscriber_id = %d AND campaign_id = %d AND kind = '%s' AND machine = %s"
                       % (sid, campaign["id"], kind, machine))
        self.assertNotIn("\n", at)
        self.assertTrue(at, (email, kind))
        return at

    def order(self, email, at, seconds_after, revenue, **properties):
        """posts an order of email at `at` + seconds_after; returns its conversion
        (via, message id, campaign id, revenue, currency)"""
        when = self.psql("SELECT mc_rfc3339('%s'::timestamptz + make_interval(secs => %d))"
                         % (at, seconds_after))
        r = self.api.request("POST", "/api/v1/events", {
            "email": email, "name": "order_completed", "occurred_at": when,
            "properties": dict(properties, revenue=revenue,
                               items=[{"name": "Чайник", "price": revenue}])})
        self.assertEqual(r.status, 202, r)
        row = self.psql("SELECT COALESCE(via, '-'), COALESCE(message_id, 0), COALESCE(campaign_id,"
                        " 0), revenue, COALESCE(currency, '-'), mc_rfc3339(occurred_at)"
                        " FROM conversions WHERE event_id = %d" % r.json()["id"]).split("|")
        self.assertEqual(row[5], when)
        return row[0], int(row[1]), int(row[2]), row[3], row[4]

    def test_the_last_human_click_wins(self):
        at = self.engaged_at("ana@example.es", self.b, "click")
        self.assertEqual(self.order("ana@example.es", at, 2 * DAY, "49.90", currency="EUR"),
                         ("click", self.in_b["ana@example.es"][1], self.b["id"], "49.90", "EUR"))

    def test_a_click_beats_a_later_open(self):
        at = self.engaged_at("ivan@example.ru", self.b, "open")
        self.assertEqual(self.order("ivan@example.ru", at, HOUR, 1200),
                         ("click", self.in_a["ivan@example.ru"][1], self.a["id"], "1200.00", "-"))

    def test_a_machine_click_is_ignored_and_the_open_counts(self):
        self.engaged_at("zoe@example.org", self.a, "click", machine="true")
        at = self.engaged_at("zoe@example.org", self.a, "open")
        self.assertEqual(self.order("zoe@example.org", at, 23 * HOUR, 15.5),
                         ("open", self.in_a["zoe@example.org"][1], self.a["id"], "15.50", "-"))

    def test_the_click_window_edges(self):
        at = self.engaged_at("nadie@example.es", self.a, "click")
        self.assertEqual(self.order("nadie@example.es", at, 5 * DAY - 60, "10"),
                         ("click", self.in_a["nadie@example.es"][1], self.a["id"], "10.00", "-"))
        self.assertEqual(self.order("nadie@example.es", at, 5 * DAY + 60, "20"),
                         ("-", 0, 0, "20.00", "-"))

    def test_the_open_window_edges(self):
        at = self.engaged_at("pablo@example.es", self.b, "open")
        self.assertEqual(self.order("pablo@example.es", at, DAY - 60, "5.25"),
                         ("open", self.in_b["pablo@example.es"][1], self.b["id"], "5.25", "-"))
        self.assertEqual(self.order("pablo@example.es", at, DAY + 60, "7"),
                         ("-", 0, 0, "7.00", "-"))

    def test_an_order_before_the_click_is_unattributed(self):
        at = self.engaged_at("olga@example.ru", self.a, "click")
        self.assertEqual(self.order("olga@example.ru", at, -60, 3), ("-", 0, 0, "3.00", "-"))

    def test_an_order_without_revenue_counts_for_zero_and_other_events_make_none(self):
        s = self.create_subscriber("sin.importe@example.es")
        r = self.api.request("POST", "/api/v1/events", {"events": [
            {"subscriber_id": s["id"], "name": "order_completed", "properties": {"id": "A-1"}},
            {"subscriber_id": s["id"], "name": "cart_updated", "properties": {"revenue": 99}}]})
        self.assertEqual(r.status, 202, r)
        self.assertEqual(self.psql("SELECT string_agg(revenue::text || '/' || COALESCE(via, '-'),"
                                   " ',') FROM conversions WHERE subscriber_id = %d" % s["id"]),
                         "0.00/-")

    def test_a_triggered_message_earns_its_trigger_the_order(self):
        # set up by SQL as the trigger runner and the tracking job would leave them: a trigger's
        # message, sent, and a person's click on it
        s = self.create_subscriber("carrito@example.es")
        trigger = int(self.psql(
            "INSERT INTO triggers (name, definition, entry_kind, entry_event) VALUES"
            " ('Carrito abandonado', '{}', 'event', 'cart_updated') RETURNING id").split()[0])
        message = int(self.psql(
            "INSERT INTO messages (kind, subscriber_id, email, state, trigger_id, sent_at) VALUES"
            " ('trigger', %d, 'carrito@example.es', 'sent', %d, now() - interval '2 hours')"
            " RETURNING id" % (s["id"], trigger)).split()[0])
        self.psql("INSERT INTO message_engagements (message_id, subscriber_id, kind, occurred_at)"
                  " VALUES (%d, %d, 'click', now() - interval '1 hour')" % (message, s["id"]))
        r = self.api.request("POST", "/api/v1/events", {
            "subscriber_id": s["id"], "name": "order_completed",
            "properties": {"revenue": "80", "currency": "RUB"}})
        self.assertEqual(r.status, 202, r)
        self.assertEqual(self.psql("SELECT via, message_id, campaign_id IS NULL, trigger_id,"
                                   " revenue, currency FROM conversions WHERE event_id = %d"
                                   % r.json()["id"]),
                         "click|%d|t|%d|80.00|RUB" % (message, trigger))

    def test_zz_campaign_stats_add_up_the_conversions(self):
        # after the other tests (unittest runs them by name): every order of the data set is in
        def totals(campaign):
            r = self.api.request("GET", "/api/v1/campaigns/%d/stats" % campaign["id"])
            self.assertEqual(r.status, 200, r)
            s = r.json()
            return s["sent"], s["conversions"], s["revenue"], s["revenue_per_recipient"]

        # A: Iván's 1200, Zoë's 15.50, Nadie's 10 inside the window; B: Ana's 49.90, Pablo's 5.25
        self.assertEqual(totals(self.a), (6, 3, 1225.5, round(1225.5 / 6, 4)))
        self.assertEqual(totals(self.b), (6, 2, 55.15, round(55.15 / 6, 4)))
        r = self.api.request("GET", "/api/v1/campaigns/stats?ids=%d,%d" % (self.b["id"],
                                                                          self.a["id"]))
        self.assertEqual([(c["id"], c["conversions"], c["revenue"]) for c in r.json()["items"]],
                         [(self.b["id"], 2, 55.15), (self.a["id"], 3, 1225.5)])


if __name__ == "__main__":
    unittest.main()
