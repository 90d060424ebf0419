"""Migrations: fresh, re-run, concurrent processes, and a failing file that changes nothing."""

import glob
import os
import shutil
import subprocess
import unittest

from harness import check_sanitizers, PgCluster, base_env, make_temp_dir, run_mailcast, MAILCAST_BIN, SOURCE_DIR

cluster = None
MIGRATION_COUNT = len(glob.glob(os.path.join(SOURCE_DIR, "migrations", "[0-9]*_*.sql")))


def setUpModule():
    global cluster
    cluster = PgCluster()


def tearDownModule():
    cluster.destroy()


def env_for(dsn, **extra):
    return base_env(MAILCAST_DATABASE_URL=dsn, MAILCAST_PATHS_DATA_DIR=make_temp_dir("mailcast-data-"), **extra)


def dbname(dsn):
    return dict(part.split("=", 1) for part in dsn.split())["dbname"]


class MigrationTest(unittest.TestCase):
    def test_fresh_database_gets_every_migration_once(self):
        dsn = cluster.new_database()
        result = run_mailcast("migrate", env=env_for(dsn))
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertGreater(MIGRATION_COUNT, 0)
        self.assertEqual(cluster.psql(dbname(dsn), "SELECT count(*) FROM schema_migrations"), str(MIGRATION_COUNT))
        self.assertEqual(cluster.psql(dbname(dsn), "SELECT to_regclass('users') IS NOT NULL"), "t")

    def test_rerun_applies_nothing(self):
        dsn = cluster.new_database()
        env = env_for(dsn)
        self.assertEqual(run_mailcast("migrate", env=env).returncode, 0)
        before = cluster.psql(dbname(dsn), "SELECT string_agg(version || '@' || applied_at, ',' ORDER BY version) FROM schema_migrations")
        again = run_mailcast("migrate", env=env)
        self.assertEqual(again.returncode, 0, again.stderr)
        self.assertNotIn("applied migration", again.stderr)
        after = cluster.psql(dbname(dsn), "SELECT string_agg(version || '@' || applied_at, ',' ORDER BY version) FROM schema_migrations")
        self.assertEqual(before, after)

    def test_subscriber_search_is_served_by_trigram_indexes(self):
        dsn = cluster.new_database()
        self.assertEqual(run_mailcast("migrate", env=env_for(dsn)).returncode, 0)
        # the listing's search condition (server/audience/subscribers.c); a table this small
        # would be read whole, so the plan is asked for without that choice
        plan = cluster.psql(dbname(dsn), "SET enable_seqscan = off; EXPLAIN SELECT s.id FROM subscribers s"
                            " WHERE s.email ILIKE '%nadie%' OR s.name ILIKE '%nadie%'")
        self.assertIn("subscribers_email_trgm_idx", plan)
        self.assertIn("subscribers_name_trgm_idx", plan)

    def test_a_database_that_cannot_create_pg_trgm_still_migrates(self):
        name = dbname(cluster.new_database())
        role = "no_ext_" + name
        cluster.psql("postgres", "CREATE ROLE %s LOGIN; ALTER DATABASE %s OWNER TO %s;"
                     " REVOKE CREATE ON DATABASE %s FROM %s, PUBLIC" % (role, name, role, name, role))
        cluster.psql(name, "ALTER SCHEMA public OWNER TO %s" % role)
        dsn = "host=%s dbname=%s user=%s" % (cluster.socket_dir, name, role)
        result = run_mailcast("migrate", env=env_for(dsn))
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(cluster.psql(name, "SELECT count(*) FROM schema_migrations"), str(MIGRATION_COUNT))
        self.assertEqual(cluster.psql(name, "SELECT count(*) FROM pg_extension WHERE extname = 'pg_trgm'"), "0")
        self.assertEqual(cluster.psql(name, "SELECT to_regclass('subscribers_email_trgm_idx') IS NULL"), "t")

    def test_postgresql_notices_stay_out_of_the_output(self):
        # a re-run meets "relation ... already exists, skipping" notices from IF NOT EXISTS
        dsn = cluster.new_database()
        env = env_for(dsn)
        self.assertEqual(run_mailcast("migrate", env=env).returncode, 0)
        again = run_mailcast("migrate", env=env)
        self.assertEqual(again.returncode, 0, again.stderr)
        self.assertNotIn("NOTICE", again.stderr + again.stdout)
        self.assertNotIn("already exists", again.stderr + again.stdout)

    def test_processes_started_together_apply_each_migration_once(self):
        dsn = cluster.new_database()
        procs = [subprocess.Popen([MAILCAST_BIN, "migrate"], env=env_for(dsn), stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True) for _ in range(4)]
        outputs = [p.communicate(timeout=120) for p in procs]
        for p, (out, err) in zip(procs, outputs):
            self.assertEqual(p.returncode, 0, err)
            check_sanitizers(err, "mailcast migrate")
        applied = sum(err.count("applied migration ") for _, err in outputs)
        self.assertEqual(applied, MIGRATION_COUNT)
        self.assertEqual(cluster.psql(dbname(dsn), "SELECT count(*) FROM schema_migrations"), str(MIGRATION_COUNT))

    def test_failing_migration_leaves_the_schema_as_it_was_and_names_file_and_line(self):
        dsn = cluster.new_database()
        folder = make_temp_dir("mailcast-migrations-")
        for path in glob.glob(os.path.join(SOURCE_DIR, "migrations", "*.sql")):
            shutil.copy(path, folder)
        with open(os.path.join(folder, "9000_broken.sql"), "w") as f:
            f.write("CREATE TABLE half_done (id int);\n\n-- the next statement fails\nALTER TABLE no_such_table ADD COLUMN x int;\n")
        result = run_mailcast("migrate", env=env_for(dsn, MAILCAST_PATHS_MIGRATIONS_DIR=folder))
        self.assertEqual(result.returncode, 1)
        self.assertIn("9000_broken.sql:4", result.stderr)
        self.assertIn("no_such_table", result.stderr)
        self.assertEqual(cluster.psql(dbname(dsn), "SELECT to_regclass('half_done') IS NULL"), "t")
        self.assertEqual(cluster.psql(dbname(dsn), "SELECT count(*) FROM schema_migrations WHERE version = 9000"), "0")
        # the earlier migrations did land, each in its own transaction
        self.assertEqual(cluster.psql(dbname(dsn), "SELECT count(*) FROM schema_migrations"), str(MIGRATION_COUNT))
        shutil.rmtree(folder)


if __name__ == "__main__":
    unittest.main()
