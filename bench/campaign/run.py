#!/usr/bin/python3
"""End-to-end campaign throughput: a campaign to N subscribers (default 100,000) with a
personalized ~10 KB template, sent to postfix's smtp-sink on loopback by 1, 2 and 4
`mailcast worker` processes sharing one PostgreSQL (a private cluster, fsync off, as the
integration tests use). DKIM off. Open and click tracking off unless --tracking (every message
then has its 22 personalized links rewritten, 22 tracked_links rows in all, and a pixel).

For each worker count it prints messages/second from the `send` call to the campaign's
`finished`, the workers' CPU seconds per 1,000 messages, and their peak RSS (VmHWM), then the
queue's share: messages/second from the workers' start, and the CPU seconds the PostgreSQL
cluster (every one of its processes) spent per 1,000 messages.

Then, on the same cluster (a new database for each run), graphile-worker (npm, pinned in
graphile/package-lock.json, installed into the ignored graphile/node_modules when missing)
processes the same number of no-op jobs with the same number of worker processes
(graphile/noop.js), and the script prints the same figures for it and a table of both.

Usage: MAILCAST_BIN=build/mailcast bench/campaign/run.py [N] [WORKERS...] [--no-graphile] [--tracking]
       bench/campaign/run.py [N] [WORKERS...] --only-graphile   (no mailcast build needed)
Build mailcast without sanitizers first (scripts/run builds build/ with -O2)."""

import argparse
import json
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


def cluster_cpu(postmaster):
    """CPU seconds used so far by every process of the cluster: the postmaster, its live
    children, and the children it has reaped (counted in its cutime/cstime), so that
    backends that exited during a run are not missed."""
    with open("/proc/%d/stat" % postmaster) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    total = sum(int(v) for v in fields[11:15])
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % entry) as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue  # exited meanwhile
        if int(fields[1]) == postmaster:
            total += int(fields[11]) + int(fields[12])
    return total / TICKS


def load():
    return open("/proc/loadavg").read().split()[0]


def install_graphile():
    """npm ci into graphile/node_modules unless graphile-worker is there already"""
    folder = os.path.join(HERE, "graphile")
    if not os.path.isdir(os.path.join(folder, "node_modules", "graphile-worker")):
        print("installing graphile-worker (npm ci) into bench/campaign/graphile/node_modules")
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=folder,
                       check=True, stdout=subprocess.DEVNULL)


