#!/usr/bin/python3
"""The audience benchmark at one million subscribers, end to end over the HTTP API against a
private PostgreSQL cluster configured as a production server would be: fsync, full page writes
and synchronous commit on (the defaults), with memory and checkpoint settings sized for the
machine (PRODUCTION_SETTINGS). --test-cluster runs it with the integration tests' settings
instead (fsync off), for comparison.

  1. CSV import of N rows (5 attributes each) into an empty database with all its indexes:
     rows/second from the upload to the job's end.
  2. Segment count for a three-condition rule (POST /api/v1/segments/evaluate).
  3. A subscriber page by keyset cursor deep in the list (90% of the way), and the pages the
     dashboard's subscriber list asks for: the first page, the first and a deep page of a status
     filter, and searches (a frequent word, one address, and a word nothing matches: the worst
     case, every row read).
  4. Export: rows/second of GET /api/v1/subscribers/export.

Usage: MAILCAST_BIN=build-bench/mailcast bench/audience/run.py [N] [--no-lists] [--test-cluster]
  [--import-only]
(--no-lists imports without putting the rows on a list: no memberships, no consent rows;
--import-only stops after the import)
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

# A server with a few GB of memory: the defaults (128MB of shared buffers, a checkpoint every 1GB
# of WAL) suit a laptop, not a database of a million subscribers.
PRODUCTION_SETTINGS = ("shared_buffers = 1GB\nmax_wal_size = 4GB\ncheckpoint_timeout = 15min\n"
                       "maintenance_work_mem = 256MB\n")

RULE = {"all": [{"field": "attributes.city", "op": "eq", "value": "Sevilla"},
                {"field": "attributes.age", "op": "gte", "value": 30},
                {"field": "attributes.plan", "op": "in", "value": ["pro", "team"]}]}


def timed(fn):
    start = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - start


def process_stat(pid):
    """(parent pid, own CPU seconds, CPU seconds of its children that ended) of a live process"""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    tick = os.sysconf("SC_CLK_TCK")
    return (int(fields[1]), (int(fields[11]) + int(fields[12])) / tick,
            (int(fields[13]) + int(fields[14])) / tick)


def cpu_seconds(server, cluster):
    """CPU seconds used so far: {"mailcast": ..., then one entry per kind of PostgreSQL process:
    "backends" (the import's and the API's sessions), each background process by its title, and
    "ended" (processes that exited, as autovacuum workers do)}"""
    with open(os.path.join(cluster.data, "postmaster.pid")) as f:
        postmaster = int(f.readline())
    found = {"mailcast": process_stat(server.process.pid)[1]}
    for pid in os.listdir("/proc"):
        try:
            parent, cpu, ended = process_stat(int(pid))
            with open("/proc/%s/cmdline" % pid, "rb") as f:
                title = f.read().split(b"\0")[0].decode(errors="replace")
        except (OSError, ValueError):
            continue
        if int(pid) == postmaster:
            found["postmaster"] = cpu
            found["ended"] = ended
        elif parent == postmaster:
            kind = (title[len("postgres: "):] if title.startswith("postgres: ") else title).strip()
            if kind.startswith(CLUSTER_USER_PREFIX):
                kind = "backends"
            found[kind] = found.get(kind, 0) + cpu
    return found


CLUSTER_USER_PREFIX = harness.CLUSTER_USER + " "


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    with_lists = "--no-lists" not in sys.argv
    n = int(args[0]) if args else 1000000
    data = subprocess.run([sys.executable, os.path.join(HERE, "generate.py"), str(n)],
                          check=True, stdout=subprocess.PIPE).stdout
    print("data set: %d rows, %.1f MB" % (n, len(data) / 1e6))
    test_cluster = "--test-cluster" in sys.argv
    cluster = harness.PgCluster(harness.TEST_SETTINGS if test_cluster else PRODUCTION_SETTINGS)
    print("cluster: %s" % ("test settings (fsync off)" if test_cluster else "production settings (fsync on)"))
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

        cpu_before = cpu_seconds(server, cluster)
        job, seconds = timed(run_import)
        assert job["state"] == "finished" and job["rows_done"] == n, job
        print("import: %d rows in %.1f s = %.0f rows/s (upload, checks, COPY, merge%s)"
              % (n, seconds, n / seconds, ", list membership and consent" if with_lists else ""))
        cpu_after = cpu_seconds(server, cluster)
        used = {k: v - cpu_before.get(k, 0) for k, v in cpu_after.items()}
        print("CPU during the import: mailcast %.1f s, PostgreSQL %.1f s (%s)"
              % (used.pop("mailcast"), sum(used.values()),
                 ", ".join("%s %.1f" % kv for kv in sorted(used.items(), key=lambda kv: -kv[1]))))
        if "--import-only" in sys.argv:
            return
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

        def page_ms(query, runs=10):
            times = []
            for _ in range(runs):
                r, seconds = timed(lambda: api.request("GET", "/api/v1/subscribers?limit=50" + query))
                assert r.status == 200, r
                times.append(seconds)
            return statistics.median(times) * 1000, len(r.json()["items"])

        for what, query in [("first page", ""),
                            ("status filter, first page", "&status=active"),
                            ("status filter, deep page", "&status=active&cursor=" + cursor),
                            ("search, frequent word (Lucía)", "&query=Luc%C3%ADa"),
                            ("search, one address", "&query=user%d%%40" % int(n * 0.7)),
                            ("search, no match", "&query=nadie-coincide")]:
            ms, rows = page_ms(query)
            print("subscribers page, %s: %d rows, median %.1f ms" % (what, rows, ms))

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
