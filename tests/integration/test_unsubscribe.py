"""Unsubscribes hold for every audience: one-click and the preferences page's unsubscribe_all
keep the address out of campaigns to lists, to segments and with exclusions; an unsubscribe
from one list holds against a segment that also selects the subscriber; a message already
queued in a running campaign is not sent once the unsubscribe has answered. Campaigns go to a
real SMTP peer."""

import time
import unittest
import urllib.parse

from audience_fixtures import AudienceCase
from campaign_fixtures import SendingCase
from harness import PgCluster


def setUpModule():
    AudienceCase.cluster = PgCluster()


def tearDownModule():
    AudienceCase.cluster.destroy()


FORM = {"Content-Type": "application/x-www-form-urlencoded"}


class UnsubscribeCase(SendingCase):
    server_env = {"MAILCAST_QUEUE_BATCH_SIZE": "1",
                  "MAILCAST_SERVER_PUBLIC_URL": "https://news.example.org"}

    def accepted(self):
        with self.peer.recorder.lock:
            return [rcpt for _, rcpts, _ in self.peer.recorder.messages for rcpt in rcpts]

    def one_click(self, subscriber):
        r = self.server.client().request("POST", "/preferences/" + self.token("p", subscriber["id"]),
                                         raw=b"List-Unsubscribe=One-Click", headers=FORM)
        self.assertEqual(r.status, 200, r)

    def unsubscribe_all(self, subscriber):
        r = self.server.client().request("POST", "/preferences/" + self.token("p", subscriber["id"]),
                                         raw=b"action=unsubscribe_all", headers=FORM)
        self.assertEqual(r.status, 200, r)
        self.assertIn("unsubscribed from every list", r.body)

    def keep_only(self, subscriber, lists):
        """saves the preferences form with only lists ticked: a per-list unsubscribe"""
        body = urllib.parse.urlencode({"list": lists, "action": "save"}, doseq=True).encode()
        r = self.server.client().request("POST", "/preferences/" + self.token("p", subscriber["id"]),
                                         raw=body, headers=FORM)
        self.assertEqual(r.status, 200, r)

    def segment(self, city):
        r = self.api.request("POST", "/api/v1/segments", {
            "name": "Ciudad %s %d" % (city, time.monotonic_ns()),
            "rule": {"field": "attributes.ciudad", "op": "eq", "value": city}})
        self.assertEqual(r.status, 201, r)
        return r.json()

    def run_campaign(self, **audience):
        """sends a campaign to audience and returns (total, {address: count received})"""
        before = len(self.accepted())
        body = {"name": "Boletín %d" % time.monotonic_ns(), "subject": "Hola {{first_name}}",
                "from_email": "news@example.com", "body": "<p>Привет, {{name}}</p>"}
        body.update(audience)
        r = self.api.request("POST", "/api/v1/campaigns", body)
        self.assertEqual(r.status, 201, r)
        c = r.json()
        total = self.send(c)["total"]
        self.wait_state(c, "finished")
        got = {}
        for rcpt in self.accepted()[before:]:
            got[rcpt] = got.get(rcpt, 0) + 1
        return total, got


class AudienceTest(UnsubscribeCase):
    def test_one_click_keeps_the_address_out_of_lists_segments_and_exclusions(self):
        lista = self.create_list("Boletín semanal")
        otra = self.create_list("Новости")
        sevilla = self.segment("Sevilla")
        madrid = self.segment("Madrid")
        ana = self.create_subscriber("ana.oc@example.org", name="Ana María",
                                     attributes={"ciudad": "Sevilla"}, lists=[lista["id"]])
        bea = self.create_subscriber("bea.oc@example.org", name="Беатрис",
                                     attributes={"ciudad": "Sevilla"}, lists=[lista["id"]])
        self.one_click(ana)
        got = self.api.request("GET", "/api/v1/subscribers/%d" % ana["id"]).json()
        self.assertEqual(got["status"], "unsubscribed")
        # an administrator puts her on another list afterwards: the unsubscribe still holds
        self.api.request("PATCH", "/api/v1/subscribers/%d" % ana["id"], {"lists": [otra["id"]]})

        self.assertEqual(self.run_campaign(segments=[sevilla["id"]]), (1, {bea["email"]: 1}))
        self.assertEqual(self.run_campaign(lists=[lista["id"], otra["id"]]), (1, {bea["email"]: 1}))
        self.assertEqual(self.run_campaign(lists=[otra["id"]], segments=[sevilla["id"]],
                                           exclude_segments=[madrid["id"]]),
                         (1, {bea["email"]: 1}))

    def test_unsubscribe_all_on_the_preferences_page_keeps_the_address_out_of_every_audience(self):
        lista = self.create_list("Ofertas de otoño")
        excluida = self.create_list("Clientes")
        sevilla = self.segment("Córdoba")
        carlos = self.create_subscriber("carlos.pref@example.org", name="Carlos",
                                        attributes={"ciudad": "Córdoba"}, lists=[lista["id"]])
        dima = self.create_subscriber("dima.pref@example.org", name="Дима",
                                      attributes={"ciudad": "Córdoba"}, lists=[lista["id"]])
        self.unsubscribe_all(carlos)
        self.assertEqual(self.psql("SELECT action || '/' || source FROM consents"
                                   " WHERE subscriber_id = %d AND list_id IS NULL" % carlos["id"]),
                         "unsubscribe/preferences")
        self.assertEqual(self.run_campaign(lists=[lista["id"]], segments=[sevilla["id"]],
                                           exclude_lists=[excluida["id"]]),
                         (1, {dima["email"]: 1}))
        self.assertEqual(self.run_campaign(segments=[sevilla["id"]]), (1, {dima["email"]: 1}))

    def test_an_unsubscribe_from_one_list_holds_against_a_segment_that_also_selects(self):
        lista = self.create_list("Boletín de Sevilla")
        otra = self.create_list("Eventos")
        sevilla = self.segment("Málaga")
        # unsubscribed from lista only, still on otra, matches the segment
        eva = self.create_subscriber("eva.list@example.org", name="Eva",
                                     attributes={"ciudad": "Málaga"},
                                     lists=[lista["id"], otra["id"]])
        self.keep_only(eva, [])
        self.assertEqual(self.api.request("GET", "/api/v1/subscribers/%d" % eva["id"]).json()["status"],
                         "active")
        fede = self.create_subscriber("fede.list@example.org", name="Fede",
                                      attributes={"ciudad": "Málaga"})
        gala = self.create_subscriber("gala.list@example.org", name="Гала", lists=[lista["id"]])
        self.assertEqual(self.run_campaign(lists=[lista["id"]], segments=[sevilla["id"]]),
                         (2, {fede["email"]: 1, gala["email"]: 1}))
        # a campaign that does not target that list still reaches her
        self.assertEqual(self.run_campaign(segments=[sevilla["id"]]),
                         (2, {eva["email"]: 1, fede["email"]: 1}))


