"""The rules around a trigger's runs: re-entry (once, every time, once per period), the
per-subscriber cap across triggers (a flood of events sends no more than it allows), a paused
trigger that runs nothing until resumed, an edit that leaves subscribers in flight on their
version, unsubscribed subscribers skipped, and the entries no event announces: joining a list
and a birthday coming round in the subscriber's time zone."""

import datetime
import unittest
import zoneinfo

from automation_fixtures import AutomationCase, cart
from harness import PgCluster


def setUpModule():
    AutomationCase.cluster = PgCluster()


def tearDownModule():
    AutomationCase.cluster.destroy()


def ago(seconds):
    t = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(seconds=seconds)
    return t.isoformat(timespec="seconds")


class NoCapCase(AutomationCase):
    server_env = {"MAILCAST_AUTOMATION_SUBSCRIBER_CAP": "0"}

    def send_trigger(self, event, **fields):
        """a trigger entered by event that sends at once; returns (trigger, subject)"""
        subject = "Hola de %s" % event
        template = self.create_template(name="t-" + event, subject=subject)
        fields.setdefault("entry", {"event": event})
        trigger = self.create_trigger(template, steps=[{"send": template}], exit_on=[], **fields)
        return trigger, subject

    def settle(self, trigger):
        """waits until every event is read and nobody is left in trigger"""
        self.wait_handled()
        self.wait_for("trigger %d to settle" % trigger["id"], lambda: self.psql(
            "SELECT count(*) FROM trigger_enrollments WHERE state = 'active' AND trigger_id = %d"
            % trigger["id"]) == "0")


