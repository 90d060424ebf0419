"""CSV imports: upload, background job, good rows landing while bad rows are reported with
their row numbers, mapping and modes, suppression, the error report, and restarts."""

import csv
import io
import json
import os
import time
import unittest
import urllib.parse
import uuid

from harness import PgCluster, Server
from audience_fixtures import AudienceCase

cluster = None


def setUpModule():
    global cluster
    cluster = PgCluster()
    AudienceCase.cluster = cluster


def tearDownModule():
    cluster.destroy()


def multipart(file_bytes, options=None, filename="people.csv"):
    boundary = "----mailcast" + uuid.uuid4().hex
    parts = []
    if options is not None:
        parts.append(b"--%s\r\nContent-Disposition: form-data; name=\"options\"\r\n"
                     b"Content-Type: application/json\r\n\r\n%s\r\n"
                     % (boundary.encode(), json.dumps(options).encode()))
    parts.append(b"--%s\r\nContent-Disposition: form-data; name=\"file\"; filename=\"%s\"\r\n"
                 b"Content-Type: text/csv\r\n\r\n" % (boundary.encode(), filename.encode())
                 + file_bytes + b"\r\n")
    body = b"".join(parts) + b"--%s--\r\n" % boundary.encode()
    return body, {"Content-Type": "multipart/form-data; boundary=" + boundary}


class ImportCase(AudienceCase):
    def upload(self, data, options=None, client=None):
        body, headers = multipart(data, options)
        return (client or self.api).request("POST", "/api/v1/imports", raw=body, headers=headers)

    def wait(self, import_id, client=None, states=("finished", "failed")):
        deadline = time.time() + 120
        while time.time() < deadline:
            job = (client or self.api).request("GET", "/api/v1/imports/%d" % import_id).json()
            if job["state"] in states:
                return job
            time.sleep(0.1)
        self.fail("import %d did not end: %s" % (import_id, job))

    def run_import(self, data, options=None):
        r = self.upload(data, options)
        self.assertEqual(r.status, 202, r)
        self.assertEqual(r.json()["state"], "queued")
        return self.wait(r.json()["id"])

    def subscriber(self, email):
        page = self.api.request("GET", "/api/v1/subscribers?query=" + urllib.parse.quote(email)).json()["items"]
        matches = [s for s in page if s["email"].lower() == email.lower()]
        return matches[0] if matches else None


