"""The abandoned-cart flow end to end, against a real SMTP peer: cart_updated, a wait of a few
seconds, a check that no order came since the entry, then the reminder listing the cart's items
with the trigger's discount code and cart link. A subscriber who orders during the wait gets
nothing; one who changes the cart twice gets one reminder, with the latest items."""

import unittest

from automation_fixtures import AutomationCase, cart
from harness import PgCluster


def setUpModule():
    AutomationCase.cluster = PgCluster()


def tearDownModule():
    AutomationCase.cluster.destroy()


class AbandonedCartTest(AutomationCase):
    def test_reminder_cancel_on_order_and_latest_cart(self):
        # the shipped reminder: Spanish for the trigger, items with images and prices, total,
        # the trigger's discount code and a button back to the cart
        template = self.shipped_template("es", "¿Olvidaste algo, {{first_name}}?")
        trigger = self.create_trigger(template)
        ana = self.create_subscriber("ana.garcia@example.es", name="Ana García")
        boris = self.create_subscriber("boris@example.ru", name="Борис Пастернак")
        chloe = self.create_subscriber("chloe@example.fr", name="Chloé Dupont")

        self.event(ana, "cart_updated", cart(("Camiseta de algodón", 19.9, 2),
                                             ("Кружка «Москва»", 7.5, 1), currency="EUR"))
        self.event(boris, "cart_updated", cart(("Самовар", 120.0, 1)))
        self.event(chloe, "cart_updated", cart(("Zapatos de tacón", 55.0, 1)))
        self.wait_handled()
        # Boris orders during the wait; Chloé changes her cart twice
        self.event(boris, "order_completed", {"revenue": 120.0})
        self.event(chloe, "cart_updated", cart(("Bolso de piel", 80.0, 1)))
        self.event(chloe, "cart_updated", cart(("Bufanda de lana", 25.0, 2),
                                               ("Чай «Иван-чай»", 6.0, 3),
                                               cart_url="https://shop.example/cart/chloe"))

        [reminder] = self.wait_for_mail("ana.garcia@example.es")
        self.assertEqual(reminder["Subject"], "¿Olvidaste algo, Ana?")
        html = self.html_of(reminder)
        for expected in ("¡Hola, Ana!", "Camiseta de algodón", "Кружка «Москва»",
                         "19.90 EUR", "7.50 EUR", "47.30 EUR", "VUELVE10",
                         'src="https://shop.example/img/0.jpg"'):
            self.assertIn(expected, html)
        # the button goes back to the cart of the trigger's settings, through a tracked link
        self.assertEqual(self.link_target(html, "Volver a mi carrito"),
                         "https://shop.example/cart?id=42")
        self.assertIn("/preferences/", reminder["List-Unsubscribe"])
        self.assertIn("mailto:", reminder["List-Unsubscribe"])
        self.assertEqual(reminder["Feedback-ID"], "%d:0:trigger:mailcast" % trigger["id"])

        [latest] = self.wait_for_mail("chloe@example.fr")
        html = self.html_of(latest)
        for expected in ("Bufanda de lana", "Чай «Иван-чай»", "68.00"):
            self.assertIn(expected, html)
        self.assertNotIn("Bolso de piel", html)
        self.assertNotIn("Zapatos", html)
        # the latest event's own cart link wins over the trigger's
        self.assertEqual(self.link_target(html, "Volver a mi carrito"),
                         "https://shop.example/cart/chloe")

        # everyone's flow is over: Boris left at his order and got nothing
        self.wait_for("every enrollment to end", lambda: self.psql(
            "SELECT count(*) FROM trigger_enrollments WHERE state = 'active'") == "0")
        self.assertEqual(self.enrollments(trigger, boris), [("exited", "1", "event:order_completed")])
        self.assertEqual(self.enrollments(trigger, ana), [("completed", "3", "completed")])
        self.assertEqual(self.enrollments(trigger, chloe), [("completed", "3", "completed")])
        self.assertEqual(self.messages_to("boris@example.ru"), [])
        self.assertEqual(len(self.messages_to("chloe@example.fr")), 1)
        self.assertEqual(self.psql(
            "SELECT string_agg(outcome, ',' ORDER BY r.step) FROM trigger_step_runs r JOIN"
            " trigger_enrollments e ON e.id = r.enrollment_id WHERE e.subscriber_id = %d"
            % ana["id"]), "waited,passed,sent")
        # the triggered message is a messages row of its trigger, sent
        self.assertEqual(self.psql(
            "SELECT kind, trigger_id, state FROM messages WHERE subscriber_id = %d" % ana["id"]),
            "trigger|%d|sent" % trigger["id"])
        message = self.psql("SELECT id FROM messages WHERE subscriber_id = %d" % ana["id"])
        got = self.api.request("GET", "/api/v1/messages/%s" % message).json()
        self.assertEqual((got["kind"], got["trigger_id"], got["campaign_id"]),
                         ("trigger", trigger["id"], None))


if __name__ == "__main__":
    unittest.main()
