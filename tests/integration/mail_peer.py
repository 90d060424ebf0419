"""Helpers for the mail integration tests: a real SMTP server (aiosmtpd) on 127.0.0.1 that
records what it receives and injects failures chosen by the recipient's local part, a DKIM
key pair with its DNS answer, and a runner for `mailcast send-test`."""
import asyncio
import base64
import os
import socket
import subprocess
import tempfile
import threading
import time

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP

MAILCAST_BIN = os.environ.get("MAILCAST_BIN", "mailcast")
STALL_SECONDS = 30
SLOW_SECONDS = 1


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Recorder:
    """aiosmtpd handler: failures by recipient local part, everything else recorded.
    rcpt450 / rcpt550 / rcpt421: that reply to RCPT TO; a sender "refused...": 553 to MAIL
    flaky: 450 to RCPT TO the first time an address is seen, then accepted (greylisting; a 451
    would ask the sender to slow down, which destination pacing tests on its own: see throttle)
    data550: 550 after the message data; stall: no reply to the data for STALL_SECONDS
    slow: accepted after SLOW_SECONDS
    dropdata: the connection is closed in the middle of DATA (see FaultySMTP)
    lostreply: the whole message is read, then the connection is closed without a reply"""

    def __init__(self):
        self.messages = []  # (mail_from, [rcpt], bytes)
        self.accepted_at = []  # time.monotonic() of each message accepted
        self.sessions = []  # per message: (over TLS, authenticated login or None)
        self.connections = 0
        self.mail_sessions = 0  # sessions that sent at least one MAIL FROM
        self.lock = threading.Lock()
        self.flaky_seen = set()
        # called with the count of messages accepted so far, as each is accepted and before
        # the reply goes out (a test can stop the sender right there)
        self.on_accept = None
        # a receiver that throttles domains: {domain: (most, window_seconds)} answers
        # "421 4.7.0 Try again later" to RCPT TO of that domain once `most` of its recipients
        # were accepted in the last window_seconds (see throttles())
        self.throttle = {}
        self.throttled = []  # (time.monotonic(), domain) of each 421 given
        self.domain_accepted = {}  # domain: [time.monotonic() of each accepted recipient]

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        with self.lock:
            if not getattr(session, "counted", False):  # one count per session
                session.counted = True
                self.mail_sessions += 1
        if address.startswith("refused"):
            return "553 5.7.1 Sender address not allowed"
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 2.1.0 Sender ok"

    def throttles(self, address):
        """whether the throttled domain's recipients in the window are used up; otherwise
        counts address as accepted for its domain"""
        domain = address.rsplit("@", 1)[-1].lower()
        now = time.monotonic()
        with self.lock:
            if domain in self.throttle:
                most, window = self.throttle[domain]
                recent = [t for t in self.domain_accepted.get(domain, []) if t > now - window]
                if len(recent) >= most:
                    self.throttled.append((now, domain))
                    return True
            self.domain_accepted.setdefault(domain, []).append(now)
        return False

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        local = address.split("@")[0]
        if self.throttles(address):
            return "421 4.7.0 Try again later"
        if local.startswith("rcpt450"):
            return "450 4.2.1 Mailbox busy, try again later"
        if local.startswith("rcpt550"):
            return "550 5.1.1 No such user here"
        if local.startswith("rcpt421"):
            return "421 4.3.2 Service shutting down"
        if local.startswith("flaky"):
            with self.lock:
                first = address not in self.flaky_seen
                self.flaky_seen.add(address)
            if first:
                return "450 4.2.0 Greylisted, try again shortly"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 Recipient ok"

    async def handle_DATA(self, server, session, envelope):
        local = envelope.rcpt_tos[0].split("@")[0]
        if local.startswith("data550"):
            return "550 5.7.1 Message refused by policy"
        if local.startswith("stall"):
            await asyncio.sleep(STALL_SECONDS)
            return "250 2.0.0 Too late"
        if local.startswith("slow"):
            await asyncio.sleep(SLOW_SECONDS)
        with self.lock:
            self.messages.append(
                (envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content))
            self.accepted_at.append(time.monotonic())
            over_tls = server.transport.get_extra_info("ssl_object") is not None
            self.sessions.append((over_tls, session.auth_data))
            accepted = len(self.messages)
        if self.on_accept:
            self.on_accept(accepted)
        return "250 2.0.0 Queued"


