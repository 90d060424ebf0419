"""Shared set-up for the tests of triggers that run: a server whose relay is a real SMTP peer,
and helpers to create templates and triggers, post events and wait for what follows."""

import re
import time

from campaign_fixtures import SendingCase

CART_TEMPLATE = {
    "name": "Recordatorio de carrito",
    "subject": "¿Olvidaste algo, {{first_name}}?",
    "body": "<p>Hola {{name}}, tu carrito te espera:</p><ul>"
            "{{#event.properties.items}}<li>{{name}}: {{price}} x {{quantity}}</li>"
            "{{/event.properties.items}}</ul><p>Total: {{event.properties.total}}</p>"
            "<p>Código: {{settings.discount_code}}</p>"
            "<p><a href=\"{{settings.cart_url}}\">Volver al carrito</a></p>"
            "<p><a href=\"{{unsubscribe_url}}\">Darse de baja</a></p>",
}


def cart(*items, **more):
    """cart_updated properties for items given as (name, price, quantity), and more members
    (currency, cart_url)"""
    return dict({"items": [{"name": n, "price": p, "quantity": q,
                            "image_url": "https://shop.example/img/%d.jpg" % i,
                            "product_url": "https://shop.example/p/%d" % i}
                           for i, (n, p, q) in enumerate(items)],
                 "total": round(sum(p * q for _, p, q in items), 2)}, **more)


class AutomationCase(SendingCase):
    """Subclasses may set server_env ([automation] keys as MAILCAST_AUTOMATION_*)."""

    def create_template(self, **fields):
        r = self.api.request("POST", "/api/v1/templates", dict(CART_TEMPLATE, **fields))
        self.assertEqual(r.status, 201, r)
        return r.json()["id"]

    def create_trigger(self, template, steps=None, **fields):
        body = {"name": "Carrito abandonado",
                "entry": {"event": "cart_updated"},
                "steps": steps if steps is not None else [
                    {"wait": "3s"},
                    {"if": {"not": {"event": "order_completed", "since_entry": True}},
                     "else": "exit"},
                    {"send": template}],
                "exit_on": ["order_completed"],
                "reentry": "every_time",
                "settings": {"discount_code": "VUELVE10",
                             "cart_url": "https://shop.example/cart?id=42"}}
        body.update(fields)
        r = self.api.request("POST", "/api/v1/triggers", body)
        self.assertEqual(r.status, 201, r)
        return r.json()

    def event(self, subscriber, name, properties=None, **fields):
        body = dict(fields, subscriber_id=subscriber["id"], name=name,
                    properties=properties or {})
        r = self.api.request("POST", "/api/v1/events", body)
        self.assertEqual(r.status, 202, r)
        return r.json()["id"]

    def events(self, batch):
        r = self.api.request("POST", "/api/v1/events", {"events": batch})
        self.assertEqual(r.status, 202, r)
        return r.json()

    def messages_to(self, address):
        return self.received().get(address, [])

    def wait_for(self, what, check, timeout=60):
        """polls check() until it returns something true; returns it"""
        deadline = time.monotonic() + timeout
        while True:
            got = check()
            if got:
                return got
            if time.monotonic() > deadline:
                self.fail("timed out waiting for " + what)
            time.sleep(0.1)

    def wait_for_mail(self, address, count=1, timeout=60):
        return self.wait_for("%d message(s) to %s" % (count, address),
                             lambda: len(self.messages_to(address)) >= count
                             and self.messages_to(address), timeout)

    def wait_handled(self, timeout=60):
        """waits until the automation pass has read every event"""
        self.wait_for("the events to be handled",
                      lambda: self.psql("SELECT count(*) FROM events WHERE NOT handled") == "0",
                      timeout)

    def enrollments(self, trigger, subscriber):
        """[(state, step, end_reason)] of subscriber in trigger, oldest first"""
        out = self.psql("SELECT state, step, COALESCE(end_reason, '') FROM trigger_enrollments"
                        " WHERE trigger_id = %d AND subscriber_id = %d ORDER BY id"
                        % (trigger["id"], subscriber["id"]))
        return [tuple(line.split("|")) for line in out.splitlines() if line]

    def shipped_template(self, language, subject):
        """a stored template extending the shipped cart reminder in language"""
        name = "automations/cart_reminder_" + language
        return self.create_template(name="Carrito " + language, subject=subject,
                                    body="{{<%s}}{{/%s}}" % (name, name))

    def link_target(self, html, text):
        """where the tracked link of the anchor showing text redirects to"""
        m = re.search(r'<a href="http://[^/"]+(/t/c/[^"]+)"[^>]*>%s<' % re.escape(text), html)
        self.assertTrue(m, "no tracked link %r in %s" % (text, html))
        r = self.server.client().request("GET", m.group(1))
        self.assertIn(r.status, (301, 302, 303, 307), r)
        return r.header("Location")

    @staticmethod
    def html_of(message):
        part = message.get_body(("html",))
        return part.get_content()
