#!/usr/bin/python3
"""The events benchmark: batches of 1,000 events posted to POST /api/v1/events by a few
concurrent clients, against the same rows loaded by PostgreSQL's own fastest path (psql COPY, one
COPY and one commit per 1,000 rows, from as many concurrent sessions), on a private cluster with
production durability (fsync and synchronous commit on) and the events table's indexes.

Events: a mix of cart_updated (a cart of 3 items with Spanish and Russian names, image and product
URLs, a total), product_viewed and order_completed (with revenue, so each makes its conversion),
each with an idempotency key, for SUBSCRIBERS subscribers named by id. Bodies are encoded before
the clock starts; the clients keep their connection.

Usage: MAILCAST_BIN=build-bench/mailcast bench/events/run.py [EVENTS] [--clients=N]
Defaults: 100,000 events, 4 clients, 10,000 subscribers. Build mailcast without sanitizers first
(cmake -DCMAKE_BUILD_TYPE=Release)."""

import http.client
import json
import os
import random
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "integration"))
import harness  # noqa: E402

BATCH = 1000
SUBSCRIBERS = 10000
# a server's memory settings; durability stays PostgreSQL's default (fsync, synchronous commit)
SETTINGS = "shared_buffers = 512MB\nmax_wal_size = 4GB\ncheckpoint_timeout = 15min\n"

PRODUCTS = [("Camiseta de algodón orgánico", 19.90), ("Кружка «Москва»", 7.50),
            ("Zapatillas de montaña", 89.00), ("Чайник электрический", 34.99),
            ("Libro: Cien años de soledad", 12.95), ("Рюкзак городской", 45.00)]


def make_events(n, seed=14):
    """n events as dicts (name, subscriber_id, properties, occurred_at, idempotency_key)"""
    rnd = random.Random(seed)
    base = time.time() - 3600
    out = []
    for i in range(n):
        sid = rnd.randrange(SUBSCRIBERS)  # an offset; the real ids are added later
        at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(base + i * 0.01))
        kind = rnd.random()
        if kind < 0.5:
            items = []
            for p in rnd.sample(PRODUCTS, 3):
                q = rnd.randint(1, 3)
                items.append({"name": p[0], "price": p[1], "quantity": q,
                              "image_url": "https://shop.example/img/%d.jpg" % PRODUCTS.index(p),
                              "url": "https://shop.example/p/%d" % PRODUCTS.index(p)})
            props = {"cart_id": "c-%d" % i, "cart_url": "https://shop.example/cart/%d" % i,
                     "items": items, "currency": "EUR",
                     "total": round(sum(it["price"] * it["quantity"] for it in items), 2)}
            name = "cart_updated"
        elif kind < 0.9:
            p = rnd.choice(PRODUCTS)
            props = {"product": p[0], "price": p[1], "url": "https://shop.example/p/%d"
                     % PRODUCTS.index(p), "referrer": "newsletter"}
            name = "product_viewed"
        else:
            props = {"order_id": "o-%d" % i, "revenue": "%.2f" % rnd.uniform(5, 300),
                     "currency": "EUR", "comment": "¿Envío urgente? Да, пожалуйста."}
            name = "order_completed"
        out.append({"subscriber_id": sid, "name": name, "properties": props, "occurred_at": at,
                    "idempotency_key": "bench-%d" % i})
    return out


def post_all(port, cookie, csrf, bodies, results):
    """posts bodies over one keep-alive connection; appends each status to results"""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    headers = {"Content-Type": "application/json", "Cookie": cookie, "X-CSRF-Token": csrf}
    for body in bodies:
        conn.request("POST", "/api/v1/events", body=body, headers=headers)
        resp = conn.getresponse()
        data = resp.read()
        results.append((resp.status, json.loads(data).get("accepted") if resp.status == 202
                        else data[:300]))
    conn.close()


def psql_copy(cluster, dbname, script):
    """runs script (COPY statements with their rows) in one psql session; returns the process"""
    argv = (harness.pg_bin("psql"), "-h", cluster.socket_dir, "-U", harness.CLUSTER_USER, "-d",
            dbname, "-qtAX", "-v", "ON_ERROR_STOP=1", "-f", "-")
    if cluster.user:
        argv = ("runuser", "-u", harness.CLUSTER_USER, "--") + argv
    p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, cwd="/")
    p.stdin.write(script)
    p.stdin.close()
    return p


def csv_field(text):
    return '"' + text.replace('"', '""') + '"'


def copy_scripts(events, first_id, clients):
    """one psql script per client: a COPY (one transaction) per BATCH rows"""
    batches = [events[i:i + BATCH] for i in range(0, len(events), BATCH)]
    scripts = []
    for c in range(clients):
        parts = []
        for batch in batches[c::clients]:
            parts.append("COPY events (subscriber_id, name, properties, occurred_at,"
                         " idempotency_key) FROM STDIN WITH (FORMAT csv);\n")
            for e in batch:
                parts.append("%d,%s,%s,%s,%s\n" % (
                    first_id + e["subscriber_id"], e["name"],
                    csv_field(json.dumps(e["properties"], ensure_ascii=False,
                                         separators=(",", ":"))),
                    e["occurred_at"], csv_field(e["idempotency_key"])))
            parts.append("\\.\n")
        scripts.append("".join(parts).encode())
    return scripts


