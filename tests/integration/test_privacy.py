"""Privacy: a person's data export, erasure with suppression, the admin override, consent."""

import email
import email.policy
import hashlib
import hmac
import os
import time
import unittest

from harness import PgCluster
from audience_fixtures import AudienceCase

cluster = None


def setUpModule():
    global cluster
    cluster = PgCluster()
    AudienceCase.cluster = cluster


def tearDownModule():
    cluster.destroy()


class PersonExportTest(AudienceCase):
    def test_export_holds_fields_memberships_consents_events_and_engagement(self):
        l = self.create_list("Boletín")
        s = self.create_subscriber("lucía@example.es", name="Lucía", attributes={"país": "España"}, lists=[l["id"]])
        self.psql("INSERT INTO events (subscriber_id, name, properties) VALUES (%d, 'visita', '{\"página\": \"/precios\"}');"
                  "INSERT INTO message_engagements (message_id, campaign_id, subscriber_id, kind, url) VALUES"
                  " (41, 7, %d, 'open', NULL), (41, 7, %d, 'click', 'https://example.es/a')" % (s["id"], s["id"], s["id"]))
        r = self.api.request("GET", "/api/v1/subscribers/%d/export" % s["id"])
        self.assertEqual(r.status, 200, r)
        doc = r.json()
        self.assertEqual(doc["subscriber"], s)
        self.assertEqual([(m["list_id"], m["list_name"], m["status"]) for m in doc["memberships"]],
                         [(l["id"], "Boletín", "confirmed")])
        self.assertEqual([(c["list_id"], c["action"], c["source"]) for c in doc["consents"]],
                         [(l["id"], "subscribe", "api")])
        self.assertEqual(doc["consents"][0]["remote_addr"], "127.0.0.1")
        self.assertEqual([(e["name"], e["properties"]) for e in doc["events"]], [("visita", {"página": "/precios"})])
        self.assertEqual(doc["messages"], [])
        self.assertEqual([o["campaign_id"] for o in doc["opens"]], [7])
        self.assertEqual([c["url"] for c in doc["clicks"]], ["https://example.es/a"])

    def test_export_of_an_unknown_subscriber_is_404(self):
        self.assert_error(self.api.request("GET", "/api/v1/subscribers/999999/export"), 404)


