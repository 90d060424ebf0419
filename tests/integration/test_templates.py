"""Templates over the API: compiled on save (errors name field, line and column), layouts by
name and built in, and previews for a subscriber or sample data."""

import unittest

from harness import PgCluster, ServerTestCase

cluster = None


def setUpModule():
    global cluster
    cluster = PgCluster()


def tearDownModule():
    cluster.destroy()


class AdminTestCase(ServerTestCase):
    """a server of its own, and a client logged in as its administrator"""
    cluster_of = staticmethod(lambda: cluster)

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.client = cls.server.client()
        cls.client.login("admin@localhost", cls.server.admin_password)


class TemplatesTest(AdminTestCase, unittest.TestCase):

    def create(self, **fields):
        body = {"name": "Newsletter", "subject": "Hola {{first_name}}", "body": "<p>Hi</p>"}
        body.update(fields)
        return self.client.request("POST", "/api/v1/templates", body)

    def test_create_get_update_delete(self):
        r = self.create(name="Boletín de noviembre")
        self.assertEqual(r.status, 201, r)
        t = r.json()
        self.assertEqual(t["kind"], "campaign")
        self.assertEqual(t["name"], "Boletín de noviembre")
        self.assertEqual(self.client.request("GET", "/api/v1/templates/%d" % t["id"]).json(), t)
        r = self.client.request("PATCH", "/api/v1/templates/%d" % t["id"], {"subject": "Новости"})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()["subject"], "Новости")
        self.assertEqual(r.json()["body"], "<p>Hi</p>")
        r = self.client.request("PUT", "/api/v1/templates/%d" % t["id"], {"name": "Replaced", "body": "x"})
        self.assertEqual(r.json()["subject"], "")
        self.assertEqual(self.client.request("DELETE", "/api/v1/templates/%d" % t["id"]).status, 204)
        self.assertEqual(self.client.request("GET", "/api/v1/templates/%d" % t["id"]).status, 404)

    def test_a_template_that_does_not_compile_is_refused_with_line_and_column(self):
        r = self.create(body="<p>ok</p>\n<p>{{#items}}{{name}}</p>\n")
        self.assertEqual(r.status, 400)
        err = r.json()["error"]
        self.assertEqual(err["code"], "invalid_template")
        self.assertEqual(err["field"], "body")
        self.assertIn("line 2, column 4", err["message"])
        r = self.create(subject="{{ name | shout }}")
        self.assertEqual(r.json()["error"]["field"], "subject")
        self.assertIn("shout", r.json()["error"]["message"])

    def test_a_broken_update_leaves_the_template_as_it_was(self):
        t = self.create(name="Stable").json()
        r = self.client.request("PATCH", "/api/v1/templates/%d" % t["id"], {"body": "{{/oops}}"})
        self.assertEqual(r.status, 400)
        self.assertEqual(self.client.request("GET", "/api/v1/templates/%d" % t["id"]).json()["body"], "<p>Hi</p>")

    def test_bad_fields_are_refused(self):
        self.assertEqual(self.create(kind="poster").json()["error"]["field"], "kind")
        self.assertEqual(self.create(colour="red").json()["error"]["field"], "colour")
        r = self.client.request("POST", "/api/v1/templates", {"name": "no body"})
        self.assertEqual(r.json()["error"]["field"], "body")

    def test_layout_names_are_unique_and_campaigns_extend_them(self):
        layout = {"name": "brand", "kind": "layout",
                  "body": "<html><title>{{subject}}</title>{{$content}}default{{/content}}</html>"}
        self.assertEqual(self.client.request("POST", "/api/v1/templates", layout).status, 201)
        self.assertEqual(self.client.request("POST", "/api/v1/templates", layout).status, 409)
        t = self.create(name="Uses brand", subject="Oferta",
                        body="{{<brand}}{{$content}}<p>Hola {{ first_name | default: \"amigo\" }}</p>{{/content}}{{/brand}}").json()
        r = self.client.request("POST", "/api/v1/templates/%d/preview" % t["id"], {})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()["html"], "<html><title>Oferta</title><p>Hola amigo</p></html>")
        self.assertIn("Hola amigo", r.json()["text"])

    def test_built_in_layout_is_available(self):
        t = self.create(name="Built-in", body="{{<layouts/base}}{{$content}}<p>Body text</p>{{/content}}{{/layouts/base}}")
        self.assertEqual(t.status, 201, t)
        r = self.client.request("POST", "/api/v1/templates/%d/preview" % t.json()["id"],
                                {"data": {"unsubscribe_url": "https://news.example/u/1"}})
        self.assertEqual(r.status, 200, r)
        self.assertIn("<table", r.json()["html"])
        self.assertIn("https://news.example/u/1", r.json()["html"])

    def test_paths_are_not_layout_names(self):
        r = self.create(body="{{<../../etc/passwd}}{{/../../etc/passwd}}")
        if r.status == 201:
            preview = self.client.request("POST", "/api/v1/templates/%d/preview" % r.json()["id"], {})
            self.assertNotIn("root:", preview.body)

    def test_preview_for_a_subscriber_uses_their_data(self):
        s = self.client.request("POST", "/api/v1/subscribers",
                                {"email": "ana.garcia@example.com", "name": "Ana García",
                                 "attributes": {"city": "Sevilla"}})
        self.assertEqual(s.status, 201, s)
        t = self.create(subject="{{ first_name | upper }}, novedades en {{city}}",
                        body="<p>{{name}} · {{email}} · {{plan | default: \"free\"}}</p>").json()
        r = self.client.request("POST", "/api/v1/templates/%d/preview" % t["id"],
                                {"subscriber_id": s.json()["id"], "data": {"plan": "pro"}})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()["subject"], "ANA, novedades en Sevilla")
        self.assertEqual(r.json()["html"], "<p>Ana García · ana.garcia@example.com · pro</p>")
        missing = self.client.request("POST", "/api/v1/templates/%d/preview" % t["id"], {"subscriber_id": 999999})
        self.assertEqual(missing.status, 404)
        self.assertEqual(missing.json()["error"]["field"], "subscriber_id")

    def test_a_layout_or_partial_that_does_not_exist_is_refused_on_save(self):
        r = self.create(body="<p>Hola</p>\n{{<layouts/bse}}{{$content}}x{{/content}}{{/layouts/bse}}")
        self.assertEqual(r.status, 400, r)
        error = r.json()["error"]
        self.assertEqual(error["field"], "body")
        self.assertEqual(error["message"],
                         "body: line 2, column 1: parent 'layouts/bse' does not exist")
        r = self.create(subject="Hola {{>nope}}")
        self.assertEqual(r.json()["error"]["field"], "subject")
        self.assertIn("line 1, column 6: partial 'nope' does not exist", r.json()["error"]["message"])
        t = self.create(name="Con pie").json()
        r = self.client.request("PATCH", "/api/v1/templates/%d" % t["id"],
                                {"text_body": "Adiós\n  {{> pie/legal }}"})
        self.assertEqual(r.json()["error"]["field"], "text_body")
        self.assertIn("line 2, column 3: partial 'pie/legal'", r.json()["error"]["message"])
        r = self.client.request("POST", "/api/v1/campaigns", {
            "name": "c", "subject": "s", "from_email": "a@example.org", "body": "{{<layouts/bse}}{{/layouts/bse}}"})
        self.assertEqual((r.status, r.json()["error"]["field"]), (400, "body"))

    def test_preview_shows_the_subscriber_as_the_api_does_and_lists_what_is_missing(self):
        s = self.client.request("POST", "/api/v1/subscribers",
                                {"email": "ciudad@example.com", "name": "Пётр Иванов",
                                 "attributes": {"ciudad": "Córdoba", "nivel": 2}}).json()
        t = self.create(subject="{{subscriber.name}} de {{attributes.ciudad}}",
                        body="<p>{{ciudad}} {{attributes.nivel}} {{subscriber.email}}"
                             " {{subscriber.status}} {{subscriber.id}} {{subscriber.attributes.ciudad}}"
                             " [{{attributes.país}}] [{{cupón}}] [{{ cupón | default: \"-\" }}]"
                             " [{{subscriber.created_at}}]</p>").json()
        r = self.client.request("POST", "/api/v1/templates/%d/preview" % t["id"],
                                {"subscriber_id": s["id"]})
        self.assertEqual(r.status, 200, r)
        got = r.json()
        self.assertEqual(got["subject"], "Пётр Иванов de Córdoba")
        self.assertEqual(got["html"].split(" [")[0], "<p>Córdoba 2 ciudad@example.com active %d Córdoba"
                         % s["id"])
        self.assertIn("[%s]" % s["created_at"], got["html"])
        self.assertEqual(got["missing"], ["attributes.país", "cupón"])
        r = self.client.request("POST", "/api/v1/templates/%d/preview" % t["id"],
                                {"subscriber_id": s["id"], "data": {"cupón": "OTOÑO"}})
        self.assertEqual(r.json()["missing"], ["attributes.país"])
        r = self.client.request("POST", "/api/v1/templates/%d/preview" % t["id"], {})
        self.assertEqual(r.json()["missing"][:2], ["subscriber.name", "attributes.ciudad"])

    def test_list_filters_by_kind(self):
        self.create(name="Receipt", kind="transactional")
        items = self.client.request("GET", "/api/v1/templates?kind=transactional&total=true").json()
        self.assertTrue(all(t["kind"] == "transactional" for t in items["items"]))
        self.assertGreaterEqual(items["total"], 1)
        self.assertEqual(self.client.request("GET", "/api/v1/templates?kind=poster").status, 400)