class MixedFileTest(ImportCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.news = cls.api.request("POST", "/api/v1/lists", {"name": "Noticias", "optin": "double"}).json()
        rows = [
            b"Correo,Nombre,Edad,Alta,VIP,Ciudad",                     # row 1: header
            b"ana@example.com,Ana,30,2024-01-15,yes,Sevilla",          # 2 good
            b"not-an-address,Bad,1,2024-01-01,no,X",                   # 3 invalid email
            "иван@почта.рф,Иван Петров,41,2023-12-01,no,Москва".encode(),  # 4 good
            b"\"broken@example.com,\"Bro\"ken\",5,2024-01-01,no,Y",     # 5 broken quoting
            b"utf@example.com,Bad \xff\xfe,7,2024-01-01,no,Z",         # 6 invalid UTF-8
            b"long@example.com,Long,8,2024-01-01,no," + b"x" * 5000,   # 7 over-long field
            b"few@example.com,Few",                                     # 8 wrong field count
            b"age@example.com,Age,old,2024-01-01,no,Q",                 # 9 not a number
            "\"\"\"quoted, name\"\"@example.com\",Quoted,9,2024-02-02,true,\"Jerez, Cádiz\"".encode(),  # 10
            "ANA@example.com,Ana María,31,,,".encode(),  # 11 good, the same person as row 2
        ]
        data = b"\xef\xbb\xbf" + b"\r\n".join(rows) + b"\r\n"
        options = {"lists": [cls.news["id"]], "list_status": "confirmed", "mapping": {
            "Correo": "email", "Nombre": "name", "Edad": "attributes.age:number",
            "Alta": "attributes.signup:date", "VIP": "attributes.vip:bool", "Ciudad": "attributes.city"}}
        body, headers = multipart(data, options)
        r = cls.api.request("POST", "/api/v1/imports", raw=body, headers=headers)
        assert r.status == 202, r
        cls.import_id = r.json()["id"]

    def setUp(self):
        self.job = self.wait(self.import_id)

    def test_the_job_finishes_with_counts_of_good_and_bad_rows(self):
        self.assertEqual(self.job["state"], "finished", self.job)
        self.assertEqual((self.job["rows_total"], self.job["rows_done"], self.job["rows_failed"]), (10, 4, 6))
        self.assertIsNone(self.job["failure"])

    def test_bad_rows_are_reported_with_row_numbers_and_reasons(self):
        errors = {e["row"]: e["message"] for e in self.job["errors"]}
        self.assertEqual(sorted(errors), [3, 5, 6, 7, 8, 9])
        self.assertIn("email", errors[3])
        self.assertIn("quot", errors[5])
        self.assertIn("UTF-8", errors[6])
        self.assertIn("longer", errors[7])
        self.assertIn("fields", errors[8])
        self.assertIn("number", errors[9])

    def test_good_rows_land_with_typed_attributes_and_later_rows_of_an_address_win(self):
        ana = self.subscriber("ana@example.com")
        self.assertEqual(ana["name"], "Ana María")
        self.assertEqual(ana["attributes"], {"age": 31, "signup": "2024-01-15", "vip": True, "city": "Sevilla"})
        vip = self.subscriber('"quoted, name"@example.com')
        self.assertEqual(vip["attributes"], {"age": 9, "signup": "2024-02-02", "vip": True, "city": "Jerez, Cádiz"})
        ivan = self.subscriber("иван@почта.рф")
        self.assertEqual(ivan["name"], "Иван Петров")
        self.assertEqual(ivan["attributes"]["city"], "Москва")
        for missing in ["broken@example.com", "utf@example.com", "long@example.com", "few@example.com", "age@example.com"]:
            self.assertIsNone(self.subscriber(missing), missing)

    def test_imported_subscribers_join_the_lists_with_consent_from_import(self):
        ana = self.subscriber("ana@example.com")
        self.assertEqual(ana["lists"], [{"id": self.news["id"], "status": "confirmed"}])
        consents = self.api.request("GET", "/api/v1/subscribers/%d/export" % ana["id"]).json()["consents"]
        self.assertEqual([(c["list_id"], c["action"], c["source"], c["import_id"]) for c in consents],
                         [(self.news["id"], "subscribe", "import", self.import_id)])
        self.assertIsNotNone(consents[0]["created_at"])
        counts = self.api.request("GET", "/api/v1/lists/%d" % self.news["id"]).json()["counts"]
        self.assertEqual(counts["confirmed"], 3)

    def test_the_full_error_report_downloads_as_csv(self):
        r = self.api.request("GET", "/api/v1/imports/%d/errors" % self.import_id)
        self.assertEqual(r.status, 200, r)
        self.assertTrue(r.header("Content-Type").startswith("text/csv"))
        rows = list(csv.DictReader(io.StringIO(r.body, newline="")))
        self.assertEqual([int(row["row"]) for row in rows], [3, 5, 6, 7, 8, 9])
        self.assertEqual(self.api.request("GET", "/api/v1/imports/999999/errors").status, 404)

    def test_imports_are_listed_newest_first(self):
        items = self.api.request("GET", "/api/v1/imports").json()["items"]
        self.assertEqual(items[0]["id"], max(i["id"] for i in items))
        self.assertIn(self.import_id, [i["id"] for i in items])


class ImportOptionsTest(ImportCase):
    def test_without_mapping_email_and_name_columns_are_fields_and_others_attributes(self):
        job = self.run_import("EMAIL,Name,plan,país\nplain@example.com,Plain,pro,España\n".encode())
        self.assertEqual(job["rows_done"], 1, job)
        s = self.subscriber("plain@example.com")
        self.assertEqual((s["name"], s["attributes"]), ("Plain", {"plan": "pro", "país": "España"}))

    def test_upsert_merges_into_existing_subscribers_and_skip_existing_leaves_them(self):
        existing = self.create_subscriber("exists@example.com", name="Before", attributes={"a": "1", "keep": "k"})
        self.run_import(b"email,name,a\nexists@example.com,After,2\n", {"mode": "skip_existing"})
        s = self.api.request("GET", "/api/v1/subscribers/%d" % existing["id"]).json()
        self.assertEqual((s["name"], s["attributes"]), ("Before", {"a": "1", "keep": "k"}))
        self.run_import(b"email,name,a\nEXISTS@example.com,After,2\n", {"mode": "upsert"})
        s = self.api.request("GET", "/api/v1/subscribers/%d" % existing["id"]).json()
        self.assertEqual((s["name"], s["attributes"]), ("After", {"a": "2", "keep": "k"}))

    def test_rows_of_one_address_apply_in_file_order_in_both_modes(self):
        data = b"email,name,a,b\ntwice@example.com,First,1,x\nTWICE@example.com,,2,\n"
        self.run_import(data, {"mode": "upsert"})
        s = self.subscriber("twice@example.com")
        self.assertEqual((s["email"], s["name"], s["attributes"]), ("TWICE@example.com", "First", {"a": "2", "b": "x"}))
        self.run_import(b"email,name\nonce@example.com,First\nonce@example.com,Second\n", {"mode": "skip_existing"})
        self.assertEqual(self.subscriber("once@example.com")["name"], "First")

    def test_addresses_differing_only_in_the_case_of_accented_letters_are_one_subscriber(self):
        # no ASCII folding can tell these apart: the merge folds them the way lower() does
        job = self.run_import("email,name\nÉMILE@Exemple.fr,First\némile@exemple.fr,\n".encode())
        self.assertEqual((job["state"], job["rows_done"], job["rows_failed"]), ("finished", 2, 0), job)
        self.assertEqual(self.psql("SELECT count(*) FROM subscribers WHERE lower(email) = lower('émile@exemple.fr')"),
                         self.psql("SELECT CASE WHEN lower('É') = lower('é') THEN 1 ELSE 2 END"))

    def test_an_address_added_by_someone_else_during_the_merge_is_updated_and_joins_the_list(self):
        # the trigger stands for a request that adds the address, and commits, between the
        # import's lookup and its insert (dblink runs it in a session of its own): the import
        # must fold the row into that subscriber rather than fail the batch
        l = self.create_list("Race")
        self.psql("CREATE EXTENSION IF NOT EXISTS dblink;"
                  " CREATE FUNCTION race_add() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
                  " PERFORM dblink_exec(format('host=%s dbname=%s user=%s',"
                  " current_setting('unix_socket_directories'), current_database(), current_user),"
                  " 'INSERT INTO subscribers (email, name) VALUES (''RACE@EXAMPLE.COM'', ''Meanwhile'')"
                  " ON CONFLICT DO NOTHING'); RETURN NEW; END $$;"
                  " CREATE TRIGGER race BEFORE INSERT ON subscribers FOR EACH ROW"
                  " WHEN (NEW.email = 'race@example.com') EXECUTE FUNCTION race_add()")
        try:
            job = self.run_import(b"email,name,a\nrace@example.com,Importer,1\nbystander@example.com,B,2\n",
                                  {"lists": [l["id"]], "list_status": "confirmed"})
        finally:
            self.psql("DROP TRIGGER race ON subscribers; DROP FUNCTION race_add()")
        self.assertEqual((job["state"], job["rows_done"], job["rows_failed"]), ("finished", 2, 0), job)
        s = self.subscriber("race@example.com")
        self.assertEqual((s["email"], s["name"], s["attributes"]), ("RACE@EXAMPLE.COM", "Importer", {"a": "1"}))
        self.assertEqual(self.api.request("GET", "/api/v1/subscribers/%d" % s["id"]).json()["lists"],
                         [{"id": l["id"], "status": "confirmed"}])
        self.assertEqual(self.subscriber("bystander@example.com")["attributes"], {"a": "2"})

    def test_an_import_never_resubscribes_an_unsubscribed_member(self):
        l = self.create_list("Keep status")
        s = self.create_subscriber("unsub@example.com", lists=[l["id"]], list_status="unsubscribed")
        self.run_import(b"email\nunsub@example.com\n", {"lists": [l["id"]], "list_status": "confirmed"})
        self.assertEqual(self.api.request("GET", "/api/v1/subscribers/%d" % s["id"]).json()["lists"],
                         [{"id": l["id"], "status": "unsubscribed"}])

    def test_an_erased_address_is_refused_on_import(self):
        s = self.create_subscriber("Erased@Example.com")
        self.assertEqual(self.api.request("POST", "/api/v1/subscribers/%d/erase" % s["id"]).status, 204)
        job = self.run_import(b"email\nerased@EXAMPLE.com\nfresh@example.com\n")
        self.assertEqual((job["rows_done"], job["rows_failed"]), (1, 1), job)
        self.assertEqual(job["errors"], [{"row": 2, "message": "the address was erased or suppressed"}])
        self.assertIsNone(self.subscriber("erased@example.com"))

    def test_bad_options_and_headers_are_refused_before_queueing(self):
        before = self.psql("SELECT count(*) FROM imports")
        cases = [(b"email\na@example.com\n", {"mode": "merge"}, "mode"),
                 (b"email\na@example.com\n", {"lists": [987654]}, "lists"),
                 (b"email\na@example.com\n", {"colour": 1}, "colour"),
                 (b"email\na@example.com\n", {"mapping": {"mail": "email"}}, "mapping"),
                 (b"email\na@example.com\n", {"mapping": {"email": "attributes.x:color"}}, "mapping"),
                 (b"correo,name\na@example.com,A\n", None, "mapping"),
                 (b"", None, "file")]
        for data, options, field in cases:
            self.assert_error(self.upload(data, options), 400, field=field)
        r = self.api.request("POST", "/api/v1/imports", {"file": "x"})
        self.assert_error(r, 400)
        self.assertEqual(self.psql("SELECT count(*) FROM imports"), before)
        self.assertEqual(os.listdir(os.path.join(self.server.data_dir, "uploads")), [])


class ExportRoundTripTest(ImportCase):
    """A file from GET /api/v1/subscribers/export imports back as the subscribers it came from."""

    PEOPLE = [("josé@ida-vuelta.example", "José Pérez, \"Pepe\"",
               {"ciudad": "A Coruña", "nota": "dice \"hola\", y adiós", "edad": 41, "vip": True,
                "dirección": {"calle": "Río Miño, 3"}}, "active"),
              ("olga@ida-vuelta.example", "Ольга Смирнова",
               {"город": "Санкт-Петербург", "теги": ["новости", "скидки"], "баланс": 12.5}, "blocklisted"),
              ("plain@ida-vuelta.example", "", {}, "active")]

    def create_people(self):
        made = []
        for address, name, attributes, status in self.PEOPLE:
            made.append(self.create_subscriber(address, name=name, attributes=attributes, status=status))
        return made

    def export(self):
        r = self.api.request("GET", "/api/v1/subscribers/export?query=ida-vuelta")
        self.assertEqual(r.status, 200, r)
        return r.body.encode("utf-8")

    def fields(self, s):
        return (s["email"], s["name"], s["status"], s["attributes"])

    def test_an_export_imports_back_into_an_empty_installation_as_it_was(self):
        before = self.create_people()
        data = self.export()
        for s in before:
            self.assertEqual(self.api.request("DELETE", "/api/v1/subscribers/%d" % s["id"]).status, 204)
        job = self.run_import(data)
        self.assertEqual((job["state"], job["rows_done"], job["rows_failed"]), ("finished", 3, 0), job)
        for s in before:
            self.assertEqual(self.fields(self.subscriber(s["email"])), self.fields(s))

    def test_an_export_imported_over_its_subscribers_changes_nothing(self):
        before = self.create_people()
        job = self.run_import(self.export())
        self.assertEqual((job["rows_done"], job["rows_failed"]), (3, 0), job)
        for s in before:
            after = self.api.request("GET", "/api/v1/subscribers/%d" % s["id"]).json()
            self.assertEqual(self.fields(after), self.fields(s))
        for s in before:
            self.api.request("DELETE", "/api/v1/subscribers/%d" % s["id"])

    def test_status_blocklists_but_never_unblocklists_and_attributes_merge_under_their_own_columns(self):
        kept = self.create_subscriber("kept@example.net", attributes={"viejo": "sí"}, status="blocklisted")
        data = ("email,status,attributes,ciudad\n"
                "kept@example.net,active,\"{\"\"ciudad\"\": \"\"Sevilla\"\", \"\"n\"\": 1}\",Cádiz\n"
                "nuevo@example.net,blocklisted,,\n").encode()
        job = self.run_import(data)
        self.assertEqual((job["rows_done"], job["rows_failed"]), (2, 0), job)
        s = self.api.request("GET", "/api/v1/subscribers/%d" % kept["id"]).json()
        self.assertEqual((s["status"], s["attributes"]), ("blocklisted", {"viejo": "sí", "ciudad": "Cádiz", "n": 1}))
        self.assertEqual(self.subscriber("nuevo@example.net")["status"], "blocklisted")

    def test_a_bad_status_or_attributes_cell_fails_its_row_only(self):
        data = ("email,status,attributes\n"
                "uno@example.net,borrado,\n"
                "dos@example.net,,[1]\n"
                "tres@example.net,,\"{\"\"a\"\": \"\n"
                "cuatro@example.net,active,{}\n").encode()
        job = self.run_import(data)
        self.assertEqual((job["rows_done"], job["rows_failed"]), (1, 3), job)
        messages = {e["row"]: e["message"] for e in job["errors"]}
        self.assertIn("must be active or blocklisted", messages[2])
        self.assertIn("not a JSON object", messages[3])
        self.assertIn("not a JSON object", messages[4])
        self.assertEqual(self.subscriber("cuatro@example.net")["status"], "active")

    def test_a_mapping_can_name_the_status_and_attributes_columns(self):
        data = 'correo,estado,datos\nmapa@example.net,blocklisted,"{""país"": ""Perú""}"\n'.encode()
        job = self.run_import(data, {"mapping": {"correo": "email", "estado": "status", "datos": "attributes"}})
        self.assertEqual((job["rows_done"], job["rows_failed"]), (1, 0), job)
        s = self.subscriber("mapa@example.net")
        self.assertEqual((s["status"], s["attributes"]), ("blocklisted", {"país": "Perú"}))


class ImportConsentTest(ImportCase):
    def consents(self, subscriber_id):
        doc = self.api.request("GET", "/api/v1/subscribers/%d/export" % subscriber_id).json()
        return [(c["list_id"], c["action"], c["source"], c["import_id"]) for c in doc["consents"]]

    def import_to(self, lists, emails, **options):
        data = ("email\n" + "".join(e + "\n" for e in emails)).encode()
        r = self.upload(data, dict(options, lists=[l["id"] for l in lists]))
        self.assertEqual(r.status, 202, r)
        job = self.wait(r.json()["id"])
        self.assertEqual(job["state"], "finished", job)
        return job["id"], [self.subscriber(e) for e in emails]

    def test_an_import_keeps_one_consent_record_per_list_that_each_member_answers_to(self):
        a, b = self.create_list("Consent A"), self.create_list("Consent B")
        job, people = self.import_to([a, b], ["c1@example.com", "c2@example.com", "c3@example.com"])
        self.assertEqual(self.psql("SELECT count(*) FROM import_consents WHERE import_id = %d" % job), "2")
        for s in people:
            self.assertEqual(sorted(self.consents(s["id"])),
                             [(a["id"], "subscribe", "import", job), (b["id"], "subscribe", "import", job)])

    def test_an_import_as_unsubscribed_records_an_unsubscribe(self):
        l = self.create_list("Consent unsub")
        job, [s] = self.import_to([l], ["c-unsub@example.com"], list_status="unsubscribed")
        self.assertEqual(self.consents(s["id"]), [(l["id"], "unsubscribe", "import", job)])

    def test_an_existing_membership_gets_no_new_consent_from_an_import(self):
        l = self.create_list("Consent existing")
        s = self.create_subscriber("c-member@example.com", lists=[l["id"]])
        self.import_to([l], ["c-member@example.com"])
        self.assertEqual([c[:3] for c in self.consents(s["id"])], [(l["id"], "subscribe", "api")])

    def test_the_consent_outlives_removal_from_the_list(self):
        l = self.create_list("Consent removed")
        job, [s] = self.import_to([l], ["c-removed@example.com"])
        before = self.api.request("GET", "/api/v1/subscribers/%d/export" % s["id"]).json()["consents"]
        r = self.api.request("DELETE", "/api/v1/lists/%d/subscribers" % l["id"], {"subscriber_ids": [s["id"]]})
        self.assertEqual(r.status, 200, r)
        after = self.api.request("GET", "/api/v1/subscribers/%d/export" % s["id"]).json()
        self.assertEqual(after["memberships"], [])
        self.assertEqual(after["consents"], before)

    def test_the_consent_outlives_the_list(self):
        l = self.create_list("Consent deleted list")
        job, [s] = self.import_to([l], ["c-list-gone@example.com"])
        self.assertEqual(self.api.request("DELETE", "/api/v1/lists/%d" % l["id"]).status, 204)
        self.assertEqual(self.consents(s["id"]), [(l["id"], "subscribe", "import", job)])

    def test_erasing_an_imported_subscriber_leaves_no_consent_behind(self):
        l = self.create_list("Consent erased")
        job, [s] = self.import_to([l], ["c-erased@example.com"])
        self.assertEqual(self.api.request("POST", "/api/v1/subscribers/%d/erase" % s["id"]).status, 204)
        self.assertEqual(self.psql("SELECT count(*) FROM consents WHERE subscriber_id = %d" % s["id"]), "0")
        self.assertEqual(self.psql("SELECT count(*) FROM list_subscribers WHERE subscriber_id = %d" % s["id"]), "0")


class UploadAuthorizationTest(ImportCase):
    def test_an_anonymous_upload_is_refused_before_anything_is_written(self):
        body, headers = multipart(b"email\n" + b"someone@example.com\n" * 50000)
        anonymous = self.server.client()
        r = anonymous.request("POST", "/api/v1/imports", raw=body, headers=headers)
        self.assert_error(r, 401, code="unauthorized")
        self.assertEqual(os.listdir(os.path.join(self.server.data_dir, "uploads")), [])
        self.assertEqual(self.psql("SELECT count(*) FROM imports"), "0")

    def test_a_session_without_the_csrf_token_cannot_upload(self):
        body, headers = multipart(b"email\nx@example.com\n")
        c = self.server.client()
        c.cookie = self.api.cookie
        r = c.request("POST", "/api/v1/imports", raw=body, headers=headers)
        self.assert_error(r, 403, code="csrf_failed")
        self.assertEqual(self.psql("SELECT count(*) FROM imports"), "0")


class LostFileTest(ImportCase):
    def test_a_job_whose_file_is_gone_fails_with_the_reason(self):
        # a server without the worker loop queues the job and leaves it alone
        self.server.stop()
        data_dir = self.server.data_dir
        type(self).server = Server(dsn=self.dsn, data_dir=data_dir, args=("--no-worker",))
        type(self).api = self.server.client()
        with open(os.path.join(data_dir, "initial-admin-password")) as f:
            self.assertEqual(self.api.login("admin@localhost", f.read().strip()).status, 200)
        r = self.upload(b"email\nlost@example.com\n")
        self.assertEqual(r.status, 202, r)
        import_id = r.json()["id"]
        time.sleep(0.5)
        self.assertEqual(self.api.request("GET", "/api/v1/imports/%d" % import_id).json()["state"], "queued")
        for name in os.listdir(os.path.join(data_dir, "imports")):
            os.unlink(os.path.join(data_dir, "imports", name))
        # the next process with a worker loop takes the job and fails it, saying why
        self.server.stop()
        type(self).server = Server(dsn=self.dsn, data_dir=data_dir)
        type(self).api = self.server.client()
        with open(os.path.join(data_dir, "initial-admin-password")) as f:
            self.assertEqual(self.api.login("admin@localhost", f.read().strip()).status, 200)
        job = self.wait(import_id)
        self.assertEqual(job["state"], "failed", job)
        self.assertIn("file", job["failure"])
        self.assertIsNone(self.subscriber("lost@example.com"))


class RestartTest(ImportCase):
    ROWS = 300000

    def test_an_import_interrupted_by_killing_the_server_resumes_and_finishes(self):
        lines = ["email,name,n"] + ["restart%d@example.com,Persona %d,%d" % (i, i, i) for i in range(self.ROWS)]
        r = self.upload(("\n".join(lines) + "\n").encode(), {"mapping": {"email": "email", "name": "name", "n": "attributes.n:number"}})
        self.assertEqual(r.status, 202, r)
        import_id = r.json()["id"]
        job = self.wait(import_id, states=("running", "finished", "failed"))
        while job["state"] == "running" and job["rows_done"] == 0:
            time.sleep(0.02)
            job = self.api.request("GET", "/api/v1/imports/%d" % import_id).json()
        # the first batches are merged and the rest is not: the kill lands mid-import
        self.assertEqual(job["state"], "running", job)
        self.assertLess(job["rows_done"], self.ROWS)
        self.server.process.kill()
        self.server.process.wait()
        data_dir = self.server.data_dir
        type(self).server = Server(dsn=self.dsn, data_dir=data_dir)
        client = self.server.client()
        self.assertEqual(client.login("admin@localhost", self.server.admin_password or self.admin_password()).status, 200)
        type(self).api = client
        job = self.wait(import_id, client=client)
        self.assertEqual(job["state"], "finished", job)
        self.assertEqual((job["rows_total"], job["rows_done"], job["rows_failed"]), (self.ROWS, self.ROWS, 0))
        self.assertEqual(self.psql("SELECT count(*) FROM subscribers WHERE email LIKE 'restart%'"), str(self.ROWS))
        self.assertEqual(self.psql("SELECT attempts FROM imports WHERE id = %d" % import_id), "2")

    def admin_password(self):
        with open(os.path.join(self.server.data_dir, "initial-admin-password")) as f:
            return f.read().strip()


if __name__ == "__main__":
    unittest.main()
