"""The events a shop posts to POST /api/v1/events: stored with their subscriber and their
properties byte for byte, checked with an error naming the field, a batch keeping its good events
and listing the bad ones by index, stored once per idempotency key (resent, within a batch and
under concurrency), subscribers created by address when asked, and read back newest first."""

import json
import subprocess
import threading
import time
import unittest

from audience_fixtures import AudienceCase
from harness import CLUSTER_USER, PgCluster, pg_bin

CART = {"items": [
    {"name": "Camiseta de algodón — talla M", "price": 19.9, "quantity": 2,
     "image_url": "https://shop.example/img/camiseta.jpg", "url": "https://shop.example/p/1"},
    {"name": "Кружка «Москва»", "price": 7.5, "quantity": 1,
     "image_url": "https://shop.example/img/кружка.jpg", "url": "https://shop.example/p/2"},
    {"name": "Zoë's 🍵 tea", "price": 4.25, "quantity": 3,
     "image_url": "https://shop.example/img/tea.jpg", "url": "https://shop.example/p/3"}],
    "total": 60.05, "currency": "EUR", "nota": "¿Envío urgente? Да, пожалуйста."}


def setUpModule():
    AudienceCase.cluster = PgCluster()


def tearDownModule():
    AudienceCase.cluster.destroy()


class EventsCase(AudienceCase):
    def post(self, body):
        return self.api.request("POST", "/api/v1/events", body)

    def count(self, where="true"):
        return int(self.psql("SELECT count(*) FROM events WHERE " + where))


