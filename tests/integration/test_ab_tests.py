"""A/B tests of campaigns, through the real SMTP peer and the real tracking endpoints: the test
share of the audience is split evenly across the variants, each message carries its variant's
subject, from name and content, the rest is held until a winner exists; the winner job picks
the variant with the most unique human clickers per message sent (not the most clicks, not
the machines' clicks) and the rest goes out with its content; the report's numbers and its
two-proportion z-test equal what this test computes from its own data set; a person may
choose the winner instead; bad settings are refused naming the field."""

import math
import re
import time
import unittest

from audience_fixtures import AudienceCase
from campaign_fixtures import SendingCase
from harness import PgCluster

PUBLIC = "https://news.example.org"
LINK = "https://shop.example.org/rebajas"
CHROME = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
          "Chrome/120.0.0.0 Safari/537.36")
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0"
BOT = "Mozilla/5.0 (compatible; BingPreview/1.0b)"


def setUpModule():
    AudienceCase.cluster = PgCluster()


def tearDownModule():
    AudienceCase.cluster.destroy()


def z_test(x1, n1, x2, n2):
    """the two-proportion z-test with the pooled proportion, and its two-sided p-value"""
    pooled = (x1 + x2) / (n1 + n2)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    if se == 0:
        return 0.0, 1.0
    z = (x1 / n1 - x2 / n2) / se
    return z, math.erfc(abs(z) / math.sqrt(2))


