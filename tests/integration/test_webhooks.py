"""Outgoing webhooks: subscriptions through /api/v1/webhooks, every event kind driven through
the real API, tracking endpoints and SMTP peer reaching a receiver on loopback with a signature
that verifies, retries with back-off and their log, a receiver that hangs while a campaign
sends, and the guard against requests into the server's own network (literal addresses refused
at creation, names refused at each attempt, redirects not followed)."""

import hashlib
import hmac
import http.server
import json
import re
import threading
import time
import unittest
import urllib.parse

from audience_fixtures import AudienceCase
from bounce_fixtures import BounceCase, list_unsubscribe
from harness import PgCluster, Server

PUBLIC = "https://news.example.org"
SECRET = "clave-secreta-ñandú-секрет"
LINK = "https://example.org/ofertas/año-nuevo"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
EVENTS = ["subscriber.created", "subscriber.unsubscribed", "message.sent", "message.bounced",
          "message.complained", "message.opened", "message.clicked", "campaign.finished"]


def setUpModule():
    AudienceCase.cluster = PgCluster()


def tearDownModule():
    AudienceCase.cluster.destroy()


class Receiver:
    """An HTTP receiver on 127.0.0.1 that records every request. By path: /flaky answers 500
    twice then 200, /broken always 503, /hang answers after HANG_SECONDS, /block once `released` is set (counting
    the requests it holds in `blocked`), /redirect answers 302 to /landed, anything else
    204."""

    HANG_SECONDS = 8

    def __init__(self):
        self.requests = []  # (path, {header: value}, body bytes)
        self.lock = threading.Lock()
        self.flaky = 0
        self.blocked = 0
        self.released = threading.Event()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with receiver.lock:
                    receiver.requests.append((self.path, dict(self.headers), body))
                if self.path == "/flaky":
                    with receiver.lock:
                        receiver.flaky += 1
                        status = 500 if receiver.flaky <= 2 else 200
                    self.answer(status, "Error interno: сервер занят" if status == 500 else "")
                elif self.path == "/hang":
                    time.sleep(Receiver.HANG_SECONDS)
                    self.answer(200)
                elif self.path == "/block":
                    with receiver.lock:
                        receiver.blocked += 1
                    receiver.released.wait()
                    self.answer(200)
                elif self.path == "/broken":
                    self.answer(503, "Mantenimiento")
                elif self.path == "/redirect":
                    self.send_response(302)
                    self.send_header("Location", "http://127.0.0.1:%d/landed" % receiver.port)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                else:
                    self.answer(204)

            def answer(self, status, text=""):
                try:
                    self.send_response(status)
                    self.send_header("Content-Length", str(len(text.encode())))
                    self.end_headers()
                    self.wfile.write(text.encode())
                except OSError:
                    pass  # the sender gave up waiting

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path):
        return "http://127.0.0.1:%d%s" % (self.port, path)

    def close(self):
        self.released.set()
        self.server.shutdown()
        self.server.server_close()

    def got(self, path=None):
        with self.lock:
            return [r for r in self.requests if path is None or r[0] == path]

    def events(self, path):
        """the JSON bodies posted to path"""
        return [json.loads(body) for _, _, body in self.got(path)]


def verify(secret, headers, body):
    """checks a request as a receiver would (docs/automations.md, "Verifying a delivery")"""
    timestamp = headers["X-Mailcast-Timestamp"]
    expected = hmac.new(secret.encode(), timestamp.encode() + b"." + body,
                        hashlib.sha256).hexdigest()
    return hmac.compare_digest("v1=" + expected, headers["X-Mailcast-Signature"])


class WebhookCase(BounceCase):
    receiver = None

    @classmethod
    def setUpClass(cls):
        cls.receiver = Receiver()
        super().setUpClass()

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        cls.receiver.close()

    def webhook(self, path, events, **fields):
        body = dict({"url": self.receiver.url(path), "events": events, "secret": SECRET}, **fields)
        r = self.api.request("POST", "/api/v1/webhooks", body)
        self.assertEqual(r.status, 201, r)
        return r.json()

    def deliveries(self, webhook, query=""):
        r = self.api.request("GET", "/api/v1/webhooks/%d/deliveries%s" % (webhook["id"], query))
        self.assertEqual(r.status, 200, r)
        return r.json()["items"]


