"""Segments over HTTP: every kind of condition counted against a data set with a known answer,
saved segments with count and preview, path-named errors, and injection attempts."""

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


class SegmentCountTest(AudienceCase):
    """Five people whose every property is known; each test states who should match."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        post = lambda path, body: cls.api.request("POST", path, body).json()
        cls.list_a = post("/api/v1/lists", {"name": "A"})["id"]
        cls.list_b = post("/api/v1/lists", {"name": "B"})["id"]
        people = [
            ("ana@example.com", "Ana", {"city": "Sevilla", "age": 30, "plan": "pro", "signup": "2024-01-15"}, [cls.list_a], "confirmed"),
            ("bob@example.org", "Bob", {"city": "Madrid", "age": 45, "plan": "free", "signup": "2025-06-01T10:00:00Z"}, [cls.list_a], "unconfirmed"),
            ("carla@example.com", "Carla", {"city": "Sevilla", "age": "unknown"}, [cls.list_b], "confirmed"),
            ("dmitri@пример.рф", "Дмитрий", {"age": 19, "plan": "pro"}, [], None),
            ("eve@example.net", "", {}, [], None),
        ]
        cls.ids = {}
        for email, name, attributes, lists, status in people:
            body = {"email": email, "name": name, "attributes": attributes, "lists": lists}
            if status:
                body["list_status"] = status
            cls.ids[name or "eve"] = post("/api/v1/subscribers", body)["id"]
        cls.api.request("PATCH", "/api/v1/subscribers/%d" % cls.ids["eve"], {"status": "blocklisted"})
        i = cls.ids
        dbname = cls.dsn.split("dbname=")[1].split()[0]
        cls.cluster.psql(dbname, """
            INSERT INTO message_engagements (message_id, campaign_id, subscriber_id, kind, occurred_at) VALUES
              (1, 1, %(Ana)d, 'open', now() - interval '2 days'),
              (2, 2, %(Bob)d, 'click', now() - interval '40 days'),
              (3, 2, %(Carla)d, 'open', now());
            INSERT INTO events (subscriber_id, name, properties, occurred_at) VALUES
              (%(Ana)d, 'purchase', '{"sku": "AB-1", "total": 10}', now() - interval '1 day'),
              (%(Ana)d, 'purchase', '{"sku": "AB-2", "total": 25}', now() - interval '2 days'),
              (%(Ana)d, 'purchase', '{"sku": "ZZ", "total": 5}', now() - interval '3 days'),
              (%(Bob)d, 'purchase', '{"sku": "AB-1", "total": 99}', now() - interval '100 days'),
              (%(Дмитрий)d, 'login', '{}', now());
        """ % i)

    def count(self, rule):
        r = self.api.request("POST", "/api/v1/segments/evaluate", {"rule": rule})
        self.assertEqual(r.status, 200, r)
        return r.json()["count"]

    def test_email_conditions(self):
        self.assertEqual(self.count({"field": "email", "op": "eq", "value": "ANA@EXAMPLE.COM"}), 1)
        self.assertEqual(self.count({"field": "email", "op": "contains", "value": "example.com"}), 2)
        self.assertEqual(self.count({"field": "email", "op": "in", "value": ["bob@example.org", "EVE@example.net", "x@y.z"]}), 2)
        self.assertEqual(self.count({"field": "email", "op": "neq", "value": "ana@example.com"}), 4)

    def test_name_conditions_are_unicode_aware(self):
        self.assertEqual(self.count({"field": "name", "op": "starts_with", "value": "дми"}), 1)
        self.assertEqual(self.count({"field": "name", "op": "exists"}), 4)
        self.assertEqual(self.count({"field": "name", "op": "exists", "value": False}), 1)

    def test_status_condition(self):
        self.assertEqual(self.count({"field": "status", "op": "eq", "value": "blocklisted"}), 1)
        self.assertEqual(self.count({"field": "status", "op": "in", "value": ["active"]}), 4)

    def test_created_at_condition(self):
        self.assertEqual(self.count({"field": "created_at", "op": "gt", "value": "2000-01-01"}), 5)
        self.assertEqual(self.count({"field": "created_at", "op": "lt", "value": "2000-01-01T00:00:00Z"}), 0)

    def test_attribute_equality_and_membership_of_a_set(self):
        self.assertEqual(self.count({"field": "attributes.city", "op": "eq", "value": "Sevilla"}), 2)
        self.assertEqual(self.count({"field": "attributes.city", "op": "neq", "value": "Sevilla"}), 3)
        self.assertEqual(self.count({"field": "attributes.plan", "op": "in", "value": ["pro", "enterprise"]}), 2)
        self.assertEqual(self.count({"field": "attributes.age", "op": "eq", "value": 30}), 1)

    def test_attribute_text_operators(self):
        self.assertEqual(self.count({"field": "attributes.city", "op": "contains", "value": "VILL"}), 2)
        self.assertEqual(self.count({"field": "attributes.city", "op": "starts_with", "value": "Mad"}), 1)

    def test_attribute_exists(self):
        self.assertEqual(self.count({"field": "attributes.city", "op": "exists"}), 3)
        self.assertEqual(self.count({"field": "attributes.city", "op": "exists", "value": False}), 2)

    def test_numeric_comparisons_ignore_values_that_are_not_numbers(self):
        self.assertEqual(self.count({"field": "attributes.age", "op": "gt", "value": 20}), 2)
        self.assertEqual(self.count({"field": "attributes.age", "op": "lte", "value": 30}), 2)
        self.assertEqual(self.count({"field": "attributes.age", "op": "between", "value": [18, 30]}), 2)
        self.assertEqual(self.count({"not": {"field": "attributes.age", "op": "gt", "value": 20}}), 3)

    def test_date_comparisons_on_attributes(self):
        self.assertEqual(self.count({"field": "attributes.signup", "op": "lt", "value": "2025-01-01"}), 1)
        self.assertEqual(self.count({"field": "attributes.signup", "op": "between", "value": ["2025-06-01", "2025-06-02"]}), 1)
        self.assertEqual(self.count({"field": "attributes.city", "op": "gt", "value": "2025-06-01"}), 0)

    def test_list_membership_with_and_without_status(self):
        self.assertEqual(self.count({"list": self.list_a}), 2)
        self.assertEqual(self.count({"list": self.list_a, "status": "confirmed"}), 1)
        self.assertEqual(self.count({"list": self.list_b, "status": "unsubscribed"}), 0)
        self.assertEqual(self.count({"not": {"list": self.list_a}}), 3)

    def test_engagement_conditions(self):
        self.assertEqual(self.count({"engagement": "opened"}), 2)
        self.assertEqual(self.count({"engagement": "opened", "campaign": 1}), 1)
        self.assertEqual(self.count({"engagement": "clicked"}), 1)
        self.assertEqual(self.count({"engagement": "clicked", "within_days": 30}), 0)
        self.assertEqual(self.count({"engagement": "not_opened"}), 3)
        self.assertEqual(self.count({"engagement": "not_opened", "within_days": 1}), 4)
        self.assertEqual(self.count({"engagement": "not_clicked", "campaign": 2}), 4)

    def test_event_conditions(self):
        self.assertEqual(self.count({"event": "purchase"}), 2)
        self.assertEqual(self.count({"event": "purchase", "min_count": 3, "within_days": 7}), 1)
        self.assertEqual(self.count({"event": "purchase", "within_days": 30}), 1)
        self.assertEqual(self.count({"event": "purchase", "min_count": 2, "where": [
            {"field": "properties.sku", "op": "starts_with", "value": "AB"}]}), 1)
        self.assertEqual(self.count({"event": "purchase", "min_count": 3, "where": [
            {"field": "properties.sku", "op": "starts_with", "value": "AB"}]}), 0)
        self.assertEqual(self.count({"event": "purchase", "where": [
            {"field": "properties.total", "op": "gte", "value": 50}]}), 1)
        self.assertEqual(self.count({"event": "login"}), 1)

    def test_nested_groups(self):
        rule = {"all": [{"field": "attributes.city", "op": "eq", "value": "Sevilla"},
                        {"any": [{"list": self.list_a}, {"engagement": "clicked"}]}]}
        self.assertEqual(self.count(rule), 1)
        rule = {"any": [{"field": "status", "op": "eq", "value": "blocklisted"},
                        {"all": [{"event": "login"}, {"not": {"list": self.list_b}}]}]}
        self.assertEqual(self.count(rule), 2)
        self.assertEqual(self.count({"all": []}), 5)
        self.assertEqual(self.count({"any": []}), 0)

    def test_injection_attempts_in_values_and_keys_match_nothing_and_harm_nothing(self):
        attacks = ["' OR '1'='1", "x'); DROP TABLE subscribers; --", "\\'", "$1", "%' --"]
        for value in attacks:
            self.assertEqual(self.count({"field": "email", "op": "eq", "value": value}), 0)
            self.assertEqual(self.count({"field": "name", "op": "contains", "value": value}), 0)
            self.assertEqual(self.count({"field": "attributes." + value, "op": "exists"}), 0)
            self.assertEqual(self.count({"field": "attributes.city", "op": "in", "value": [value]}), 0)
            self.assertEqual(self.count({"event": value}), 0)
            self.assertEqual(self.count({"event": "purchase", "where": [
                {"field": "properties." + value, "op": "eq", "value": value}]}), 0)
        self.assertEqual(self.count({"all": []}), 5)


class SavedSegmentTest(AudienceCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        for i in range(5):
            cls.api.request("POST", "/api/v1/subscribers", {"email": "s%d@example.com" % i, "attributes": {"n": i}})

    def test_saved_segment_counts_and_previews_its_members(self):
        r = self.api.request("POST", "/api/v1/segments", {"name": "Tres o más", "rule": {"field": "attributes.n", "op": "gte", "value": 3}})
        self.assertEqual(r.status, 201, r)
        seg = r.json()
        self.assertEqual(seg["name"], "Tres o más")
        self.assertEqual(seg["rule"], {"field": "attributes.n", "op": "gte", "value": 3})
        self.assertEqual(self.api.request("GET", "/api/v1/segments/%d/count" % seg["id"]).json(), {"count": 2})
        preview = self.api.request("GET", "/api/v1/segments/%d/preview?limit=1" % seg["id"]).json()
        self.assertEqual([s["email"] for s in preview["items"]], ["s3@example.com"])
        listing = self.api.request("GET", "/api/v1/subscribers?segment=%d&total=true" % seg["id"]).json()
        self.assertEqual(listing["total"], 2)

    def test_segment_can_be_renamed_redefined_listed_and_deleted(self):
        seg = self.api.request("POST", "/api/v1/segments", {"name": "x", "rule": {"all": []}}).json()
        path = "/api/v1/segments/%d" % seg["id"]
        r = self.api.request("PUT", path, {"rule": {"field": "attributes.n", "op": "eq", "value": 0}})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()["name"], "x")
        self.assertEqual(self.api.request("GET", path + "/count").json()["count"], 1)
        ids = [s["id"] for s in self.api.request("GET", "/api/v1/segments?limit=1000").json()["items"]]
        self.assertIn(seg["id"], ids)
        self.assertEqual(self.api.request("DELETE", path).status, 204)
        self.assert_error(self.api.request("GET", path), 404)
        self.assert_error(self.api.request("GET", path + "/count"), 404)
        self.assert_error(self.api.request("GET", "/api/v1/subscribers?segment=%d" % seg["id"]), 404)

    def test_invalid_rules_are_refused_with_the_path_inside_the_rule(self):
        rule = {"all": [{"list": 1}, {"list": 2}, {"any": [{"field": "name", "op": "like", "value": "a"}]}]}
        r = self.api.request("POST", "/api/v1/segments", {"name": "bad", "rule": rule})
        self.assert_error(r, 400, field="all[2].any[0].op", code="invalid_rule")
        r = self.api.request("POST", "/api/v1/segments/evaluate", {"rule": {"not": {"field": "attributes.n", "op": "gt", "value": "many"}}})
        self.assert_error(r, 400, field="not.value")
        deep = {"list": 1}
        for _ in range(11):
            deep = {"not": deep}
        self.assert_error(self.api.request("POST", "/api/v1/segments/evaluate", {"rule": deep}), 400, code="invalid_rule")
        self.assert_error(self.api.request("POST", "/api/v1/segments", {"name": "no rule"}), 400, field="rule")
        self.assert_error(self.api.request("POST", "/api/v1/segments/evaluate", {}), 400, field="rule")
        self.assertEqual(self.psql("SELECT count(*) FROM segments WHERE name = 'bad'"), "0")


if __name__ == "__main__":
    unittest.main()
