"""Authentication: sessions with CSRF, API tokens, throttling, and 401 on every API route."""

import re
import unittest

from harness import PgCluster, ServerTestCase, openapi_routes, run_mailcast, base_env

cluster = None


def setUpModule():
    global cluster
    cluster = PgCluster()


def tearDownModule():
    cluster.destroy()


class SessionTest(ServerTestCase, unittest.TestCase):
    cluster_of = staticmethod(lambda: cluster)

    def logged_in(self):
        c = self.server.client()
        r = c.login("admin@localhost", self.server.admin_password)
        self.assertEqual(r.status, 200, r)
        return c

    def test_first_start_creates_admin_with_printed_password(self):
        self.assertTrue(self.server.admin_password)
        with open(self.server.data_dir + "/initial-admin-password") as f:
            self.assertEqual(f.read().strip(), self.server.admin_password)

    def test_login_sets_a_strict_http_only_cookie_and_returns_csrf_token(self):
        c = self.server.client()
        r = c.login("ADMIN@localhost ", self.server.admin_password)
        self.assertEqual(r.status, 200, r)
        cookie = r.header("Set-Cookie")
        self.assertIn("HttpOnly", cookie)
        self.assertIn("SameSite=Strict", cookie)
        self.assertNotIn("Secure", cookie)  # public_url is http here
        self.assertEqual(r.json()["user"]["email"], "admin@localhost")
        self.assertGreater(len(r.json()["csrf_token"]), 20)
        me = c.request("GET", "/api/v1/auth/me")
        self.assertEqual(me.status, 200)
        self.assertEqual(me.json()["user"]["email"], "admin@localhost")

    def test_wrong_password_is_refused(self):
        r = self.server.client().login("admin@localhost", "not the password")
        self.assertEqual(r.status, 401)
        self.assertEqual(r.json()["error"]["code"], "invalid_credentials")

    def test_state_change_without_csrf_token_is_refused(self):
        c = self.logged_in()
        csrf, c.csrf = c.csrf, None
        r = c.request("POST", "/api/v1/tokens", {"name": "x"})
        self.assertEqual(r.status, 403)
        self.assertEqual(r.json()["error"]["code"], "csrf_failed")
        r = c.request("POST", "/api/v1/tokens", {"name": "x"}, headers={"X-CSRF-Token": csrf + "x"})
        self.assertEqual(r.status, 403)
        r = c.request("POST", "/api/v1/tokens", {"name": "x"}, headers={"X-CSRF-Token": csrf})
        self.assertEqual(r.status, 201, r)

    def test_logout_ends_the_session(self):
        c = self.logged_in()
        self.assertEqual(c.request("POST", "/api/v1/auth/logout").status, 204)
        r = c.request("GET", "/api/v1/auth/me")
        self.assertEqual(r.status, 401)

    def test_api_token_created_over_http_works_until_revoked(self):
        c = self.logged_in()
        r = c.request("POST", "/api/v1/tokens", {"name": "deploy script ñ"})
        self.assertEqual(r.status, 201, r)
        created = r.json()
        self.assertEqual(created["name"], "deploy script ñ")
        self.assertTrue(created["token"].startswith("mc_"))
        listed = c.request("GET", "/api/v1/tokens?total=true").json()
        self.assertIn(created["id"], [t["id"] for t in listed["items"]])
        self.assertNotIn("token", listed["items"][0])
        self.assertGreaterEqual(listed["total"], 1)

        bearer = self.server.client()
        bearer.token = created["token"]
        self.assertEqual(bearer.request("GET", "/api/v1/tokens").status, 200)
        # a bearer needs no CSRF token
        self.assertEqual(bearer.request("POST", "/api/v1/tokens", {"name": "other"}).status, 201)

        self.assertEqual(c.request("DELETE", "/api/v1/tokens/%d" % created["id"]).status, 204)
        r = bearer.request("GET", "/api/v1/tokens")
        self.assertEqual(r.status, 401)
        self.assertEqual(c.request("DELETE", "/api/v1/tokens/%d" % created["id"]).status, 404)

    def test_token_from_cli_authenticates(self):
        env = base_env(MAILCAST_DATABASE_URL=self.dsn, MAILCAST_PATHS_DATA_DIR=self.server.data_dir)
        result = run_mailcast("token", "create", "cron", env=env)
        self.assertEqual(result.returncode, 0, result.stderr)
        token = result.stdout.strip()
        self.assertRegex(token, r"^mc_[A-Za-z0-9_-]{43}$")
        c = self.server.client()
        c.token = token
        self.assertEqual(c.request("GET", "/api/v1/auth/me").json()["kind"], "token")
        c.token = token[:-1] + ("A" if token[-1] != "A" else "B")
        self.assertEqual(c.request("GET", "/api/v1/auth/me").status, 401)

    def test_token_list_paginates_with_a_cursor(self):
        c = self.logged_in()
        for i in range(3):
            self.assertEqual(c.request("POST", "/api/v1/tokens", {"name": "page %d" % i}).status, 201)
        seen, cursor = [], ""
        for _ in range(20):
            r = c.request("GET", "/api/v1/tokens?limit=2&cursor=" + cursor).json()
            self.assertLessEqual(len(r["items"]), 2)
            seen += [t["id"] for t in r["items"]]
            if not r["next_cursor"]:
                break
            cursor = r["next_cursor"]
        self.assertEqual(seen, sorted(set(seen)))
        self.assertGreaterEqual(len(seen), 3)
        self.assertEqual(c.request("GET", "/api/v1/tokens?limit=0").status, 400)
        self.assertEqual(c.request("GET", "/api/v1/tokens?limit=1001").status, 400)
        self.assertEqual(c.request("GET", "/api/v1/tokens?cursor=abc").json()["error"]["field"], "cursor")

    def test_user_add_reads_password_from_stdin(self):
        env = base_env(MAILCAST_DATABASE_URL=self.dsn, MAILCAST_PATHS_DATA_DIR=self.server.data_dir)
        result = run_mailcast("user", "add", "ana@example.com", env=env, input="contraseña-segura\n")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(self.server.client().login("ana@example.com", "contraseña-segura").status, 200)
        again = run_mailcast("user", "add", "Ana@Example.com", env=env, input="another-password\n")
        self.assertEqual(again.returncode, 2)
        self.assertIn("exists", again.stderr)
        short = run_mailcast("user", "add", "bo@example.com", env=env, input="short\n")
        self.assertEqual(short.returncode, 2)
        self.assertIn("at least 8", short.stderr)