class ReentryTest(NoCapCase):
    def test_once_enters_a_single_time(self):
        trigger, _ = self.send_trigger("signup_once", reentry="once")
        s = self.create_subscriber("una.vez@example.es", name="Úrsula")
        for _ in range(3):
            self.event(s, "signup_once")
            self.settle(trigger)
        self.assertEqual(self.enrollments(trigger, s), [("completed", "1", "completed")])
        self.wait_for_mail("una.vez@example.es")
        self.assertEqual(self.psql("SELECT count(*) FROM messages WHERE subscriber_id = %d"
                                   % s["id"]), "1")

    def test_every_time_enters_again_once_the_last_run_ended(self):
        trigger, _ = self.send_trigger("visit_every", reentry="every_time")
        s = self.create_subscriber("siempre@example.ru", name="Светлана")
        for _ in range(3):
            self.event(s, "visit_every")
            self.settle(trigger)
        self.assertEqual(len(self.enrollments(trigger, s)), 3)
        self.wait_for_mail("siempre@example.ru", count=3)

    def test_after_a_period_enters_only_once_it_has_passed(self):
        trigger, _ = self.send_trigger("order_after", reentry="after:1h")
        s = self.create_subscriber("periodo@example.es", name="Pía")
        # entered when the event occurred: two hours ago, half an hour ago (1.5 h later: again)
        # and now (30 minutes after the last entry: not again)
        for when in (ago(7200), ago(1800), ago(0)):
            self.event(s, "order_after", occurred_at=when)
            self.settle(trigger)
        self.assertEqual(len(self.enrollments(trigger, s)), 2)
        self.wait_for_mail("periodo@example.es", count=2)
        self.assertEqual(self.psql("SELECT count(*) FROM messages WHERE subscriber_id = %d"
                                   % s["id"]), "2")

    def test_where_and_segment_decide_who_enters(self):
        r = self.api.request("POST", "/api/v1/segments", {"name": "VIP", "rule": {
            "field": "attributes.plan", "op": "eq", "value": "vip"}})
        self.assertEqual(r.status, 201, r)
        trigger, _ = self.send_trigger(
            "cart_where", segment=r.json()["id"],
            entry={"event": "cart_where",
                   "where": [{"field": "properties.total", "op": "gte", "value": 50}]})
        vip = self.create_subscriber("vip@example.es", attributes={"plan": "vip"})
        plain = self.create_subscriber("normal@example.es", attributes={"plan": "básico"})
        self.event(vip, "cart_where", cart(("Reloj", 20.0, 1)))    # under the threshold
        self.event(vip, "cart_where", cart(("Cámara", 300.0, 1)))  # enters
        self.event(plain, "cart_where", cart(("Cámara", 300.0, 1)))  # not in the segment
        self.settle(trigger)
        self.assertEqual(len(self.enrollments(trigger, vip)), 1)
        self.assertEqual(self.enrollments(trigger, plain), [])
        self.assertEqual(float(self.psql(
            "SELECT e.properties->>'total' FROM trigger_enrollments en JOIN events e ON"
            " e.id = en.event_id WHERE en.trigger_id = %d" % trigger["id"])), 300)

    def test_an_event_the_database_cannot_apply_does_not_stop_the_others(self):
        broken, _ = self.send_trigger("poison_entry", reentry="after:1h")
        fine, _ = self.send_trigger("fine_entry")
        a = self.create_subscriber("veneno@example.es", name="Venancio")
        self.event(a, "poison_entry")
        self.settle(broken)
        # a stored definition damaged behind the API's back: its re-entry pause is not a number,
        # which the re-entry check of a's second entry reads
        self.psql("UPDATE triggers SET definition = jsonb_set(definition, '{reentry_seconds}',"
                  " '\"nunca\"') WHERE id = %d" % broken["id"])
        b = self.create_subscriber("bien@example.ru", name="Богдан")
        self.events([{"subscriber_id": a["id"], "name": "poison_entry"},
                     {"subscriber_id": b["id"], "name": "fine_entry"}])
        self.settle(fine)
        self.assertEqual(self.enrollments(fine, b), [("completed", "1", "completed")])
        self.assertEqual(self.enrollments(broken, a), [("completed", "1", "completed")])
        self.assertTrue(any("could not be applied" in line for line in self.server.stderr_lines))

    def test_failed_check_exits_or_continues_as_its_else_says(self):
        template = self.create_template(name="t-check")
        check = {"event": "wishlist_shared", "since_entry": True}
        exits = self.create_trigger(template, entry={"event": "check_exit"}, exit_on=[], steps=[
            {"if": check, "else": "exit"}, {"send": template}])
        goes_on = self.create_trigger(template, entry={"event": "check_continue"}, exit_on=[],
                                      steps=[{"if": check, "else": "continue"},
                                             {"send": template}])
        s = self.create_subscriber("comprueba@example.es", name="Íñigo")
        self.event(s, "check_exit")
        self.event(s, "check_continue")
        self.settle(exits)
        self.settle(goes_on)
        self.assertEqual(self.enrollments(exits, s), [("exited", "1", "check failed")])
        self.assertEqual(self.enrollments(goes_on, s), [("completed", "2", "completed")])
        self.assertEqual(self.psql("SELECT string_agg(outcome, ',' ORDER BY r.step) FROM"
                                   " trigger_step_runs r JOIN trigger_enrollments e ON e.id ="
                                   " r.enrollment_id WHERE e.trigger_id = %d" % goes_on["id"]),
                         "failed,sent")
        self.wait_for_mail("comprueba@example.es")

    def test_send_step_whose_template_was_deleted_exits_the_subscriber(self):
        template = self.create_template(name="t-borrada")
        trigger = self.create_trigger(template, steps=[{"wait": "2s"}, {"send": template}],
                                      entry={"event": "cart_gone"}, exit_on=[])
        s = self.create_subscriber("borrada@example.es", name="Dolores")
        self.event(s, "cart_gone", cart(("Paraguas", 18.0, 1)))
        self.wait_for("the wait to start", lambda: self.enrollments(trigger, s) == [
            ("active", "1", "")])
        r = self.api.request("DELETE", "/api/v1/templates/%d" % template)
        self.assertIn(r.status, (200, 204), r)
        self.settle(trigger)
        self.assertEqual(self.enrollments(trigger, s), [("exited", "2", "template gone")])
        self.assertEqual(self.psql("SELECT count(*) FROM messages WHERE subscriber_id = %d"
                                   % s["id"]), "0")

    def test_unsubscribed_subscriber_is_skipped_and_exits(self):
        template = self.create_template(name="t-baja")
        trigger = self.create_trigger(template, steps=[{"wait": "2s"}, {"send": template}],
                                      entry={"event": "cart_baja"})
        s = self.create_subscriber("baja@example.es", name="Begoña")
        self.event(s, "cart_baja", cart(("Libro", 12.0, 1)))
        self.wait_handled()
        r = self.api.request("PATCH", "/api/v1/subscribers/%d" % s["id"],
                             {"status": "unsubscribed"})
        self.assertEqual(r.status, 200, r)
        self.settle(trigger)
        self.assertEqual(self.enrollments(trigger, s), [("exited", "2", "unsubscribed")])
        self.assertEqual(self.psql("SELECT string_agg(outcome, ',' ORDER BY r.step) FROM"
                                   " trigger_step_runs r JOIN trigger_enrollments e ON e.id ="
                                   " r.enrollment_id WHERE e.subscriber_id = %d" % s["id"]),
                         "waited,skipped")
        self.assertEqual(self.psql("SELECT count(*) FROM messages WHERE subscriber_id = %d"
                                   % s["id"]), "0")