class FaultySMTP(SMTP):
    """aiosmtpd's SMTP session plus a connection count, a drop in the middle of DATA and a
    drop after the data, where the reply should be."""

    def connection_made(self, transport):
        with self.event_handler.lock:
            self.event_handler.connections += 1
        super().connection_made(transport)

    async def smtp_DATA(self, arg):
        if any(r.split("@")[0].startswith("dropdata") for r in self.envelope.rcpt_tos):
            await self.push("354 End data with <CR><LF>.<CR><LF>")
            await self._reader.read(512)
            self.transport.abort()
            return
        if any(r.split("@")[0].startswith("lostreply") for r in self.envelope.rcpt_tos):
            await self.push("354 End data with <CR><LF>.<CR><LF>")
            data = b""
            while not data.endswith(b"\r\n.\r\n"):
                chunk = await self._reader.read(4096)
                if not chunk:
                    break
                data += chunk
            self.transport.abort()
            return
        await super().smtp_DATA(arg)


class PeerController(Controller):
    def factory(self):
        return FaultySMTP(self.handler, **self.SMTP_kwargs)


class SmtpPeer:
    """An SMTP server on 127.0.0.1; smtp_kwargs go to aiosmtpd (tls_context, require_starttls,
    authenticator...), ssl_context makes it speak implicit TLS."""

    def __init__(self, ssl_context=None, **smtp_kwargs):
        self.recorder = Recorder()
        self.port = free_port()
        # a fixed greeting name: without it aiosmtpd calls socket.getfqdn() for every
        # connection, in its event loop, and a slow name lookup stalls every session
        self.controller = PeerController(self.recorder, hostname="127.0.0.1", port=self.port,
                                         ssl_context=ssl_context, server_hostname="peer.test",
                                         **smtp_kwargs)

    def __enter__(self):
        self.controller.start()
        with self.recorder.lock:
            self.recorder.connections = 0  # start() makes one connection to check readiness
        return self

    def __exit__(self, *exc):
        self.controller.stop()


class DkimKey:
    """An RSA or Ed25519 key made with openssl, and the TXT record a verifier looks up."""

    def __init__(self, directory, algorithm="rsa"):
        self.path = os.path.join(directory, f"dkim-{algorithm}.pem")
        if algorithm == "rsa":
            subprocess.run(["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt",
                            "rsa_keygen_bits:2048", "-out", self.path], check=True,
                           capture_output=True)
            der = subprocess.run(["openssl", "pkey", "-in", self.path, "-pubout", "-outform",
                                  "DER"], check=True, capture_output=True).stdout
            self.txt = b"v=DKIM1; k=rsa; p=" + base64.b64encode(der)
        else:
            subprocess.run(["openssl", "genpkey", "-algorithm", "ED25519", "-out", self.path],
                           check=True, capture_output=True)
            der = subprocess.run(["openssl", "pkey", "-in", self.path, "-pubout", "-outform",
                                  "DER"], check=True, capture_output=True).stdout
            # the DNS record carries the raw 32-byte key, the end of the DER encoding
            self.txt = b"v=DKIM1; k=ed25519; p=" + base64.b64encode(der[-32:])

    def dnsfunc(self, selector, domain):
        wanted = f"{selector}._domainkey.{domain}.".encode()

        def lookup(name, timeout=5):
            return self.txt if name == wanted else None
        return lookup


def write_config(directory, port=None, timeout=3, dkim=None, extra=""):
    """Writes a mailcast config: [smtp.test] on 127.0.0.1:port when port is given, and
    [dkim.example.com] for dkim = (selector, key_path, algorithm)."""
    path = os.path.join(directory, "mailcast.ini")
    lines = ["[paths]", f"data_dir = {directory}/var", "[mail]",
             "from_email = news@example.com",
             "bounce_address = bounces+{token}@example.com"]
    if port:
        lines += ["[smtp.test]", "host = 127.0.0.1", f"port = {port}", "tls = off",
                  "helo = mailcast.test", f"timeout = {timeout}"]
    if dkim:
        lines += ["[dkim.example.com]", f"selector = {dkim[0]}",
                  f"private_key_file = {dkim[1]}", f"algorithm = {dkim[2]}"]
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n" + extra)
    return path


def send_test(config, *args, timeout=60):
    """Runs mailcast send-test; returns (exit status, [result dicts], stdout, stderr)."""
    proc = subprocess.run([MAILCAST_BIN, "send-test", "--config", config, *args],
                          capture_output=True, timeout=timeout)
    out = proc.stdout.decode("utf-8", "replace")
    results = []
    for line in out.splitlines():
        if not line.startswith("to="):
            continue
        head, _, text = line.partition(" text=")
        fields = dict(part.split("=", 1) for part in head.split(" "))
        fields["text"] = text
        results.append(fields)
    return proc.returncode, results, out, proc.stderr.decode("utf-8", "replace")


def temp_dir():
    return tempfile.TemporaryDirectory(prefix="mailcast-mail-")