class AnonymousTest(ServerTestCase, unittest.TestCase):
    cluster_of = staticmethod(lambda: cluster)

    def test_every_api_route_except_login_refuses_anonymous_requests(self):
        routes = [r for r in openapi_routes() if r[1].startswith("/api/v1/")]
        self.assertGreater(len(routes), 3)
        c = self.server.client()
        for method, path in routes:
            concrete = re.sub(r"\{[^}]+\}", "1", path)
            r = c.request(method, concrete, raw=b"{}" if method in ("POST", "PUT", "PATCH") else None)
            if path == "/api/v1/auth/login":
                self.assertEqual(r.status, 400, r)  # no credentials needed, so the body is checked
                continue
            self.assertEqual(r.status, 401, "%s %s answered %s" % (method, path, r))
            self.assertEqual(r.json()["error"]["code"], "unauthorized")

    def test_malformed_bearer_header_is_refused(self):
        c = self.server.client()
        r = c.request("GET", "/api/v1/tokens", headers={"Authorization": "Basic YWJj"})
        self.assertEqual(r.status, 401)

    def test_forged_session_cookie_is_refused(self):
        c = self.server.client()
        c.cookie = "mailcast_session=forged"
        self.assertEqual(c.request("GET", "/api/v1/auth/me").status, 401)


class AccountThrottleTest(ServerTestCase, unittest.TestCase):
    cluster_of = staticmethod(lambda: cluster)

    def test_five_failures_for_an_account_within_a_minute_slow_down_further_tries(self):
        c = self.server.client()
        for _ in range(5):
            self.assertEqual(c.login("admin@localhost", "wrong password").status, 401)
        r = c.login("admin@localhost", self.server.admin_password)
        self.assertEqual(r.status, 429, r)
        self.assertEqual(r.json()["error"]["code"], "too_many_attempts")
        self.assertTrue(r.header("Retry-After"))


class AddressThrottleTest(ServerTestCase, unittest.TestCase):
    cluster_of = staticmethod(lambda: cluster)

    def test_five_failures_from_one_address_slow_down_tries_for_any_account(self):
        c = self.server.client()
        for i in range(5):
            self.assertEqual(c.login("nobody%d@example.com" % i, "wrong password").status, 401)
        r = c.login("admin@localhost", self.server.admin_password)
        self.assertEqual(r.status, 429, r)


if __name__ == "__main__":
    unittest.main()