FRAME_CSP = ("sandbox; default-src 'none'; img-src * data:; style-src 'unsafe-inline' *;"
             " font-src * data:; frame-ancestors 'self'")


class UnsavedPreviewTest(AdminTestCase, unittest.TestCase):
    """POST /api/v1/templates/preview: the editor's live preview of source not saved, and the
    frame URL that shows it without the dashboard's session."""

    def preview(self, **fields):
        return self.client.request("POST", "/api/v1/templates/preview", fields)

    def test_unsaved_source_renders_for_a_subscriber_byte_exact_and_stores_nothing(self):
        s = self.client.request("POST", "/api/v1/subscribers",
                                {"email": "dasha@example.com", "name": "Дарья Смирнова",
                                 "attributes": {"ciudad": "Málaga"}})
        self.assertEqual(s.status, 201, s)
        before = self.client.request("GET", "/api/v1/templates?total=true").json()["total"]
        r = self.preview(name="Sin guardar", kind="campaign",
                         subject="¡Hola, {{first_name}}! Новости из {{ciudad}}",
                         body="<p>Привет, {{first_name}} — ¿qué tal en {{ciudad}}? {{cupón}}</p>",
                         text_body="Привет, {{first_name}}: ñandú",
                         subscriber_id=s.json()["id"])
        self.assertEqual(r.status, 200, r)
        p = r.json()
        self.assertEqual(p["subject"], "¡Hola, Дарья! Новости из Málaga")
        self.assertEqual(p["html"], "<p>Привет, Дарья — ¿qué tal en Málaga? </p>")
        self.assertEqual(p["text"], "Привет, Дарья: ñandú")
        self.assertEqual(p["missing"], ["cupón"])
        self.assertRegex(p["frame_url"], r"^/preview/[0-9a-f]{32}$")
        self.assertEqual(self.client.request("GET", "/api/v1/templates?total=true").json()["total"], before)

        frame = self.server.client().request("GET", p["frame_url"])  # no session, no cookie
        self.assertEqual(frame.status, 200, frame)
        self.assertEqual(frame.body, p["html"])
        self.assertEqual(frame.header("Content-Type"), "text/html; charset=utf-8")
        self.assertEqual(frame.header("Content-Security-Policy"), FRAME_CSP)
        self.assertEqual(frame.header("Cache-Control"), "no-store")
        self.assertEqual(frame.header("Referrer-Policy"), "no-referrer")
        self.assertEqual(frame.header("X-Content-Type-Options"), "nosniff")
        # the key reads the preview again while it lasts (a frame reloads when resized)
        self.assertEqual(self.server.client().request("GET", p["frame_url"]).body, p["html"])

    def test_with_diagnose_a_draft_that_does_not_compile_is_the_answer(self):
        r = self.preview(subject="Hola", body="<p>uno</p>\n{{#items}}<li>{{.}}</li>\n", diagnose=True)
        self.assertEqual(r.status, 200, r)
        e = r.json()["invalid"]
        self.assertEqual((e["code"], e["field"], e["line"], e["column"]), ("invalid_template", "body", 2, 1), e)
        self.assertTrue(e["message"].startswith("body: line 2, column 1: "), e["message"])
        self.assertNotIn("frame_url", r.json())
        # other mistakes are still refused, and a draft that compiles renders as without it
        r = self.preview(body="<p>x</p>", kind="newsletter", diagnose=True)
        self.assertEqual((r.status, r.json()["error"]["field"]), (400, "kind"), r)
        r = self.preview(subject="Hola", body="<p>¿Qué tal, {{first_name}}?</p>", data={"first_name": "Лена"}, diagnose=True)
        self.assertEqual((r.status, r.json()["html"]), (200, "<p>¿Qué tal, Лена?</p>"), r)

    def test_sample_data_and_a_generated_text_part(self):
        r = self.preview(subject="Pedido {{order}}", body="<h1>Gracias, {{name}}</h1><p>Total: {{total}} €</p>",
                         data={"order": "A-17", "name": "Íñigo", "total": "12,50"})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()["subject"], "Pedido A-17")
        self.assertIn("Gracias, Íñigo", r.json()["text"])
        self.assertIn("12,50 €", r.json()["text"])
        self.assertEqual(r.json()["missing"], [])

    def test_a_compile_error_names_field_line_and_column(self):
        r = self.preview(subject="Hola", body="<p>uno</p>\n<p>dos</p>\n  {{#items}}<li>{{.}}</li>\n")
        self.assertEqual(r.status, 400, r)
        e = r.json()["error"]
        self.assertEqual(e["code"], "invalid_template")
        self.assertEqual(e["field"], "body")
        self.assertEqual((e["line"], e["column"]), (3, 3))
        self.assertTrue(e["message"].startswith("body: line 3, column 3: "), e["message"])
        r = self.preview(subject="Hola {{nombre", body="<p>x</p>")
        e = r.json()["error"]
        self.assertEqual((r.status, e["field"], e["line"], e["column"]), (400, "subject", 1, 6), r)
        r = self.preview(body="<p>x</p>", text_body="línea\n{{/fin}}")
        e = r.json()["error"]
        self.assertEqual((r.status, e["field"], e["line"]), (400, "text_body", 2), r)
        # a parent that does not exist is placed at its tag
        r = self.preview(body="{{<layouts/bse}}{{/layouts/bse}}")
        self.assertEqual(r.status, 400, r)
        self.assertEqual(r.json()["error"]["line"], 1)
        r = self.preview(body="<p>x</p>", kind="newsletter")
        self.assertEqual((r.status, r.json()["error"]["field"]), (400, "kind"), r)
        r = self.preview(body="<p>x</p>", subscriber_id=987654)
        self.assertEqual((r.status, r.json()["error"]["field"]), (404, "subscriber_id"), r)

    def test_the_saved_template_preview_has_a_frame_too(self):
        t = self.client.request("POST", "/api/v1/templates",
                                {"name": "Con marco", "subject": "s", "body": "<p>{{x}}</p>"}).json()
        r = self.client.request("POST", "/api/v1/templates/%d/preview" % t["id"], {"data": {"x": "ы"}})
        self.assertEqual(r.status, 200, r)
        frame = self.server.client().request("GET", r.json()["frame_url"])
        self.assertEqual((frame.status, frame.body), (200, "<p>ы</p>"))

    def test_an_expired_or_unknown_key_is_not_found(self):
        url = self.preview(body="<p>caduca</p>").json()["frame_url"]
        anyone = self.server.client()
        self.assertEqual(anyone.request("GET", url).status, 200)
        dbname = self.dsn.split("dbname=")[1].split()[0]
        cluster.psql(dbname, "UPDATE template_previews SET expires_at = now() - interval '1 second'")
        gone = anyone.request("GET", url)
        self.assertEqual(gone.status, 404, gone)
        self.assertEqual(gone.header("Cache-Control"), "no-store")
        self.assertEqual(gone.header("Content-Security-Policy"), FRAME_CSP)  # the frame shows why
        self.assertIn("expired", gone.body)
        for path in ("/preview/" + "0" * 32, "/preview/" + "A" * 32, "/preview/abc", "/preview/" + "0" * 40):
            self.assertEqual(anyone.request("GET", path).status, 404, path)
        # writing a new preview removes the expired ones
        self.preview(body="<p>nueva</p>")
        self.assertEqual(cluster.psql(dbname, "SELECT count(*) FROM template_previews WHERE expires_at <= now()"), "0")

    def test_a_viewer_previews_but_an_anonymous_client_does_not(self):
        self.client.request("POST", "/api/v1/users", {"email": "vista@example.com", "password": "contraseña-larga",
                                                      "role": "viewer"})
        viewer = self.server.client()
        self.assertEqual(viewer.login("vista@example.com", "contraseña-larga").status, 200)
        self.assertEqual(viewer.request("POST", "/api/v1/templates/preview", {"body": "<p>v</p>"}).status, 200)
        self.assertEqual(self.server.client().request("POST", "/api/v1/templates/preview",
                                                      {"body": "<p>v</p>"}).status, 401)


if __name__ == "__main__":
    unittest.main()
