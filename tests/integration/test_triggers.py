"""Triggers over HTTP: definitions stored normalized, versions kept for subscribers in flight,
pause and resume, and every bad definition refused with the path of the member at fault and
nothing stored."""

import copy
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


class TriggerCase(AudienceCase):
    """A server with a message template, a layout, a list and a segment to refer to."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        post = lambda path, body: cls.api.request("POST", path, body)
        r = post("/api/v1/templates", {"name": "Recordatorio de carrito",
                                       "subject": "¿Olvidaste algo, {{name}}?",
                                       "body": "<p>{{#event.properties.items}}{{name}}{{/event.properties.items}}</p>"})
        assert r.status == 201, r
        cls.template = r.json()["id"]
        r = post("/api/v1/templates", {"name": "marca", "kind": "layout",
                                       "body": "<main>{{$body}}{{/body}}</main>"})
        assert r.status == 201, r
        cls.layout = r.json()["id"]
        cls.list = post("/api/v1/lists", {"name": "Покупатели"}).json()["id"]
        cls.segment = post("/api/v1/segments", {"name": "pro", "rule": {
            "field": "attributes.plan", "op": "eq", "value": "pro"}}).json()["id"]

    def cart_trigger(self, **changes):
        body = {
            "name": "Carrito abandonado",
            "entry": {"event": "cart_updated",
                      "where": [{"field": "properties.total", "op": "gte", "value": 10}]},
            "segment": None,
            "steps": [{"wait": "3d"},
                      {"if": {"not": {"event": "order_completed", "since_entry": True}},
                       "else": "exit"},
                      {"send": self.template, "subject": "Tu carrito te espera"}],
            "exit_on": ["order_completed"],
            "reentry": "after:30d",
            "settings": {"discount_code": "VUELVE10", "cart_url": "https://shop.example/cart"},
        }
        body.update(changes)
        return body

    def create(self, body):
        return self.api.request("POST", "/api/v1/triggers", body)

    def trigger_count(self):
        return int(self.psql("SELECT count(*) FROM triggers").strip())


class TriggerCrudTest(TriggerCase):
    def test_create_stores_the_normalized_definition(self):
        r = self.create(self.cart_trigger())
        self.assertEqual(r.status, 201, r)
        t = r.json()
        self.assertEqual(t["name"], "Carrito abandonado")
        self.assertEqual(t["version"], 1)
        self.assertIs(t["enabled"], True)
        self.assertEqual(t["steps"][0], {"wait": "3d", "seconds": 259200})
        self.assertEqual(t["steps"][2], {"send": self.template, "subject": "Tu carrito te espera"})
        self.assertEqual(t["reentry"], "after:30d")
        self.assertEqual(t["reentry_seconds"], 30 * 86400)
        self.assertEqual(t["settings"]["discount_code"], "VUELVE10")
        self.assertEqual(self.api.request("GET", "/api/v1/triggers/%d" % t["id"]).json(), t)
        row = self.psql("SELECT entry_kind, entry_event, version FROM triggers WHERE id = %d"
                        % t["id"]).strip()
        self.assertEqual(row, "event|cart_updated|1")
        versions = self.psql("SELECT version FROM trigger_versions WHERE trigger_id = %d"
                             % t["id"]).split()
        self.assertEqual(versions, ["1"])

    def test_defaults_are_filled_in(self):
        r = self.create({"name": "Bienvenida", "entry": {"list": self.list},
                         "steps": [{"send": self.template}]})
        self.assertEqual(r.status, 201, r)
        t = r.json()
        self.assertEqual(t["entry"], {"list": self.list})
        self.assertIsNone(t["segment"])
        self.assertEqual(t["exit_on"], [])
        self.assertEqual(t["reentry"], "once")
        self.assertNotIn("reentry_seconds", t)
        self.assertEqual(t["settings"], {})
        self.assertEqual(t["steps"], [{"send": self.template, "subject": None}])
        row = self.psql("SELECT entry_kind, entry_list_id FROM triggers WHERE id = %d" % t["id"])
        self.assertEqual(row.strip(), "list|%d" % self.list)

    def test_date_entry_with_a_negative_offset(self):
        r = self.create({"name": "День рождения", "entry": {"date_attribute": "birthday",
                                                            "offset_days": -3},
                         "steps": [{"wait_until": "09:05"}, {"send": self.template}],
                         "segment": self.segment})
        self.assertEqual(r.status, 201, r)
        t = r.json()
        self.assertEqual(t["entry"], {"date_attribute": "birthday", "offset_days": -3})
        self.assertEqual(t["steps"][0], {"wait_until": "09:05"})
        self.assertEqual(t["segment"], self.segment)
        row = self.psql("SELECT entry_kind, entry_date_attribute FROM triggers WHERE id = %d"
                        % t["id"])
        self.assertEqual(row.strip(), "date|birthday")

    def test_putting_back_what_get_answers_changes_nothing(self):
        t = self.create(self.cart_trigger()).json()
        body = {k: v for k, v in t.items()
                if k not in ("id", "version", "created_at", "updated_at")}
        r = self.api.request("PUT", "/api/v1/triggers/%d" % t["id"], body)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()["version"], 1)

    def test_a_change_of_steps_makes_a_version_and_keeps_the_old_one(self):
        t = self.create(self.cart_trigger()).json()
        changed = self.cart_trigger(steps=[{"wait": "1h"}, {"send": self.template}])
        r = self.api.request("PUT", "/api/v1/triggers/%d" % t["id"], changed)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()["version"], 2)
        self.assertEqual(r.json()["steps"][0], {"wait": "1h", "seconds": 3600})
        old = self.psql("SELECT definition->'steps'->0->>'wait' FROM trigger_versions"
                        " WHERE trigger_id = %d AND version = 1" % t["id"]).strip()
        self.assertEqual(old, "3d")
        new = self.psql("SELECT definition->'steps'->0->>'wait' FROM trigger_versions"
                        " WHERE trigger_id = %d AND version = 2" % t["id"]).strip()
        self.assertEqual(new, "1h")

    def test_patch_of_the_name_keeps_the_version_and_of_settings_makes_one(self):
        t = self.create(self.cart_trigger()).json()
        path = "/api/v1/triggers/%d" % t["id"]
        r = self.api.request("PATCH", path, {"name": "Корзина"})
        self.assertEqual(r.status, 200, r)
        self.assertEqual((r.json()["name"], r.json()["version"]), ("Корзина", 1))
        self.assertEqual(r.json()["steps"], t["steps"])
        r = self.api.request("PATCH", path, {"settings": {"discount_code": "OTRA"}})
        self.assertEqual(r.json()["version"], 2)
        self.assertEqual(r.json()["settings"], {"discount_code": "OTRA"})
        r = self.api.request("PATCH", path, {"reentry": "every_time"})
        self.assertEqual((r.json()["reentry"], r.json()["version"]), ("every_time", 3))
        self.assertNotIn("reentry_seconds", r.json())

    def test_entry_change_updates_the_entry_columns(self):
        t = self.create(self.cart_trigger()).json()
        r = self.api.request("PATCH", "/api/v1/triggers/%d" % t["id"],
                             {"entry": {"list": self.list}})
        self.assertEqual(r.status, 200, r)
        row = self.psql("SELECT entry_kind, entry_event IS NULL, entry_list_id FROM triggers"
                        " WHERE id = %d" % t["id"]).strip()
        self.assertEqual(row, "list|t|%d" % self.list)

    def test_pause_and_resume(self):
        t = self.create(self.cart_trigger()).json()
        path = "/api/v1/triggers/%d" % t["id"]
        r = self.api.request("POST", path + "/pause")
        self.assertEqual(r.status, 200, r)
        self.assertIs(r.json()["enabled"], False)
        self.assertEqual(r.json()["version"], 1)
        self.assertEqual(self.psql("SELECT enabled FROM triggers WHERE id = %d" % t["id"]).strip(), "f")
        r = self.api.request("POST", path + "/resume")
        self.assertIs(r.json()["enabled"], True)
        r = self.api.request("PATCH", path, {"enabled": False})
        self.assertEqual((r.json()["enabled"], r.json()["version"]), (False, 1))
        # a PUT without "enabled" keeps the trigger paused
        r = self.api.request("PUT", path, self.cart_trigger())
        self.assertIs(r.json()["enabled"], False)
        self.assertEqual(self.api.request("POST", "/api/v1/triggers/999999/pause").status, 404)

    def test_create_disabled(self):
        r = self.create(self.cart_trigger(enabled=False))
        self.assertEqual(r.status, 201, r)
        self.assertEqual(self.psql("SELECT enabled FROM triggers WHERE id = %d"
                                   % r.json()["id"]).strip(), "f")

    def test_delete_takes_versions_and_enrollments(self):
        t = self.create(self.cart_trigger()).json()
        s = self.create_subscriber("olga@пример.рф", name="Ольга")
        self.psql("INSERT INTO trigger_enrollments (trigger_id, version, subscriber_id)"
                  " VALUES (%d, 1, %d)" % (t["id"], s["id"]))
        self.assertEqual(self.api.request("DELETE", "/api/v1/triggers/%d" % t["id"]).status, 204)
        self.assertEqual(self.api.request("GET", "/api/v1/triggers/%d" % t["id"]).status, 404)
        left = self.psql("SELECT (SELECT count(*) FROM trigger_versions WHERE trigger_id = %(t)d)"
                         " + (SELECT count(*) FROM trigger_enrollments WHERE trigger_id = %(t)d)"
                         % {"t": t["id"]}).strip()
        self.assertEqual(left, "0")
        self.assertEqual(self.api.request("DELETE", "/api/v1/triggers/%d" % t["id"]).status, 404)

    def test_list_pages_by_id(self):
        ids = [self.create(self.cart_trigger(name="Página %d" % i)).json()["id"] for i in range(3)]
        page = self.api.request("GET", "/api/v1/triggers?limit=2&total=true").json()
        self.assertEqual(len(page["items"]), 2)
        self.assertGreaterEqual(page["total"], 3)
        seen = [t["id"] for t in page["items"]]
        while page["next_cursor"]:
            page = self.api.request("GET", "/api/v1/triggers?limit=2&cursor="
                                    + page["next_cursor"]).json()
            seen += [t["id"] for t in page["items"]]
        self.assertEqual(seen, sorted(seen))
        self.assertTrue(set(ids) <= set(seen))

    def test_enrollments_page_shows_subscribers_with_their_version(self):
        t = self.create(self.cart_trigger()).json()
        a = self.create_subscriber("ana.enr@example.com")
        b = self.create_subscriber("борис@пример.рф")
        self.psql("INSERT INTO trigger_enrollments (trigger_id, version, subscriber_id, step, state)"
                  " VALUES (%(t)d, 1, %(a)d, 1, 'active'), (%(t)d, 2, %(b)d, 3, 'completed')"
                  % {"t": t["id"], "a": a["id"], "b": b["id"]})
        path = "/api/v1/triggers/%d/enrollments" % t["id"]
        items = self.api.request("GET", path).json()["items"]
        self.assertEqual([(e["email"], e["step"], e["version"], e["state"]) for e in items],
                         [("ana.enr@example.com", 1, 1, "active"), ("борис@пример.рф", 3, 2, "completed")])
        self.assertTrue(items[0]["due_at"] and items[0]["entered_at"])
        active = self.api.request("GET", path + "?state=active").json()["items"]
        self.assertEqual([e["subscriber_id"] for e in active], [a["id"]])
        self.assert_error(self.api.request("GET", path + "?state=asleep"), 400, "state")
        self.assertEqual(self.api.request("GET", "/api/v1/triggers/999999/enrollments").status, 404)


class TriggerStatsTest(TriggerCase):
    """The numbers of a trigger from enrollments, step runs, messages and conversions. The rows
    are written here by SQL, as the step runner would write them, so that every count has a
    known answer; the scenario tests check the same numbers from a real run."""

    def test_counts_by_state_step_and_outcome_with_revenue_per_recipient(self):
        t = self.create(self.cart_trigger()).json()
        other = self.create(self.cart_trigger(name="Otro")).json()
        people = {n: self.create_subscriber("%s.stats@example.com" % n)["id"]
                  for n in ["ana", "bea", "carla", "dmitri", "eva", "fyodor"]}
        # (subscriber, version, state, step, [(step, outcome), ...])
        enrollments = [
            ("ana", 1, "completed", 3, [(0, "waited"), (1, "passed"), (2, "sent")]),
            ("ana", 2, "completed", 3, [(0, "waited"), (1, "passed"), (2, "sent")]),
            ("bea", 1, "exited", 1, [(0, "waited"), (1, "failed")]),
            ("carla", 2, "active", 0, []),
            ("dmitri", 2, "active", 2, [(0, "waited"), (1, "passed")]),
            ("eva", 1, "completed", 3, [(0, "waited"), (1, "passed"), (2, "capped")]),
            ("fyodor", 1, "cancelled", 1, [(0, "waited")]),
        ]
        sql = []
        for who, version, state, step, runs in enrollments:
            sql.append("WITH e AS (INSERT INTO trigger_enrollments (trigger_id, version,"
                       " subscriber_id, state, step, entry_key) VALUES (%d, %d, %d, '%s', %d, '%s-%d')"
                       " RETURNING id) INSERT INTO trigger_step_runs (enrollment_id, step, outcome)"
                       " SELECT e.id, r.step, r.outcome FROM e, (VALUES %s) r(step, outcome);"
                       % (t["id"], version, people[who], state, step, who, version,
                          ", ".join("(%d, '%s')" % run for run in runs) or "(0, 'x')"))
        # carla ran nothing yet: drop the placeholder row
        sql.append("DELETE FROM trigger_step_runs WHERE outcome = 'x';")
        # another trigger's subscriber counts for that trigger only
        sql.append("INSERT INTO trigger_enrollments (trigger_id, version, subscriber_id)"
                   " VALUES (%d, 1, %d);" % (other["id"], people["ana"]))
        # two reminders sent to ana, one still queued for dmitri, one of the other trigger
        for who, state, trigger in [("ana", "sent", t), ("ana", "sent", t),
                                    ("dmitri", "queued", t), ("eva", "sent", other)]:
            sql.append("INSERT INTO messages (kind, subscriber_id, email, state, trigger_id)"
                       " VALUES ('trigger', %d, '%s.stats@example.com', '%s', %d);"
                       % (people[who], who, state, trigger["id"]))
        # ana ordered twice after her reminders; one order went to the other trigger
        for who, revenue, trigger in [("ana", "59.90", t), ("ana", "40.10", t),
                                      ("eva", "500", other)]:
            sql.append("WITH ev AS (INSERT INTO events (subscriber_id, name, properties)"
                       " VALUES (%d, 'order_completed', '{}') RETURNING id, occurred_at)"
                       " INSERT INTO conversions (event_id, subscriber_id, revenue, occurred_at,"
                       " via, trigger_id) SELECT id, %d, %s, occurred_at, 'click', %d FROM ev;"
                       % (people[who], people[who], revenue, trigger["id"]))
        self.psql("\n".join(sql))
        r = self.api.request("GET", "/api/v1/triggers/%d/stats" % t["id"])
        self.assertEqual(r.status, 200, r)
        stats = r.json()
        self.assertEqual((stats["entered"], stats["active"], stats["completed"], stats["exited"],
                          stats["cancelled"]), (7, 2, 3, 1, 1))
        self.assertEqual(stats["steps"], [
            {"step": 0, "kind": "wait", "waiting": 1, "ran": 6, "outcomes": {"waited": 6}},
            {"step": 1, "kind": "if", "waiting": 0, "ran": 5, "outcomes": {"failed": 1, "passed": 4}},
            {"step": 2, "kind": "send", "waiting": 1, "ran": 3, "outcomes": {"capped": 1, "sent": 2}},
        ])
        self.assertEqual((stats["sent"], stats["recipients"], stats["conversions"]), (2, 1, 2))
        self.assertAlmostEqual(stats["revenue"], 100.00)
        # per distinct recipient, not per message
        self.assertAlmostEqual(stats["revenue_per_recipient"], 100.00)

    def test_a_new_trigger_has_zeros_and_one_row_per_step(self):
        t = self.create(self.cart_trigger()).json()
        stats = self.api.request("GET", "/api/v1/triggers/%d/stats" % t["id"]).json()
        self.assertEqual((stats["entered"], stats["sent"], stats["conversions"]), (0, 0, 0))
        self.assertEqual(stats["revenue"], 0)
        self.assertEqual(stats["revenue_per_recipient"], 0)
        self.assertEqual([(s["step"], s["kind"], s["ran"], s["outcomes"]) for s in stats["steps"]],
                         [(0, "wait", 0, {}), (1, "if", 0, {}), (2, "send", 0, {})])
        self.assertEqual(self.api.request("GET", "/api/v1/triggers/999999/stats").status, 404)


class CartTemplatesTest(TriggerCase):
    """The shipped cart reminders, used by a stored template that extends them, rendered
    through the templates API's preview with a sample cart."""

    CART = {
        "first_name": "Ana",
        "event": {"name": "cart_updated", "occurred_at": "2026-12-06T08:00:00Z",
                  "properties": {"currency": "EUR", "total": 59.99, "items": [
                      {"name": "Taza de cerámica", "quantity": 2, "price": 12.5,
                       "image_url": "https://shop.example/img/taza.jpg",
                       "product_url": "https://shop.example/p/taza"},
                      {"name": "Чайник «Самовар»", "quantity": 1, "price": "34.99",
                       "image_url": "https://shop.example/img/chainik.jpg",
                       "product_url": "https://shop.example/p/chainik"}]}},
        "settings": {"discount_code": "VUELVE10", "cart_url": "https://shop.example/cart"},
    }
    WORDS = {"en": ("Hello Ana,", "Quantity: 2", "Return to my cart", "Unsubscribe"),
             "es": ("¡Hola, Ana!", "Cantidad: 2", "Volver a mi carrito", "Darte de baja"),
             "ru": ("Здравствуйте, Ana!", "Количество: 2", "Вернуться в корзину", "Отписаться")}

    def preview(self, language, data):
        name = "automations/cart_reminder_" + language
        t = self.api.request("POST", "/api/v1/templates", {
            "name": "Carrito " + language, "subject": "{{event.properties.items.0.name}}",
            "body": "{{<%s}}{{/%s}}" % (name, name)})
        self.assertEqual(t.status, 201, t)
        r = self.api.request("POST", "/api/v1/templates/%d/preview" % t.json()["id"],
                             {"data": data})
        self.assertEqual(r.status, 200, r)
        return r.json()["html"]

    def test_each_language_shows_items_prices_total_code_and_button(self):
        for language, words in self.WORDS.items():
            with self.subTest(language=language):
                html = self.preview(language, self.CART)
                for text in words + (
                        '<html lang="%s"' % language,
                        'src="https://shop.example/img/taza.jpg"',
                        'href="https://shop.example/p/taza"', "Taza de cerámica", "12.50 EUR",
                        'href="https://shop.example/p/chainik"', "Чайник «Самовар»",
                        "34.99 EUR", "59.99 EUR", "VUELVE10",
                        'href="https://shop.example/cart"'):
                    self.assertIn(text, html)

    def test_the_events_cart_url_wins_and_no_code_shows_no_code(self):
        data = copy.deepcopy(self.CART)
        data["event"]["properties"]["cart_url"] = "https://shop.example/cart/abc123"
        del data["settings"]["discount_code"]
        html = self.preview("es", data)
        self.assertIn('href="https://shop.example/cart/abc123"', html)
        self.assertNotIn('href="https://shop.example/cart"', html)
        self.assertNotIn("código de descuento", html)

    def test_a_trigger_can_send_a_template_that_extends_a_reminder(self):
        t = self.api.request("POST", "/api/v1/templates", {
            "name": "Напоминание", "subject": "Ваша корзина",
            "body": "{{<automations/cart_reminder_ru}}{{$closing}}До встречи!{{/closing}}"
                    "{{/automations/cart_reminder_ru}}"}).json()
        r = self.create(self.cart_trigger(steps=[{"wait": "1h"}, {"send": t["id"]}]))
        self.assertEqual(r.status, 201, r)