class WebhookEventsTest(WebhookCase):
    server_env = {"MAILCAST_SERVER_PUBLIC_URL": PUBLIC, "MAILCAST_WEBHOOKS_ALLOW_PRIVATE": "true",
                  "MAILCAST_WEBHOOKS_TIMEOUT_SECONDS": "3",
                  "MAILCAST_WEBHOOKS_RETRY_BASE_SECONDS": "1"}

    def find(self, path, event, **data):
        """waits for a delivery of event to path whose data has the given members"""
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            for _, headers, body in self.receiver.got(path):
                got = json.loads(body)
                if got["event"] == event and all(got["data"].get(k) == v for k, v in data.items()):
                    return got, headers, body
            time.sleep(0.2)
        self.fail("no %s with %s reached %s: %s" % (event, data, path,
                                                     self.receiver.events(path)))

    def test_every_event_reaches_the_receiver_signed(self):
        hook = self.webhook("/all", EVENTS)
        campaign, sent = self.send_campaign(
            [("ana.hook@example.org", "Ana Ñúñez"), ("oleg.hook@example.org", "Олег Петров"),
             ("rcpt550-borja.hook@example.org", "Borja")],
            body='<p>Привет, {{name}}</p><a href="%s">oferta</a>' % LINK)
        ana, oleg = sent["ana.hook@example.org"], sent["oleg.hook@example.org"]
        borja = sent["rcpt550-borja.hook@example.org"]
        page = ana["mail"].get_body(("html",)).get_content()
        pixel = re.search(r'src="%s(/t/o/[^"]+)"' % re.escape(PUBLIC), page).group(1)
        click = re.search(r'href="%s(/t/c/[^"]+)"' % re.escape(PUBLIC), page).group(1)
        self.assertEqual(self.server.client().request("GET", pixel).status, 200)
        self.assertEqual(self.server.client().request("GET", click).status, 302)
        r = self.api.request("POST", "/api/v1/bounces",
                             {"message_id": oleg["message_id"], "kind": "complaint"})
        self.assertEqual(r.status, 201, r)
        path = urllib.parse.urlparse(list_unsubscribe(ana["mail"])[0]).path
        r = self.server.client().request("POST", path, raw=b"List-Unsubscribe=One-Click",
                                         headers=FORM)
        self.assertEqual(r.status, 200, r)

        ana_id, oleg_id = ana["subscriber"]["id"], oleg["subscriber"]["id"]
        found = [
            self.find("/all", "subscriber.created", subscriber_id=ana_id, name="Ana Ñúñez",
                      email="ana.hook@example.org"),
            self.find("/all", "subscriber.created", subscriber_id=oleg_id, name="Олег Петров"),
            self.find("/all", "message.sent", message_id=ana["message_id"], kind="campaign",
                      campaign_id=campaign["id"], email="ana.hook@example.org"),
            self.find("/all", "message.sent", message_id=oleg["message_id"]),
            self.find("/all", "message.bounced", message_id=borja["message_id"], kind="hard",
                      campaign_id=campaign["id"], email="rcpt550-borja.hook@example.org"),
            self.find("/all", "message.complained", message_id=oleg["message_id"],
                      subscriber_id=oleg_id, campaign_id=campaign["id"]),
            self.find("/all", "message.opened", message_id=ana["message_id"],
                      subscriber_id=ana_id, campaign_id=campaign["id"]),
            self.find("/all", "message.clicked", message_id=ana["message_id"], url=LINK),
            self.find("/all", "subscriber.unsubscribed", subscriber_id=ana_id,
                      campaign_id=campaign["id"], message_id=ana["message_id"]),
            self.find("/all", "campaign.finished", campaign_id=campaign["id"], sent=2, failed=1),
        ]
        for payload, headers, body in found:
            self.assertTrue(verify(SECRET, headers, body), payload)
            self.assertFalse(verify(SECRET + "x", headers, body))
            self.assertEqual(headers["X-Mailcast-Event"], payload["event"])
            self.assertEqual(headers["Content-Type"], "application/json")
            self.assertRegex(headers["User-Agent"], r"^mailcast/\d+\.\d+")
            self.assertRegex(payload["occurred_at"], r"^\d{4}-\d\d-\d\dT")
            self.assertIsInstance(payload["data"].get("machine", False), bool)
        # the borja message was refused: it never counts as sent
        self.assertEqual([e for e in self.receiver.events("/all") if e["event"] == "message.sent"
                          and e["data"]["message_id"] == borja["message_id"]], [])
        # each thing that happened is delivered once, however often the fan-out reads it
        time.sleep(3)
        ids = [e["id"] for e in self.receiver.events("/all")]
        self.assertEqual(len(ids), len(set(ids)))
        logged = self.deliveries(hook, "?limit=1000&state=delivered")
        self.assertEqual(len(logged), len(ids))
        self.assertTrue(all(d["attempts"] == 1 and d["last_status"] == 204 for d in logged))
        self.assertEqual(sorted(int(h["X-Mailcast-Delivery"]) for _, h, _ in self.receiver.got("/all")),
                         sorted(d["id"] for d in logged))

    def test_a_failing_receiver_gets_the_delivery_on_the_third_attempt(self):
        hook = self.webhook("/flaky", ["subscriber.created"])
        r = self.api.request("POST", "/api/v1/webhooks/%d/test" % hook["id"])
        self.assertEqual(r.status, 202, r)
        self.assertEqual(r.json()["state"], "pending")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            got = self.deliveries(hook)
            if got and got[0]["state"] == "delivered":
                break
            time.sleep(0.3)
        self.assertEqual(len(got), 1)
        d = got[0]
        self.assertEqual((d["event"], d["state"], d["attempts"], d["last_status"], d["last_error"]),
                         ("webhook.test", "delivered", 3, 200, None))
        self.assertEqual([(a["attempt"], a["status"]) for a in d["log"]], [(1, 500), (2, 500), (3, 200)])
        self.assertEqual([a["error"] for a in d["log"]], ["HTTP 500: Error interno: сервер занят"] * 2 + [None])
        requests = self.receiver.got("/flaky")
        self.assertEqual(len(requests), 3)
        # the same delivery each time, signed at the time of each attempt
        self.assertEqual({h["X-Mailcast-Delivery"] for _, h, _ in requests}, {str(d["id"])})
        self.assertTrue(all(verify(SECRET, h, b) for _, h, b in requests))
        self.assertEqual(self.deliveries(hook, "?state=failed"), [])

    def test_a_delivery_failing_past_the_retry_hours_fails_for_good(self):
        hook = self.webhook("/broken", ["message.sent"], enabled=False)
        r = self.api.request("POST", "/api/v1/webhooks/%d/test" % hook["id"])
        self.assertEqual(r.status, 202, r)
        # queued more than [webhooks] retry_hours (24) ago; its webhook was disabled meanwhile
        self.psql("UPDATE webhook_deliveries SET created_at = now() - interval '25 hours'"
                  " WHERE id = %d" % r.json()["id"])
        r = self.api.request("PATCH", "/api/v1/webhooks/%d" % hook["id"], {"enabled": True})
        self.assertEqual(r.status, 200, r)
        self.wait_for(lambda: self.deliveries(hook, "?state=failed"), "the delivery to fail")
        d = self.deliveries(hook)[0]
        self.assertEqual((d["state"], d["attempts"], d["last_status"], d["last_error"],
                          d["next_attempt_at"]),
                         ("failed", 1, 503, "HTTP 503: Mantenimiento", None))
        self.assertEqual(len(self.receiver.got("/broken")), 1)

    def test_a_redirect_is_not_followed(self):
        hook = self.webhook("/redirect", ["campaign.finished"])
        self.api.request("POST", "/api/v1/webhooks/%d/test" % hook["id"])
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            got = self.deliveries(hook)
            if got and got[0]["attempts"] >= 2 and got[0]["state"] == "pending":
                break
            time.sleep(0.3)
        d = got[0]
        self.assertEqual(d["state"], "pending")
        self.assertEqual(d["last_status"], 302)
        self.assertIn("redirect to http://127.0.0.1:%d/landed not followed" % self.receiver.port,
                      d["last_error"])
        self.assertEqual(self.receiver.got("/landed"), [])

    def test_a_sent_triggered_message_is_a_trigger_sent_and_a_message_sent(self):
        hook = self.webhook("/trigger", ["trigger.sent", "message.sent"])
        sub = self.create_subscriber("carrito.hook@example.org", name="Carmen Ñ")
        r = self.api.request("POST", "/api/v1/templates", {
            "name": "Carrito", "subject": "Tu carrito, {{name}}",
            "body": "<p>{{#event.properties.items}}{{name}} {{/event.properties.items}}</p>"
                    "<p><a href=\"{{unsubscribe_url}}\">Baja</a></p>"})
        self.assertEqual(r.status, 201, r)
        r = self.api.request("POST", "/api/v1/triggers", {
            "name": "Carrito abandonado", "entry": {"event": "cart_updated"},
            "steps": [{"send": r.json()["id"]}]})
        self.assertEqual(r.status, 201, r)
        trigger = r.json()["id"]
        r = self.api.request("POST", "/api/v1/events", {
            "subscriber_id": sub["id"], "name": "cart_updated",
            "properties": {"items": [{"name": "Чайник"}]}})
        self.assertEqual(r.status, 202, r)
        # the runner queues the message, the worker sends it to the peer, the fan-out sees it
        payload, headers, body = self.find("/trigger", "trigger.sent", trigger_id=trigger,
                                           kind="trigger", subscriber_id=sub["id"],
                                           email="carrito.hook@example.org")
        self.assertTrue(verify(SECRET, headers, body))
        message = payload["data"]["message_id"]
        self.assertEqual(payload["id"], "trigger.sent:%d" % message)
        payload, headers, body = self.find("/trigger", "message.sent", message_id=message,
                                           trigger_id=trigger, kind="trigger")
        self.assertEqual(payload["id"], "message.sent:%d" % message)
        self.assertTrue(verify(SECRET, headers, body))
        self.assertEqual(len(self.deliveries(hook)), 2)

    def test_a_row_committed_after_later_ones_is_still_delivered(self):
        self.webhook("/late", ["subscriber.created"])
        # a transaction that stamps its subscriber now and commits well after the margin the
        # fan-out reads again
        late = self.cluster.psql_background(
            self.dsn.split("dbname=")[1].split()[0],
            "BEGIN; INSERT INTO subscribers (email, name) VALUES ('tarde.hook@example.org',"
            " 'Tardío Ñ'); SELECT pg_sleep(15); COMMIT;")
        time.sleep(1)
        self.create_subscriber("pronto.hook@example.org", name="Pronto")
        # what commits meanwhile is not held back by the open transaction
        self.find("/late", "subscriber.created", email="pronto.hook@example.org")
        self.assertEqual(late.wait(timeout=60), 0)
        payload, _, _ = self.find("/late", "subscriber.created", email="tarde.hook@example.org",
                                  name="Tardío Ñ")
        self.assertEqual(len([e for e in self.receiver.events("/late")
                              if e["data"]["email"] == "tarde.hook@example.org"]), 1)

    def test_a_backlog_of_hours_is_read_in_slices_and_delivered(self):
        hook = self.webhook("/backlog", ["subscriber.created"])
        # as after a long stop of every worker: the cursor two hours back, a subscriber created
        # an hour and a half ago (the fan-out's lock keeps a pass from running meanwhile)
        self.psql("BEGIN; SELECT pg_advisory_xact_lock(hashtext('mailcast:webhooks'));"
                  " UPDATE webhooks SET subscribed_at = now() - interval '3 hours' WHERE id = %d;"
                  " INSERT INTO webhook_cursors VALUES ('subscribers', now() - interval '2 hours')"
                  " ON CONFLICT (source) DO UPDATE SET scanned_until = excluded.scanned_until;"
                  " INSERT INTO subscribers (email, name, created_at) VALUES"
                  " ('atrasado.hook@example.org', 'Атрасадо', now() - interval '90 minutes');"
                  " COMMIT;" % hook["id"])
        payload, _, _ = self.find("/backlog", "subscriber.created",
                                  email="atrasado.hook@example.org", name="Атрасадо")
        self.assertEqual(self.psql("SELECT scanned_until > now() - interval '1 minute' FROM"
                                   " webhook_cursors WHERE source = 'subscribers'"), "t")

    def test_webhooks_are_created_read_changed_and_deleted(self):
        r = self.api.request("POST", "/api/v1/webhooks",
                             {"url": self.receiver.url("/crud"), "events": ["message.opened"]})
        self.assertEqual(r.status, 201, r)
        hook = r.json()
        # a generated secret is shown once
        self.assertRegex(hook["secret"], r"^[0-9a-f]{64}$")
        got = self.api.request("GET", "/api/v1/webhooks/%d" % hook["id"]).json()
        self.assertNotIn("secret", got)
        self.assertEqual((got["url"], got["events"], got["enabled"]),
                         (self.receiver.url("/crud"), ["message.opened"], True))
        r = self.api.request("PATCH", "/api/v1/webhooks/%d" % hook["id"], {"enabled": False})
        self.assertEqual((r.status, r.json()["enabled"], r.json()["events"]),
                         (200, False, ["message.opened"]))
        r = self.api.request("PUT", "/api/v1/webhooks/%d" % hook["id"],
                             {"url": self.receiver.url("/otra"), "events": ["message.clicked",
                                                                             "message.sent"]})
        self.assertEqual(r.status, 200, r)
        self.assertEqual((r.json()["url"], r.json()["events"], r.json()["enabled"]),
                         (self.receiver.url("/otra"), ["message.clicked", "message.sent"], False))
        self.assert_error(self.api.request("PUT", "/api/v1/webhooks/%d" % hook["id"],
                                           {"url": self.receiver.url("/x")}), 400, "events")
        listed = self.api.request("GET", "/api/v1/webhooks?limit=1000").json()["items"]
        self.assertIn(hook["id"], [w["id"] for w in listed])
        self.assertEqual(self.api.request("GET", "/api/v1/webhooks/%d/deliveries?state=perdido"
                                          % hook["id"]).status, 400)
        self.assertEqual(self.api.request("DELETE", "/api/v1/webhooks/%d" % hook["id"]).status, 204)
        for method, path in [("GET", ""), ("DELETE", ""), ("GET", "/deliveries"), ("POST", "/test")]:
            r = self.api.request(method, "/api/v1/webhooks/%d%s" % (hook["id"], path))
            self.assertEqual(r.status, 404, (method, path, r))

    def test_bad_input_is_refused_naming_the_field_and_writes_nothing(self):
        url = self.receiver.url("/mal")
        before = self.psql("SELECT count(*) FROM webhooks")
        for body, field in [
                ({"events": ["message.sent"]}, "url"),
                ({"url": "ftp://example.org/hook", "events": ["message.sent"]}, "url"),
                ({"url": "https://usuario:clave@example.org/hook", "events": ["message.sent"]}, "url"),
                ({"url": "https://example.org/" + "a" * 2048, "events": ["message.sent"]}, "url"),
                ({"url": "no es una url", "events": ["message.sent"]}, "url"),
                ({"url": url}, "events"),
                ({"url": url, "events": []}, "events"),
                ({"url": url, "events": "message.sent"}, "events"),
                ({"url": url, "events": ["message.sent", "message.opened", "mensaje.leído"]},
                 "events[2]"),
                ({"url": url, "events": ["message.sent", "message.sent"]}, "events[1]"),
                ({"url": url, "events": ["webhook.test"]}, "events[0]"),
                ({"url": url, "events": ["message.sent"], "secret": "corta"}, "secret"),
                ({"url": url, "events": ["message.sent"], "secret": "x" * 201}, "secret"),
                ({"url": url, "events": ["message.sent"], "enabled": "sí"}, "enabled"),
                ({"url": url, "events": ["message.sent"], "eventos": []}, "eventos")]:
            self.assert_error(self.api.request("POST", "/api/v1/webhooks", body), 400, field)
        self.assertEqual(self.psql("SELECT count(*) FROM webhooks"), before)
        r = self.api.request("POST", "/api/v1/webhooks",
                             {"url": url, "events": ["message.sent", "message.opened", "mensaje.leído"]})
        self.assertIn("events[2] must be one of: subscriber.created, ", r.json()["error"]["message"])


