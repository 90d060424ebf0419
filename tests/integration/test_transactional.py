"""Transactional messages over POST /api/v1/tx, delivered by the worker loop to a real SMTP
peer: per-message data in the template, to a subscriber or an address, an Idempotency-Key
that makes a retried call send once, and the message's state and reply by id."""

import email
import email.policy
import time
import unittest

from audience_fixtures import AudienceCase
from campaign_fixtures import SendingCase
from harness import PgCluster


def setUpModule():
    AudienceCase.cluster = PgCluster()


def tearDownModule():
    AudienceCase.cluster.destroy()


class TransactionalTest(SendingCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        r = cls.api.request("POST", "/api/v1/templates", {
            "name": "Pedido", "kind": "transactional", "subject": "Pedido {{order.number}}",
            "body": "<p>Hola {{first_name | default: \"cliente\"}}, total: {{order.total}} €</p>"
                    "{{#order.items}}<li>{{.}}</li>{{/order.items}}"})
        assert r.status == 201, r
        cls.template = r.json()["id"]

    def received(self, address):
        with self.peer.recorder.lock:
            messages = list(self.peer.recorder.messages)
        return [email.message_from_bytes(data, policy=email.policy.default)
                for _, rcpts, data in messages if address in rcpts]

    def wait_message(self, message_id, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            m = self.api.request("GET", "/api/v1/messages/%d" % message_id).json()
            if m["state"] in ("sent", "failed"):
                return m
            time.sleep(0.2)
        self.fail("message %d is still %s" % (message_id, m["state"]))

    def tx(self, body, key=None):
        return self.api.request("POST", "/api/v1/tx", body,
                                headers={"Idempotency-Key": key} if key else None)

    def test_to_a_subscriber_with_order_data(self):
        sub = self.create_subscriber("olga@example.org", name="Ольга Иванова")
        r = self.tx({"subscriber_id": sub["id"], "template_id": self.template,
                     "data": {"order": {"number": "A-17", "total": "12,50", "items": ["té", "чай"]}}})
        self.assertEqual(r.status, 202, r)
        m = self.wait_message(r.json()["message_id"])
        self.assertEqual((m["state"], m["kind"], m["smtp_code"], m["subscriber_id"]),
                         ("sent", "transactional", 250, sub["id"]))
        [msg] = self.received("olga@example.org")
        self.assertEqual(msg["Subject"], "Pedido A-17")
        html = msg.get_body(("html",)).get_content()
        self.assertIn("Hola Ольга, total: 12,50 €", html)
        self.assertIn("<li>чай</li>", html)
        self.assertIsNone(msg["List-Unsubscribe"])

    def test_to_an_address_with_its_own_subject(self):
        r = self.tx({"to": "guest@example.org", "template_id": self.template,
                     "subject": "Recibo {{order.number}}", "data": {"order": {"number": "B-2"}}})
        self.assertEqual(r.status, 202, r)
        self.assertEqual(self.wait_message(r.json()["message_id"])["state"], "sent")
        [msg] = self.received("guest@example.org")
        self.assertEqual(msg["Subject"], "Recibo B-2")
        self.assertIn("Hola cliente", msg.get_body(("html",)).get_content())

    def test_an_idempotency_key_sends_once(self):
        body = {"to": "once@example.org", "template_id": self.template,
                "data": {"order": {"number": "C-3"}}}
        first = self.tx(body, key="order-C-3")
        second = self.tx(body, key="order-C-3")
        self.assertEqual((first.status, second.status), (202, 202))
        self.assertEqual(first.json()["message_id"], second.json()["message_id"])
        self.assertEqual(second.header("Idempotent-Replayed"), "true")
        self.wait_message(first.json()["message_id"])
        time.sleep(1.5)
        self.assertEqual(len(self.received("once@example.org")), 1)

    def test_an_idempotency_key_with_the_same_body_in_another_key_order_replays(self):
        first = self.tx({"to": "orden@example.org", "template_id": self.template,
                         "data": {"order": {"number": "D-4", "total": "3,00"}}}, key="pedido-D-4")
        raw = ('{"data": {"order": {"total": "3,00", "number": "D-4"}}, "template_id": %d,'
               ' "to": "orden@example.org"}' % self.template).encode()
        second = self.api.request("POST", "/api/v1/tx", raw=raw,
                                  headers={"Idempotency-Key": "pedido-D-4", "Content-Type": "application/json"})
        self.assertEqual((first.status, second.status), (202, 202), second)
        self.assertEqual(first.json()["message_id"], second.json()["message_id"])
        self.assertEqual(second.header("Idempotent-Replayed"), "true")

    def test_an_idempotency_key_reused_with_another_body_is_refused(self):
        body = {"to": "otra@example.org", "template_id": self.template,
                "data": {"order": {"number": "Е-5", "total": "7,00"}}}
        first = self.tx(body, key="pedido-E-5")
        self.assertEqual(first.status, 202, first)
        for changed in [dict(body, to="distinta@example.org"),
                        dict(body, data={"order": {"number": "Е-5", "total": "70,00"}}),
                        dict(body, subject="Recibo")]:
            r = self.tx(changed, key="pedido-E-5")
            self.assert_error(r, 422, field="Idempotency-Key", code="idempotency_key_reused")
            self.assertIsNone(r.header("Idempotent-Replayed"))
        self.assertEqual(self.psql("SELECT count(*) FROM messages WHERE idempotency_key = 'pedido-E-5'"), "1")
        self.assertEqual(self.psql("SELECT count(*) FROM messages WHERE email = 'distinta@example.org'"), "0")
        again = self.tx(body, key="pedido-E-5")
        self.assertEqual((again.status, again.json()["message_id"]), (202, first.json()["message_id"]))

    def test_a_refused_address_fails_with_the_reply(self):
        r = self.tx({"to": "rcpt550-x@example.org", "template_id": self.template})
        m = self.wait_message(r.json()["message_id"])
        self.assertEqual((m["state"], m["smtp_code"], m["smtp_enhanced"]), ("failed", 550, "5.1.1"))

    def test_values_are_escaped_only_in_the_html_part(self):
        with_text = self.api.request("POST", "/api/v1/templates", {
            "name": "Aviso", "kind": "transactional", "subject": "Hola {{name}}",
            "body": "<p>Hola {{name}}</p>", "text_body": "Hola {{name}}, {{note}}"}).json()
        derived = self.api.request("POST", "/api/v1/templates", {
            "name": "Aviso derivado", "kind": "transactional", "subject": "Hola {{name}}",
            "body": "<h1>Hola {{name}}</h1><p>Nota: <b>{{note}}</b></p>"}).json()
        sub = self.create_subscriber("tom@example.org", name="Tom & Jerry <TJ>")
        for template in (with_text, derived):
            r = self.tx({"subscriber_id": sub["id"], "template_id": template["id"],
                         "data": {"note": "a < b & c"}})
            self.assertEqual(self.wait_message(r.json()["message_id"])["state"], "sent")
        first, second = self.received("tom@example.org")
        for msg in (first, second):
            self.assertEqual(msg["Subject"], "Hola Tom & Jerry <TJ>")
            self.assertIn("Hola Tom &amp; Jerry &lt;TJ&gt;", msg.get_body(("html",)).get_content())
        self.assertEqual(first.get_body(("plain",)).get_content().strip(),
                         "Hola Tom & Jerry <TJ>, a < b & c")
        self.assertEqual(second.get_body(("plain",)).get_content().replace("\r\n", "\n").rstrip(),
                         "Hola Tom & Jerry <TJ>\n=====================\n\nNota: a < b & c")

    def test_bad_requests_name_the_field(self):
        layout = self.api.request("POST", "/api/v1/templates",
                                  {"name": "frame", "kind": "layout", "body": "x"}).json()
        self.assert_error(self.tx({"template_id": self.template}), 400, "to")
        self.assert_error(self.tx({"to": "a@example.org", "subscriber_id": 1,
                                   "template_id": self.template}), 400, "to")
        self.assert_error(self.tx({"to": "not an address", "template_id": self.template}), 400, "to")
        self.assert_error(self.tx({"to": "a@example.org"}), 400, "template_id")
        self.assert_error(self.tx({"to": "a@example.org", "template_id": layout["id"]}), 400, "template_id")
        self.assert_error(self.tx({"to": "a@example.org", "template_id": self.template,
                                   "data": [1]}), 400, "data")
        self.assert_error(self.tx({"to": "a@example.org", "template_id": self.template,
                                   "subject": "{{#x}}"}), 400, "subject")
        self.assert_error(self.tx({"subscriber_id": 99999999, "template_id": self.template}),
                          404, "subscriber_id")


class WithoutSenderTest(AudienceCase):
    """A server with no [mail] from_email: transactional mail is refused at once."""

    def test_a_message_without_a_from_address_is_refused_naming_the_setting(self):
        r = self.api.request("POST", "/api/v1/templates", {
            "name": "Aviso", "kind": "transactional", "subject": "Aviso", "body": "<p>Hola</p>"})
        self.assertEqual(r.status, 201, r)
        r = self.api.request("POST", "/api/v1/tx", {"to": "sin.remitente@example.org",
                                                    "template_id": r.json()["id"]})
        self.assert_error(r, 400, "from_email")
        self.assertIn("[mail] from_email", r.json()["error"]["message"])
        self.assertEqual(self.psql("SELECT count(*) FROM messages"), "0")
        log = "\n".join(self.server.stderr_lines)
        self.assertIn("[mail] from_email is empty", log)
        self.assertIn("[mail] postal_address is empty", log)


if __name__ == "__main__":
    unittest.main()
