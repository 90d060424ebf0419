"""Real parts for integration tests: a private PostgreSQL cluster in a temp folder (socket
only) and a `mailcast serve` process on a free loopback port, plus a small HTTP client."""

import http.client
import json
import os
import pwd
import re
import shutil
import subprocess
import tempfile
import threading
import time

MAILCAST_BIN = os.environ.get("MAILCAST_BIN", "")
SOURCE_DIR = os.environ.get("MAILCAST_SOURCE_DIR", os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))
PG_ROOT = "/usr/lib/postgresql"
CLUSTER_USER = "mailcast"


def pg_bin(program):
    versions = sorted((int(v) for v in os.listdir(PG_ROOT) if v.isdigit()), reverse=True)
    for v in versions:
        path = os.path.join(PG_ROOT, str(v), "bin", program)
        if os.access(path, os.X_OK):
            return path
    raise RuntimeError("PostgreSQL server binaries not found: apt-get install postgresql-15")


def ensure_cluster_user():
    """PostgreSQL refuses to run as root: tests run as root use an unprivileged user."""
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam(CLUSTER_USER)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", "--home-dir", "/nonexistent",
                        "--shell", "/usr/sbin/nologin", CLUSTER_USER], check=False)
    return pwd.getpwnam(CLUSTER_USER)


def make_temp_dir(prefix):
    """A folder the cluster user can reach (mkdtemp makes 0700 folders)."""
    path = tempfile.mkdtemp(prefix=prefix, dir="/tmp")
    os.chmod(path, 0o755)
    return path


# What the tests run with: nothing they check needs durability, and fsync costs them minutes.
TEST_SETTINGS = "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n"


class PgCluster:
    """A throwaway PostgreSQL cluster: no TCP, socket in its own folder, and settings (by default
    TEST_SETTINGS: fsync off) as postgresql.conf lines."""

    def __init__(self, settings=TEST_SETTINGS):
        self.user = ensure_cluster_user()
        self.root = make_temp_dir("mailcast-pg-")
        self.data = os.path.join(self.root, "data")
        self.socket_dir = os.path.join(self.root, "socket")
        os.mkdir(self.socket_dir, 0o700)
        if self.user:
            os.chown(self.root, self.user.pw_uid, self.user.pw_gid)
            os.chown(self.socket_dir, self.user.pw_uid, self.user.pw_gid)
        self._run(pg_bin("initdb"), "-D", self.data, "-U", CLUSTER_USER, "-A", "trust",
                  "-E", "UTF8", "--locale=C.UTF-8", "--no-sync", "--no-instructions")
        with open(os.path.join(self.data, "postgresql.conf"), "a") as conf:
            conf.write("listen_addresses = ''\nunix_socket_directories = '%s'\n%s"
                       % (self.socket_dir, settings))
        self.start()
        self._counter = 0

    def _run(self, *argv, check=True):
        if self.user:
            argv = ("runuser", "-u", CLUSTER_USER, "--") + argv
        # cwd /: the cluster user may not be able to enter the test's folder (a checkout in /root)
        return subprocess.run(argv, check=check, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True, cwd="/")

    def start(self):
        self._run(pg_bin("pg_ctl"), "start", "-D", self.data, "-w", "-t", "60",
                  "-l", os.path.join(self.root, "postgresql.log"))

    def stop(self, mode="fast"):
        self._run(pg_bin("pg_ctl"), "stop", "-D", self.data, "-m", mode, "-w", check=False)

    def psql(self, dbname, sql):
        result = self._run(pg_bin("psql"), "-h", self.socket_dir, "-U", CLUSTER_USER, "-d", dbname,
                           "-tAX", "-v", "ON_ERROR_STOP=1", "-c", sql, check=False)
        if result.returncode != 0:
            raise RuntimeError(result.stdout)
        return result.stdout.strip()

    def psql_background(self, dbname, sql):
        """runs sql in a psql of its own and returns the process without waiting for it"""
        argv = (pg_bin("psql"), "-h", self.socket_dir, "-U", CLUSTER_USER, "-d", dbname, "-tAX",
                "-v", "ON_ERROR_STOP=1", "-c", sql)
        if self.user:
            argv = ("runuser", "-u", CLUSTER_USER, "--") + argv
        return subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd="/")

    def new_database(self):
        """returns the DSN of a new, empty database"""
        self._counter += 1
        name = "test_%d_%d" % (os.getpid(), self._counter)
        self.psql("postgres", "CREATE DATABASE %s" % name)
        return self.dsn(name)

    def dsn(self, name):
        return "host=%s dbname=%s user=%s" % (self.socket_dir, name, CLUSTER_USER)

    def destroy(self):
        self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)


def base_env(**overrides):
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAILCAST_")}
    env.update({k: str(v) for k, v in overrides.items()})
    return env


SANITIZER_MARKERS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:")


def check_sanitizers(stderr_text, what):
    """A sanitizer report from any mailcast process fails the test that ran it."""
    for marker in SANITIZER_MARKERS:
        if marker in stderr_text:
            raise AssertionError("%s reported a sanitizer error:\n%s" % (what, stderr_text[-6000:]))


def run_mailcast(*args, env=None, input=None, timeout=120):
    result = subprocess.run([MAILCAST_BIN] + list(args), env=env or base_env(), input=input,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            timeout=timeout)
    check_sanitizers(result.stderr, "mailcast " + " ".join(args))
    return result


