#!/usr/bin/python3
"""The open pixel under wrk: a private PostgreSQL cluster (fsync off, as the integration tests
use), `mailcast serve` on 127.0.0.1 without a relay (mail is captured), one transactional
message whose pixel wrk fetches with keep-alive connections for BENCH_SECONDS (10 s). The last
BENCH_TAIL seconds (1) ask for a forged click link instead, answered 404 and recorded nowhere
(tail.lua), so that requests cut off when wrk stops are not opens. Then SIGTERM; the opens
recorded (in engagement_inbox, or already moved into the history by the worker's job) must
equal the 200 answers wrk counted.

Run through bench/tracking/run, which installs wrk and builds build/mailcast."""

import email
import email.policy
import glob
import os
import re
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "integration"))
import harness  # noqa: E402

PUBLIC = "http://127.0.0.1"


def main():
    seconds = int(os.environ.get("BENCH_SECONDS", "10"))
    tail = int(os.environ.get("BENCH_TAIL", "1"))
    threads = int(os.environ.get("BENCH_THREADS", "2"))
    connections = int(os.environ.get("BENCH_CONNECTIONS", "64"))
    server_threads = os.environ.get("BENCH_SERVER_THREADS", "2")
    # the database gets a small share of 2 cores next to wrk and the server: the batch holds
    # what it cannot write at once, and writes it when wrk stops
    buffer_events = os.environ.get("BENCH_BUFFER_EVENTS", "1000000")
    binary = os.path.abspath(os.environ.get("MAILCAST_BIN", "build/mailcast"))
    harness.MAILCAST_BIN = binary
    cluster = harness.PgCluster()
    server = None
    try:
        dsn = cluster.new_database()
        server = harness.Server(dsn=dsn, extra_env={
            "MAILCAST_SERVER_PUBLIC_URL": PUBLIC, "MAILCAST_SERVER_THREADS": server_threads,
            "MAILCAST_MAIL_FROM_EMAIL": "news@example.com",
            "MAILCAST_TRACKING_BUFFER_EVENTS": buffer_events})
        api = server.client()
        assert api.login("admin@localhost", server.admin_password).status == 200
        r = api.request("POST", "/api/v1/templates", {
            "name": "Recibo", "kind": "transactional", "subject": "Recibo",
            "body": "<html><body><p>Gracias, <a href=\"https://example.com/r\">ver</a></p></body></html>"})
        assert r.status == 201, r
        r = api.request("POST", "/api/v1/tx", {"to": "bench@example.org", "template_id": r.json()["id"]})
        assert r.status == 202, r
        pixel = None
        deadline = time.time() + 60
        while not pixel and time.time() < deadline:
            for path in glob.glob(os.path.join(server.data_dir, "outbox", "*.eml")):
                with open(path, "rb") as f:
                    msg = email.message_from_binary_file(f, policy=email.policy.default)
                m = re.search(r'src="%s(/t/o/[^"]+\.gif)"' % re.escape(PUBLIC),
                              msg.get_body(("html",)).get_content())
                pixel = m and m.group(1)
            time.sleep(0.1)
        assert pixel, "no captured message with a pixel"
        env = dict(os.environ, BENCH_PIXEL=pixel, BENCH_FORGED="/t/c/AAAAAAAAAAAAAAAAAAAAAAAAAAAA",
                   BENCH_SECONDS=str(seconds), BENCH_TAIL=str(tail))
        load = open("/proc/loadavg").read().split()[0]
        out = subprocess.run(["wrk", "-t%d" % threads, "-c%d" % connections, "-d%ds" % seconds,
                              "-s", os.path.join(HERE, "tail.lua"),
                              "http://127.0.0.1:%d" % server.port],
                             env=env, capture_output=True, text=True, check=True).stdout
        print(out)
        total = int(re.search(r"(\d+) requests in", out).group(1))
        rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
        ok = int(re.search(r"pixel_200 (\d+)", out).group(1))
        socket_errors = sum(int(x) for x in re.findall(
            r"(?:connect|read|write|timeout) (\d+)", re.search(r"Socket errors:.*", out).group(0))) \
            if "Socket errors" in out else 0
        status_errors = int(re.search(r"Non-2xx or 3xx responses: (\d+)", out).group(1)) \
            if "Non-2xx" in out else 0
        tail_404 = total - ok
        metrics = api.request("GET", "/metrics").body
        dropped = int(re.search(r"^mailcast_tracking_events_dropped_total (\d+)$", metrics, re.M).group(1))
        waiting = int(re.search(r"^mailcast_tracking_events_waiting (\d+)$", metrics, re.M).group(1))
        with open("/proc/%d/status" % server.process.pid) as f:
            peak_rss = int(re.search(r"VmHWM:\s+(\d+) kB", f.read()).group(1)) // 1024
        stopped_at = time.monotonic()
        code = server.stop()
        server = None
        stop_seconds = time.monotonic() - stopped_at
        rows = int(cluster.psql(dsn.split("dbname=")[1].split()[0],
                                "SELECT (SELECT count(*) FROM engagement_inbox WHERE kind = 'open')"
                                " + (SELECT count(*) FROM message_engagements WHERE kind = 'open'"
                                " AND reason <> 'implied_by_click')"))
        pixel_rate = ok / float(seconds - tail)
        print("| run | wrk -t%d -c%d, %d s, [server] threads %s, buffer_events %s, load %s |" % (
            threads, connections, seconds, server_threads, buffer_events, load))
        print("|---|---:|")
        print("| requests/s (wrk, whole run) | %.0f |" % rate)
        print("| pixel requests/s (200s over the %d s before the tail) | %.0f |" % (seconds - tail, pixel_rate))
        print("| pixel answers (200) | %d |" % ok)
        print("| tail answers (404, forged link) | %d |" % tail_404)
        print("| socket errors | %d |" % socket_errors)
        print("| non-2xx other than the tail | %d |" % (status_errors - tail_404))
        print("| events dropped (metrics) | %d |" % dropped)
        print("| events waiting when wrk stopped | %d |" % waiting)
        print("| server peak RSS | %d MiB |" % peak_rss)
        print("| SIGTERM to exit (writing what waited) | %.1f s |" % stop_seconds)
        print("| open rows after SIGTERM (exit %d) | %d |" % (code, rows))
        print("| rows == pixel answers | %s |" % ("yes" if rows == ok else "NO"))
        return 0 if rows == ok and socket_errors == 0 and status_errors == tail_404 else 1
    finally:
        if server:
            server.stop()
        cluster.destroy()


if __name__ == "__main__":
    sys.exit(main())
