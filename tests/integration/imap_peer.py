"""A real IMAP server for the bounce mailbox: Debian's dovecot, started on 127.0.0.1 with a
private configuration in a temp folder (one user, plain-text login, Maildir), and an imaplib
client to put mail into it and read its flags."""

import imaplib
import os
import shutil
import socket
import subprocess
import time

from harness import make_temp_dir
from mail_peer import free_port

DOVECOT = "/usr/sbin/dovecot"
USER = "rebotes"
PASSWORD = "secreto-2026"

CONFIG = """\
protocols = imap
listen = 127.0.0.1
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
passdb {{
  driver = static
  args = password={password}
}}
userdb {{
  driver = static
  args = uid=nobody gid=nogroup home={root}/home/%u
}}
mail_location = maildir:~/Maildir
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
"""


class Dovecot:
    """dovecot on a free loopback port; `url` is the imap:// URL of its server."""

    def __init__(self):
        self.root = make_temp_dir("mailcast-imap-")
        self.port = free_port()
        for sub in ("run", "state", "home"):
            os.mkdir(os.path.join(self.root, sub), 0o755)
        shutil.chown(os.path.join(self.root, "home"), "nobody", "nogroup")
        self.config = os.path.join(self.root, "dovecot.conf")
        with open(self.config, "w") as f:
            f.write(CONFIG.format(root=self.root, port=self.port, password=PASSWORD))
        self.process = subprocess.Popen([DOVECOT, "-F", "-c", self.config],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("dovecot exited: %s %s" % (self.process.stderr.read(), self.log()))
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        else:
            raise RuntimeError("dovecot did not listen: " + self.log())
        self.url = "imap://127.0.0.1:%d" % self.port

    def log(self):
        try:
            with open(os.path.join(self.root, "dovecot.log")) as f:
                return f.read()
        except OSError:
            return ""

    def client(self):
        c = imaplib.IMAP4("127.0.0.1", self.port)
        c.login(USER, PASSWORD)
        return c

    def append(self, message, folder="INBOX"):
        """puts message (bytes) into folder, as a new (unseen) message"""
        c = self.client()
        typ, data = c.append(folder, None, None, message)
        assert typ == "OK", (typ, data)
        c.logout()

    def flags(self, folder="INBOX"):
        """[(uid, flags text)] of every message in folder"""
        c = self.client()
        c.select(folder, readonly=True)
        typ, data = c.uid("FETCH", "1:*", "(FLAGS)")
        c.logout()
        out = []
        for item in data:
            if not item:
                continue
            text = item.decode() if isinstance(item, bytes) else item[0].decode()
            # another session storing flags meanwhile makes the server add untagged FETCH
            # answers of its own, without the UID: the answer to this FETCH comes again
            if "UID " not in text or "FLAGS (" not in text:
                continue
            uid = int(text.split("UID ")[1].split()[0].rstrip(")"))
            out.append((uid, text.split("FLAGS (")[1].split(")")[0]))
        return sorted(out)

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process.stderr.close()
        shutil.rmtree(self.root, ignore_errors=True)
