#!/usr/bin/python3
"""End-to-end campaign throughput: a campaign to N subscribers (default 100,000) with a
personalized ~10 KB template, sent to postfix's smtp-sink on loopback by 1, 2 and 4
`mailcast worker` processes sharing one PostgreSQL (a private cluster, fsync off, as the
integration tests use). DKIM off.

For each worker count it prints messages/second from the `send` call to the campaign's
`finished`, the workers' CPU seconds per 1,000 messages, and their peak RSS (VmHWM).

Usage: MAILCAST_BIN=build/mailcast bench/campaign/run.py [N] [WORKERS...]
Build mailcast without sanitizers first (scripts/run builds build/ with -O2)."""

import os
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "integration"))
import harness  # noqa: E402

TICKS = os.sysconf("SC_CLK_TCK")


def template():
    """~10 KB of HTML with 20 substitutions and a loop, like a real newsletter"""
    rows = "".join(
        "<tr><td style=\"padding:12px;font-family:Arial,sans-serif;font-size:15px;color:#333\">"
        "<h3>Artículo %d para {{first_name}}</h3><p>Lorem ipsum dolor sit amet, consectetur "
        "adipiscing elit, sed do eiusmod tempor incididunt ut labore et dolore magna aliqua. "
        "Ut enim ad minim veniam, quis nostrud exercitation ullamco laboris nisi ut aliquip ex "
        "ea commodo consequat, {{city}}.</p><a href=\"https://example.com/a/%d?u={{subscriber_id}}\""
        " style=\"color:#06c\">Leer más</a></td></tr>" % (i, i) for i in range(22))
    return ("<!doctype html><html><head><meta charset=\"utf-8\"><title>{{subject}}</title></head>"
            "<body style=\"margin:0;background:#f4f4f4\"><table width=\"100%\" cellpadding=\"0\">"
            "<tr><td><h1>Hola {{name}}</h1><p>Tu plan: {{plan}} · {{email}}</p></td></tr>" + rows +
            "<tr><td><a href=\"{{unsubscribe_url}}\">Darse de baja</a></td></tr></table></body></html>")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def proc_stats(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    cpu = (int(fields[11]) + int(fields[12])) / TICKS
    with open("/proc/%d/status" % pid) as f:
        hwm = next(int(line.split()[1]) for line in f if line.startswith("VmHWM:"))
    return cpu, hwm


def main():
    args = sys.argv[1:]
    n = int(args[0]) if args else 100000
    counts = [int(a) for a in args[1:]] or [1, 2, 4]
    port = free_port()
    sink = subprocess.Popen(["smtp-sink", "-u", "postfix", "127.0.0.1:%d" % port, "1000"])
    tmp = tempfile.TemporaryDirectory(prefix="mailcast-bench-")
    config = os.path.join(tmp.name, "mailcast.ini")
    with open(config, "w") as f:
        f.write("[mail]\nfrom_email = news@example.com\nbounce_address = bounces+{token}@example.com\n"
                "[smtp.sink]\nhost = 127.0.0.1\nport = %d\ntls = off\nhelo = bench.test\n"
                "messages_per_connection = 100\n" % port)
    cluster = harness.PgCluster()
    server = None
    try:
        dsn = cluster.new_database()
        db = dsn.split("dbname=")[1].split()[0]
        server = harness.Server(dsn=dsn, args=("--config", config, "--no-worker"))
        api = server.client()
        api.login("admin@localhost", server.admin_password)
        lst = api.request("POST", "/api/v1/lists", {"name": "Bench"}).json()
        cluster.psql(db, "INSERT INTO subscribers (email, name, attributes) SELECT 'user' || g ||"
                         " '@example.org', 'Usuario ' || g, jsonb_build_object('city', 'Ciudad '"
                         " || (g %% 100), 'plan', CASE WHEN g %% 3 = 0 THEN 'pro' ELSE 'free' END)"
                         " FROM generate_series(1, %d) g" % n)
        cluster.psql(db, "INSERT INTO list_subscribers (list_id, subscriber_id, status) SELECT %d,"
                         " id, 'confirmed' FROM subscribers" % lst["id"])
        cluster.psql(db, "VACUUM ANALYZE")
        print("%d subscribers; template %d bytes; smtp-sink on 127.0.0.1:%d; load %s"
              % (n, len(template().encode()), port, open("/proc/loadavg").read().split()[0]))
        env = harness.base_env(MAILCAST_DATABASE_URL=dsn, MAILCAST_PATHS_DATA_DIR=server.data_dir)
        for workers in counts:
            c = api.request("POST", "/api/v1/campaigns", {
                "name": "Bench %d" % workers, "subject": "Novedades para {{first_name}}",
                "from_email": "news@example.com", "body": template(), "lists": [lst["id"]]}).json()
            start = time.perf_counter()
            r = api.request("POST", "/api/v1/campaigns/%d/send" % c["id"])
            queued = time.perf_counter() - start
            procs = [subprocess.Popen([harness.MAILCAST_BIN, "worker", "--config", config], env=env,
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                     for _ in range(workers)]
            while api.request("GET", "/api/v1/campaigns/%d" % c["id"]).json()["state"] != "finished":
                time.sleep(0.1)
            elapsed = time.perf_counter() - start
            stats = [proc_stats(p.pid) for p in procs]
            for p in procs:
                p.terminate()
                p.wait()
            progress = api.request("GET", "/api/v1/campaigns/%d/progress" % c["id"]).json()
            cpu = sum(s[0] for s in stats)
            print("%d worker(s): %d sent, %d failed in %.1f s (queue made in %.1f s):"
                  " %.0f messages/s end to end; %.2f CPU s per 1,000; peak RSS %d MB per worker"
                  % (workers, progress["sent"], progress["failed"], elapsed, queued,
                     progress["sent"] / elapsed, cpu * 1000 / max(1, progress["sent"]),
                     max(s[1] for s in stats) // 1024))
            assert r.status == 200 and progress["sent"] == n, progress
    finally:
        if server:
            server.stop()
        cluster.destroy()
        sink.terminate()
        tmp.cleanup()


if __name__ == "__main__":
    main()