def run_mailcast(cluster, postmaster, n, counts, tracking=False):
    """the mailcast runs; returns {workers: (messages/s, worker CPU, PostgreSQL CPU per 1,000)}"""
    results = {}
    port = free_port()
    sink = subprocess.Popen(["smtp-sink", "-u", "postfix", "127.0.0.1:%d" % port, "1000"])
    tmp = tempfile.TemporaryDirectory(prefix="mailcast-bench-")
    config = os.path.join(tmp.name, "mailcast.ini")
    with open(config, "w") as f:
        f.write("[mail]\nfrom_email = news@example.com\nbounce_address = bounces+{token}@example.com\n"
                "[smtp.sink]\nhost = 127.0.0.1\nport = %d\ntls = off\nhelo = bench.test\n"
                "messages_per_connection = 100\n" % port)
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
        print("mailcast: %d subscribers; template %d bytes; smtp-sink on 127.0.0.1:%d; load %s"
              % (n, len(template().encode()), port, load()))
        env = harness.base_env(MAILCAST_DATABASE_URL=dsn, MAILCAST_PATHS_DATA_DIR=server.data_dir)
        for workers in counts:
            c = api.request("POST", "/api/v1/campaigns", {
                "name": "Bench %d" % workers, "subject": "Novedades para {{first_name}}",
                "from_email": "news@example.com", "body": template(), "lists": [lst["id"]],
                "track_opens": tracking, "track_clicks": tracking}).json()
            cpu0 = cluster_cpu(postmaster)
            start = time.perf_counter()
            r = api.request("POST", "/api/v1/campaigns/%d/send" % c["id"])
            queued = time.perf_counter() - start
            cpu1 = cluster_cpu(postmaster)
            procs = [subprocess.Popen([harness.MAILCAST_BIN, "worker", "--config", config], env=env,
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                     for _ in range(workers)]
            while api.request("GET", "/api/v1/campaigns/%d" % c["id"]).json()["state"] != "finished":
                time.sleep(0.1)
            elapsed = time.perf_counter() - start
            cpu2 = cluster_cpu(postmaster)
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
            sending = elapsed - queued
            results[workers] = (progress["sent"] / sending, cpu * 1000 / progress["sent"],
                                (cpu2 - cpu1) * 1000 / progress["sent"])
            print("    queue: %.0f messages/s from the workers' start; PostgreSQL CPU %.2f s per"
                  " 1,000 (making the queue: %.1f CPU s); load %s"
                  % (results[workers][0], results[workers][2], cpu1 - cpu0, load()))
    finally:
        if server:
            server.stop()
        sink.terminate()
        tmp.cleanup()
    return results


def run_graphile(cluster, postmaster, n, counts, concurrency):
    """graphile-worker on no-op jobs, a new database per run; returns what run_mailcast does"""
    install_graphile()
    with open(os.path.join(HERE, "graphile", "node_modules", "graphile-worker",
                           "package.json")) as f:
        version = json.load(f)["version"]
    print("graphile-worker %s: %d no-op jobs, %d job(s) at a time per worker process; load %s"
          % (version, n, concurrency, load()))
    results = {}
    for workers in counts:
        dsn = cluster.new_database()
        out = subprocess.run(["node", os.path.join(HERE, "graphile", "noop.js"), dsn, str(n),
                              str(workers), str(concurrency), str(postmaster)],
                             stdout=subprocess.PIPE, text=True)
        if out.returncode != 0:
            raise RuntimeError("graphile-worker run failed:\n" + out.stdout)
        g = json.loads(out.stdout.strip().splitlines()[-1])
        print("%d worker(s): %d done, %d left in %.1f s (jobs added in %.2f s, %.1f PostgreSQL CPU"
              " s): %.0f jobs/s; %.2f CPU s per 1,000; peak RSS %d MB per worker"
              % (workers, g["completed"], g["left"], g["seconds"], g["enqueueSeconds"],
                 g["enqueuePostgresCpuSeconds"], g["jobsPerSecond"], g["workerCpuPer1000"],
                 g["peakRssMb"]))
        print("    queue: PostgreSQL CPU %.2f s per 1,000; load %s"
              % (g["postgresCpuPer1000"], load()))
        results[workers] = (g["jobsPerSecond"], g["workerCpuPer1000"], g["postgresCpuPer1000"])
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("n", nargs="?", type=int, default=100000, help="messages and jobs")
    parser.add_argument("workers", nargs="*", type=int, default=[1, 2, 4],
                        help="worker processes of each run (default 1 2 4)")
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--no-graphile", action="store_true", help="mailcast only")
    which.add_argument("--only-graphile", action="store_true", help="graphile-worker only")
    parser.add_argument("--tracking", action="store_true",
                        help="campaigns track opens and clicks (their default; off here by default)")
    parser.add_argument("--graphile-concurrency", type=int, default=1, metavar="C",
                        help="jobs at a time in each graphile-worker process (default 1)")
    args = parser.parse_args()
    print("%s UTC, load average %s" % (time.strftime("%Y-%m-%d %H:%M", time.gmtime()),
                                       " ".join(open("/proc/loadavg").read().split()[:3])))
    cluster = harness.PgCluster()
    try:
        with open(os.path.join(cluster.data, "postmaster.pid")) as f:
            postmaster = int(f.readline())
        mailcast = {} if args.only_graphile else run_mailcast(cluster, postmaster, args.n,
                                                               args.workers, args.tracking)
        graphile = {} if args.no_graphile else run_graphile(cluster, postmaster, args.n,
                                                             args.workers,
                                                             args.graphile_concurrency)
    finally:
        cluster.destroy()
    if mailcast and graphile:
        print("\nqueue overhead, %d items: per second from the workers' start; CPU s per 1,000"
              % args.n)
        print("workers | mailcast msg/s | worker CPU | PostgreSQL CPU | graphile jobs/s"
              " | worker CPU | PostgreSQL CPU")
        for w in args.workers:
            m, g = mailcast[w], graphile[w]
            print("%7d | %14.0f | %10.2f | %14.2f | %15.0f | %10.2f | %14.2f"
                  % (w, m[0], m[1], m[2], g[0], g[1], g[2]))
        print("(mailcast renders, composes and sends every message to smtp-sink; graphile-worker's"
              " jobs do nothing)")


if __name__ == "__main__":
    main()
