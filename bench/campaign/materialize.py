#!/usr/bin/python3
"""Time to snapshot a campaign's audience into the queue (POST /api/v1/campaigns/{id}/send),
end to end over the HTTP API against a private PostgreSQL cluster (fsync off, as the
integration tests use).

The audience, made in SQL: N subscribers; list A holds the first 70%, list B the last 70%
(overlapping by 40%), a segment (city = Madrid, 10%) overlaps both; 0.1% are blocklisted, 0.1%
are unsubscribed from both lists (and match the segment), an excluded list holds 0.1%, and a
few addresses are suppressed, so every exclusion is exercised. Expected recipients are counted in SQL too and
compared with what was queued.

Usage: MAILCAST_BIN=build/mailcast bench/campaign/materialize.py [N]   (default 1,000,000)
Build mailcast without sanitizers first (scripts/run builds build/ with -O2)."""

import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "integration"))
import harness  # noqa: E402

SETUP = """
INSERT INTO subscribers (email, name, attributes, status)
SELECT 'user' || g || '@example.org', 'User ' || g,
       jsonb_build_object('city', CASE WHEN g % 10 = 0 THEN 'Madrid' ELSE 'Lima' END),
       CASE WHEN g % 1000 = 1 THEN 'blocklisted' ELSE 'active' END
FROM generate_series(1, {n}) g;
INSERT INTO lists (name) VALUES ('A'), ('B'), ('Excluded');
INSERT INTO list_subscribers (list_id, subscriber_id, status)
SELECT l.id, s.id, CASE WHEN s.id % 1000 = 20 THEN 'unsubscribed' ELSE 'confirmed' END
FROM subscribers s JOIN lists l ON (l.name = 'A' AND s.id <= {n} * 0.7)
                                OR (l.name = 'B' AND s.id > {n} * 0.3);
INSERT INTO list_subscribers (list_id, subscriber_id, status)
SELECT l.id, s.id, 'confirmed' FROM subscribers s, lists l
WHERE l.name = 'Excluded' AND s.id % 1000 = 3;
INSERT INTO segments (name, rule)
VALUES ('Madrid', '{{"field": "attributes.city", "op": "eq", "value": "Madrid"}}');
"""

# the unsubscribed (id % 1000 = 20) all match the segment, which does not bring them back:
# they unsubscribed from the campaign's lists
EXPECTED = """
SELECT count(*) FROM subscribers s WHERE s.status = 'active' AND s.id % 1000 NOT IN (3, 20)
"""


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000000
    cluster = harness.PgCluster()
    server = None
    try:
        dsn = cluster.new_database()
        dbname = dsn.split("dbname=")[1].split()[0]
        server = harness.Server(dsn=dsn)
        api = server.client()
        api.login("admin@localhost", server.admin_password)
        start = time.perf_counter()
        cluster.psql(dbname, SETUP.format(n=n))
        cluster.psql(dbname, "VACUUM ANALYZE")
        print("audience of %d subscribers made in %.1f s" % (n, time.perf_counter() - start))
        ids = dict(line.split("|") for line in cluster.psql(dbname, "SELECT name, id FROM lists").split("\n") if line)
        segment = int(cluster.psql(dbname, "SELECT id FROM segments"))
        # suppress a few addresses through the API path that erases people
        for i in (5, 6, 7):
            sub = cluster.psql(dbname, "SELECT id FROM subscribers WHERE email = 'user%d@example.org'" % i)
            r = api.request("POST", "/api/v1/subscribers/%s/erase" % sub)
            assert r.status in (200, 204), r
        expected = int(cluster.psql(dbname, EXPECTED))
        r = api.request("POST", "/api/v1/campaigns", {
            "name": "Bench", "subject": "Hola {{first_name}}", "from_email": "news@example.org",
            "body": "<p>Hola {{first_name}}</p>", "lists": [int(ids["A"]), int(ids["B"])],
            "segments": [segment], "exclude_lists": [int(ids["Excluded"])]})
        assert r.status == 201, r
        campaign = r.json()["id"]
        start = time.perf_counter()
        r = api.request("POST", "/api/v1/campaigns/%d/send" % campaign)
        elapsed = time.perf_counter() - start
        assert r.status == 200, r
        total = r.json()["total"]
        print("send: %d recipients queued in %.2f s (%.0f rows/s); expected %d: %s"
              % (total, elapsed, total / elapsed, expected, "ok" if total == expected else "MISMATCH"))
        load = open("/proc/loadavg").read().split()[0]
        print("load average at the end: %s" % load)
        return 0 if total == expected else 1
    finally:
        if server:
            server.stop()
        cluster.destroy()


if __name__ == "__main__":
    sys.exit(main())
