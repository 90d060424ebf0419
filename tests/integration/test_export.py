"""Subscriber export: streamed CSV with the listing's filters, correct quoting and UTF-8."""

import csv
import io
import json
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


class ExportTest(AudienceCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.vip = cls.api.request("POST", "/api/v1/lists", {"name": "VIP"}).json()
        cls.tricky = cls.api.request("POST", "/api/v1/subscribers", {
            "email": "núñez@example.es", "name": 'Núñez, "el Grande"\nsegunda línea',
            "attributes": {"ciudad": "Málaga", "n": 1}, "lists": [cls.vip["id"]]}).json()
        # more rows than one export batch, inserted directly to keep the test quick
        dbname = cls.dsn.split("dbname=")[1].split()[0]
        cls.cluster.psql(dbname, "INSERT INTO subscribers (email, name, attributes)"
                                 " SELECT 'bulk' || i || '@example.com', 'Пользователь ' || i,"
                                 " jsonb_build_object('i', i) FROM generate_series(1, 12000) i")

    def export(self, query=""):
        r = self.api.request("GET", "/api/v1/subscribers/export" + query)
        self.assertEqual(r.status, 200, r)
        self.assertTrue(r.header("Content-Type").startswith("text/csv"))
        return list(csv.DictReader(io.StringIO(r.body, newline="")))

    def test_export_streams_every_subscriber_once_in_id_order(self):
        rows = self.export()
        self.assertEqual(len(rows), 12001)
        ids = [int(r["id"]) for r in rows]
        self.assertEqual(ids, sorted(set(ids)))
        self.assertEqual(self.api.request("GET", "/api/v1/subscribers?total=true&limit=1").json()["total"], 12001)

    def test_fields_with_commas_quotes_newlines_and_non_ascii_round_trip(self):
        rows = self.export("?list=%d" % self.vip["id"])
        self.assertEqual(len(rows), 1)
        row = rows[0]
        self.assertEqual(row["email"], "núñez@example.es")
        self.assertEqual(row["name"], 'Núñez, "el Grande"\nsegunda línea')
        self.assertEqual(json.loads(row["attributes"]), {"ciudad": "Málaga", "n": 1})
        self.assertEqual(row["status"], "active")
        self.assertEqual(row["created_at"], self.tricky["created_at"])

    def test_export_applies_the_listing_filters(self):
        rows = self.export("?query=bulk1200")
        self.assertEqual(sorted(r["email"] for r in rows), sorted(["bulk1200@example.com", "bulk12000@example.com"]))
        self.assertEqual(self.export("?status=blocklisted"), [])

    def test_bad_filters_and_unknown_segments_are_refused_before_streaming(self):
        self.assert_error(self.api.request("GET", "/api/v1/subscribers/export?status=x"), 400, field="status")
        self.assert_error(self.api.request("GET", "/api/v1/subscribers/export?segment=999"), 404)

    def test_the_connection_returns_to_the_pool_after_exports(self):
        # more exports than pool connections: each must give its connection back
        for _ in range(12):
            self.assertEqual(len(self.export("?query=bulk11")), 1111)
        self.assertEqual(self.api.request("GET", "/api/v1/subscribers?limit=1").status, 200)


if __name__ == "__main__":
    unittest.main()
