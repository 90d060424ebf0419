#!/usr/bin/python3
"""The audience benchmark at one million subscribers, end to end over the HTTP API against a
real PostgreSQL (a private cluster, as the integration tests use: fsync off).

  1. CSV import of N rows (5 attributes each) into an empty database with all its indexes:
     rows/second from the upload to the job's end.
  2. Segment count for a three-condition rule (POST /api/v1/segments/evaluate).
  3. A subscriber page by keyset cursor deep in the list (90% of the way).
  4. Export: rows/second of GET /api/v1/subscribers/export.

Usage: MAILCAST_BIN=build-bench/mailcast bench/audience/run.py [N] [--no-lists]
(--no-lists imports without putting the rows on a list: no memberships, no consent rows)
Build mailcast without sanitizers first (cmake -DCMAKE_BUILD_TYPE=Release)."""

import json
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "integration"))
import harness  # noqa: E402

RULE = {"all": [{"field": "attributes.city", "op": "eq", "value": "Sevilla"},
                {"field": "attributes.age", "op": "gte", "value": 30},
                {"field": "attributes.plan", "op": "in", "value": ["pro", "team"]}]}


def timed(fn):
    start = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - start


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    with_lists = "--no-lists" not in sys.argv
    n = int(args[0]) if args else 1000000
    data = subprocess.run([sys.executable, os.path.join(HERE, "generate.py"), str(n)],
                          check=True, stdout=subprocess.PIPE).stdout
    print("data set: %d rows, %.1f MB" % (n, len(data) / 1e6))
    cluster = harness.PgCluster()
    server = None
    try:
        dsn = cluster.new_database()
        dbname = dsn.split("dbname=")[1].split()[0]
        server = harness.Server(dsn=dsn)
        api = server.client()
        assert api.login("admin@localhost", server.admin_password).status == 200
        lst = api.request("POST", "/api/v1/lists", {"name": "Bench"}).json()
        boundary = "----mailcastbench"
        body = (b"--" + boundary.encode() + b"\r\nContent-Disposition: form-data; name=\"options\"\r\n\r\n"
                + json.dumps({"lists": [lst["id"]] if with_lists else [], "mapping": {
                    "email": "email", "name": "name", "city": "attributes.city",
                    "age": "attributes.age:number", "plan": "attributes.plan",
                    "signup": "attributes.signup:date", "score": "attributes.score:number"}}).encode()
                + b"\r\n--" + boundary.encode()
                + b"\r\nContent-Disposition: form-data; name=\"file\"; filename=\"bench.csv\"\r\n\r\n"
                + data + b"\r\n--" + boundary.encode() + b"--\r\n")

        def run_import():
            r = api.request("POST", "/api/v1/imports", raw=body,
                            headers={"Content-Type": "multipart/form-data; boundary=" + boundary})
            assert r.status == 202, r
            while True:
                job = api.request("GET", "/api/v1/imports/%d" % r.json()["id"]).json()
                if job["state"] in ("finished", "failed"):
                    return job
                time.sleep(0.05)

        job, seconds = timed(run_import)
        assert job["state"] == "finished" and job["rows_done"] == n, job
        print("import: %d rows in %.1f s = %.0f rows/s (upload, checks, COPY, merge%s)"
              % (n, seconds, n / seconds, ", list membership and consent" if with_lists else ""))
        cluster.psql(dbname, "VACUUM ANALYZE")

        counts = []
        for _ in range(5):
            r, seconds = timed(lambda: api.request("POST", "/api/v1/segments/evaluate", {"rule": RULE}))
            assert r.status == 200, r
            counts.append(seconds)
        print("segment count (3 conditions, %d matches): median %.0f ms" % (r.json()["count"], statistics.median(counts) * 1000))

        cursor = cluster.psql(dbname, "SELECT id FROM subscribers ORDER BY id OFFSET %d LIMIT 1" % int(n * 0.9))
        pages = []
        for _ in range(20):
            r, seconds = timed(lambda: api.request("GET", "/api/v1/subscribers?limit=50&cursor=" + cursor))
            assert r.status == 200 and len(r.json()["items"]) == 50, r
            pages.append(seconds)
        print("deep keyset page (50 rows after id %s): median %.1f ms" % (cursor, statistics.median(pages) * 1000))

        r, seconds = timed(lambda: api.request("GET", "/api/v1/subscribers/export"))
        rows = r.body.count("\n") - 1
        assert r.status == 200 and rows >= n, (r.status, rows)
        print("export: %d rows in %.1f s = %.0f rows/s" % (rows, seconds, rows / seconds))
    finally:
        if server:
            server.stop()
            if os.environ.get("BENCH_LOG"):
                print("\n".join(l for l in server.stderr_lines if "import" in l or "BENCH" in l))
        cluster.destroy()


if __name__ == "__main__":
    main()
