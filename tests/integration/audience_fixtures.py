"""Shared set-up for the audience tests: a server on a new database and a logged-in client."""

import unittest

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
