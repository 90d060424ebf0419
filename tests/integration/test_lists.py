"""Lists over HTTP: CRUD, validation, membership with status and timestamps, counts."""

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


class ListCrudTest(AudienceCase):
    def test_create_applies_defaults_and_returns_zero_counts(self):
        r = self.api.request("POST", "/api/v1/lists", {"name": " Рассылка ", "tags": ["ru", " weekly "]})
        self.assertEqual(r.status, 201, r)
        l = r.json()
        self.assertEqual(l["name"], "Рассылка")
        self.assertEqual(l["description"], "")
        self.assertEqual(l["visibility"], "private")
        self.assertEqual(l["optin"], "single")
        self.assertEqual(l["tags"], ["ru", "weekly"])
        self.assertEqual(l["counts"], {"unconfirmed": 0, "confirmed": 0, "unsubscribed": 0})
        self.assertEqual(self.api.request("GET", "/api/v1/lists/%d" % l["id"]).json(), l)

    def test_invalid_lists_are_refused_naming_the_field(self):
        cases = [({}, "name"), ({"name": ""}, "name"), ({"name": "x" * 201}, "name"),
                 ({"name": "a", "visibility": "secret"}, "visibility"),
                 ({"name": "a", "optin": "triple"}, "optin"),
                 ({"name": "a", "tags": "news"}, "tags"), ({"name": "a", "tags": [1]}, "tags"),
                 ({"name": "a", "owner": 1}, "owner")]
        for body, field in cases:
            self.assert_error(self.api.request("POST", "/api/v1/lists", body), 400, field=field)

    def test_put_resets_absent_members_and_patch_keeps_them(self):
        l = self.create_list("Edit", description="d", visibility="public", optin="double", tags=["t"])
        path = "/api/v1/lists/%d" % l["id"]
        r = self.api.request("PATCH", path, {"description": "nueva descripción"})
        self.assertEqual(r.status, 200, r)
        self.assertEqual((r.json()["description"], r.json()["visibility"], r.json()["optin"], r.json()["tags"]),
                         ("nueva descripción", "public", "double", ["t"]))
        r = self.api.request("PUT", path, {"name": "Edited"})
        self.assertEqual((r.json()["name"], r.json()["visibility"], r.json()["optin"], r.json()["tags"]),
                         ("Edited", "private", "single", []))

    def test_listing_filters_by_visibility_and_pages(self):
        public = self.create_list("Pública", visibility="public")
        page = self.api.request("GET", "/api/v1/lists?visibility=public&total=true").json()
        self.assertIn(public["id"], [l["id"] for l in page["items"]])
        self.assertTrue(all(l["visibility"] == "public" for l in page["items"]))
        self.assertEqual(page["total"], len(page["items"]))
        self.assert_error(self.api.request("GET", "/api/v1/lists?visibility=x"), 400, field="visibility")

    def test_delete_keeps_the_subscribers(self):
        l = self.create_list("Temporary")
        s = self.create_subscriber("stays@example.com", lists=[l["id"]])
        self.assertEqual(self.api.request("DELETE", "/api/v1/lists/%d" % l["id"]).status, 204)
        self.assertEqual(self.api.request("GET", "/api/v1/lists/%d" % l["id"]).status, 404)
        self.assertEqual(self.api.request("GET", "/api/v1/subscribers/%d" % s["id"]).json()["lists"], [])


class MembershipTest(AudienceCase):
    def test_put_members_sets_status_and_counts_follow(self):
        l = self.create_list("Members")
        ids = [self.create_subscriber("m%d@example.com" % i)["id"] for i in range(4)]
        path = "/api/v1/lists/%d/subscribers" % l["id"]
        r = self.api.request("PUT", path, {"subscriber_ids": ids[:3], "status": "confirmed"})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()["counts"], {"unconfirmed": 0, "confirmed": 3, "unsubscribed": 0})
        r = self.api.request("PUT", path, {"subscriber_ids": [ids[0]], "status": "unsubscribed"})
        self.assertEqual(r.json()["counts"], {"unconfirmed": 0, "confirmed": 2, "unsubscribed": 1})
        r = self.api.request("DELETE", path, {"subscriber_ids": [ids[1]]})
        self.assertEqual(r.json()["counts"], {"unconfirmed": 0, "confirmed": 1, "unsubscribed": 1})
        row = self.psql("SELECT confirmed_at IS NOT NULL, unsubscribed_at IS NOT NULL FROM list_subscribers"
                        " WHERE list_id = %d AND subscriber_id = %d" % (l["id"], ids[0]))
        self.assertEqual(row, "t|t")

    def test_default_status_follows_the_lists_optin(self):
        single = self.create_list("Single")
        double = self.create_list("Double", optin="double")
        s = self.create_subscriber("optin@example.com", lists=[single["id"], double["id"]])
        self.assertEqual(s["lists"], [{"id": single["id"], "status": "confirmed"},
                                      {"id": double["id"], "status": "unconfirmed"}])

    def test_unknown_subscriber_refuses_the_whole_change(self):
        l = self.create_list("Strict")
        s = self.create_subscriber("strict@example.com")
        r = self.api.request("PUT", "/api/v1/lists/%d/subscribers" % l["id"],
                             {"subscriber_ids": [s["id"], 999999], "status": "confirmed"})
        self.assert_error(r, 400, field="subscriber_ids")
        self.assertEqual(self.api.request("GET", "/api/v1/lists/%d" % l["id"]).json()["counts"]["confirmed"], 0)

    def test_membership_of_an_unknown_list_is_404(self):
        s = self.create_subscriber("nolist@example.com")
        r = self.api.request("PUT", "/api/v1/lists/999999/subscribers", {"subscriber_ids": [s["id"]]})
        self.assert_error(r, 404)

    def test_bad_membership_bodies_name_the_field(self):
        l = self.create_list("Bodies")
        path = "/api/v1/lists/%d/subscribers" % l["id"]
        self.assert_error(self.api.request("PUT", path, {}), 400, field="subscriber_ids")
        self.assert_error(self.api.request("PUT", path, {"subscriber_ids": [1], "status": "maybe"}), 400, field="status")
        self.assert_error(self.api.request("PUT", path, {"subscriber_ids": "1"}), 400, field="subscriber_ids")


if __name__ == "__main__":
    unittest.main()
