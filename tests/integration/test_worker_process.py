"""`mailcast worker` and `serve --no-worker`: the worker runs alone, migrates, does its
housekeeping, and stops cleanly on SIGTERM."""

import subprocess
import threading
import time
import unittest

from harness import (MAILCAST_BIN, PgCluster, Server, base_env, check_sanitizers, make_temp_dir)

cluster = None


def setUpModule():
    global cluster
    cluster = PgCluster()


def tearDownModule():
    cluster.destroy()


def dbname(dsn):
    return dict(part.split("=", 1) for part in dsn.split())["dbname"]


class WorkerProcessTest(unittest.TestCase):
    def test_worker_migrates_prunes_expired_sessions_and_stops_on_sigterm(self):
        dsn = cluster.new_database()
        env = base_env(MAILCAST_DATABASE_URL=dsn, MAILCAST_PATHS_DATA_DIR=make_temp_dir("mailcast-data-"))
        proc = subprocess.Popen([MAILCAST_BIN, "worker"], env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        lines = []
        reader = threading.Thread(target=lambda: lines.extend(proc.stderr), daemon=True)
        reader.start()
        deadline = time.time() + 60
        while time.time() < deadline and not any("worker running" in l for l in lines):
            time.sleep(0.05)
        self.assertTrue(any("worker running" in l for l in lines), "".join(lines))
        # nothing configures a sender: start-up says so
        self.assertTrue(any("[mail] from_email is empty" in l for l in lines), "".join(lines))
        self.assertTrue(any("[mail] postal_address is empty" in l for l in lines))
        # an expired session is pruned by the worker's housekeeping, which runs at start
        cluster.psql(dbname(dsn), "INSERT INTO users (email, password_hash) VALUES ('x@example.com', 'x')")
        cluster.psql(dbname(dsn), "INSERT INTO sessions (token_hash, csrf_token, user_id, expires_at)"
                                  " SELECT '\\x00', 'c', id, now() - interval '1 hour' FROM users")
        proc.send_signal(15)
        self.assertEqual(proc.wait(timeout=60), 0)
        reader.join(5)
        check_sanitizers("".join(lines), "mailcast worker")
        self.assertTrue(any("stopping the worker" in l for l in lines))
        # started again, its first housekeeping pass removes the expired session
        proc = subprocess.Popen([MAILCAST_BIN, "worker"], env=env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, text=True)
        deadline = time.time() + 60
        while time.time() < deadline and cluster.psql(dbname(dsn), "SELECT count(*) FROM sessions") != "0":
            time.sleep(0.1)
        proc.send_signal(15)
        _, err = proc.communicate(timeout=60)
        check_sanitizers(err, "mailcast worker")
        self.assertEqual(cluster.psql(dbname(dsn), "SELECT count(*) FROM sessions"), "0")

    def test_serve_without_worker_still_answers(self):
        server = Server(dsn=cluster.new_database(), args=("--no-worker",))
        try:
            self.assertEqual(server.client().request("GET", "/healthz").status, 200)
            self.assertFalse(any("with the worker loop" in l for l in server.stderr_lines))
        finally:
            self.assertEqual(server.stop(), 0)


if __name__ == "__main__":
    unittest.main()