class SubscriberStatusTest(UnsubscribeCase):
    def test_the_api_shows_filters_and_sets_the_unsubscribed_status_with_consent(self):
        s = self.create_subscriber("hugo.api@example.org", name="Hugo")
        r = self.api.request("PATCH", "/api/v1/subscribers/%d" % s["id"], {"status": "unsubscribed"})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()["status"], "unsubscribed")
        listed = self.api.request("GET", "/api/v1/subscribers?status=unsubscribed").json()["items"]
        self.assertIn(s["id"], [x["id"] for x in listed])
        # unblocklisting is for blocklisted subscribers: it does not undo an unsubscribe
        r = self.api.request("POST", "/api/v1/subscribers/bulk",
                             {"action": "unblocklist", "subscriber_ids": [s["id"]]})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(self.api.request("GET", "/api/v1/subscribers/%d" % s["id"]).json()["status"],
                         "unsubscribed")
        r = self.api.request("PATCH", "/api/v1/subscribers/%d" % s["id"], {"status": "active"})
        self.assertEqual(r.json()["status"], "active")
        self.assertEqual(self.psql("SELECT string_agg(action || '/' || source, ',' ORDER BY id)"
                                   " FROM consents WHERE subscriber_id = %d AND list_id IS NULL"
                                   % s["id"]), "unsubscribe/api,subscribe/api")
        self.assert_error(self.api.request("PATCH", "/api/v1/subscribers/%d" % s["id"],
                                           {"status": "gone"}), 400, "status")
        r = self.api.request("POST", "/api/v1/segments/evaluate",
                             {"rule": {"field": "status", "op": "eq", "value": "unsubscribed"}})
        self.assertEqual(r.status, 200, r)


class QueuedMessageTest(UnsubscribeCase):
    def test_a_queued_message_is_not_sent_once_the_unsubscribe_has_answered(self):
        # the peer accepts slowN a second apart and batches are one message: the campaign is
        # still running, with the last recipients queued, when the first message arrives
        lista = self.create_list("Lenta")
        people = [self.create_subscriber("slow%d.q@example.org" % i, name="Лента %d" % i,
                                         lists=[lista["id"]]) for i in range(1, 7)]
        r = self.api.request("POST", "/api/v1/campaigns", {
            "name": "Despacio", "subject": "Hola", "from_email": "news@example.com",
            "body": "<p>{{name}}</p>", "lists": [lista["id"]]})
        c = r.json()
        self.assertEqual(self.send(c)["total"], 6)
        deadline = time.monotonic() + 60
        while not self.accepted():
            self.assertLess(time.monotonic(), deadline, "nothing was sent")
            time.sleep(0.01)
        self.one_click(people[5])
        self.keep_only(people[4], [])  # leaves the campaign's only list
        self.wait_state(c, "finished")
        got = set(self.accepted())
        self.assertNotIn(people[5]["email"], got)
        self.assertNotIn(people[4]["email"], got)
        self.assertEqual(got, {p["email"] for p in people[:4]})
        rows = self.psql("SELECT email || ':' || state || ':' || coalesce(reason, '') FROM messages"
                         " WHERE campaign_id = %d AND state <> 'sent' ORDER BY email" % c["id"])
        self.assertEqual(rows.split("\n"), ["slow5.q@example.org:cancelled:the recipient unsubscribed",
                                            "slow6.q@example.org:cancelled:the recipient unsubscribed"])
        progress = self.api.request("GET", "/api/v1/campaigns/%d/progress" % c["id"]).json()
        self.assertEqual((progress["sent"], progress["failed"], progress["cancelled"]), (4, 0, 2))


if __name__ == "__main__":
    unittest.main()