class EraseTest(AudienceCase):
    def erase(self, subscriber_id):
        return self.api.request("POST", "/api/v1/subscribers/%d/erase" % subscriber_id)

    def test_erase_deletes_the_person_and_keeps_only_a_hash_of_the_address(self):
        l = self.create_list("Erase")
        s = self.create_subscriber("Borrar@Example.com", name="Borrar", lists=[l["id"]])
        self.psql("INSERT INTO events (subscriber_id, name) VALUES (%d, 'x');"
                  "INSERT INTO message_engagements (message_id, campaign_id, subscriber_id, kind) VALUES (1, 1, %d, 'open');"
                  "INSERT INTO messages (kind, subscriber_id, email) VALUES ('transactional', %d, 'borrar@example.com')"
                  % (s["id"], s["id"], s["id"]))
        self.assertEqual(self.erase(s["id"]).status, 204)
        self.assertEqual(self.api.request("GET", "/api/v1/subscribers/%d" % s["id"]).status, 404)
        for table in ["list_subscribers", "consents", "events", "message_engagements", "messages"]:
            self.assertEqual(self.psql("SELECT count(*) FROM %s WHERE subscriber_id = %d" % (table, s["id"])), "0", table)
        self.assertEqual(self.psql("SELECT count(*) FROM suppressions WHERE reason = 'erased'"), "1")
        self.assertEqual(self.psql("SELECT count(*) FROM suppressions WHERE position(convert_to('orrar', 'UTF8') in email_hash) > 0"), "0")
        self.assert_error(self.erase(s["id"]), 404)

    def test_erase_waits_for_a_campaign_snapshot_in_progress_and_removes_its_messages(self):
        # a snapshot that read the person before the erase commits its messages afterwards:
        # the erase waits for it and removes them
        s = self.create_subscriber("durante@example.com")
        snapshot = self.cluster.psql_background(
            self.dsn.split("dbname=")[1].split()[0],
            "BEGIN; SELECT pg_advisory_xact_lock_shared(audience_lock_key());"
            " INSERT INTO messages (kind, subscriber_id, email) VALUES ('campaign', %d,"
            " 'durante@example.com'); SELECT pg_sleep(2); COMMIT;" % s["id"])
        try:
            deadline = time.monotonic() + 10
            while self.psql("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'") == "0":
                self.assertLess(time.monotonic(), deadline)
                time.sleep(0.05)
            self.assertEqual(self.erase(s["id"]).status, 204)
        finally:
            self.assertEqual(snapshot.wait(timeout=30), 0)
        self.assertEqual(self.psql("SELECT count(*) FROM messages WHERE email = 'durante@example.com'"),
                         "0")

    def test_an_erased_address_is_refused_in_any_case_until_an_admin_overrides(self):
        s = self.create_subscriber("vuelve@example.com")
        self.assertEqual(self.erase(s["id"]).status, 204)
        r = self.api.request("POST", "/api/v1/subscribers", {"email": "VUELVE@example.com"})
        self.assert_error(r, 422, field="email", code="suppressed")
        other = self.create_subscriber("otra@example.com")
        r = self.api.request("PATCH", "/api/v1/subscribers/%d" % other["id"], {"email": "vuelve@example.com"})
        self.assert_error(r, 422, code="suppressed")
        r = self.api.request("POST", "/api/v1/subscribers", {"email": "vuelve@example.com", "override_suppression": True})
        self.assertEqual(r.status, 201, r)
        self.assertEqual(self.psql("SELECT count(*) FROM suppressions"), "0")

    def test_the_suppression_key_is_an_hmac_of_the_lower_case_address_with_the_server_secret(self):
        s = self.create_subscriber("Secreto@Ejemplo.ES")
        self.assertEqual(self.erase(s["id"]).status, 204)
        with open(os.path.join(self.server.data_dir, "secret")) as f:
            key = bytes.fromhex(f.read().strip())
        expected = hmac.new(key, "secreto@ejemplo.es".encode(), hashlib.sha256).hexdigest()
        stored = self.psql("SELECT encode(email_hash, 'hex') FROM suppressions").split()
        self.assertIn(expected, stored)