class PauseAndEditTest(NoCapCase):
    def test_paused_trigger_runs_nothing_until_resumed(self):
        template = self.create_template(name="t-pausa", subject="Después de la pausa")
        trigger = self.create_trigger(template, steps=[{"wait": "1s"}, {"send": template}],
                                      entry={"event": "cart_pause"})
        s = self.create_subscriber("pausa@example.es", name="Paz")
        self.event(s, "cart_pause", cart(("Lámpara", 30.0, 1)))
        self.wait_for("the wait to start", lambda: self.enrollments(trigger, s) == [
            ("active", "1", "")])
        r = self.api.request("POST", "/api/v1/triggers/%d/pause" % trigger["id"])
        self.assertEqual(r.status, 200, r)
        # well past its due time, the step has not run
        self.wait_for("the step to come due", lambda: self.psql(
            "SELECT due_at < now() - interval '3 seconds' FROM trigger_enrollments"
            " WHERE trigger_id = %d" % trigger["id"]) == "t")
        self.assertEqual(self.enrollments(trigger, s), [("active", "1", "")])
        self.assertEqual(self.messages_to("pausa@example.es"), [])
        r = self.api.request("POST", "/api/v1/triggers/%d/resume" % trigger["id"])
        self.assertEqual(r.status, 200, r)
        [m] = self.wait_for_mail("pausa@example.es")
        self.assertEqual(m["Subject"], "Después de la pausa")

    def test_edit_keeps_subscribers_in_flight_on_their_version(self):
        old = self.create_template(name="t-v1", subject="Versión uno")
        new = self.create_template(name="t-v2", subject="Версия два")
        body = {"name": "Carrito", "entry": {"event": "cart_edit"},
                "steps": [{"wait": "3s"}, {"send": old}], "exit_on": [],
                "reentry": "every_time", "settings": {"discount_code": "UNO"}}
        r = self.api.request("POST", "/api/v1/triggers", body)
        self.assertEqual(r.status, 201, r)
        trigger = r.json()
        first = self.create_subscriber("primero@example.es", name="Primero")
        self.event(first, "cart_edit", cart(("Mesa", 90.0, 1)))
        self.wait_for("the first to wait", lambda: self.enrollments(trigger, first) == [
            ("active", "1", "")])
        r = self.api.request("PUT", "/api/v1/triggers/%d" % trigger["id"], dict(
            body, steps=[{"wait": "1s"}, {"send": new}], settings={"discount_code": "DOS"}))
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()["version"], 2)
        second = self.create_subscriber("segundo@example.ru", name="Второй")
        self.event(second, "cart_edit", cart(("Стул", 40.0, 1)))
        [m1] = self.wait_for_mail("primero@example.es")
        [m2] = self.wait_for_mail("segundo@example.ru")
        self.assertEqual(m1["Subject"], "Versión uno")
        self.assertIn("Código: UNO", self.html_of(m1))
        self.assertEqual(m2["Subject"], "Версия два")
        self.assertIn("Código: DOS", self.html_of(m2))
        self.assertEqual(self.psql("SELECT string_agg(version::text, ',' ORDER BY id) FROM"
                                   " trigger_enrollments WHERE trigger_id = %d" % trigger["id"]),
                         "1,2")


