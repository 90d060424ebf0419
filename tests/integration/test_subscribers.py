"""Subscribers over HTTP: create, read, update, delete, validation, duplicates, listing with
filters and keyset pages, and bulk actions."""

import unittest
import urllib.parse

from harness import PgCluster
from audience_fixtures import AudienceCase

cluster = None


def setUpModule():
    global cluster
    cluster = PgCluster()
    AudienceCase.cluster = cluster


def tearDownModule():
    cluster.destroy()


class SubscriberCrudTest(AudienceCase):
    def test_create_returns_the_subscriber_with_its_lists(self):
        news = self.create_list("Noticias")
        r = self.api.request("POST", "/api/v1/subscribers", {
            "email": "  José.Núñez@Correo.es ", "name": "José Núñez",
            "attributes": {"city": "Sevilla", "age": 41, "vip": True},
            "lists": [news["id"]], "list_status": "confirmed"})
        self.assertEqual(r.status, 201, r)
        s = r.json()
        self.assertEqual(s["email"], "José.Núñez@Correo.es")
        self.assertEqual(s["name"], "José Núñez")
        self.assertEqual(s["attributes"], {"city": "Sevilla", "age": 41, "vip": True})
        self.assertEqual(s["status"], "active")
        self.assertEqual(s["lists"], [{"id": news["id"], "status": "confirmed"}])
        self.assertRegex(s["created_at"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
        got = self.api.request("GET", "/api/v1/subscribers/%d" % s["id"]).json()
        # GET adds the summary of bounces and complaints (docs/bounces.md)
        self.assertEqual(got.pop("bounces"),
                         {"hard": 0, "soft": 0, "complaints": 0, "last_at": None})
        self.assertEqual(got, s)

    def test_duplicate_address_in_other_case_answers_409_with_the_existing_id(self):
        first = self.create_subscriber("Иван@Почта.рф", name="Иван")
        r = self.api.request("POST", "/api/v1/subscribers", {"email": "иван@почта.рф"})
        error = self.assert_error(r, 409, field="email", code="conflict")
        self.assertEqual(error["id"], first["id"])

    def test_invalid_addresses_are_refused_and_nothing_is_written(self):
        before = self.psql("SELECT count(*) FROM subscribers")
        for bad in ["", "no-at-sign", "a@b", "a b@example.com", "x" * 65 + "@example.com",
                    "a@" + "b" * 64 + ".com", "ana@example.com\nBcc: x@example.com"]:
            r = self.api.request("POST", "/api/v1/subscribers", {"email": bad})
            self.assert_error(r, 400, field="email")
        self.assert_error(self.api.request("POST", "/api/v1/subscribers", {"name": "x"}), 400,
                          field="email")
        self.assertEqual(self.psql("SELECT count(*) FROM subscribers"), before)

    def test_wrong_field_types_name_the_field(self):
        cases = [({"email": "t1@example.com", "attributes": [1]}, "attributes"),
                 ({"email": "t1@example.com", "status": "gone"}, "status"),
                 ({"email": "t1@example.com", "lists": ["1"]}, "lists"),
                 ({"email": "t1@example.com", "list_status": "maybe"}, "list_status"),
                 ({"email": "t1@example.com", "name": 5}, "name"),
                 ({"email": "t1@example.com", "colour": "red"}, "colour")]
        for body, field in cases:
            self.assert_error(self.api.request("POST", "/api/v1/subscribers", body), 400, field=field)

    def test_unknown_list_refuses_the_whole_create(self):
        r = self.api.request("POST", "/api/v1/subscribers",
                             {"email": "nolist@example.com", "lists": [999999]})
        self.assert_error(r, 400, field="lists")
        self.assertEqual(self.psql("SELECT count(*) FROM subscribers WHERE email = 'nolist@example.com'"), "0")

    def test_malformed_json_is_a_400(self):
        r = self.api.request("POST", "/api/v1/subscribers", raw=b'{"email": ')
        self.assert_error(r, 400, code="invalid_json")

    def test_put_replaces_fields_and_patch_merges_attributes(self):
        s = self.create_subscriber("merge@example.com", name="Ana", attributes={"a": 1, "b": 2})
        path = "/api/v1/subscribers/%d" % s["id"]
        r = self.api.request("PATCH", path, {"attributes": {"b": None, "c": "ç"}})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()["attributes"], {"a": 1, "c": "ç"})
        self.assertEqual(r.json()["name"], "Ana")
        r = self.api.request("PUT", path, {"email": "merge2@example.com", "attributes": {"z": 0}})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()["email"], "merge2@example.com")
        self.assertEqual(r.json()["name"], "")
        self.assertEqual(r.json()["attributes"], {"z": 0})
        self.assert_error(self.api.request("PUT", path, {"name": "no email"}), 400, field="email")

    def test_changing_email_to_a_taken_address_answers_409_with_its_holder(self):
        a = self.create_subscriber("holder@example.com")
        b = self.create_subscriber("mover@example.com")
        r = self.api.request("PATCH", "/api/v1/subscribers/%d" % b["id"], {"email": "HOLDER@example.com"})
        self.assertEqual(self.assert_error(r, 409, field="email")["id"], a["id"])
        self.assertEqual(self.api.request("GET", "/api/v1/subscribers/%d" % b["id"]).json()["email"],
                         "mover@example.com")

    def test_delete_removes_the_subscriber_and_unknown_ids_are_404(self):
        s = self.create_subscriber("gone@example.com")
        path = "/api/v1/subscribers/%d" % s["id"]
        self.assertEqual(self.api.request("DELETE", path).status, 204)
        self.assert_error(self.api.request("GET", path), 404, code="not_found")
        self.assert_error(self.api.request("DELETE", path), 404)
        self.assert_error(self.api.request("PATCH", path, {"name": "x"}), 404)
        self.assert_error(self.api.request("GET", "/api/v1/subscribers/abc"), 404)

    def test_creation_through_the_api_records_consent_per_list(self):
        l = self.create_list("Consent")
        s = self.create_subscriber("consent@example.com", lists=[l["id"]])
        rows = self.psql("SELECT list_id, action, source FROM consents WHERE subscriber_id = %d" % s["id"])
        self.assertEqual(rows, "%d|subscribe|api" % l["id"])


