"""The dashboard's files: served from [paths] web_dir, index.html for the app's own routes,
nothing outside the folder, and a plain page when no dashboard is built."""

import os
import unittest

# no inline script, no framing, no referrer, no guessed types: on every file the folder serves
def assert_page_headers(case, r):
    csp = r.header("Content-Security-Policy") or ""
    case.assertIn("default-src 'self'", csp, r)
    case.assertIn("frame-ancestors 'none'", csp)
    case.assertNotIn("unsafe-inline", csp)
    case.assertNotIn("unsafe-eval", csp)
    case.assertEqual(r.headers_named("Referrer-Policy"), ["no-referrer"])
    case.assertEqual(r.headers_named("X-Content-Type-Options"), ["nosniff"])

from harness import PgCluster, ServerTestCase, make_temp_dir

cluster = None
WEB_DIR = None


def setUpModule():
    global cluster, WEB_DIR
    cluster = PgCluster()
    WEB_DIR = make_temp_dir("mailcast-web-")
    os.makedirs(os.path.join(WEB_DIR, "assets"))
    with open(os.path.join(WEB_DIR, "index.html"), "w") as f:
        f.write("<!doctype html><title>mailcast dashboard</title><div id=app></div>")
    with open(os.path.join(WEB_DIR, "assets", "app-1234.js"), "w") as f:
        f.write("console.log('ok')")
    with open(os.path.join(WEB_DIR, ".secret"), "w") as f:
        f.write("hidden")


def tearDownModule():
    cluster.destroy()


class DashboardFilesTest(ServerTestCase, unittest.TestCase):
    cluster_of = staticmethod(lambda: cluster)

    @classmethod
    def setUpClass(cls):
        cls.server_env = {"MAILCAST_PATHS_WEB_DIR": WEB_DIR}
        super().setUpClass()
        cls.client = cls.server.client()

    def test_root_serves_index_html_without_caching(self):
        r = self.client.request("GET", "/")
        self.assertEqual(r.status, 200)
        self.assertIn("mailcast dashboard", r.body)
        self.assertEqual(r.header("Content-Type"), "text/html; charset=utf-8")
        self.assertEqual(r.header("Cache-Control"), "no-cache")

    def test_hashed_assets_are_cached_for_good(self):
        r = self.client.request("GET", "/assets/app-1234.js")
        self.assertEqual(r.status, 200)
        self.assertEqual(r.body, "console.log('ok')")
        self.assertTrue(r.header("Content-Type").startswith("text/javascript"))
        self.assertIn("immutable", r.header("Cache-Control"))

    def test_app_routes_get_index_html(self):
        r = self.client.request("GET", "/campaigns/42")
        self.assertEqual(r.status, 200)
        self.assertIn("mailcast dashboard", r.body)

    def test_missing_file_with_extension_is_404(self):
        self.assertEqual(self.client.request("GET", "/assets/missing.js").status, 404)

    def test_paths_outside_the_folder_and_hidden_files_are_refused(self):
        for path in ["/../../etc/passwd", "/assets/../../etc/passwd", "/.secret", "/%2e%2e/etc/passwd"]:
            r = self.client.request("GET", path)
            self.assertNotIn("root:", r.body, path)
            self.assertNotIn("hidden", r.body, path)
            self.assertIn(r.status, (200, 400, 404), path)
            if r.status == 200:
                self.assertIn("mailcast dashboard", r.body, path)

    def test_every_file_carries_the_security_headers(self):
        for path in ["/", "/index.html", "/campaigns/42", "/assets/app-1234.js"]:
            r = self.client.request("GET", path)
            self.assertEqual(r.status, 200, path)
            assert_page_headers(self, r)
        self.assertEqual(self.client.request("GET", "/index.html").header("Cache-Control"), "no-cache")
        self.assertEqual(self.client.request("GET", "/campaigns/42").header("Cache-Control"), "no-cache")

    def test_api_paths_never_fall_back_to_the_app(self):
        r = self.client.request("GET", "/api/v1/no-such-thing")
        self.assertEqual(r.status, 404)
        self.assertEqual(r.json()["error"]["code"], "not_found")


class NoDashboardTest(ServerTestCase, unittest.TestCase):
    cluster_of = staticmethod(lambda: cluster)
    server_env = {"MAILCAST_PATHS_WEB_DIR": "/nonexistent/web"}

    def test_root_says_the_dashboard_is_not_built(self):
        r = self.server.client().request("GET", "/")
        self.assertEqual(r.status, 200)
        self.assertIn("dashboard has not been built", r.body)
        self.assertEqual(r.header("Cache-Control"), "no-cache")
        assert_page_headers(self, r)
        self.assertNotIn("style=", r.body)
        self.assertEqual(self.server.client().request("GET", "/campaigns").status, 404)


if __name__ == "__main__":
    unittest.main()
