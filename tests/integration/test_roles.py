"""Roles: users and API tokens are admin, editor or viewer; every route of openapi.yaml declares
the least role it needs (x-mailcast-role) and the API holds to it, with sessions and tokens."""

import re
import unittest

from harness import PgCluster, ServerTestCase, base_env, openapi_operations, run_mailcast
from test_imports import multipart

cluster = None

ROLES = ["viewer", "editor", "admin"]
RANK = {role: i for i, role in enumerate(ROLES)}
MISSING_ID = "999999999"


def setUpModule():
    global cluster
    cluster = PgCluster()


def tearDownModule():
    cluster.destroy()


class RolesTest(ServerTestCase, unittest.TestCase):
    cluster_of = staticmethod(lambda: cluster)

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.admin = cls.server.client()
        assert cls.admin.login("admin@localhost", cls.server.admin_password).status == 200
        cls.passwords = {}

    def new_user(self, email, role, password="contraseña-larga"):
        r = self.admin.request("POST", "/api/v1/users", {"email": email, "password": password, "role": role})
        self.assertEqual(r.status, 201, r)
        self.assertEqual(r.json()["role"], role)
        return r.json()

    def session(self, email, password="contraseña-larga"):
        c = self.server.client()
        r = c.login(email, password)
        self.assertEqual(r.status, 200, r)
        return c

    def with_token(self, token):
        c = self.server.client()
        c.token = token
        return c

    def assertForbidden(self, r, role_needed):
        self.assertEqual(r.status, 403, r)
        error = r.json()["error"]
        self.assertEqual(error["code"], "forbidden")
        self.assertEqual(error["field"], "")
        self.assertIn("needs the %s role" % role_needed, error["message"])

    def clients_of_each_role(self, tag):
        """{role: [session client, token client]} for new users of each role"""
        clients = {}
        for role in ROLES:
            email = "%s-%s@example.com" % (role, tag)
            self.new_user(email, role)
            s = self.session(email)
            r = self.admin.request("POST", "/api/v1/tokens", {"name": "%s %s" % (role, tag), "role": role})
            self.assertEqual(r.status, 201, r)
            self.assertEqual(r.json()["role"], role)
            clients[role] = [s, self.with_token(r.json()["token"])]
        return clients

    def test_every_route_of_openapi_is_allowed_or_forbidden_by_its_role(self):
        operations = openapi_operations()
        self.assertGreater(len(operations), 50)
        for method, path, role in operations:
            self.assertIn(role, ROLES + ["public"], "%s %s declares no x-mailcast-role" % (method, path))
            # only the pages outside the API and login need no credentials
            self.assertEqual(role == "public", not path.startswith("/api/v1/") or path == "/api/v1/auth/login",
                             "%s %s is %s" % (method, path, role))
        clients = self.clients_of_each_role("walk")
        checked = 0
        for method, path, needed in operations:
            if needed == "public":
                continue
            concrete = re.sub(r"\{[^}]+\}", MISSING_ID, path)
            body = b"{}" if method in ("POST", "PUT", "PATCH") else None
            for role in ROLES:
                for kind, client in zip(("session", "token"), clients[role]):
                    if path == "/api/v1/auth/logout" and kind == "session":
                        client = self.session("%s-walk@example.com" % role)  # keeps the walk's session
                    r = client.request(method, concrete, raw=body,
                                       headers={"Content-Type": "application/json"} if body else None)
                    what = "%s %s as %s %s: %s" % (method, path, role, kind, r)
                    self.assertNotEqual(r.status, 401, what)
                    if RANK[role] >= RANK[needed]:
                        self.assertNotEqual(r.status, 403, what)
                        self.assertLess(r.status, 500, what)
                    else:
                        self.assertForbidden(r, needed)
                    checked += 1
        self.assertGreater(checked, 300)

    def test_viewer_reads_but_neither_writes_nor_exports_personal_data(self):
        self.new_user("lector@example.com", "viewer")
        viewer = self.session("lector@example.com")
        self.assertEqual(viewer.request("GET", "/api/v1/lists").status, 200)
        self.assertForbidden(viewer.request("POST", "/api/v1/lists", {"name": "Noticias"}), "editor")
        self.assertForbidden(viewer.request("GET", "/api/v1/subscribers/export"), "editor")
        r = self.admin.request("POST", "/api/v1/subscribers", {"email": "olga@example.ru", "name": "Ольга"})
        self.assertEqual(r.status, 201, r)
        sid = r.json()["id"]
        self.assertEqual(viewer.request("GET", "/api/v1/subscribers/%d" % sid).status, 200)
        self.assertForbidden(viewer.request("GET", "/api/v1/subscribers/%d/export" % sid), "editor")
        self.assertEqual(self.admin.request("GET", "/api/v1/subscribers/%d/export" % sid).status, 200)

    def test_a_viewers_csv_upload_is_refused_before_its_body_and_queues_nothing(self):
        self.new_user("sin-carga@example.com", "viewer")
        viewer = self.session("sin-carga@example.com")
        before = self.admin.request("GET", "/api/v1/imports?limit=1000").json()["items"]
        body, headers = multipart("email,name\nluz@example.es,Luz Ñáñez\n".encode())
        self.assertForbidden(viewer.request("POST", "/api/v1/imports", raw=body, headers=headers), "editor")
        self.assertEqual(self.admin.request("GET", "/api/v1/imports?limit=1000").json()["items"], before)
        self.new_user("con-carga@example.com", "editor")
        editor = self.session("con-carga@example.com")
        r = editor.request("POST", "/api/v1/imports", raw=body, headers=headers)
        self.assertIn(r.status, (201, 202), r)

    def test_editor_changes_the_audience_but_not_users_or_webhooks(self):
        self.new_user("redactora@example.com", "editor")
        editor = self.session("redactora@example.com")
        r = editor.request("POST", "/api/v1/lists", {"name": "Новости"})
        self.assertEqual(r.status, 201, r)
        self.assertForbidden(editor.request("GET", "/api/v1/users"), "admin")
        self.assertForbidden(editor.request("GET", "/api/v1/webhooks"), "admin")
        me = editor.request("GET", "/api/v1/auth/me").json()
        self.assertEqual((me["kind"], me["role"], me["user"]["role"]), ("session", "editor", "editor"))

    def test_users_api_creates_lists_updates_and_deletes_users_with_utf8_addresses(self):
        created = self.new_user("josé.núñez@ejemplo.es", "editor")
        self.assertEqual(created["email"], "josé.núñez@ejemplo.es")
        listed = self.admin.request("GET", "/api/v1/users?total=true").json()
        self.assertIn(created["id"], [u["id"] for u in listed["items"]])
        self.assertIn("role", listed["items"][0])
        self.assertGreaterEqual(listed["total"], 2)
        r = self.admin.request("PATCH", "/api/v1/users/%d" % created["id"], {"role": "viewer"})
        self.assertEqual((r.status, r.json()["role"]), (200, "viewer"))
        self.assertEqual(self.admin.request("GET", "/api/v1/users/%d" % created["id"]).json()["role"], "viewer")
        self.assertEqual(self.admin.request("DELETE", "/api/v1/users/%d" % created["id"]).status, 204)
        self.assertEqual(self.admin.request("GET", "/api/v1/users/%d" % created["id"]).status, 404)
        self.assertEqual(self.server.client().login("josé.núñez@ejemplo.es", "contraseña-larga").status, 401)

    def test_unknown_role_is_refused_naming_role_and_changes_nothing(self):
        for bad in ["owner", "", 3, None, "Admin"]:
            r = self.admin.request("POST", "/api/v1/users", {"email": "x@example.com", "password": "long enough", "role": bad})
            self.assertEqual((r.status, r.json()["error"]["field"]), (400, "role"), r)
            r = self.admin.request("POST", "/api/v1/tokens", {"name": "x", "role": bad})
            self.assertEqual((r.status, r.json()["error"]["field"]), (400, "role"), r)
        self.assertEqual(self.server.client().login("x@example.com", "long enough").status, 401)
        user = self.new_user("ivan@example.ru", "editor")
        r = self.admin.request("PATCH", "/api/v1/users/%d" % user["id"], {"role": "boss", "password": "новый-пароль"})
        self.assertEqual((r.status, r.json()["error"]["field"]), (400, "role"))
        self.session("ivan@example.ru")  # the password did not change either
        self.assertEqual(self.admin.request("GET", "/api/v1/users/%d" % user["id"]).json()["role"], "editor")

    def test_the_last_admin_can_be_neither_demoted_nor_deleted(self):
        # a server of its own, so that no other test's admin counts
        from harness import Server
        server = Server(dsn=cluster.new_database())
        try:
            admin = server.client()
            self.assertEqual(admin.login("admin@localhost", server.admin_password).status, 200)
            me = admin.request("GET", "/api/v1/auth/me").json()["user"]["id"]
            r = admin.request("PATCH", "/api/v1/users/%d" % me, {"role": "editor"})
            self.assertEqual((r.status, r.json()["error"]["code"], r.json()["error"]["field"]), (409, "conflict", "role"))
            r = admin.request("DELETE", "/api/v1/users/%d" % me)
            self.assertEqual(r.status, 409, r)
            self.assertEqual(admin.request("GET", "/api/v1/auth/me").json()["role"], "admin")
            r = admin.request("POST", "/api/v1/users", {"email": "segunda@example.com", "password": "contraseña-larga", "role": "admin"})
            self.assertEqual(r.status, 201, r)
            second = r.json()["id"]
            r = admin.request("PATCH", "/api/v1/users/%d" % me, {"role": "editor"})
            self.assertEqual((r.status, r.json()["role"]), (200, "editor"))
            # the change applies to the open session at once
            self.assertForbidden(admin.request("GET", "/api/v1/users"), "admin")
            other = server.client()
            self.assertEqual(other.login("segunda@example.com", "contraseña-larga").status, 200)
            self.assertEqual(other.request("DELETE", "/api/v1/users/%d" % second).status, 409)
        finally:
            server.stop()

    def test_nobody_mints_a_token_above_their_role_and_tokens_act_with_their_role(self):
        self.new_user("editora-tokens@example.com", "editor")
        editor = self.session("editora-tokens@example.com")
        r = editor.request("POST", "/api/v1/tokens", {"name": "más poder", "role": "admin"})
        self.assertEqual(r.status, 403, r)
        self.assertEqual((r.json()["error"]["code"], r.json()["error"]["field"]), ("forbidden", "role"))
        r = editor.request("POST", "/api/v1/tokens", {"name": "по умолчанию"})
        self.assertEqual((r.status, r.json()["role"]), (201, "editor"))
        token = self.with_token(r.json()["token"])
        me = token.request("GET", "/api/v1/auth/me").json()
        self.assertEqual((me["kind"], me["role"]), ("token", "editor"))
        self.assertForbidden(token.request("GET", "/api/v1/users"), "admin")
        self.assertEqual(token.request("POST", "/api/v1/lists", {"name": "Desde un script"}).status, 201)
        r = editor.request("POST", "/api/v1/tokens", {"name": "solo lectura", "role": "viewer"})
        self.assertEqual((r.status, r.json()["role"]), (201, "viewer"))
        reader = self.with_token(r.json()["token"])
        self.assertEqual(reader.request("GET", "/api/v1/lists").status, 200)
        self.assertForbidden(reader.request("POST", "/api/v1/lists", {"name": "no"}), "editor")
        # a token minting a token: not above itself either
        r = token.request("POST", "/api/v1/tokens", {"name": "hijo", "role": "admin"})
        self.assertEqual(r.status, 403, r)
        r = reader.request("POST", "/api/v1/tokens", {"name": "hijo", "role": "viewer"})
        self.assertForbidden(r, "editor")

    def test_a_token_never_acts_above_its_makers_current_role(self):
        user = self.new_user("degradada@example.com", "editor")
        editor = self.session("degradada@example.com")
        r = editor.request("POST", "/api/v1/tokens", {"name": "cron"})
        token = self.with_token(r.json()["token"])
        self.assertEqual(token.request("POST", "/api/v1/lists", {"name": "antes"}).status, 201)
        self.assertEqual(self.admin.request("PATCH", "/api/v1/users/%d" % user["id"], {"role": "viewer"}).status, 200)
        self.assertForbidden(token.request("POST", "/api/v1/lists", {"name": "después"}), "editor")
        self.assertEqual(token.request("GET", "/api/v1/auth/me").json()["role"], "viewer")

    def test_non_admins_see_and_revoke_only_their_own_tokens(self):
        admin_token = self.admin.request("POST", "/api/v1/tokens", {"name": "del admin"}).json()
        self.new_user("propia@example.com", "editor")
        editor = self.session("propia@example.com")
        own = editor.request("POST", "/api/v1/tokens", {"name": "mío"}).json()
        listed = [t["id"] for t in editor.request("GET", "/api/v1/tokens").json()["items"]]
        self.assertEqual(listed, [own["id"]])
        self.assertEqual(editor.request("DELETE", "/api/v1/tokens/%d" % admin_token["id"]).status, 404)
        self.assertEqual(self.with_token(admin_token["token"]).request("GET", "/api/v1/users").status, 200)
        self.assertEqual(editor.request("DELETE", "/api/v1/tokens/%d" % own["id"]).status, 204)
        all_ids = [t["id"] for t in self.admin.request("GET", "/api/v1/tokens?limit=1000").json()["items"]]
        self.assertIn(admin_token["id"], all_ids)

    def test_password_reset_ends_the_users_sessions(self):
        user = self.new_user("olvido@example.com", "viewer")
        old = self.session("olvido@example.com")
        r = self.admin.request("PATCH", "/api/v1/users/%d" % user["id"], {"password": "пароль-новый"})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(old.request("GET", "/api/v1/auth/me").status, 401)
        self.assertEqual(self.server.client().login("olvido@example.com", "contraseña-larga").status, 401)
        self.session("olvido@example.com", "пароль-новый")

    def test_cli_creates_users_and_tokens_with_a_role(self):
        env = base_env(MAILCAST_DATABASE_URL=self.dsn, MAILCAST_PATHS_DATA_DIR=self.server.data_dir)
        result = run_mailcast("user", "add", "marta@example.com", "--role", "viewer", env=env, input="contraseña-larga\n")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("viewer", result.stdout)
        marta = self.session("marta@example.com")
        self.assertEqual(marta.request("GET", "/api/v1/auth/me").json()["role"], "viewer")
        result = run_mailcast("user", "add", "x@example.com", "--role", "root", env=env, input="contraseña-larga\n")
        self.assertEqual(result.returncode, 2)
        self.assertIn("role", result.stderr)
        result = run_mailcast("token", "create", "informes", "--role", "viewer", env=env)
        self.assertEqual(result.returncode, 0, result.stderr)
        token = self.with_token(result.stdout.strip())
        self.assertEqual(token.request("GET", "/api/v1/auth/me").json()["role"], "viewer")
        self.assertForbidden(token.request("POST", "/api/v1/lists", {"name": "no"}), "editor")
        result = run_mailcast("token", "create", "operador", env=env)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(self.with_token(result.stdout.strip()).request("GET", "/api/v1/auth/me").json()["role"], "admin")
        self.assertEqual(run_mailcast("token", "create", "x", "--role", "superuser", env=env).returncode, 2)


if __name__ == "__main__":
    unittest.main()