class HangingReceiverTest(WebhookCase):
    server_env = {"MAILCAST_WEBHOOKS_ALLOW_PRIVATE": "true",
                  "MAILCAST_WEBHOOKS_TIMEOUT_SECONDS": "2"}

    def test_a_receiver_that_hangs_does_not_hold_up_a_campaign(self):
        hook = self.webhook("/hang", ["message.sent", "subscriber.created"])
        lst = self.create_list("Lista lenta")
        self.psql("WITH s AS (INSERT INTO subscribers (email, name) SELECT"
                  " 'lento' || i || '@example.org', 'Лентяй ' || i FROM generate_series(1, 300) i"
                  " RETURNING id) INSERT INTO list_subscribers (list_id, subscriber_id, status)"
                  " SELECT %d, id, 'confirmed' FROM s" % lst["id"])
        r = self.api.request("POST", "/api/v1/campaigns", {
            "name": "Campaña lenta", "subject": "Hola", "from_email": "news@example.com",
            "body": "<p>Hola {{name}}</p>", "lists": [lst["id"]]})
        self.assertEqual(r.status, 201, r)
        campaign = r.json()
        self.send(campaign)
        finished = self.wait_state(campaign, "finished")
        self.assertEqual(finished["state"], "finished")
        self.assertEqual(len(self.received()), 300)
        # the receiver was being tried meanwhile, and its attempts ran out of time
        self.wait_for(lambda: self.receiver.got("/hang"), "a request to the hanging receiver")
        self.wait_for(lambda: any("timeout" in (d["last_error"] or "")
                                  for d in self.deliveries(hook, "?limit=1000")),
                      "an attempt that timed out")


