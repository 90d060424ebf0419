"""The embedded default: with no database URL, mailcast runs a private PostgreSQL cluster
under <data_dir>/pg, shared by the processes that use it and stopped by the last one."""

import os
import shutil
import subprocess
import unittest

from harness import (check_sanitizers, Server, base_env, make_temp_dir, pg_bin, run_mailcast, MAILCAST_BIN,
                     SOURCE_DIR, CLUSTER_USER)
import glob

MIGRATION_COUNT = len(glob.glob(os.path.join(SOURCE_DIR, "migrations", "[0-9]*_*.sql")))


def cluster_running(data_dir):
    pg_data = os.path.join(os.path.realpath(os.path.join(data_dir, "pg")), "data")
    argv = [pg_bin("pg_ctl"), "status", "-D", pg_data]
    if os.geteuid() == 0:
        argv = ["runuser", "-u", CLUSTER_USER, "--"] + argv
    return subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd="/").returncode == 0


def remove_data(data_dir):
    target = os.path.realpath(os.path.join(data_dir, "pg"))
    shutil.rmtree(data_dir, ignore_errors=True)
    if target.startswith("/var/lib/mailcast/"):
        shutil.rmtree(target, ignore_errors=True)


class EmbeddedTest(unittest.TestCase):
    def test_serve_starts_the_cluster_and_a_second_start_reuses_the_data(self):
        data_dir = make_temp_dir("mailcast-embedded-")
        try:
            first = Server(data_dir=data_dir)
            c = first.client()
            self.assertEqual(c.request("GET", "/healthz").status, 200)
            self.assertTrue(first.admin_password)
            self.assertEqual(c.login("admin@localhost", first.admin_password).status, 200)
            token = c.request("POST", "/api/v1/tokens", {"name": "kept across restarts"}).json()
            self.assertTrue(os.path.exists(os.path.join(data_dir, "pg", "socket")))
            self.assertEqual(first.stop(), 0)
            self.assertFalse(cluster_running(data_dir), "the cluster outlived its last user")

            second = Server(data_dir=data_dir)
            self.assertIsNone(second.admin_password)  # no new admin, no new password
            self.assertTrue(any("initial password in" in l for l in second.stdout_lines), second.stdout_lines)
            c = second.client()
            self.assertEqual(c.login("admin@localhost", first.admin_password).status, 200)
            ids = [t["id"] for t in c.request("GET", "/api/v1/tokens").json()["items"]]
            self.assertIn(token["id"], ids)
            self.assertEqual(second.stop(), 0)
            self.assertFalse(cluster_running(data_dir))
        finally:
            remove_data(data_dir)

    def test_migrate_processes_started_together_share_one_cluster(self):
        data_dir = make_temp_dir("mailcast-embedded-")
        try:
            env = base_env(MAILCAST_PATHS_DATA_DIR=data_dir)
            procs = [subprocess.Popen([MAILCAST_BIN, "migrate"], env=env, stdout=subprocess.PIPE,
                                      stderr=subprocess.PIPE, text=True) for _ in range(2)]
            outputs = [p.communicate(timeout=180) for p in procs]
            for p, (_, err) in zip(procs, outputs):
                self.assertEqual(p.returncode, 0, err)
            check_sanitizers(err, "mailcast migrate")
            self.assertEqual(sum(err.count("applied migration ") for _, err in outputs), MIGRATION_COUNT)
            self.assertEqual(sum(err.count("initializing the embedded") for _, err in outputs), 1)
            self.assertFalse(cluster_running(data_dir))
        finally:
            remove_data(data_dir)

    def test_a_process_that_joins_a_running_cluster_leaves_it_running(self):
        data_dir = make_temp_dir("mailcast-embedded-")
        try:
            server = Server(data_dir=data_dir)
            result = run_mailcast("migrate", env=base_env(MAILCAST_PATHS_DATA_DIR=data_dir))
            self.assertEqual(result.returncode, 0, result.stderr)
            self.assertTrue(cluster_running(data_dir))
            self.assertEqual(server.client().request("GET", "/healthz").status, 200)
            self.assertEqual(server.stop(), 0)
            self.assertFalse(cluster_running(data_dir))
        finally:
            remove_data(data_dir)

    @unittest.skipUnless(os.geteuid() == 0, "only root runs the cluster as another user")
    def test_data_dir_the_cluster_user_cannot_reach_moves_the_cluster_aside(self):
        private = make_temp_dir("mailcast-private-")
        os.chmod(private, 0o700)  # like a checkout under /root
        data_dir = os.path.join(private, "var")
        try:
            server = Server(data_dir=data_dir)
            self.assertEqual(server.client().request("GET", "/healthz").status, 200)
            link = os.path.join(data_dir, "pg")
            self.assertTrue(os.path.islink(link))
            self.assertTrue(os.readlink(link).startswith("/var/lib/mailcast/"))
            self.assertEqual(server.stop(), 0)
        finally:
            remove_data(data_dir)
            shutil.rmtree(private, ignore_errors=True)


if __name__ == "__main__":
    unittest.main()