class AbTestCase(SendingCase):
    server_env = {"MAILCAST_SERVER_PUBLIC_URL": PUBLIC, "MAILCAST_QUEUE_BATCH_SIZE": "25"}

    def audience(self, n, tag):
        """a list of n new subscribers (made in one statement); returns the list"""
        lst = self.create_list("Clientes %s %d" % (tag, time.monotonic_ns()))
        self.psql("WITH s AS (INSERT INTO subscribers (email, name) SELECT '%s' || g ||"
                  " '@example.org', 'Persona ' || g FROM generate_series(1, %d) g RETURNING id)"
                  " INSERT INTO list_subscribers (list_id, subscriber_id, status)"
                  " SELECT %d, id, 'confirmed' FROM s" % (tag, n, lst["id"]))
        return lst

    def create(self, lst, ab_test, **fields):
        body = {"name": "Rebajas", "subject": "Rebajas de invierno", "from_email": "news@example.com",
                "from_name": "Tienda", "lists": [lst["id"]],
                "body": "<p>Hola {{name}}</p><a href=\"%s\">ver</a>"
                        "<a href=\"{{unsubscribe_url}}\">baja</a>" % LINK,
                "ab_test": ab_test}
        body.update(fields)
        r = self.api.request("POST", "/api/v1/campaigns", body)
        self.assertEqual(r.status, 201, r)
        return r.json()

    def progress(self, campaign):
        r = self.api.request("GET", "/api/v1/campaigns/%d/progress" % campaign["id"])
        self.assertEqual(r.status, 200, r)
        return r.json()

    def report(self, campaign):
        r = self.api.request("GET", "/api/v1/campaigns/%d/ab" % campaign["id"])
        self.assertEqual(r.status, 200, r)
        return r.json()

    def wait_for(self, what, check, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            got = check()
            if got:
                return got
            time.sleep(0.2)
        self.fail("timed out waiting for " + what)

    def wait_phase(self, campaign, phase):
        return self.wait_for("phase " + phase,
                             lambda: (lambda p: p if p["ab_test"]["phase"] == phase else None)(
                                 self.progress(campaign)))

    def by_address(self, campaign):
        """{email: (message id, variant or None, state)} of the campaign's messages"""
        rows = self.psql("SELECT email, id, COALESCE(ab_variant::text, ''), state FROM messages"
                         " WHERE campaign_id = %d" % campaign["id"])
        out = {}
        for line in rows.splitlines():
            email, mid, variant, state = line.split("|")
            out[email] = (int(mid), int(variant) if variant else None, state)
        return out

    def mail_to(self, address, received=None):
        """the one message address received (from received, a received() read earlier)"""
        got = (received if received is not None else self.received()).get(address, [])
        self.assertEqual(len(got), 1, address)
        return got[0]


class AbWinnerByClicksTest(AbTestCase):
    def test_the_variant_with_most_human_clickers_wins_and_goes_to_the_rest(self):
        lst = self.audience(200, "ab")
        variants = [{"subject": "A: rebajas para {{name}}"},
                    {"subject": "B: ¡Ñandú y rebajas! {{name}}", "from_name": "Equipo Б",
                     "body": "<p>Cuerpo B para {{name}}</p><a href=\"%s\">comprar</a>"
                             "<a href=\"{{unsubscribe_url}}\">baja</a>" % LINK},
                    {"subject": "C: última oportunidad", "from_name": "Tienda C"}]
        c = self.create(lst, {"variants": variants, "test_percent": 30, "metric": "clicks",
                              "wait": "1h"})
        self.assertEqual(c["ab_test"]["test_percent"], 30)
        self.assertEqual(c["ab_test"]["result"], None)
        self.assertEqual(self.send(c)["total"], 200)

        # exactly 60 test messages, 20 per variant, the other 140 held
        self.wait_phase(c, "waiting")
        messages = self.by_address(c)
        counts = {}
        for mid, variant, state in messages.values():
            counts[variant] = counts.get(variant, 0) + 1
        self.assertEqual(counts, {0: 20, 1: 20, 2: 20, None: 140})
        progress = self.progress(c)
        self.assertEqual(progress["ab_test"]["held"], 140)
        self.assertEqual([(v["name"], v["sent"]) for v in progress["ab_test"]["variants"]],
                         [("A", 20), ("B", 20), ("C", 20)])
        self.assertEqual(progress["state"], "running")
        self.assertTrue(progress["ab_test"]["wait_until"])
        got = self.received()
        self.assertEqual(sum(len(v) for v in got.values()), 60)
        subjects = ["A: rebajas para %s", "B: ¡Ñandú y rebajas! %s", "C: última oportunidad"]
        senders = ["Tienda", "Equipo Б", "Tienda C"]
        for email, (mid, variant, state) in messages.items():
            if variant is None:
                self.assertEqual(state, "queued")
                self.assertNotIn(email, got)
                held = mid
                continue
            self.assertEqual(state, "sent")
            msg = self.mail_to(email, got)
            name = "Persona " + email.split("@")[0][2:]
            expected = subjects[variant] % name if "%s" in subjects[variant] else subjects[variant]
            self.assertEqual(msg["Subject"], expected)
            self.assertEqual(msg["From"].addresses[0].display_name, senders[variant])
            html = msg.get_body(("html",)).get_content()
            self.assertEqual("Cuerpo B para " + name in html, variant == 1, email)

        # a held message has no time to run yet
        r = self.api.request("GET", "/api/v1/messages/%d" % held)
        self.assertEqual((r.status, r.json()["state"], r.json()["run_at"]), (200, "queued", None))

        # the data set: people read an hour after delivery (closer to it, an open or click is a
        # machine's prefetch or scan), through the real tracking endpoints
        self.psql("UPDATE messages SET sent_at = sent_at - interval '1 hour' WHERE campaign_id = %d"
                  % c["id"])
        tracked = {}
        for email, (mid, variant, state) in messages.items():
            if variant is None:
                continue
            html = self.mail_to(email, got).get_body(("html",)).get_content()
            click = re.search(r'href="%s(/t/c/[^"]+)"' % re.escape(PUBLIC), html).group(1)
            pixel = re.search(r'src="%s(/t/o/[^"]+)"' % re.escape(PUBLIC), html).group(1)
            tracked[email] = (variant, click, pixel)
        people = {v: sorted(e for e, t in tracked.items() if t[0] == v) for v in range(3)}
        a, b, cc = people[0], people[1], people[2]
        # (email, "open"|"click", user agent): A has the most clicks in total (one reader
        # clicks five times) and the most machine clicks, B the most people who click
        events = ([(a[0], "click", CHROME)] * 5 + [(a[1], "click", FIREFOX)]
                  + [(e, "click", BOT) for e in a[2:8]] + [(e, "open", CHROME) for e in a[:7]]
                  + [(e, "open", BOT) for e in a[10:14]]
                  + [(e, "click", CHROME) for e in b[:4]] + [(e, "open", FIREFOX) for e in b[3:6]]
                  + [(cc[0], "click", CHROME), (cc[1], "click", BOT)]
                  + [(e, "open", CHROME) for e in cc[:3]] + [(e, "open", BOT) for e in cc[5:9]])
        client = self.server.client()
        for email, kind, agent in events:
            variant, click, pixel = tracked[email]
            r = client.request("GET", click if kind == "click" else pixel,
                               headers={"User-Agent": agent})
            self.assertEqual(r.status, 302 if kind == "click" else 200, r)
        self.wait_for("the events in the history", lambda: self.psql(
            "SELECT count(*) FROM message_engagements WHERE campaign_id = %d"
            " AND reason <> 'implied_by_click'" % c["id"]) == str(len(events))
            and self.psql("SELECT count(*) FROM engagement_inbox") == "0")

        # what the report must say, from the data set alone
        human = {v: {"open": set(), "click": set()} for v in range(3)}
        for email, kind, agent in events:
            if agent != BOT:
                human[tracked[email][0]][kind].add(email)
        clickers = [len(human[v]["click"]) for v in range(3)]
        # a person's click implies an open
        openers = [len(human[v]["open"] | human[v]["click"]) for v in range(3)]
        self.assertEqual(clickers, [2, 4, 1])
        self.assertEqual(openers, [7, 6, 3])
        report = self.report(c)
        self.assertEqual((report["metric"], report["best"], report["winner"]), ("clicks", 1, None))
        for v, row in enumerate(report["variants"]):
            self.assertEqual((row["name"], row["sent"], row["clicks_unique_human"],
                              row["opens_unique_human"]),
                             ("ABC"[v], 20, clickers[v], openers[v]), row)
            self.assertAlmostEqual(row["click_rate"], clickers[v] / 20)
            self.assertAlmostEqual(row["open_rate"], openers[v] / 20)
            if v == 1:
                self.assertEqual((row["z"], row["p_value"]), (None, None))
                continue
            z, p = z_test(clickers[v], 20, clickers[1], 20)
            self.assertAlmostEqual(row["z"], z, places=9)
            self.assertAlmostEqual(row["p_value"], p, places=9)

        # the wait ends (moved back rather than waited for): the job chooses B
        self.psql("UPDATE campaign_ab_tests SET test_ended_at = test_ended_at - interval '1 hour'"
                  " WHERE campaign_id = %d" % c["id"])
        self.wait_state(c, "finished")
        report = self.report(c)
        self.assertEqual((report["winner"]["variant"], report["winner"]["name"],
                          report["winner"]["by"]), (1, "B", "auto"))
        self.assertEqual(self.progress(c)["ab_test"]["phase"], "done")
        got = self.received()
        self.assertEqual(sum(len(v) for v in got.values()), 200)
        for email, (mid, variant, state) in messages.items():
            if variant is not None:
                continue
            msg = self.mail_to(email, got)
            self.assertEqual(msg["Subject"], "B: ¡Ñandú y rebajas! Persona " + email.split("@")[0][2:])
            self.assertEqual(msg["From"].addresses[0].display_name, "Equipo Б")
        self.assertEqual(self.psql("SELECT count(*) FROM messages WHERE campaign_id = %d"
                                   " AND state = 'sent'" % c["id"]), "200")


class AbManualAndShortWaitTest(AbTestCase):
    def test_a_short_wait_with_no_engagement_goes_to_the_first_variant(self):
        lst = self.audience(10, "tie")
        r = self.api.request("POST", "/api/v1/templates", {
            "name": "Plantilla B", "kind": "campaign", "subject": "no se usa",
            "body": "<p>Plantilla B para {{name}}</p><a href=\"{{unsubscribe_url}}\">baja</a>"})
        self.assertEqual(r.status, 201, r)
        c = self.create(lst, {"variants": [{"subject": "Primera"},
                                           {"subject": "Segunda", "template_id": r.json()["id"]}],
                              "test_percent": 40, "wait": "2s"})
        self.send(c)
        self.wait_state(c, "finished")
        report = self.report(c)
        # no one opened or clicked: a tie, which the lower index wins
        self.assertEqual((report["winner"]["name"], report["winner"]["by"]), ("A", "auto"))
        self.assertEqual([v["sent"] for v in report["variants"]], [2, 2])
        got = self.received()
        mail = [self.mail_to("tie%d@example.org" % i, got) for i in range(1, 11)]
        self.assertEqual(sorted(m["Subject"] for m in mail), ["Primera"] * 8 + ["Segunda"] * 2)
        # B's content is its template's, A's the campaign's
        for m in mail:
            html = m.get_body(("html",)).get_content()
            self.assertEqual("Plantilla B para Persona" in html, m["Subject"] == "Segunda")
            self.assertEqual("<p>Hola Persona" in html, m["Subject"] == "Primera")

    def test_a_manual_winner_is_chosen_by_a_person_once(self):
        lst = self.audience(12, "man")
        c = self.create(lst, {"variants": [{"subject": "Uno"}, {"subject": "Dos"},
                                           {"subject": "Tres"}],
                              "test_percent": 50, "wait": "1s", "winner": "manual"})
        path = "/api/v1/campaigns/%d/ab/winner" % c["id"]
        # not running yet
        self.assert_error(self.api.request("POST", path, {"variant": 1}), 409)
        self.send(c)
        progress = self.wait_phase(c, "waiting")
        self.assertEqual(progress["ab_test"]["wait_until"], None)
        self.assertEqual([v["sent"] for v in progress["ab_test"]["variants"]], [2, 2, 2])
        # the job waits for the person: still held a few job rounds later
        time.sleep(3)
        self.assertEqual(self.progress(c)["ab_test"]["held"], 6)
        self.assert_error(self.api.request("POST", path, {"variant": 3}), 400, "variant")
        self.assert_error(self.api.request("POST", path, {"variante": 1}), 400)
        r = self.api.request("POST", path, {"variant": 1})
        self.assertEqual(r.status, 200, r)
        self.assertEqual((r.json()["winner"]["name"], r.json()["winner"]["by"]), ("B", "manual"))
        self.assert_error(self.api.request("POST", path, {"variant": 0}), 409)
        self.wait_state(c, "finished")
        got = self.received()
        subjects = sorted(self.mail_to("man%d@example.org" % i, got)["Subject"] for i in range(1, 13))
        self.assertEqual(subjects, ["Dos"] * 8 + ["Tres"] * 2 + ["Uno"] * 2)
        self.assertEqual(self.report(c)["winner"]["by"], "manual")

    def test_by_revenue_the_most_revenue_per_message_wins_over_more_buyers(self):
        lst = self.audience(8, "rev")
        c = self.create(lst, {"variants": [{"subject": "Oro"}, {"subject": "Plata"}],
                              "test_percent": 100, "metric": "revenue", "wait": "1h"})
        self.send(c)
        self.wait_state(c, "finished")
        messages = self.by_address(c)
        self.assertEqual(sorted(v for _, v, _ in messages.values()), [0] * 4 + [1] * 4)
        self.psql("UPDATE messages SET sent_at = sent_at - interval '1 hour' WHERE campaign_id = %d"
                  % c["id"])
        got = self.received()
        people = {v: sorted(e for e, (_, w, _) in messages.items() if w == v) for v in (0, 1)}
        # A: one buyer of 100.00; B: two buyers of 10.00 each, each after a click of theirs
        buyers = [(people[0][0], "100.00"), (people[1][0], "10.00"), (people[1][1], "10.00")]
        client = self.server.client()
        for email, _ in buyers:
            html = self.mail_to(email, got).get_body(("html",)).get_content()
            click = re.search(r'href="%s(/t/c/[^"]+)"' % re.escape(PUBLIC), html).group(1)
            self.assertEqual(client.request("GET", click, headers={"User-Agent": CHROME}).status, 302)
        self.wait_for("the clicks in the history", lambda: self.psql(
            "SELECT count(*) FROM message_engagements WHERE campaign_id = %d AND kind = 'click'"
            % c["id"]) == "3")
        now = self.psql("SELECT mc_rfc3339(now())")
        for email, revenue in buyers:
            r = self.api.request("POST", "/api/v1/events", {
                "email": email, "name": "order_completed", "occurred_at": now,
                "properties": {"revenue": revenue, "currency": "EUR"}})
            self.assertEqual(r.status, 202, r)
        report = self.report(c)
        self.assertEqual([(v["revenue"], v["converters"], v["clicks_unique_human"])
                          for v in report["variants"]], [(100.0, 1, 1), (20.0, 2, 2)])
        self.assertEqual(report["best"], 0)
        self.assertAlmostEqual(report["variants"][1]["revenue_per_recipient"], 5.0)
        # revenue is no proportion: the test is on the recipients who bought, 2 of 4 against 1 of 4
        z, p = z_test(2, 4, 1, 4)
        self.assertAlmostEqual(report["variants"][1]["z"], z, places=9)
        self.assertAlmostEqual(report["variants"][1]["p_value"], p, places=9)
        self.assertIn("revenue has no test of its own", report["significance"])
        self.psql("UPDATE campaign_ab_tests SET test_ended_at = test_ended_at - interval '1 hour'"
                  " WHERE campaign_id = %d" % c["id"])
        won = self.wait_for("the winner", lambda: self.report(c)["winner"])
        self.assertEqual((won["name"], won["by"]), ("A", "auto"))

    def test_bad_settings_are_refused_naming_the_field(self):
        lst = self.create_list("Validación")
        base = {"name": "X", "subject": "S", "from_email": "news@example.com", "body": "<p>x</p>",
                "lists": [lst["id"]]}
        one = {"subject": "Uno"}
        cases = [
            ({"variants": [one]}, "ab_test.variants"),
            ({"variants": [one] * 5}, "ab_test.variants"),
            ({"variants": [one, one], "metric": "likes"}, "ab_test.metric"),
            ({"variants": [one, one], "test_percent": 0}, "ab_test.test_percent"),
            ({"variants": [one, one], "test_percent": 101}, "ab_test.test_percent"),
            ({"variants": [one, one], "wait": "0s"}, "ab_test.wait"),
            ({"variants": [one, one], "wait": "pronto"}, "ab_test.wait"),
            ({"variants": [one, one], "winner": "random"}, "ab_test.winner"),
            ({"variants": [one, {"subject": "{{#abierto}}"}]}, "ab_test.variants[1].subject"),
            ({"variants": [one, {"asunto": "x"}]}, "ab_test.variants[1].asunto"),
            ({"variants": [one, {"template_id": 999999}]}, "ab_test.variants[1].template_id"),
            ({"variants": [one, one], "colour": "red"}, "ab_test.colour"),
        ]
        for ab, field in cases:
            r = self.api.request("POST", "/api/v1/campaigns", dict(base, ab_test=ab))
            self.assert_error(r, 400, field)
        # a valid test is kept, changed by PATCH and removed with null
        r = self.api.request("POST", "/api/v1/campaigns", dict(base, ab_test={"variants": [one, one]}))
        self.assertEqual(r.status, 201, r)
        c = r.json()
        self.assertEqual((c["ab_test"]["test_percent"], c["ab_test"]["metric"], c["ab_test"]["wait"],
                          c["ab_test"]["winner"]), (20, "clicks", "4h", "auto"))
        r = self.api.request("PATCH", "/api/v1/campaigns/%d" % c["id"],
                             {"ab_test": {"variants": [one, one, one], "metric": "revenue"}})
        self.assertEqual((r.status, len(r.json()["ab_test"]["variants"]), r.json()["ab_test"]["metric"]),
                         (200, 3, "revenue"))
        copy = self.api.request("POST", "/api/v1/campaigns/%d/duplicate" % c["id"]).json()
        self.assertEqual(len(copy["ab_test"]["variants"]), 3)
        r = self.api.request("PATCH", "/api/v1/campaigns/%d" % c["id"], {"ab_test": None})
        self.assertEqual((r.status, r.json()["ab_test"]), (200, None))
        self.assertEqual(self.api.request("GET", "/api/v1/campaigns/%d/ab" % c["id"]).status, 404)


if __name__ == "__main__":
    unittest.main()