class TriggerValidationTest(TriggerCase):
    """Each bad definition: a 400 naming the member, and nothing stored."""

    def refused(self, body, field):
        before = self.trigger_count()
        r = self.create(body)
        error = self.assert_error(r, 400, field)
        self.assertEqual(self.trigger_count(), before)
        return error

    def without(self, key):
        body = self.cart_trigger()
        del body[key]
        return body

    def test_name(self):
        self.refused(self.without("name"), "name")
        self.refused(self.cart_trigger(name=""), "name")
        self.refused(self.cart_trigger(name="я" * 201), "name")
        self.assertEqual(self.create(self.cart_trigger(name="я" * 200)).status, 201)

    def test_entry_has_exactly_one_kind(self):
        self.refused(self.without("entry"), "entry")
        self.refused(self.cart_trigger(entry={"event": "a", "list": self.list}), "entry")
        self.refused(self.cart_trigger(entry={}), "entry")
        self.refused(self.cart_trigger(entry={"event": "a", "colour": 1}), "entry.colour")

    def test_entry_event_names(self):
        self.refused(self.cart_trigger(entry={"event": "carrito actualizado"}), "entry.event")
        self.refused(self.cart_trigger(entry={"event": "x" * 201}), "entry.event")
        self.refused(self.cart_trigger(entry={"event": "корзина"}), "entry.event")
        ok = self.create(self.cart_trigger(entry={"event": "shop:cart.updated-v2_1"}))
        self.assertEqual(ok.status, 201, ok)

    def test_entry_where_conditions_name_their_path(self):
        where = [{"field": "properties.total", "op": "gte", "value": 10},
                 {"field": "properties.total", "op": "bigger", "value": 10}]
        self.refused(self.cart_trigger(entry={"event": "cart_updated", "where": where}),
                     "entry.where[1].op")
        self.refused(self.cart_trigger(entry={"event": "cart_updated",
                                              "where": [{"field": "total", "op": "eq", "value": 1}]}),
                     "entry.where[0].field")
        self.refused(self.cart_trigger(entry={"event": "cart_updated", "where": {}}), "entry.where")

    def test_entry_list_and_segment_must_exist(self):
        error = self.refused(self.cart_trigger(entry={"list": 987654}), "entry.list")
        self.assertIn("987654", error["message"])
        self.refused(self.cart_trigger(segment=987654), "segment")
        self.refused(self.cart_trigger(segment="pro"), "segment")

    def test_date_entry(self):
        self.refused(self.cart_trigger(entry={"date_attribute": ""}), "entry.date_attribute")
        self.refused(self.cart_trigger(entry={"date_attribute": "birthday", "offset_days": 4000}),
                     "entry.offset_days")
        self.refused(self.cart_trigger(entry={"date_attribute": "birthday", "offset_days": 1.5}),
                     "entry.offset_days")

    def test_steps_count(self):
        self.refused(self.cart_trigger(steps=[]), "steps")
        self.refused(self.without("steps"), "steps")
        self.refused(self.cart_trigger(steps=[{"wait": "1h"}] * 50 + [{"send": self.template}]),
                     "steps")
        error = self.refused(self.cart_trigger(steps=[{"wait": "1h"}, {"exit": True}]), "steps")
        self.assertIn("send", error["message"])
        ok = self.create(self.cart_trigger(steps=[{"wait": "1h"}] * 49 + [{"send": self.template}]))
        self.assertEqual(ok.status, 201, ok)

    def test_each_step_names_its_index(self):
        send = {"send": self.template}
        cases = [
            ([send, {"wait": "3 days"}], "steps[1].wait"),
            ([send, {"wait": 3}], "steps[1].wait"),
            ([send, {"wait": "3d", "seconds": 5}], "steps[1].seconds"),
            ([send, {"wait_until": "25:00"}], "steps[1].wait_until"),
            ([send, {"wait": "1d", "send": self.template}], "steps[1]"),
            ([send, {"pause": "1d"}], "steps[1]"),
            ([send, "wait"], "steps[1]"),
            ([send, {"send": 0}], "steps[1].send"),
            ([send, {"send": self.template, "from": "x"}], "steps[1].from"),
            ([send, {"send": self.template, "subject": 5}], "steps[1].subject"),
            ([send, {"exit": False}], "steps[1].exit"),
            ([send, {"if": {"field": "email", "op": "like", "value": "x"}}], "steps[1].if.op"),
            ([send, {"if": {"all": [{"list": "uno"}]}}], "steps[1].if.all[0].list"),
            ([send, {"if": "yes"}], "steps[1].if"),
            ([send, {"if": {"list": self.list}, "else": "stop"}], "steps[1].else"),
        ]
        for steps, field in cases:
            with self.subTest(field=field, steps=steps):
                self.refused(self.cart_trigger(steps=steps), field)

    def test_send_needs_a_message_template_that_compiles(self):
        error = self.refused(self.cart_trigger(steps=[{"wait": "1h"}, {"send": 987654}]),
                             "steps[1].send")
        self.assertEqual(error["message"], "no template has the id 987654")
        self.refused(self.cart_trigger(steps=[{"send": self.layout}]), "steps[0].send")
        self.refused(self.cart_trigger(steps=[{"send": self.template, "subject": "{{#x}}"}]),
                     "steps[0].subject")
        # a stored template whose layout is gone no longer compiles
        r = self.api.request("POST", "/api/v1/templates", {"name": "hija", "kind": "layout",
                                                           "body": "<b>{{$body}}{{/body}}</b>"})
        child = self.api.request("POST", "/api/v1/templates",
                                 {"name": "usa hija", "body": "{{<hija}}{{$body}}x{{/body}}{{/hija}}"})
        self.assertEqual(child.status, 201, child)
        self.assertEqual(self.api.request("DELETE", "/api/v1/templates/%d" % r.json()["id"]).status, 204)
        self.refused(self.cart_trigger(steps=[{"send": child.json()["id"]}]), "steps[0].send")

    def test_since_entry_is_for_triggers_only(self):
        ok = self.create(self.cart_trigger())
        self.assertEqual(ok.status, 201, ok)
        r = self.api.request("POST", "/api/v1/segments", {"name": "x", "rule": {
            "event": "order_completed", "since_entry": True}})
        self.assert_error(r, 400, "since_entry")

    def test_loops_are_refused(self):
        error = self.refused(self.cart_trigger(exit_on=["order_completed", "cart_updated"]),
                             "exit_on[1]")
        self.assertIn("leave as they enter", error["message"])
        self.refused(self.cart_trigger(entry={"event": "trigger.sent"}), "entry.event")
        self.refused(self.cart_trigger(entry={"event": "message.clicked"}), "entry.event")

    def test_exit_on(self):
        self.refused(self.cart_trigger(exit_on="order_completed"), "exit_on")
        self.refused(self.cart_trigger(exit_on=["e%d" % i for i in range(21)]), "exit_on")
        self.refused(self.cart_trigger(exit_on=["ok", "no good"]), "exit_on[1]")
        self.refused(self.cart_trigger(exit_on=["ok", "ok"]), "exit_on[1]")
        self.assertEqual(self.create(self.cart_trigger(exit_on=["e%d" % i for i in range(20)])).status, 201)

    def test_reentry(self):
        for bad in ["twice", "after:", "after:soon", "after:30", 30, "every time"]:
            with self.subTest(reentry=bad):
                self.refused(self.cart_trigger(reentry=bad), "reentry")
        self.refused(self.cart_trigger(reentry="after:1d", reentry_seconds=5), "reentry_seconds")
        self.refused(self.cart_trigger(reentry="once", reentry_seconds=86400), "reentry_seconds")
        for good in ["once", "every_time", "after:1d12h"]:
            self.assertEqual(self.create(self.cart_trigger(reentry=good)).status, 201)

    def test_settings(self):
        self.refused(self.cart_trigger(settings=["VUELVE10"]), "settings")
        self.refused(self.cart_trigger(settings={"note": "ж" * 9000}), "settings")
        self.assertEqual(self.create(self.cart_trigger(settings={"note": "ж" * 8000})).status, 201)

    def test_unknown_members_and_types(self):
        self.refused(self.cart_trigger(colour="red"), "colour")
        self.refused(self.cart_trigger(enabled="yes"), "enabled")
        self.assert_error(self.api.request("POST", "/api/v1/triggers", raw=b"[1]"), 400)

    def test_a_bad_update_changes_nothing(self):
        t = self.create(self.cart_trigger()).json()
        path = "/api/v1/triggers/%d" % t["id"]
        self.assert_error(self.api.request("PATCH", path, {"steps": [{"send": 987654}]}), 400,
                          "steps[0].send")
        self.assert_error(self.api.request("PUT", path, self.without("entry")), 400, "entry")
        self.assertEqual(self.api.request("GET", path).json(), t)
        self.assertEqual(self.psql("SELECT count(*) FROM trigger_versions WHERE trigger_id = %d"
                                   % t["id"]).strip(), "1")
        body = copy.deepcopy(self.cart_trigger())
        self.assertEqual(self.api.request("PUT", "/api/v1/triggers/999999", body).status, 404)


if __name__ == "__main__":
    unittest.main()