class SubscriberListingTest(AudienceCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.list_a = cls.api.request("POST", "/api/v1/lists", {"name": "A"}).json()
        cls.people = []
        for i in range(12):
            body = {"email": "person%02d@example.com" % i, "name": "Persona %d %s" % (i, "ñandú" if i % 3 == 0 else "")}
            if i % 2 == 0:
                body["lists"] = [cls.list_a["id"]]
                body["list_status"] = "confirmed" if i % 4 == 0 else "unconfirmed"
            r = cls.api.request("POST", "/api/v1/subscribers", body)
            assert r.status == 201, r
            cls.people.append(r.json())
        cls.odd = cls.api.request("POST", "/api/v1/subscribers", {"email": "100%_off@example.com"}).json()
        cls.api.request("POST", "/api/v1/subscribers/bulk", {"action": "blocklist", "subscriber_ids": [cls.people[1]["id"]]})

    def listing(self, **query):
        r = self.api.request("GET", "/api/v1/subscribers?" + urllib.parse.urlencode(query))
        self.assertEqual(r.status, 200, r)
        return r.json()

    def test_pages_follow_the_cursor_without_gaps_or_repeats(self):
        seen, cursor = [], ""
        while True:
            page = self.listing(limit=5, cursor=cursor)
            self.assertLessEqual(len(page["items"]), 5)
            seen += [s["id"] for s in page["items"]]
            if not page["next_cursor"]:
                break
            cursor = page["next_cursor"]
        self.assertEqual(seen, sorted(set(seen)))
        self.assertEqual(len(seen), 13)

    def test_total_is_given_only_when_asked(self):
        self.assertNotIn("total", self.listing(limit=2))
        self.assertEqual(self.listing(limit=2, total="true")["total"], 13)

    def test_query_matches_email_or_name_case_insensitively(self):
        names = {s["email"] for s in self.listing(query="ÑANDÚ")["items"]}
        self.assertEqual(names, {"person00@example.com", "person03@example.com",
                                 "person06@example.com", "person09@example.com"})
        self.assertEqual([s["email"] for s in self.listing(query="PERSON11")["items"]], ["person11@example.com"])

    def test_like_wildcards_in_the_query_match_themselves(self):
        self.assertEqual([s["id"] for s in self.listing(query="%_")["items"]], [self.odd["id"]])

    def test_filters_by_list_and_membership_status(self):
        self.assertEqual(self.listing(list=self.list_a["id"], total="true")["total"], 6)
        confirmed = self.listing(list=self.list_a["id"], list_status="confirmed")["items"]
        self.assertEqual([s["email"] for s in confirmed],
                         ["person00@example.com", "person04@example.com", "person08@example.com"])

    def test_filters_by_status(self):
        self.assertEqual([s["id"] for s in self.listing(status="blocklisted")["items"]], [self.people[1]["id"]])

    def test_bad_filter_values_are_400_naming_the_parameter(self):
        for query, field in [("status=deleted", "status"), ("list=abc", "list"),
                             ("list_status=confirmed", "list_status"), ("segment=-1", "segment"),
                             ("limit=0", "limit"), ("cursor=xyz", "cursor")]:
            self.assert_error(self.api.request("GET", "/api/v1/subscribers?" + query), 400, field=field)

    def test_an_unknown_list_or_segment_is_404_naming_the_parameter_alike(self):
        for path in ["/api/v1/subscribers", "/api/v1/subscribers/export"]:
            for name in ["list", "segment"]:
                r = self.api.request("GET", "%s?%s=999999" % (path, name))
                error = self.assert_error(r, 404, field=name, code="not_found")
                self.assertIn("999999", error["message"])

    def test_injection_attempts_in_filters_match_nothing_and_harm_nothing(self):
        for value in ["' OR 1=1 --", "'; DROP TABLE subscribers; --", "\\", "%' OR '%'='"]:
            page = self.listing(query=value, total="true")
            self.assertEqual(page["total"], 0)
        self.assertEqual(self.listing(total="true")["total"], 13)


class BulkTest(AudienceCase):
    def test_add_to_and_remove_from_lists_for_ids(self):
        l = self.create_list("Bulk", optin="double")
        ids = [self.create_subscriber("bulk%d@example.com" % i)["id"] for i in range(3)]
        r = self.api.request("POST", "/api/v1/subscribers/bulk",
                             {"action": "add_to_lists", "subscriber_ids": ids, "lists": [l["id"]]})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()["affected"], 3)
        counts = self.api.request("GET", "/api/v1/lists/%d" % l["id"]).json()["counts"]
        self.assertEqual(counts, {"unconfirmed": 3, "confirmed": 0, "unsubscribed": 0})
        r = self.api.request("POST", "/api/v1/subscribers/bulk",
                             {"action": "remove_from_lists", "subscriber_ids": ids[:2], "lists": [l["id"]]})
        self.assertEqual(r.json()["affected"], 2)

    def test_blocklist_and_delete_for_ids(self):
        ids = [self.create_subscriber("bd%d@example.com" % i)["id"] for i in range(2)]
        r = self.api.request("POST", "/api/v1/subscribers/bulk", {"action": "blocklist", "subscriber_ids": ids})
        self.assertEqual(r.json()["affected"], 2)
        self.assertEqual(self.api.request("GET", "/api/v1/subscribers/%d" % ids[0]).json()["status"], "blocklisted")
        r = self.api.request("POST", "/api/v1/subscribers/bulk", {"action": "delete", "subscriber_ids": ids})
        self.assertEqual(r.json()["affected"], 2)
        self.assertEqual(self.api.request("GET", "/api/v1/subscribers/%d" % ids[1]).status, 404)

    def test_bulk_on_a_segment_acts_on_its_members(self):
        ids = [self.create_subscriber("seg%d@bulk.example" % i, attributes={"tier": "gold" if i < 2 else "tin"})["id"] for i in range(4)]
        seg = self.api.request("POST", "/api/v1/segments", {"name": "gold", "rule": {"field": "attributes.tier", "op": "eq", "value": "gold"}}).json()
        r = self.api.request("POST", "/api/v1/subscribers/bulk", {"action": "blocklist", "segment": seg["id"]})
        self.assertEqual(r.json()["affected"], 2)
        statuses = [self.api.request("GET", "/api/v1/subscribers/%d" % i).json()["status"] for i in ids]
        self.assertEqual(statuses, ["blocklisted", "blocklisted", "active", "active"])

    def test_bad_bulk_requests_change_nothing(self):
        s = self.create_subscriber("keep@bulk.example")
        cases = [({"action": "explode", "subscriber_ids": [s["id"]]}, "action"),
                 ({"subscriber_ids": [s["id"]]}, "action"),
                 ({"action": "delete"}, "subscriber_ids"),
                 ({"action": "delete", "subscriber_ids": [s["id"]], "segment": 1}, "subscriber_ids"),
                 ({"action": "add_to_lists", "subscriber_ids": [s["id"]]}, "lists"),
                 ({"action": "add_to_lists", "subscriber_ids": [s["id"]], "lists": [987654]}, "lists"),
                 ({"action": "delete", "segment": 987654}, "segment")]
        for body, field in cases:
            r = self.api.request("POST", "/api/v1/subscribers/bulk", body)
            self.assertIn(r.status, (400, 404), r)
            self.assertEqual(r.json()["error"]["field"], field, r)
        self.assertEqual(self.api.request("GET", "/api/v1/subscribers/%d" % s["id"]).status, 200)


if __name__ == "__main__":
    unittest.main()
