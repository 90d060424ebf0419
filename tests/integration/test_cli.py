"""The command line: --help everywhere, exit status 2 for bad usage and bad configuration."""

import os
import unittest

from harness import base_env, make_temp_dir, run_mailcast

SUBCOMMANDS = ["serve", "worker", "migrate", "user", "token", "version", "render", "send-test"]


def write_config(text):
    path = os.path.join(make_temp_dir("mailcast-config-"), "mailcast.ini")
    with open(path, "w") as f:
        f.write(text)
    return path


class CliTest(unittest.TestCase):
    def test_every_subcommand_has_help(self):
        for name in SUBCOMMANDS:
            result = run_mailcast(name, "--help")
            self.assertEqual(result.returncode, 0, name)
            self.assertIn("usage: mailcast " + name, result.stdout)
        top = run_mailcast("--help")
        self.assertEqual(top.returncode, 0)
        for name in SUBCOMMANDS:
            self.assertIn(name, top.stdout)

    def test_unknown_subcommand_exits_2(self):
        result = run_mailcast("sevre")
        self.assertEqual(result.returncode, 2)
        self.assertIn("unknown command 'sevre'", result.stderr)

    def test_unknown_flag_exits_2(self):
        for name in SUBCOMMANDS:
            result = run_mailcast(name, "--frobnicate")
            self.assertEqual(result.returncode, 2, name)
            self.assertIn("unknown option '--frobnicate'", result.stderr)

    def test_missing_flag_value_and_extra_arguments_exit_2(self):
        self.assertEqual(run_mailcast("serve", "--config").returncode, 2)
        self.assertEqual(run_mailcast("migrate", "extra").returncode, 2)
        self.assertEqual(run_mailcast("user", "add").returncode, 2)
        self.assertEqual(run_mailcast("user", "remove", "a@b.c").returncode, 2)
        self.assertEqual(run_mailcast("token", "make", "x").returncode, 2)

    def test_unknown_key_names_file_line_and_key(self):
        path = write_config("[server]\nlisten = 127.0.0.1:0\n\n[database]\nurll = postgres://x\n")
        for name in ["serve", "worker", "migrate"]:
            result = run_mailcast(name, "--config", path)
            self.assertEqual(result.returncode, 2, result.stderr)
            self.assertIn("%s:5" % path, result.stderr)
            self.assertIn("urll", result.stderr)

    def test_bad_value_names_file_line_and_key(self):
        path = write_config("[database]\npool_size = -3\n")
        result = run_mailcast("serve", "--config", path)
        self.assertEqual(result.returncode, 2)
        self.assertIn("%s:2" % path, result.stderr)
        self.assertIn("pool_size", result.stderr)

    def test_bad_line_is_refused(self):
        path = write_config("[server]\nthis is not a key value line\n")
        result = run_mailcast("migrate", "--config", path)
        self.assertEqual(result.returncode, 2)
        self.assertIn("%s:2" % path, result.stderr)

    def test_unreadable_file_exits_2(self):
        result = run_mailcast("serve", "--config", "/nonexistent/mailcast.ini")
        self.assertEqual(result.returncode, 2)
        self.assertIn("/nonexistent/mailcast.ini", result.stderr)

    def test_environment_override_is_checked_like_the_file(self):
        env = base_env(MAILCAST_SERVER_LISTEN="nonsense")
        result = run_mailcast("serve", env=env)
        self.assertEqual(result.returncode, 2)
        self.assertIn("MAILCAST_SERVER_LISTEN", result.stderr)

    def test_config_file_from_environment_variable(self):
        path = write_config("[server]\nthreads = zero\n")
        result = run_mailcast("migrate", env=base_env(MAILCAST_CONFIG=path))
        self.assertEqual(result.returncode, 2)
        self.assertIn("%s:2" % path, result.stderr)

    def test_example_configuration_is_valid_as_shipped(self):
        from harness import SOURCE_DIR
        example = os.path.join(SOURCE_DIR, "config.example.ini")
        # version parses no configuration; migrate with an unreachable database shows the file was accepted
        env = base_env(MAILCAST_DATABASE_URL="host=/nonexistent dbname=x connect_timeout=2",
                       MAILCAST_PATHS_DATA_DIR=make_temp_dir("mailcast-data-"))
        result = run_mailcast("migrate", "--config", example, env=env)
        self.assertEqual(result.returncode, 1, result.stderr)
        self.assertIn("cannot connect to PostgreSQL", result.stderr)


if __name__ == "__main__":
    unittest.main()
