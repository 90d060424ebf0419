#!/usr/bin/python3
"""Copies after crashes: a campaign to N subscribers (default 5,000) sent by one `mailcast
worker` to a real SMTP peer on loopback (aiosmtpd, the integration tests' peer), the worker
killed with SIGKILL every K seconds (default 1.5) M times (default 8) and started again each
time, then left to finish. Prints how many recipients the peer got, how many copies beyond one
(resent after a kill), and how many messages the queue marks as possible duplicates. Queue
settings are the defaults, apart from a short retry delay so that messages cut off by a kill are
tried again within the run.

Usage: MAILCAST_BIN=build/mailcast bench/crash/run.py [N] [--kills M] [--every K]
Build mailcast without sanitizers first (scripts/run builds build/ with -O2)."""

import argparse
import os
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "integration"))
from harness import MAILCAST_BIN, PgCluster, Server, base_env  # noqa: E402
from mail_peer import SmtpPeer, temp_dir, write_config  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("recipients", nargs="?", type=int, default=5000)
    parser.add_argument("--kills", type=int, default=8)
    parser.add_argument("--every", type=float, default=1.5)
    args = parser.parse_args()
    cluster = PgCluster()
    tmp = temp_dir()
    try:
        with SmtpPeer() as peer:
            run(cluster, tmp.name, peer, args)
    finally:
        tmp.cleanup()
        cluster.destroy()


def accepted(peer):
    with peer.recorder.lock:
        return [rcpt for _, rcpts, _ in peer.recorder.messages for rcpt in rcpts]


def run(cluster, folder, peer, args):
    dsn = cluster.new_database()
    db = dsn.split("dbname=")[1].split()[0]
    config = write_config(folder, peer.port, timeout=30)
    server = Server(dsn=dsn, args=("--config", config, "--no-worker"))
    workers = []
    try:
        api = server.client()
        api.login("admin@localhost", server.admin_password)
        lst = api.request("POST", "/api/v1/lists", {"name": "Crash"}).json()
        cluster.psql(db, "INSERT INTO subscribers (email, name) SELECT 'r' || g || '@example.org',"
                         " 'Получатель ' || g FROM generate_series(1, %d) g;"
                         " INSERT INTO list_subscribers (list_id, subscriber_id, status)"
                         " SELECT %d, id, 'confirmed' FROM subscribers" % (args.recipients, lst["id"]))
        c = api.request("POST", "/api/v1/campaigns", {
            "name": "Crash", "subject": "Hola {{name}}", "from_email": "news@example.com",
            "body": "<p>{{name}}</p>", "lists": [lst["id"]]}).json()
        api.request("POST", "/api/v1/campaigns/%d/send" % c["id"])
        env = base_env(MAILCAST_DATABASE_URL=dsn, MAILCAST_PATHS_DATA_DIR=server.data_dir,
                       MAILCAST_QUEUE_RETRY_BASE_SECONDS="1", MAILCAST_QUEUE_RETRY_MAX_SECONDS="2",
                       MAILCAST_QUEUE_LEASE_SECONDS="5")

        def start():
            w = subprocess.Popen([MAILCAST_BIN, "worker", "--config", config], env=env,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            workers.append(w)
            return w

        start_time = time.monotonic()
        for _ in range(args.kills):
            w = start()
            time.sleep(args.every)
            w.send_signal(signal.SIGKILL)
            w.wait()
        start()
        while api.request("GET", "/api/v1/campaigns/%d" % c["id"]).json()["state"] != "finished":
            time.sleep(0.2)
        elapsed = time.monotonic() - start_time
        got = accepted(peer)
        copies = {}
        for rcpt in got:
            copies[rcpt] = copies.get(rcpt, 0) + 1
        rows = cluster.psql(db, "SELECT count(*) FILTER (WHERE state = 'sent') || ' ' ||"
                                " count(*) FILTER (WHERE possible_duplicate) FROM messages"
                                " WHERE campaign_id = %d" % c["id"]).split()
        sent, flagged = int(rows[0]), int(rows[1])
        twice = {a for a, n in copies.items() if n > 1}
        flags = set(cluster.psql(db, "SELECT email FROM messages WHERE possible_duplicate AND"
                                     " campaign_id = %d" % c["id"]).split())
        print("%d recipients, worker killed -9 %d times every %.1f s: finished in %.1f s"
              % (args.recipients, args.kills, args.every, elapsed))
        print("  the peer got %d of %d addresses (%d missing); %d extra copies (%d addresses);"
              " %d messages sent" % (len(copies), args.recipients, args.recipients - len(copies),
                                     len(got) - len(copies), len(twice), sent))
        print("  %d marked possible_duplicate; addresses got twice but not marked: %d"
              % (flagged, len(twice - flags)))
    finally:
        for w in workers:
            if w.poll() is None:
                w.send_signal(signal.SIGTERM)
                w.wait()
        server.stop()


if __name__ == "__main__":
    main()
