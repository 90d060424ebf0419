"""Shared set-up for the audience tests: a server on a new database and a logged-in client."""

import hashlib
import hmac
import os
import unittest
import urllib.parse

from harness import Server


class AudienceCase(unittest.TestCase):
    """One database and one server per test class; `self.api` is an admin session."""

    cluster = None  # set by each module's setUpModule
    server_env = None  # extra environment of the server, e.g. its [mail] settings

    @classmethod
    def setUpClass(cls):
        cls.dsn = cls.cluster.new_database()
        cls.server = Server(dsn=cls.dsn, extra_env=cls.server_env)
        cls.api = cls.server.client()
        r = cls.api.login("admin@localhost", cls.server.admin_password)
        assert r.status == 200, r

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def token(self, purpose, subscriber_id, ref=0, expires=0):
        """a public page token as the server signs it ("c" confirm, "p" preferences)"""
        with open(os.path.join(self.server.data_dir, "secret")) as f:
            key = bytes.fromhex(f.read().strip())
        payload = "%s.%d.%d.%d" % (purpose, subscriber_id, ref, expires)
        mac = hmac.new(key, ("mailcast-public-v1:" + payload).encode(), hashlib.sha256).hexdigest()[:32]
        return payload + "." + mac

    def submit(self, fields, headers=None):
        """posts the public subscription form as a browser does (no session), with headers
        (e.g. Accept-Language) besides the form's content type"""
        body = urllib.parse.urlencode(fields, doseq=True).encode()
        return self.server.client().request(
            "POST", "/subscribe", raw=body,
            headers=dict(headers or {}, **{"Content-Type": "application/x-www-form-urlencoded"}))

    def subscriber(self, address):
        """the subscriber holding address, as the API shows it, or None"""
        items = self.api.request("GET", "/api/v1/subscribers?query="
                                 + urllib.parse.quote(address)).json()["items"]
        return items[0] if items else None

    def psql(self, sql):
        return self.cluster.psql(self.dsn.split("dbname=")[1].split()[0], sql)

    def create_subscriber(self, email, **fields):
        body = dict(fields, email=email)
        r = self.api.request("POST", "/api/v1/subscribers", body)
        self.assertEqual(r.status, 201, r)
        return r.json()

    def create_list(self, name, **fields):
        r = self.api.request("POST", "/api/v1/lists", dict(fields, name=name))
        self.assertEqual(r.status, 201, r)
        return r.json()

    def assert_error(self, response, status, field=None, code=None):
        self.assertEqual(response.status, status, response)
        error = response.json()["error"]
        self.assertTrue(error["message"])
        if field is not None:
            self.assertEqual(error.get("field"), field, error)
        if code is not None:
            self.assertEqual(error["code"], code, error)
        return error