class FairnessTest(WebhookCase):
    server_env = {"MAILCAST_WEBHOOKS_ALLOW_PRIVATE": "true",
                  "MAILCAST_WEBHOOKS_TIMEOUT_SECONDS": "120"}

    def test_a_receiver_that_holds_every_request_does_not_starve_the_others(self):
        stuck = self.webhook("/block", ["subscriber.created"])
        quick = self.webhook("/quick", ["subscriber.created"])
        self.psql("INSERT INTO subscribers (email, name) SELECT 'justo' || i || '@example.org',"
                  " 'Справедливый ' || i FROM generate_series(1, 200) i")
        # the held webhook keeps 4 requests open; the other gets every one of its deliveries
        self.wait_for(lambda: len(self.deliveries(quick, "?limit=1000&state=delivered")) == 200,
                      "the second webhook's 200 deliveries")
        self.assertEqual(len(self.receiver.got("/quick")), 200)
        with self.receiver.lock:
            self.assertEqual(self.receiver.blocked, 4)
        self.assertEqual(len(self.deliveries(stuck, "?limit=1000&state=delivering")), 4)
        self.assertEqual(len(self.deliveries(stuck, "?limit=1000&state=pending")), 196)
        self.receiver.released.set()
        self.wait_for(lambda: len(self.deliveries(stuck, "?limit=1000&state=delivered")) == 200,
                      "the held webhook's deliveries once it answers")


