"""The dashboard's files: served from [paths] web_dir, or else from the copy built into the binary;
index.html for the app's own routes, nothing outside the folder, and a plain page when no
dashboard is built."""

import os
import re
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

from harness import MAILCAST_BIN, SOURCE_DIR, PgCluster, ServerTestCase, make_temp_dir

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


DIST = os.path.join(SOURCE_DIR, "web", "dist")
TYPES = {".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8",
         ".css": "text/css; charset=utf-8", ".svg": "image/svg+xml"}


def built_files():
    """The files of web/dist (npm run build), as URL paths: what the binary embedded."""
    found = []
    for folder, _, names in os.walk(DIST):
        for name in names:
            found.append("/" + os.path.relpath(os.path.join(folder, name), DIST))
    return sorted(found)


class EmbeddedDashboardTest(ServerTestCase, unittest.TestCase):
    """With no [paths] web_dir the binary serves the dashboard it was built with."""
    cluster_of = staticmethod(lambda: cluster)

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.client = cls.server.client()
        cls.files = built_files()

    def setUp(self):
        self.assertIn("/index.html", self.files,
                      "web/dist holds no built dashboard: scripts/test builds it before the binary")

    def test_the_binary_holds_the_built_files(self):
        with open(MAILCAST_BIN, "rb") as f:
            binary = f.read()
        for path in self.files:
            with open(DIST + path, "rb") as f:
                self.assertIn(f.read(), binary, path)

    def test_every_built_file_is_served_with_its_type_and_headers(self):
        for path in self.files:
            r = self.client.request("GET", path)
            self.assertEqual(r.status, 200, path)
            with open(DIST + path, encoding="utf-8", errors="replace") as f:
                self.assertEqual(r.body, f.read(), path)
            ext = os.path.splitext(path)[1]
            if ext in TYPES:
                self.assertEqual(r.header("Content-Type"), TYPES[ext], path)
            assert_page_headers(self, r)
            if path.startswith("/assets/"):
                self.assertEqual(r.header("Cache-Control"), "public, max-age=31536000, immutable", path)
            else:
                self.assertEqual(r.header("Cache-Control"), "no-cache", path)
        self.assertTrue(any(p.endswith(".js") for p in self.files), self.files)

    def test_root_and_app_routes_get_index_html_never_cached(self):
        with open(os.path.join(DIST, "index.html"), encoding="utf-8") as f:
            index = f.read()
        for path in ["/", "/campaigns", "/subscribers/42", "/settings"]:
            r = self.client.request("GET", path)
            self.assertEqual(r.status, 200, path)
            self.assertEqual(r.body, index, path)
            self.assertEqual(r.header("Content-Type"), "text/html; charset=utf-8", path)
            self.assertEqual(r.header("Cache-Control"), "no-cache", path)
            assert_page_headers(self, r)

    def test_index_html_has_no_inline_script(self):
        index = self.client.request("GET", "/").body
        for tag in re.findall(r"<script\b[^>]*>", index):
            self.assertIn("src=", tag)
        self.assertNotIn("style=", index)

    def test_unknown_files_and_hidden_paths_are_404(self):
        for path in ["/assets/missing.js", "/.env", "/assets/../../etc/passwd"]:
            r = self.client.request("GET", path)
            self.assertIn(r.status, (400, 404), path)
            self.assertNotIn("root:", r.body, path)


if __name__ == "__main__":
    unittest.main()