class EntriesTest(NoCapCase):
    def test_joining_a_list_enters_only_new_members(self):
        lst = self.create_list("Boletín de bienvenida")
        before = self.create_subscriber("antes@example.es", name="Antes", lists=[lst["id"]])
        template = self.create_template(name="t-bienvenida", subject="Bienvenida, {{first_name}}")
        trigger = self.create_trigger(template, steps=[{"send": template}],
                                      entry={"list": lst["id"]}, exit_on=[], reentry="once")
        after = self.create_subscriber("despues@example.ru", name="Анна Каренина",
                                       lists=[lst["id"]])
        [m] = self.wait_for_mail("despues@example.ru")
        self.assertEqual(m["Subject"], "Bienvenida, Анна")
        self.wait_for("the entry to complete", lambda: self.enrollments(trigger, after) == [
            ("completed", "1", "completed")])
        self.assertEqual(self.enrollments(trigger, before), [])
        self.assertRegex(self.psql("SELECT entry_key FROM trigger_enrollments WHERE"
                                   " trigger_id = %d" % trigger["id"]),
                         r"^list:%d:\d+$" % lst["id"])

    def test_birthday_enters_on_the_day_in_the_subscribers_time_zone(self):
        template = self.create_template(name="t-cumple", subject="¡Feliz cumpleaños!")
        zone = "Pacific/Kiritimati"  # UTC+14: its day is often not UTC's
        today = datetime.datetime.now(zoneinfo.ZoneInfo(zone)).date()
        tomorrow = today + datetime.timedelta(days=1)
        hoy = self.create_subscriber("hoy@example.es", name="Hoy", attributes={
            "birthday": "1990-" + today.strftime("%m-%d"), "timezone": zone})
        manana = self.create_subscriber("manana@example.es", name="Mañana", attributes={
            "birthday": tomorrow.strftime("%m-%d"), "timezone": zone})
        trigger = self.create_trigger(template, steps=[{"send": template}],
                                      entry={"date_attribute": "birthday", "offset_days": 0},
                                      exit_on=[], reentry="every_time")
        self.wait_for_mail("hoy@example.es")
        self.assertEqual(self.psql("SELECT entry_key FROM trigger_enrollments WHERE"
                                   " trigger_id = %d" % trigger["id"]),
                         "date:" + today.isoformat())
        self.wait_for("the entry to complete", lambda: self.enrollments(trigger, hoy) == [
            ("completed", "1", "completed")])
        self.assertEqual(self.enrollments(trigger, manana), [])
        self.assertEqual(self.messages_to("manana@example.es"), [])


class CapTest(AutomationCase):
    server_env = {"MAILCAST_AUTOMATION_SUBSCRIBER_CAP": "1",
                  "MAILCAST_AUTOMATION_CAP_WINDOW_HOURS": "24"}

    def test_cap_holds_across_triggers(self):
        first = self.create_template(name="t-cap1", subject="Primero")
        second = self.create_template(name="t-cap2", subject="Segundo")
        t1 = self.create_trigger(first, steps=[{"send": first}], entry={"event": "cap_a"})
        t2 = self.create_trigger(second, steps=[{"send": second}], entry={"event": "cap_b"})
        s = self.create_subscriber("tope@example.es", name="Tomás")
        self.event(s, "cap_a")
        self.wait_for_mail("tope@example.es")
        self.event(s, "cap_b")
        self.wait_for("the second trigger to end", lambda: self.enrollments(t2, s) == [
            ("completed", "1", "completed")])
        self.assertEqual(self.enrollments(t1, s), [("completed", "1", "completed")])
        self.assertEqual(self.psql("SELECT r.outcome FROM trigger_step_runs r JOIN"
                                   " trigger_enrollments e ON e.id = r.enrollment_id WHERE"
                                   " e.trigger_id = %d" % t2["id"]), "capped")
        self.assertEqual(self.psql("SELECT count(*) FROM messages WHERE subscriber_id = %d"
                                   % s["id"]), "1")

    def test_flood_of_events_sends_at_most_the_cap(self):
        template = self.create_template(name="t-flood", subject="Inundación")
        trigger = self.create_trigger(template, steps=[{"send": template}],
                                      entry={"event": "cart_flood"}, reentry="every_time")
        s = self.create_subscriber("flood@example.ru", name="Фёдор")
        for chunk in range(5):
            self.events([{"subscriber_id": s["id"], "name": "cart_flood",
                          "properties": cart(("Товар %d" % (chunk * 100 + i), 1.0, 1))}
                         for i in range(100)])
        self.wait_handled()
        self.wait_for("every run to end", lambda: self.psql(
            "SELECT count(*) FROM trigger_enrollments WHERE state = 'active' AND trigger_id = %d"
            % trigger["id"]) == "0")
        self.assertEqual(self.psql("SELECT count(*) FROM messages WHERE subscriber_id = %d"
                                   % s["id"]), "1")
        self.assertEqual(self.psql("SELECT count(*) FROM trigger_step_runs r JOIN"
                                   " trigger_enrollments e ON e.id = r.enrollment_id WHERE"
                                   " e.trigger_id = %d AND r.outcome = 'sent'" % trigger["id"]),
                         "1")
        self.wait_for_mail("flood@example.ru")


if __name__ == "__main__":
    unittest.main()