class GuardTest(WebhookCase):
    server_env = {"MAILCAST_WEBHOOKS_RETRY_BASE_SECONDS": "1"}

    def test_literal_private_addresses_are_refused_at_creation(self):
        for host in ["127.0.0.1", "10.0.0.1", "192.168.1.20", "172.16.5.4", "169.254.169.254",
                     "100.64.0.1", "0.0.0.0", "[::1]", "[fe80::1]", "[fd00::5]",
                     "[::ffff:127.0.0.1]", "[::ffff:10.1.2.3]", "2130706433", "0x7f.1", "0177.0.0.1"]:
            r = self.api.request("POST", "/api/v1/webhooks", {
                "url": "http://%s:%d/hook" % (host, self.receiver.port), "events": ["message.sent"]})
            self.assert_error(r, 400, "url")
            self.assertIn("allow_private", r.json()["error"]["message"], host)
        self.assertEqual(self.psql("SELECT count(*) FROM webhooks WHERE url LIKE '%/hook'"), "0")
        r = self.api.request("POST", "/api/v1/webhooks",
                             {"url": "https://hooks.example.org/mailcast", "events": ["message.sent"]})
        self.assertEqual(r.status, 201, r)
        r = self.api.request("PATCH", "/api/v1/webhooks/%d" % r.json()["id"],
                             {"url": "http://10.0.0.1/hook"})
        self.assert_error(r, 400, "url")

    def test_old_finished_deliveries_are_deleted_with_their_attempts(self):
        r = self.api.request("POST", "/api/v1/webhooks", {
            "url": "https://hooks.example.org/viejo", "events": ["message.sent"]})
        self.assertEqual(r.status, 201, r)
        hook = r.json()
        self.psql("INSERT INTO webhook_deliveries (webhook_id, event, event_key, payload, occurred_at,"
                  " state, created_at, next_attempt_at) SELECT %d, 'message.sent', k, '{}', now(), st,"
                  " now() - make_interval(days => d), now() + interval '1 day' FROM (VALUES"
                  " ('viejo:1', 'delivered', 40), ('viejo:2', 'failed', 40), ('viejo:3', 'pending', 40),"
                  " ('viejo:4', 'delivered', 5)) v (k, st, d)" % hook["id"])
        self.psql("INSERT INTO webhook_attempts (delivery_id, attempt, status, duration_ms, started_at)"
                  " SELECT id, 1, 200, 12, created_at FROM webhook_deliveries WHERE event_key LIKE 'viejo:%'")
        gone = self.psql("SELECT string_agg(id::text, ',') FROM webhook_deliveries"
                         " WHERE event_key IN ('viejo:1', 'viejo:2')")
        # a worker's first round runs every job
        other = Server(dsn=self.dsn, extra_env={"MAILCAST_WEBHOOKS_LOG_DAYS": "30"})
        try:
            self.wait_for(lambda: self.psql("SELECT string_agg(event_key, ',' ORDER BY event_key)"
                                            " FROM webhook_deliveries WHERE event_key LIKE 'viejo:%'")
                          == "viejo:3,viejo:4", "the old finished deliveries to go")
        finally:
            other.stop()
        self.assertEqual(self.psql("SELECT count(*) FROM webhook_attempts WHERE delivery_id IN (%s)"
                                   % gone), "0")
        self.assertEqual(self.psql("SELECT count(*) FROM webhook_attempts a JOIN webhook_deliveries d"
                                   " ON d.id = a.delivery_id WHERE d.event_key LIKE 'viejo:%'"), "2")

    def test_a_name_that_resolves_to_loopback_fails_each_attempt_and_connects_nowhere(self):
        r = self.api.request("POST", "/api/v1/webhooks", {
            "url": "http://localhost:%d/guard" % self.receiver.port, "events": ["message.sent"],
            "secret": SECRET})
        self.assertEqual(r.status, 201, r)
        hook = r.json()
        self.api.request("POST", "/api/v1/webhooks/%d/test" % hook["id"])
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            got = self.deliveries(hook)
            if got and len(got[0]["log"]) >= 2:
                break
            time.sleep(0.3)
        d = got[0]
        self.assertEqual(d["state"], "pending")
        self.assertGreaterEqual(len(d["log"]), 2)
        for attempt in d["log"]:
            self.assertIsNone(attempt["status"])
            self.assertRegex(attempt["error"], r"^refused to connect to (127\.0\.0\.1|::1): "
                                               r"loopback address")
        self.assertEqual(self.receiver.got(), [])


if __name__ == "__main__":
    unittest.main()