class MessagesOfAPersonTest(AudienceCase):
    """With no relay, mail is captured in the outbox: the export lists the person's messages
    and the erasure deletes them and their captured copies, and nobody else's."""

    server_env = {"MAILCAST_MAIL_FROM_EMAIL": "tienda@example.com"}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        r = cls.api.request("POST", "/api/v1/templates", {
            "name": "Recibo", "kind": "transactional", "subject": "Pedido {{order}}",
            "body": "<p>Hola {{name}}, pedido {{order}}</p>"})
        assert r.status == 201, r
        cls.template = r.json()["id"]

    def tx(self, **body):
        r = self.api.request("POST", "/api/v1/tx", dict(body, template_id=self.template))
        self.assertEqual(r.status, 202, r)
        return r.json()["message_id"]

    def wait_sent(self, message_ids, timeout=60):
        deadline = time.monotonic() + timeout
        for message_id in message_ids:
            while True:
                m = self.api.request("GET", "/api/v1/messages/%d" % message_id).json()
                if m["state"] == "sent":
                    break
                self.assertNotEqual(m["state"], "failed", m)
                self.assertLess(time.monotonic(), deadline, m)
                time.sleep(0.1)

    def send_campaign(self, subscriber, name):
        l = self.create_list("Lista " + name)
        r = self.api.request("PUT", "/api/v1/lists/%d/subscribers" % l["id"],
                             {"subscriber_ids": [subscriber["id"]]})
        self.assertLess(r.status, 300, r)
        c = self.api.request("POST", "/api/v1/campaigns", {
            "name": name, "subject": "Novedades", "from_email": "tienda@example.com",
            "body": "<p>Hola {{name}}</p>", "lists": [l["id"]]})
        self.assertEqual(c.status, 201, c)
        self.assertEqual(self.api.request("POST", "/api/v1/campaigns/%d/send" % c.json()["id"]).status, 200)
        deadline = time.monotonic() + 60
        while self.api.request("GET", "/api/v1/campaigns/%d" % c.json()["id"]).json()["state"] != "finished":
            self.assertLess(time.monotonic(), deadline)
            time.sleep(0.2)
        return c.json()

    def outbox(self):
        """{name: To address} of every captured message"""
        names = [i["name"] for i in self.api.request("GET", "/api/v1/outbox?limit=100").json()["items"]]
        out = {}
        for name in names:
            r = self.api.request("GET", "/api/v1/outbox/" + name)
            msg = email.message_from_bytes(r.body.encode("utf-8"), policy=email.policy.default)
            out[name] = str(msg["To"]).lower()
        return out

    def test_the_export_lists_the_messages_sent_to_the_person(self):
        s = self.create_subscriber("nuria@example.es", name="Núria Puig", attributes={"ciudad": "Girona"})
        by_id = self.tx(subscriber_id=s["id"], data={"order": "Ж-1"}, subject="Recibo {{order}}")
        by_address = self.tx(to="Nuria@Example.es", data={"order": "Ж-2"})
        other = self.tx(to="otro@example.es", data={"order": "Ж-3"})
        self.wait_sent([by_id, by_address, other])
        campaign = self.send_campaign(s, "Campaña de otoño")
        doc = self.api.request("GET", "/api/v1/subscribers/%d/export" % s["id"]).json()
        messages = doc["messages"]
        self.assertEqual([m["id"] for m in messages[:2]], [by_id, by_address])
        self.assertEqual(len(messages), 3, messages)
        first, second, third = messages
        self.assertEqual((first["kind"], first["state"], first["template_name"], first["subject"],
                          first["data"], first["email"]),
                         ("transactional", "sent", "Recibo", "Recibo {{order}}", {"order": "Ж-1"},
                          "nuria@example.es"))
        self.assertTrue(first["sent_at"] and first["created_at"])
        self.assertEqual((second["email"], second["data"]), ("Nuria@Example.es", {"order": "Ж-2"}))
        self.assertEqual((third["kind"], third["campaign_id"], third["campaign_name"], third["state"]),
                         ("campaign", campaign["id"], "Campaña de otoño", "sent"))

    def test_erasing_a_person_deletes_their_messages_and_captured_copies(self):
        s = self.create_subscriber("Pavel@example.ru", name="Павел")
        keep = self.create_subscriber("ostaetsya@example.ru", name="Остаётся")
        mine = [self.tx(subscriber_id=s["id"], data={"order": "1"}),
                self.tx(to="PAVEL@example.ru", data={"order": "2"})]
        theirs = [self.tx(subscriber_id=keep["id"], data={"order": "3"})]
        self.wait_sent(mine + theirs)
        self.send_campaign(s, "Рассылка")
        before = self.outbox()
        self.assertEqual(sum(1 for to in before.values() if "pavel@example.ru" in to), 3, before)
        self.assertEqual(sum(1 for to in before.values() if "ostaetsya@example.ru" in to), 1, before)

        self.assertEqual(self.api.request("POST", "/api/v1/subscribers/%d/erase" % s["id"]).status, 204)
        after = self.outbox()
        self.assertEqual([to for to in after.values() if "pavel@example.ru" in to], [])
        self.assertEqual(set(after), set(n for n, to in before.items() if "pavel@example.ru" not in to))
        self.assertEqual(self.psql("SELECT count(*) FROM messages WHERE lower(email) = 'pavel@example.ru'"), "0")
        self.assertEqual(self.psql("SELECT count(*) FROM messages WHERE id = %d" % theirs[0]), "1")


if __name__ == "__main__":
    unittest.main()