def cpu(pid):
    """CPU seconds of process pid and of its children that ended"""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    tick = os.sysconf("SC_CLK_TCK")
    return sum(int(x) for x in fields[11:15]) / tick


def postgres_cpu(cluster):
    """CPU seconds of the cluster's processes so far (the postmaster's children, live or ended)"""
    with open(os.path.join(cluster.data, "postmaster.pid")) as f:
        postmaster = int(f.readline())
    total = cpu(postmaster)
    for pid in os.listdir("/proc"):
        try:
            with open("/proc/%s/stat" % pid) as f:
                parent = int(f.read().rsplit(")", 1)[1].split()[1])
            if parent == postmaster:
                total += cpu(int(pid))
        except (OSError, ValueError):
            continue
    return total


def load():
    with open("/proc/loadavg") as f:
        return f.read().split()[0]


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    n = int(args[0]) if args else 100000
    clients = 4
    for a in sys.argv[1:]:
        if a.startswith("--clients="):
            clients = int(a.split("=", 1)[1])
    events = make_events(n)
    cluster = harness.PgCluster(SETTINGS)
    server = None
    try:
        dsn = cluster.new_database()
        dbname = dsn.split("dbname=")[1].split()[0]
        server = harness.Server(dsn=dsn)
        api = server.client()
        assert api.login("admin@localhost", server.admin_password).status == 200
        cluster.psql(dbname, "INSERT INTO subscribers (email, name) SELECT 'bench' || i ||"
                             " '@example.org', 'Suscriptor ' || i FROM generate_series(1, %d) i"
                             % SUBSCRIBERS)
        first_id = int(cluster.psql(dbname, "SELECT min(id) FROM subscribers"))
        bodies = []
        for i in range(0, n, BATCH):
            batch = [dict(e, subscriber_id=first_id + e["subscriber_id"])
                     for e in events[i:i + BATCH]]
            bodies.append(json.dumps({"events": batch}, ensure_ascii=False).encode())
        size = sum(len(b) for b in bodies)
        print("%d events in %d batches of %d, %.1f MB of JSON, %d clients; %d subscribers"
              % (n, len(bodies), BATCH, size / 1e6, clients, SUBSCRIBERS))
        cluster.psql(dbname, "VACUUM ANALYZE")

        # the API
        results, threads = [], []
        before = load()
        cpu_before = (cpu(server.process.pid), postgres_cpu(cluster))
        start = time.perf_counter()
        for c in range(clients):
            t = threading.Thread(target=post_all, args=(server.port, api.cookie, api.csrf,
                                                        bodies[c::clients], results))
            t.start()
            threads.append(t)
        for t in threads:
            t.join()
        api_seconds = time.perf_counter() - start
        cpu_used = (cpu(server.process.pid) - cpu_before[0], postgres_cpu(cluster) - cpu_before[1])
        bad = [r for r in results if r[0] != 202 or r[1] != BATCH]
        assert not bad, bad[:3]
        stored = int(cluster.psql(dbname, "SELECT count(*) FROM events"))
        orders = int(cluster.psql(dbname, "SELECT count(*) FROM conversions"))
        assert stored == n, stored
        api_rate = n / api_seconds
        print("API:  %d events in %.2f s = %.0f events/s (load %s before, %s after; %d"
              " conversions)" % (n, api_seconds, api_rate, before, load(), orders))
        print("      CPU: mailcast %.2f s, PostgreSQL %.2f s" % cpu_used)

        # the peer: the same rows by COPY, into the same table emptied
        cluster.psql(dbname, "TRUNCATE events CASCADE")
        cluster.psql(dbname, "VACUUM ANALYZE events")
        scripts = copy_scripts(events, first_id, clients)
        before = load()
        pg_before = postgres_cpu(cluster)
        start = time.perf_counter()
        procs = [psql_copy(cluster, dbname, s) for s in scripts]
        codes = [p.wait() for p in procs]
        copy_seconds = time.perf_counter() - start
        assert codes == [0] * clients, codes
        pg_used = postgres_cpu(cluster) - pg_before
        assert int(cluster.psql(dbname, "SELECT count(*) FROM events")) == n
        copy_rate = n / copy_seconds
        print("COPY: %d events in %.2f s = %.0f events/s (load %s before, %s after)"
              % (n, copy_seconds, copy_rate, before, load()))
        print("      CPU: PostgreSQL %.2f s" % pg_used)
        print("the API reaches %.0f%% of COPY's rate" % (100 * api_rate / copy_rate))
    finally:
        if server:
            server.stop()
        cluster.destroy()


if __name__ == "__main__":
    main()