class SingleEventTest(EventsCase):
    def test_event_is_stored_with_its_properties_byte_for_byte(self):
        s = self.create_subscriber("lucía@example.es", name="Lucía Núñez")
        r = self.post({"subscriber_id": s["id"], "name": "cart_updated", "properties": CART,
                       "occurred_at": "2026-01-15T10:30:00+01:00"})
        self.assertEqual(r.status, 202, r)
        answer = r.json()
        self.assertFalse(answer["duplicate"])
        stored = self.psql("SELECT subscriber_id, name, properties::text, mc_rfc3339(occurred_at),"
                           " handled FROM events WHERE id = %d" % answer["id"]).split("|")
        self.assertEqual(stored[0], str(s["id"]))
        self.assertEqual(stored[1], "cart_updated")
        self.assertEqual(json.loads(stored[2]), CART)
        self.assertEqual(stored[3], "2026-01-15T09:30:00Z")
        # stored unhandled; the worker's automation pass reads it and marks it handled
        self.assertIn(stored[4], ("f", "t"))
        deadline = time.monotonic() + 30
        while self.psql("SELECT handled FROM events WHERE id = %d" % answer["id"]) != "t":
            self.assertLess(time.monotonic(), deadline, "the automation pass never read the event")
            time.sleep(0.1)
        # the listing gives the same text back
        page = self.api.request("GET", "/api/v1/subscribers/%d/events" % s["id"]).json()
        self.assertEqual(page["items"][0]["id"], answer["id"])
        self.assertEqual(page["items"][0]["properties"], CART)
        self.assertEqual(self.psql("SELECT properties->'items'->1->>'name' FROM events"
                                   " WHERE id = %d" % answer["id"]), "Кружка «Москва»")
        # numbers as the shop wrote them, not as the nearest double prints with 17 digits
        self.assertEqual(self.psql("SELECT properties->'items'->0->>'price' || ' '"
                                   " || (properties->>'total') FROM events WHERE id = %d"
                                   % answer["id"]), "19.9 60.05")

    def test_subscriber_named_by_address_any_case(self):
        s = self.create_subscriber("Iván@Example.org")
        r = self.post({"email": "iván@example.ORG", "name": "page.viewed"})
        self.assertEqual(r.status, 202, r)
        self.assertEqual(self.psql("SELECT subscriber_id FROM events WHERE id = %d"
                                   % r.json()["id"]), str(s["id"]))

    def test_occurred_at_defaults_to_now(self):
        s = self.create_subscriber("ahora@example.org")
        r = self.post({"subscriber_id": s["id"], "name": "signed_in"})
        self.assertEqual(r.status, 202, r)
        self.assertEqual(self.psql("SELECT abs(extract(epoch FROM now() - occurred_at)) < 60"
                                   " FROM events WHERE id = %d" % r.json()["id"]), "t")

    def test_each_bad_field_is_named_and_nothing_is_stored(self):
        s = self.create_subscriber("errores@example.org")
        sid = s["id"]
        big = {"blob": "ж" * 20000}  # 40,000 bytes of UTF-8
        cases = [
            ({"name": "x"}, 400, "subscriber_id"),
            ({"subscriber_id": "7", "name": "x"}, 400, "subscriber_id"),
            ({"subscriber_id": sid, "email": "errores@example.org", "name": "x"}, 400, "email"),
            ({"email": "no es correo", "name": "x"}, 400, "email"),
            ({"subscriber_id": sid}, 400, "name"),
            ({"subscriber_id": sid, "name": ""}, 400, "name"),
            ({"subscriber_id": sid, "name": "a" * 201}, 400, "name"),
            ({"subscriber_id": sid, "name": "carrito actualizado"}, 400, "name"),
            ({"subscriber_id": sid, "name": "compró_café"}, 400, "name"),
            ({"subscriber_id": sid, "name": 5}, 400, "name"),
            ({"subscriber_id": sid, "name": "x", "properties": [1]}, 400, "properties"),
            ({"subscriber_id": sid, "name": "x", "properties": big}, 413, "properties"),
            ({"subscriber_id": sid, "name": "x", "occurred_at": "ayer"}, 400, "occurred_at"),
            ({"subscriber_id": sid, "name": "x", "occurred_at": "2026-02-30T10:00:00Z"}, 400,
             "occurred_at"),
            ({"subscriber_id": sid, "name": "x", "occurred_at": "2026-01-01T10:00:00"}, 400,
             "occurred_at"),
            ({"subscriber_id": sid, "name": "x", "occurred_at": "2099-01-01T00:00:00Z"}, 400,
             "occurred_at"),
            ({"subscriber_id": sid, "name": "x", "occurred_at": "1999-12-31T23:59:59Z"}, 400,
             "occurred_at"),
            ({"subscriber_id": sid, "name": "x", "idempotency_key": ""}, 400, "idempotency_key"),
            ({"subscriber_id": sid, "name": "x", "idempotency_key": "k" * 201}, 400,
             "idempotency_key"),
            ({"subscriber_id": sid, "name": "x", "create_subscriber": "yes"}, 400,
             "create_subscriber"),
            ({"subscriber_id": sid, "name": "x", "create_subscriber": True}, 400,
             "create_subscriber"),
            ({"subscriber_id": sid, "name": "x", "propertys": {}}, 400, "propertys"),
            ({"subscriber_id": sid, "name": "order_completed",
              "properties": {"revenue": "mucho"}}, 400, "properties.revenue"),
            ({"subscriber_id": sid, "name": "order_completed",
              "properties": {"revenue": -5}}, 400, "properties.revenue"),
            ({"subscriber_id": 999999999, "name": "x"}, 422, "subscriber_id"),
            ({"email": "nadie@example.org", "name": "x"}, 422, "email"),
        ]
        for body, status, field in cases:
            with self.subTest(body=str(body)[:80]):
                self.assert_error(self.post(body), status, field)
        self.assertEqual(self.count("subscriber_id = %d" % sid), 0)
        self.assertIsNone(self.subscriber("nadie@example.org"))

    def test_properties_up_to_the_limit_are_accepted(self):
        s = self.create_subscriber("limite@example.org")
        # {"blob":"..."} is 11 bytes around the text: exactly 32768 bytes of compact JSON
        at_limit = {"blob": "ñ" * ((32768 - 11) // 2) + "a" * ((32768 - 11) % 2)}
        self.assertEqual(len(json.dumps(at_limit, ensure_ascii=False,
                                        separators=(",", ":")).encode()), 32768)
        r = self.post({"subscriber_id": s["id"], "name": "x", "properties": at_limit})
        self.assertEqual(r.status, 202, r)
        over = {"blob": at_limit["blob"] + "a"}
        self.assert_error(self.post({"subscriber_id": s["id"], "name": "x", "properties": over}),
                          413, "properties")

    def test_body_that_is_not_an_event(self):
        self.assert_error(self.api.request("POST", "/api/v1/events", raw=b"[1, 2]",
                                           headers={"Content-Type": "application/json"}), 400)
        self.assert_error(self.api.request("POST", "/api/v1/events", raw=b"{\"name\": ",
                                           headers={"Content-Type": "application/json"}), 400)


class CreateSubscriberTest(EventsCase):
    def test_unknown_address_becomes_a_subscriber_when_asked(self):
        r = self.post({"email": "nueva.clienta@example.es", "create_subscriber": True,
                       "name": "cart_updated", "properties": {"total": 10}})
        self.assertEqual(r.status, 202, r)
        s = self.subscriber("nueva.clienta@example.es")
        self.assertIsNotNone(s)
        self.assertEqual(s["status"], "active")
        self.assertEqual(self.psql("SELECT subscriber_id FROM events WHERE id = %d"
                                   % r.json()["id"]), str(s["id"]))
        # asked again: the same subscriber
        r = self.post({"email": "NUEVA.clienta@example.es", "create_subscriber": True,
                       "name": "cart_updated"})
        self.assertEqual(r.status, 202, r)
        self.assertEqual(self.psql("SELECT count(*) FROM subscribers WHERE lower(email) ="
                                   " 'nueva.clienta@example.es'"), "1")

    def test_erased_address_is_not_created_again(self):
        s = self.create_subscriber("borrada@example.org")
        r = self.api.request("POST", "/api/v1/subscribers/%d/erase" % s["id"], {})
        self.assertIn(r.status, (200, 204), r)
        r = self.post({"email": "borrada@example.org", "create_subscriber": True, "name": "x"})
        self.assert_error(r, 422, "email", "suppressed")
        self.assertIsNone(self.subscriber("borrada@example.org"))

    def test_a_batch_creates_each_new_address_once(self):
        events = [{"email": "lote%d@example.org" % (i % 5), "create_subscriber": True,
                   "name": "visit"} for i in range(20)]
        r = self.post({"events": events})
        self.assertEqual(r.status, 202, r)
        self.assertEqual(r.json()["accepted"], 20)
        self.assertEqual(self.psql("SELECT count(*) FROM subscribers WHERE email LIKE 'lote%'"),
                         "5")


class BatchTest(EventsCase):
    def test_good_events_are_kept_and_bad_ones_listed_by_index(self):
        s = self.create_subscriber("lote@example.org")
        sid = s["id"]
        r = self.post({"events": [
            {"subscriber_id": sid, "name": "cart_updated", "properties": CART},
            {"subscriber_id": sid, "name": "bad name"},
            {"subscriber_id": sid, "name": "x", "occurred_at": "2099-01-01T00:00:00Z"},
            "not an event",
            {"subscriber_id": 999999999, "name": "x"},
            {"email": "desconocido@example.org", "name": "x"},
            {"subscriber_id": sid, "name": "x", "properties": {"blob": "я" * 20000}},
            {"subscriber_id": sid, "name": "product.viewed", "properties": {"sku": "ÑU-1"}},
        ]})
        self.assertEqual(r.status, 202, r)
        answer = r.json()
        items = answer["items"]
        self.assertEqual([i["index"] for i in items], list(range(8)))
        fields = {i["index"]: i["error"]["field"] for i in items if "error" in i}
        self.assertEqual(fields, {1: "events[1].name", 2: "events[2].occurred_at", 3: "events[3]",
                                  4: "events[4].subscriber_id", 5: "events[5].email",
                                  6: "events[6].properties"})
        for i in items:
            if "error" in i:
                self.assertTrue(i["error"]["message"])
        self.assertEqual((answer["accepted"], answer["duplicates"], answer["rejected"]), (2, 0, 6))
        ids = [items[0]["id"], items[7]["id"]]
        self.assertEqual(self.psql("SELECT string_agg(name, ',' ORDER BY id) FROM events WHERE"
                                   " subscriber_id = %d" % sid), "cart_updated,product.viewed")
        self.assertEqual(self.psql("SELECT properties->>'sku' FROM events WHERE id = %d"
                                   % ids[1]), "ÑU-1")

    def test_a_batch_that_is_not_one_is_refused_whole(self):
        s = self.create_subscriber("grande@example.org")
        one = {"subscriber_id": s["id"], "name": "x"}
        self.assert_error(self.post({"events": [one] * 1001}), 400, "events")
        self.assert_error(self.post({"events": []}), 400, "events")
        self.assert_error(self.post({"events": one}), 400, "events")
        self.assert_error(self.post({"events": [one], "name": "x"}), 400, "name")
        self.assertEqual(self.count("subscriber_id = %d" % s["id"]), 0)
        r = self.post({"events": [one] * 1000})
        self.assertEqual(r.status, 202, r)
        self.assertEqual(r.json()["accepted"], 1000)
        self.assertEqual(self.count("subscriber_id = %d" % s["id"]), 1000)


class IdempotencyTest(EventsCase):
    def test_a_resent_key_answers_the_first_id_and_stores_nothing(self):
        s = self.create_subscriber("reenvio@example.org")
        body = {"subscriber_id": s["id"], "name": "order_completed",
                "properties": {"revenue": 30}, "idempotency_key": "pedido-ñ-1001"}
        first = self.post(body)
        self.assertEqual(first.status, 202, first)
        self.assertFalse(first.json()["duplicate"])
        again = self.post(dict(body, properties={"revenue": 99}))
        self.assertEqual(again.status, 202, again)
        self.assertEqual(again.json(), {"id": first.json()["id"], "duplicate": True})
        self.assertEqual(self.count("idempotency_key = 'pedido-ñ-1001'"), 1)
        self.assertEqual(self.psql("SELECT revenue FROM conversions WHERE event_id = %d"
                                   % first.json()["id"]), "30.00")
        self.assertEqual(self.psql("SELECT count(*) FROM conversions WHERE subscriber_id = %d"
                                   % s["id"]), "1")

    def test_the_same_key_twice_in_a_batch_is_stored_once(self):
        s = self.create_subscriber("doble@example.org")
        stored = self.post({"subscriber_id": s["id"], "name": "x", "idempotency_key": "antes"})
        r = self.post({"events": [
            {"subscriber_id": s["id"], "name": "x", "idempotency_key": "k-1"},
            {"subscriber_id": s["id"], "name": "x", "idempotency_key": "k-2"},
            {"subscriber_id": s["id"], "name": "x", "idempotency_key": "k-1"},
            {"subscriber_id": s["id"], "name": "x", "idempotency_key": "antes"},
            {"subscriber_id": s["id"], "name": "x"},
        ]})
        self.assertEqual(r.status, 202, r)
        items = r.json()["items"]
        self.assertEqual([i["duplicate"] for i in items], [False, False, True, True, False])
        self.assertEqual(items[2]["id"], items[0]["id"])
        self.assertEqual(items[3]["id"], stored.json()["id"])
        self.assertEqual(self.count("subscriber_id = %d" % s["id"]), 4)

    def test_racing_requests_with_one_key_store_one_row(self):
        s = self.create_subscriber("carrera@example.org")
        answers = []

        def send(n):
            client = self.server.client()
            client.cookie, client.csrf = self.api.cookie, self.api.csrf
            for k in range(10):
                body = {"events": [{"subscriber_id": s["id"], "name": "order_completed",
                                    "properties": {"revenue": "12.50"},
                                    "idempotency_key": "carrera-%d-%d" % (k, j)}
                                   for j in range(20)]}
                answers.append(client.request("POST", "/api/v1/events", body))

        threads = [threading.Thread(target=send, args=(n,)) for n in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertTrue(all(a.status == 202 for a in answers), [a for a in answers
                                                                  if a.status != 202][:1])
        self.assertEqual(self.count("subscriber_id = %d" % s["id"]), 200)
        self.assertEqual(self.psql("SELECT count(*) FROM conversions WHERE subscriber_id = %d"
                                   % s["id"]), "200")
        # every answer for a key names the one row that holds it, and one answer stored it
        by_key = dict(line.split("|") for line in self.psql(
            "SELECT idempotency_key, id FROM events WHERE subscriber_id = %d" % s["id"]).split("\n"))
        self.assertEqual(len(by_key), 200)
        fresh = 0
        for a in answers:
            for item in a.json()["items"]:
                fresh += not item["duplicate"]
                self.assertIn(str(item["id"]), by_key.values())
        self.assertEqual(fresh, 200)


class FloodTest(EventsCase):
    def test_a_flood_for_one_subscriber_is_stored_whole(self):
        s = self.create_subscriber("inundacion@example.org")
        answers = []

        def send(n):
            client = self.server.client()
            client.cookie, client.csrf = self.api.cookie, self.api.csrf
            for b in range(3):
                answers.append(client.request("POST", "/api/v1/events", {"events": [
                    {"subscriber_id": s["id"], "name": "cart_updated",
                     "properties": {"n": n, "b": b, "i": i, "texto": "корзина ñ"}}
                    for i in range(1000)]}))

        threads = [threading.Thread(target=send, args=(n,)) for n in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual([(a.status, a.json()["accepted"]) for a in answers], [(202, 1000)] * 12)
        self.assertEqual(self.count("subscriber_id = %d" % s["id"]), 12000)
        page = self.api.request("GET", "/api/v1/subscribers/%d/events?limit=2" % s["id"])
        self.assertEqual(page.status, 200, page)
        self.assertEqual(len(page.json()["items"]), 2)


class WakeTest(EventsCase):
    def test_stored_events_wake_the_workers_once_committed(self):
        s = self.create_subscriber("despierta@example.org")
        dbname = self.dsn.split("dbname=")[1].split()[0]
        # a session that listens, then sleeps until cancelled; psql prints the notifications
        # that arrived when its next command ends
        argv = [pg_bin("psql"), "-h", self.cluster.socket_dir, "-U", CLUSTER_USER, "-d", dbname,
                "-X", "-c", "LISTEN mailcast_work", "-c", "SELECT pg_sleep(600)", "-c", "SELECT 1"]
        if self.cluster.user:
            argv = ["runuser", "-u", CLUSTER_USER, "--"] + argv
        listener = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                    text=True, cwd="/")
        sleeping = "SELECT pid FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(600)'"
        deadline = time.monotonic() + 60
        while not self.psql(sleeping) and time.monotonic() < deadline:
            time.sleep(0.1)
        r = self.post({"subscriber_id": s["id"], "name": "cart_updated"})
        self.assertEqual(r.status, 202, r)
        self.psql("SELECT pg_cancel_backend(pid) FROM (%s) AS s" % sleeping)
        out = listener.communicate(timeout=60)[0]
        self.assertIn('notification "mailcast_work" with payload "events"', out)


class ListingTest(EventsCase):
    def test_events_are_listed_newest_first_in_pages(self):
        s = self.create_subscriber("lista@example.org")
        other = self.create_subscriber("otra@example.org")
        self.post({"subscriber_id": other["id"], "name": "ajeno"})
        r = self.post({"events": [{"subscriber_id": s["id"], "name": "paso-%d" % i}
                                  for i in range(5)]})
        self.assertEqual(r.status, 202, r)
        page = self.api.request("GET", "/api/v1/subscribers/%d/events?limit=3" % s["id"]).json()
        self.assertEqual([e["name"] for e in page["items"]], ["paso-4", "paso-3", "paso-2"])
        rest = self.api.request("GET", "/api/v1/subscribers/%d/events?limit=3&cursor=%s"
                                % (s["id"], page["next_cursor"])).json()
        self.assertEqual([e["name"] for e in rest["items"]], ["paso-1", "paso-0"])
        self.assertIsNone(rest["next_cursor"])
        self.assert_error(self.api.request("GET", "/api/v1/subscribers/999999999/events"), 404)


if __name__ == "__main__":
    unittest.main()