class Server:
    """`mailcast serve` on 127.0.0.1 with a port the kernel picks."""

    def __init__(self, dsn=None, data_dir=None, extra_env=None, args=()):
        self.data_dir = data_dir or make_temp_dir("mailcast-data-")
        env = {"MAILCAST_SERVER_LISTEN": "127.0.0.1:0", "MAILCAST_PATHS_DATA_DIR": self.data_dir}
        if dsn:
            env["MAILCAST_DATABASE_URL"] = dsn
        env.update(extra_env or {})
        self.stdout_lines, self.stderr_lines = [], []
        self.process = subprocess.Popen([MAILCAST_BIN, "serve"] + list(args), env=base_env(**env),
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self._readers = [threading.Thread(target=self._drain, args=(self.process.stdout, self.stdout_lines), daemon=True),
                         threading.Thread(target=self._drain, args=(self.process.stderr, self.stderr_lines), daemon=True)]
        for r in self._readers:
            r.start()
        self.port = self._wait_for_port()
        self.admin_password = self._wait_for_admin_password()

    @staticmethod
    def _drain(stream, lines):
        for line in stream:
            lines.append(line.rstrip("\n"))

    def _wait_for_port(self, timeout=120):
        deadline = time.time() + timeout
        while time.time() < deadline:
            for line in list(self.stderr_lines):
                m = re.search(r"listening on 127\.0\.0\.1:(\d+)", line)
                if m:
                    return int(m.group(1))
            if self.process.poll() is not None:
                time.sleep(0.2)
                raise RuntimeError("mailcast serve exited with %s:\n%s" % (self.process.returncode, "\n".join(self.stderr_lines)))
            time.sleep(0.05)
        raise RuntimeError("mailcast serve did not start:\n" + "\n".join(self.stderr_lines))

    def _wait_for_admin_password(self):
        deadline = time.time() + 10
        while time.time() < deadline:
            for line in list(self.stdout_lines):
                m = re.search(r"password: (\S+)$", line)
                if m:
                    return m.group(1)
                if "Dashboard:" in line:
                    return None
            time.sleep(0.02)
        return None

    def client(self):
        return Client(self.port)

    def stop(self, sig=15, timeout=60):
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        for r in self._readers:
            r.join(timeout=5)
        check_sanitizers("\n".join(self.stderr_lines), "mailcast serve")
        return self.process.returncode


class Response:
    def __init__(self, status, headers, body):
        self.status, self.headers, self.body = status, headers, body

    def json(self):
        return json.loads(self.body)

    def header(self, name):
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None

    def headers_named(self, name):
        return [v for k, v in self.headers if k.lower() == name.lower()]

    def __repr__(self):
        return "<%d %s>" % (self.status, self.body[:300])


class Client:
    """HTTP/1.1 on loopback with a cookie jar of one session and optional bearer token."""

    def __init__(self, port):
        self.port = port
        self.cookie = None
        self.csrf = None
        self.token = None

    def request(self, method, path, body=None, headers=None, raw=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        h = dict(headers or {})
        if body is not None:
            raw = json.dumps(body).encode()
            h.setdefault("Content-Type", "application/json")
        if self.cookie:
            h.setdefault("Cookie", self.cookie)
        if self.csrf and method not in ("GET", "HEAD"):
            h.setdefault("X-CSRF-Token", self.csrf)
        if self.token:
            h.setdefault("Authorization", "Bearer " + self.token)
        conn.request(method, path, body=raw, headers=h)
        resp = conn.getresponse()
        data = resp.read().decode("utf-8", "replace")
        result = Response(resp.status, resp.getheaders(), data)
        conn.close()
        return result

    def login(self, email, password):
        r = self.request("POST", "/api/v1/auth/login", {"email": email, "password": password})
        if r.status == 200:
            cookie = r.header("Set-Cookie")
            self.cookie = cookie.split(";")[0]
            self.csrf = r.json()["csrf_token"]
        return r


def openapi_operations():
    """(METHOD, path, role) for each operation in docs/api/openapi.yaml; role is its
    x-mailcast-role, or None when it declares none."""
    ops, path = [], None
    with open(os.path.join(SOURCE_DIR, "docs", "api", "openapi.yaml")) as f:
        in_paths = False
        for line in f:
            if line.startswith("paths:"):
                in_paths = True
                continue
            if in_paths and line and not line[0].isspace() and line.strip():
                break
            if not in_paths:
                continue
            m = re.match(r"^  (/\S*):\s*$", line)
            if m:
                path = m.group(1)
                continue
            m = re.match(r"^    (get|post|put|patch|delete):\s*$", line)
            if m and path:
                ops.append([m.group(1).upper(), path, None])
                continue
            m = re.match(r"^      x-mailcast-role:\s*(\S+)\s*$", line)
            if m and ops:
                ops[-1][2] = m.group(1)
    return [tuple(op) for op in ops]


def openapi_routes():
    """(METHOD, path) pairs listed in docs/api/openapi.yaml."""
    return [(method, path) for method, path, _ in openapi_operations()]


class ServerTestCase:
    """Mixin for unittest.TestCase: one `mailcast serve` on a new database of the module's
    cluster for the whole class. Subclasses set `cluster_of` to a function returning the
    module's PgCluster, and may set `server_env`."""

    server_env = None

    @classmethod
    def setUpClass(cls):
        cls.dsn = cls.cluster_of().new_database()
        cls.server = Server(dsn=cls.dsn, extra_env=cls.server_env)

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
