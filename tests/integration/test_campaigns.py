"""Campaigns over the API: fields checked against the database, edits (PUT replaces, PATCH
changes) only before sending, duplication, named transitions with 409 and the current state,
and the audience snapshot taken by send (de-duplicated, with blocklisted, unsubscribed,
unconfirmed double opt-in, hard-bounced and excluded subscribers left out)."""

import os
import tempfile
import threading
import unittest

from audience_fixtures import AudienceCase
from harness import PgCluster, Server


def setUpModule():
    AudienceCase.cluster = PgCluster()


def tearDownModule():
    AudienceCase.cluster.destroy()


class CampaignsTest(AudienceCase):
    """Without the worker loop, so that the queue stays as send left it."""

    @classmethod
    def setUpClass(cls):
        cls.dsn = cls.cluster.new_database()
        cls.server = Server(dsn=cls.dsn, args=("--no-worker",))
        cls.api = cls.server.client()
        assert cls.api.login("admin@localhost", cls.server.admin_password).status == 200

    def create(self, **fields):
        body = {"name": "Boletín de otoño", "subject": "Hola {{first_name}}",
                "from_email": "news@example.org", "body": "<p>Hola {{first_name}}</p>"}
        body.update(fields)
        return self.api.request("POST", "/api/v1/campaigns", body)

    def created(self, **fields):
        r = self.create(**fields)
        self.assertEqual(r.status, 201, r)
        return r.json()

    def action(self, campaign, name):
        return self.api.request("POST", "/api/v1/campaigns/%d/%s" % (campaign["id"], name))

    def queued(self, campaign):
        out = self.psql("SELECT email FROM messages WHERE campaign_id = %d AND state = 'queued'"
                        " ORDER BY email" % campaign["id"])
        return [line for line in out.split("\n") if line]

    def test_create_read_edit_delete(self):
        lst = self.create_list("Clientes")
        c = self.created(name="Новости недели", subject="Привет, {{name}}", lists=[lst["id"]],
                         tags=["ru", "weekly"], headers={"X-Campaign-Kind": "weekly"},
                         utm={"source": "mailcast", "medium": "email"}, timezone="Europe/Moscow",
                         send_at="2030-01-15T09:00:00", window_start="08:00", window_end="20:00")
        self.assertEqual(c["state"], "draft")
        self.assertEqual(c["name"], "Новости недели")
        self.assertEqual(c["lists"], [lst["id"]])
        self.assertEqual(c["tags"], ["ru", "weekly"])
        self.assertEqual(c["headers"], {"X-Campaign-Kind": "weekly"})
        # a local time in the campaign's zone: 09:00 in Moscow is 06:00 UTC
        self.assertEqual(c["send_at"], "2030-01-15T06:00:00Z")
        self.assertEqual((c["window_start"], c["window_end"]), ("08:00", "20:00"))
        path = "/api/v1/campaigns/%d" % c["id"]
        self.assertEqual(self.api.request("GET", path).json(), c)
        r = self.api.request("PATCH", path, {"subject": "Оферта", "tags": []})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()["subject"], "Оферта")
        self.assertEqual(r.json()["tags"], [])
        self.assertEqual(r.json()["name"], "Новости недели")
        self.assertEqual(self.api.request("DELETE", path).status, 204)
        self.assertEqual(self.api.request("GET", path).status, 404)

    def test_put_replaces_every_field_and_resets_those_not_given(self):
        lst = self.create_list("Reemplazo")
        c = self.created(name="Antes", from_name="Equipo", reply_to="answers@example.org",
                         lists=[lst["id"]], tags=["old"], headers={"X-Kind": "old"},
                         utm={"source": "old"}, timezone="Europe/Madrid", rate_per_s=5,
                         send_at="2030-03-01T10:00:00", window_start="09:00", window_end="18:00",
                         track_opens=False)
        path = "/api/v1/campaigns/%d" % c["id"]
        r = self.api.request("PUT", path, {"name": "Después · ñ", "subject": "Nuevo {{name}}",
                                           "from_email": "otro@example.org", "body": "<p>nuevo</p>",
                                           "tags": ["nuevo"]})
        self.assertEqual(r.status, 200, r)
        got = r.json()
        self.assertEqual((got["id"], got["state"], got["name"], got["subject"], got["from_email"]),
                         (c["id"], "draft", "Después · ñ", "Nuevo {{name}}", "otro@example.org"))
        self.assertEqual(got["tags"], ["nuevo"])
        # what PATCH would have kept is back to a new campaign's defaults
        defaults = {"from_name": "", "reply_to": "", "lists": [], "headers": {}, "utm": {},
                    "timezone": "UTC", "rate_per_s": None, "send_at": None, "window_start": None,
                    "window_end": None, "track_opens": True, "relay": ""}
        for field, value in defaults.items():
            self.assertEqual(got[field], value, field)
        self.assertEqual(self.api.request("GET", path).json(), got)
        # the same body creates the same fields
        fresh = self.created(name="Después · ñ", subject="Nuevo {{name}}",
                             from_email="otro@example.org", body="<p>nuevo</p>", tags=["nuevo"])
        for field in got:
            if field not in ("id", "created_at", "updated_at"):
                self.assertEqual(got[field], fresh[field], field)

    def test_put_checks_the_body_as_create_does(self):
        c = self.created()
        path = "/api/v1/campaigns/%d" % c["id"]
        self.assert_error(self.api.request("PUT", path, {"name": "x", "subject": "y", "body": "z"}),
                          400, "from_email")
        full = {"name": "x", "subject": "y", "from_email": "a@example.org"}
        self.assert_error(self.api.request("PUT", path, full), 400, "template_id")
        self.assert_error(self.api.request("PUT", path, dict(full, body="{{#x}}")), 400, "body")
        self.assert_error(self.api.request("PUT", path, dict(full, body="z", lists=[999999])),
                          400, "lists")
        self.assert_error(self.api.request("PUT", path, dict(full, body="z", colour="red")),
                          400, "colour")
        self.assertEqual(self.api.request("GET", path).json(), c)
        r = self.api.request("PUT", "/api/v1/campaigns/999999", dict(full, body="z"))
        self.assert_error(r, 404, "id", "not_found")

    def test_put_keeps_a_scheduled_campaign_scheduled_only_with_send_at(self):
        c = self.created(send_at="2030-06-01T08:00:00Z")
        self.assertEqual(self.action(c, "schedule").status, 200)
        path = "/api/v1/campaigns/%d" % c["id"]
        body = {"name": "Programada", "subject": "s", "from_email": "a@example.org", "body": "b"}
        self.assert_error(self.api.request("PUT", path, body), 400, "send_at")
        r = self.api.request("PUT", path, dict(body, send_at="2030-07-01T08:00:00Z"))
        self.assertEqual(r.status, 200, r)
        self.assertEqual((r.json()["state"], r.json()["name"], r.json()["send_at"]),
                         ("scheduled", "Programada", "2030-07-01T08:00:00Z"))

    def test_a_stored_template_replaces_the_body(self):
        t = self.api.request("POST", "/api/v1/templates", {"name": "T", "body": "<p>{{name}}</p>"})
        self.assertEqual(t.status, 201, t)
        c = self.created()
        r = self.api.request("PATCH", "/api/v1/campaigns/%d" % c["id"], {"template_id": t.json()["id"]})
        self.assertEqual(r.status, 200, r)
        self.assertEqual((r.json()["template_id"], r.json()["body"]), (t.json()["id"], None))

    def test_bad_fields_are_refused_naming_the_field(self):
        self.assert_error(self.create(from_email="not an address"), 400, "from_email")
        self.assert_error(self.create(reply_to="a@@b"), 400, "reply_to")
        self.assert_error(self.create(body="<p>{{#x}}</p>"), 400, "body", "invalid_template")
        self.assert_error(self.create(subject="{{ name | shout }}"), 400, "subject", "invalid_template")
        self.assert_error(self.create(lists=[999999]), 400, "lists")
        self.assert_error(self.create(segments=[999999]), 400, "segments")
        self.assert_error(self.create(exclude_lists=[999999]), 400, "exclude_lists")
        self.assert_error(self.create(template_id=999999, body=None), 400, "template_id")
        self.assert_error(self.create(template_id=1), 400, "body")
        self.assert_error(self.create(timezone="Mars/Olympus"), 400, "timezone")
        self.assert_error(self.create(send_at="tomorrow"), 400, "send_at")
        self.assert_error(self.create(headers={"Subject": "x"}), 400, "headers")
        self.assert_error(self.create(headers={"X-A": "line\r\nBcc: x@y.z"}), 400, "headers")
        self.assert_error(self.create(utm={"campaing": "x"}), 400, "utm")
        self.assert_error(self.create(window_start="08:00"), 400, "window_end")
        self.assert_error(self.create(colour="red"), 400, "colour")
        r = self.api.request("POST", "/api/v1/campaigns", {"name": "x", "subject": "y", "body": "z"})
        self.assert_error(r, 400, "from_email")

    def test_a_relay_is_refused_when_none_is_configured(self):
        c = self.created()
        path = "/api/v1/campaigns/%d" % c["id"]
        full = {"name": "n", "subject": "s", "from_email": "a@example.org", "body": "b"}
        for r in (self.create(relay="primary"),
                  self.api.request("PATCH", path, {"relay": "primary"}),
                  self.api.request("PUT", path, dict(full, relay="primary"))):
            error = self.assert_error(r, 400, "relay", "invalid_field")
            self.assertIn("no [smtp.NAME] relay is configured", error["message"])
        self.assertEqual(self.api.request("GET", path).json(), c)
        # empty is the default relay (here the capture outbox)
        self.assertEqual(self.created(relay="")["relay"], "")
        self.assertEqual(self.api.request("PATCH", path, {"relay": ""}).status, 200)

    def test_duplicate_is_one_call_and_makes_a_draft(self):
        lst = self.create_list("Dup")
        c = self.created(name="Original", lists=[lst["id"]], tags=["a"])
        self.assertEqual(self.action(c, "send").status, 200)
        r = self.api.request("POST", "/api/v1/campaigns/%d/duplicate" % c["id"])
        self.assertEqual(r.status, 201, r)
        copy = r.json()
        self.assertNotEqual(copy["id"], c["id"])
        self.assertEqual(copy["name"], "Original (copy)")
        self.assertEqual(copy["state"], "draft")
        for field in ("subject", "body", "lists", "tags", "from_email"):
            self.assertEqual(copy[field], c[field], field)
        self.assertEqual(self.api.request("POST", "/api/v1/campaigns/999999/duplicate").status, 404)

    def test_lifecycle_and_illegal_transitions(self):
        lst = self.create_list("Ciclo")
        self.create_subscriber("ciclo@example.org", lists=[lst["id"]])
        c = self.created(lists=[lst["id"]])
        err = self.assert_error(self.action(c, "schedule"), 400, "send_at")
        r = self.api.request("PATCH", "/api/v1/campaigns/%d" % c["id"], {"send_at": "2030-01-01T00:00:00Z"})
        self.assertEqual(r.status, 200, r)
        steps = [("pause", 409, "draft"), ("schedule", 200, "scheduled"),
                 ("schedule", 409, "scheduled"), ("send", 200, "running"),
                 ("resume", 409, "running"), ("pause", 200, "paused"),
                 ("send", 409, "paused"), ("resume", 200, "running"),
                 ("cancel", 200, "cancelled"), ("cancel", 409, "cancelled"),
                 ("resume", 409, "cancelled")]
        for action, status, state in steps:
            r = self.action(c, action)
            self.assertEqual(r.status, status, (action, r))
            if status == 409:
                err = r.json()["error"]
                self.assertEqual((err["code"], err["state"]), ("invalid_state", state), action)
            else:
                self.assertEqual(r.json()["state"], state, action)
        log = self.psql("SELECT action || ':' || from_state || '>' || to_state || ':' || actor"
                        " || ':' || (user_id IS NOT NULL) FROM campaign_transitions"
                        " WHERE campaign_id = %d ORDER BY id" % c["id"])
        self.assertEqual(log.split(), ["schedule:draft>scheduled:api:true", "send:scheduled>running:api:true",
                                       "pause:running>paused:api:true", "resume:paused>running:api:true",
                                       "cancel:running>cancelled:api:true"])
        # the cancel left nothing to send
        self.assertEqual(self.queued(c), [])
        self.assertEqual(self.psql("SELECT state || ':' || reason FROM messages WHERE campaign_id = %d" % c["id"]),
                         "cancelled:campaign cancelled")
        self.assertEqual(self.api.request("POST", "/api/v1/campaigns/999999/send").status, 404)

    def test_content_cannot_change_once_running(self):
        lst = self.create_list("Editar")
        self.create_subscriber("editar@example.org", lists=[lst["id"]])
        c = self.created(lists=[lst["id"]])
        self.assertEqual(self.action(c, "send").status, 200)
        r = self.api.request("PATCH", "/api/v1/campaigns/%d" % c["id"], {"subject": "Otro"})
        self.assertEqual(self.assert_error(r, 409, "state", "invalid_state")["state"], "running")
        r = self.api.request("PUT", "/api/v1/campaigns/%d" % c["id"],
                             {"name": "n", "subject": "Otro", "from_email": "a@example.org", "body": "b"})
        self.assertEqual(self.assert_error(r, 409, "state", "invalid_state")["state"], "running")
        self.assertEqual(self.api.request("GET", "/api/v1/campaigns/%d" % c["id"]).json()["subject"],
                         c["subject"])
        r = self.api.request("DELETE", "/api/v1/campaigns/%d" % c["id"])
        self.assertEqual(self.assert_error(r, 409, "state")["state"], "running")
        self.assertEqual(self.action(c, "pause").status, 200)
        r = self.api.request("PUT", "/api/v1/campaigns/%d" % c["id"],
                             {"name": "n", "subject": "Otro", "from_email": "a@example.org", "body": "b"})
        self.assertEqual(self.assert_error(r, 409, "state", "invalid_state")["state"], "paused")

    def test_a_campaign_with_nobody_to_reach_finishes_at_once(self):
        lst = self.create_list("Vacía")
        c = self.created(lists=[lst["id"]])
        r = self.action(c, "send")
        self.assertEqual(r.status, 200, r)
        self.assertEqual((r.json()["state"], r.json()["total"]), ("finished", 0))
        self.assertEqual(self.action(c, "cancel").json()["error"]["state"], "finished")

    def test_send_snapshots_the_audience_once_per_person(self):
        a = self.create_list("A")
        b = self.create_list("B")
        double = self.create_list("Double", optin="double")
        vip = self.create_list("VIP")
        madrid = self.api.request("POST", "/api/v1/segments", {
            "name": "Madrid", "rule": {"field": "attributes.city", "op": "eq", "value": "Madrid"}}).json()
        test_accounts = self.api.request("POST", "/api/v1/segments", {
            "name": "Test", "rule": {"field": "email", "op": "starts_with", "value": "test"}}).json()
        both = self.create_subscriber("both@example.org", lists=[a["id"], b["id"]],
                                      attributes={"city": "Madrid"})
        self.create_subscriber("onlya@example.org", lists=[a["id"]])
        self.create_subscriber("segment@example.org", attributes={"city": "Madrid"})
        self.create_subscriber("blocked@example.org", lists=[a["id"]], status="blocklisted")
        gone = self.create_subscriber("gone@example.org", lists=[b["id"]])
        r = self.api.request("PUT", "/api/v1/lists/%d/subscribers" % b["id"],
                             {"subscriber_ids": [gone["id"]], "status": "unsubscribed"})
        self.assertIn(r.status, (200, 204), r)
        self.create_subscriber("pending@example.org", lists=[double["id"]])
        self.create_subscriber("vip@example.org", lists=[a["id"], vip["id"]])
        self.create_subscriber("test1@example.org", lists=[b["id"]])
        bounced = self.create_subscriber("bounced@example.org", lists=[a["id"]])
        self.psql("INSERT INTO bounces (subscriber_id, kind, smtp_code, smtp_text)"
                  " VALUES (%d, 'hard', 550, 'no such user')" % bounced["id"])
        audience = {"lists": [a["id"], b["id"], double["id"]], "segments": [madrid["id"]],
                    "exclude_lists": [vip["id"]], "exclude_segments": [test_accounts["id"]]}
        # the count before saving is who the snapshot takes
        r = self.api.request("POST", "/api/v1/campaigns/audience", audience)
        self.assertEqual((r.status, r.json()), (200, {"count": 3}), r)
        c = self.created(**audience)
        r = self.action(c, "send")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()["state"], "running")
        expected = ["both@example.org", "onlya@example.org", "segment@example.org"]
        self.assertEqual(self.queued(c), expected)
        self.assertEqual(r.json()["total"], len(expected))
        self.assertEqual(self.psql("SELECT count(*) FROM messages WHERE campaign_id = %d"
                                   " AND subscriber_id = %d" % (c["id"], both["id"])), "1")
        # the snapshot is taken once: later members are not added
        self.create_subscriber("late@example.org", lists=[a["id"]])
        self.assertEqual(self.queued(c), expected)

    def test_the_audience_count_checks_its_members(self):
        r = self.api.request("POST", "/api/v1/campaigns/audience", {})
        self.assertEqual((r.status, r.json()), (200, {"count": 0}), r)
        r = self.api.request("POST", "/api/v1/campaigns/audience", {"segments": [987654]})
        self.assertEqual(r.status, 400, r)
        self.assertEqual(r.json()["error"]["field"], "segments")
        r = self.api.request("POST", "/api/v1/campaigns/audience", {"lists": "1"})
        self.assertEqual(r.status, 400, r)
        self.assertEqual(r.json()["error"]["field"], "lists")
        r = self.api.request("POST", "/api/v1/campaigns/audience", {"name": "x"})
        self.assertEqual(r.status, 400, r)

    def test_a_member_of_two_lists_is_queued_once_without_segments(self):
        a = self.create_list("Uno")
        b = self.create_list("Dos")
        self.create_subscriber("dos.listas@example.org", lists=[a["id"], b["id"]])
        self.create_subscriber("una.lista@example.org", lists=[b["id"]])
        c = self.created(lists=[a["id"], b["id"]])
        r = self.action(c, "send")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()["total"], 2)
        self.assertEqual(self.queued(c), ["dos.listas@example.org", "una.lista@example.org"])

    def test_deleting_a_cancelled_campaign_deletes_its_messages(self):
        lst = self.create_list("Borrable")
        self.create_subscriber("borrable@example.org", lists=[lst["id"]])
        c = self.created(lists=[lst["id"]])
        self.assertEqual(self.action(c, "send").status, 200)
        self.assertEqual(self.action(c, "cancel").status, 200)
        self.assertEqual(self.psql("SELECT count(*) FROM messages WHERE campaign_id = %d" % c["id"]),
                         "1")
        self.assertEqual(self.api.request("DELETE", "/api/v1/campaigns/%d" % c["id"]).status, 204)
        self.assertEqual(self.psql("SELECT count(*) FROM messages WHERE campaign_id = %d" % c["id"]),
                         "0")

    def test_concurrent_sends_queue_the_audience_once(self):
        lst = self.create_list("Concurrent")
        for i in range(20):
            self.create_subscriber("c%02d@example.org" % i, lists=[lst["id"]])
        c = self.created(lists=[lst["id"]])
        results = []

        def send():
            client = self.server.client()
            client.login("admin@localhost", self.server.admin_password)
            results.append(client.request("POST", "/api/v1/campaigns/%d/send" % c["id"]).status)

        threads = [threading.Thread(target=send) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(sorted(results), [200, 409, 409, 409])
        self.assertEqual(len(self.queued(c)), 20)


class CampaignRelaysTest(AudienceCase):
    """With two [smtp.NAME] relays configured (never reached: no worker loop)."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix="mailcast-relays-")
        config = os.path.join(cls.tmp.name, "mailcast.ini")
        with open(config, "w") as f:
            f.write("[mail]\nfrom_email = news@example.com\n"
                    "bounce_address = bounces+{token}@example.com\n"
                    "[smtp.primary]\nhost = 127.0.0.1\nport = 2525\ntls = off\n"
                    "[smtp.envíos]\nhost = 127.0.0.1\nport = 2526\ntls = off\ngroup = masivo\n")
        cls.dsn = cls.cluster.new_database()
        cls.server = Server(dsn=cls.dsn, args=("--config", config, "--no-worker"))
        cls.api = cls.server.client()
        assert cls.api.login("admin@localhost", cls.server.admin_password).status == 200

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        cls.tmp.cleanup()

    def body(self, **fields):
        return dict({"name": "Relevo", "subject": "s", "from_email": "a@example.org", "body": "b"},
                    **fields)

    def test_a_configured_relay_is_accepted_by_create_patch_and_put(self):
        r = self.api.request("POST", "/api/v1/campaigns", self.body(relay="primary"))
        self.assertEqual(r.status, 201, r)
        self.assertEqual(r.json()["relay"], "primary")
        path = "/api/v1/campaigns/%d" % r.json()["id"]
        r = self.api.request("PATCH", path, {"relay": "envíos"})
        self.assertEqual((r.status, r.json()["relay"]), (200, "envíos"), r)
        r = self.api.request("PUT", path, self.body(relay="primary"))
        self.assertEqual((r.status, r.json()["relay"]), (200, "primary"), r)
        r = self.api.request("PUT", path, self.body())
        self.assertEqual((r.status, r.json()["relay"]), (200, ""), r)
        r = self.api.request("PATCH", path, {"relay": "masivo"})
        self.assertEqual((r.status, r.json()["relay"]), (200, "masivo"), r)

    def test_an_unknown_relay_is_refused_naming_the_configured_ones(self):
        r = self.api.request("POST", "/api/v1/campaigns", self.body())
        self.assertEqual(r.status, 201, r)
        path = "/api/v1/campaigns/%d" % r.json()["id"]
        for r in (self.api.request("POST", "/api/v1/campaigns", self.body(relay="Primary")),
                  self.api.request("PATCH", path, {"relay": "secundario"}),
                  self.api.request("PUT", path, self.body(relay="secundario"))):
            error = self.assert_error(r, 400, "relay", "invalid_field")
            self.assertIn("primary, envíos, group masivo", error["message"])
        self.assertEqual(self.api.request("GET", path).json()["relay"], "")


if __name__ == "__main__":
    unittest.main()
