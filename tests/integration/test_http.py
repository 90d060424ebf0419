"""The HTTP layer: health, metrics, size limit, JSON errors, unknown routes, shutdown."""

import re
import socket
import time
import unittest

from harness import PgCluster, Server, ServerTestCase

cluster = None


def setUpModule():
    global cluster
    cluster = PgCluster()


def tearDownModule():
    cluster.destroy()


class HttpTest(ServerTestCase, unittest.TestCase):
    cluster_of = staticmethod(lambda: cluster)
    server_env = {"MAILCAST_SERVER_MAX_BODY_SIZE": "4K"}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.client = cls.server.client()
        cls.client.login("admin@localhost", cls.server.admin_password)

    def test_healthz_answers_200_when_the_database_answers(self):
        r = self.client.request("GET", "/healthz")
        self.assertEqual(r.status, 200)
        self.assertEqual(r.json(), {"status": "ok", "database": "ok"})

    def test_metrics_count_requests_by_route_and_status(self):
        self.client.request("GET", "/healthz")
        # a name with an extension: a path without one is the dashboard's own route (200)
        self.client.request("GET", "/nowhere.txt")
        text = self.client.request("GET", "/metrics").body
        m = re.search(r'mailcast_http_requests_total\{method="GET",route="/healthz",status="200"\} (\d+)', text)
        self.assertTrue(m, text)
        self.assertGreaterEqual(int(m.group(1)), 1)
        self.assertIn('route="unmatched",status="404"', text)
        self.assertIn('mailcast_http_request_duration_seconds_bucket{method="GET",route="/healthz",le="+Inf"}', text)
        self.assertRegex(text, r'mailcast_db_pool_connections\{state="size"\} \d+')

    def test_body_over_the_limit_gets_413_json(self):
        r = self.client.request("POST", "/api/v1/tokens", raw=b'{"name": "' + b"x" * 5000 + b'"}',
                                headers={"Content-Type": "application/json"})
        self.assertEqual(r.status, 413)
        self.assertEqual(r.json()["error"]["code"], "body_too_large")

    def test_chunked_body_over_the_limit_gets_413(self):
        s = socket.create_connection(("127.0.0.1", self.server.port), timeout=30)
        head = ("POST /api/v1/tokens HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                "Content-Type: application/json\r\nCookie: %s\r\nX-CSRF-Token: %s\r\n\r\n"
                % (self.client.cookie, self.client.csrf))
        s.sendall(head.encode())
        chunk = b"x" * 1024
        for _ in range(6):
            s.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        s.sendall(b"0\r\n\r\n")
        answer = b""
        while b"\r\n\r\n" not in answer:
            data = s.recv(4096)
            if not data:
                break
            answer += data
        s.close()
        self.assertTrue(answer.startswith(b"HTTP/1.1 413"), answer[:100])

    def test_malformed_json_gets_400_naming_line_and_column(self):
        r = self.client.request("POST", "/api/v1/tokens", raw=b'{\n  "name": "a",\n  oops\n}',
                                headers={"Content-Type": "application/json"})
        self.assertEqual(r.status, 400)
        err = r.json()["error"]
        self.assertEqual(err["code"], "invalid_json")
        self.assertIn("line 3", err["message"])

    def test_duplicate_keys_and_wrong_types_are_refused(self):
        r = self.client.request("POST", "/api/v1/tokens", raw=b'{"name": "a", "name": "b"}')
        self.assertEqual(r.status, 400)
        r = self.client.request("POST", "/api/v1/tokens", {"name": 5})
        self.assertEqual(r.status, 400)
        self.assertEqual(r.json()["error"]["field"], "name")
        r = self.client.request("POST", "/api/v1/tokens", {"name": "   "})
        self.assertEqual(r.status, 400)

    def test_unknown_route_is_404_json(self):
        r = self.client.request("GET", "/api/v1/nothing-here")
        self.assertEqual(r.status, 404)
        self.assertEqual(r.json()["error"]["code"], "not_found")

    def test_known_route_with_wrong_method_is_405(self):
        r = self.client.request("PUT", "/api/v1/tokens", {"name": "a"})
        self.assertEqual(r.status, 405)

    def test_non_numeric_id_is_404(self):
        r = self.client.request("DELETE", "/api/v1/tokens/abc")
        self.assertEqual(r.status, 404)

    def test_access_log_names_method_path_status_and_duration(self):
        self.client.request("GET", "/healthz?probe=1")
        time.sleep(0.2)
        self.assertTrue(any(re.search(r"http GET /healthz 200 [\d.]+ms", l) for l in self.server.stderr_lines))


class DatabaseOutageTest(unittest.TestCase):
    def test_healthz_is_503_while_the_database_is_down_and_recovers(self):
        own = PgCluster()
        server = Server(dsn=own.new_database())
        try:
            c = server.client()
            self.assertEqual(c.request("GET", "/healthz").status, 200)
            own.stop()
            self.assertEqual(c.request("GET", "/healthz").status, 503)
            own.start()
            statuses = []
            for _ in range(3):
                statuses.append(c.request("GET", "/healthz").status)
            self.assertEqual(statuses[-1], 200, statuses)
        finally:
            server.stop()
            own.destroy()


class ShutdownTest(unittest.TestCase):
    def test_sigterm_finishes_in_flight_requests_and_exits_zero(self):
        server = Server(dsn=cluster.new_database())
        c = server.client()
        c.login("admin@localhost", server.admin_password)
        body = b'{"name": "sent during shutdown"}'
        s = socket.create_connection(("127.0.0.1", server.port), timeout=30)
        s.sendall(("POST /api/v1/tokens HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n"
                   "Cookie: %s\r\nX-CSRF-Token: %s\r\n\r\n" % (len(body), c.cookie, c.csrf)).encode())
        s.sendall(body[:5])
        time.sleep(0.5)  # the server has the headers: the request is in flight
        server.process.send_signal(15)
        time.sleep(0.5)
        s.sendall(body[5:])
        answer = s.recv(4096)
        s.close()
        code = server.stop()
        self.assertTrue(answer.startswith(b"HTTP/1.1 201"), answer[:200])
        self.assertEqual(code, 0, "\n".join(server.stderr_lines))
        self.assertTrue(any("stopped" in l for l in server.stderr_lines))
        # and nothing new is accepted once it has stopped
        with self.assertRaises(OSError):
            socket.create_connection(("127.0.0.1", server.port), timeout=5)


if __name__ == "__main__":
    unittest.main()
