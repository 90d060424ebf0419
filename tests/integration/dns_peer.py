"""A real DNS server for tests: Debian's unbound on 127.0.0.1 and a free port, answering
only the records it is given (local-data), NXDOMAIN for other names of its zones and REFUSED
for the rest of the world, so nothing leaves the machine."""

import os
import socket
import subprocess
import tempfile
import threading
import time

from mail_peer import free_port

UNBOUND = "/usr/sbin/unbound"


def txt(name, value):
    """local-data of a TXT record whose value is cut into 255-byte character-strings."""
    parts = " ".join('"%s"' % value[i:i + 255] for i in range(0, max(len(value), 1), 255))
    return "local-data: '%s. TXT %s'" % (name, parts)


class DnsPeer:
    """unbound with zones (names that answer NXDOMAIN for what is not listed) and lines of
    local-data (use txt() for TXT)."""

    def __init__(self, zones, lines):
        self.tmp = tempfile.TemporaryDirectory(prefix="mailcast-dns-")
        self.port = free_port()
        conf = ["server:",
                "  interface: 127.0.0.1",
                "  port: %d" % self.port,
                "  do-daemonize: no",
                '  username: ""',
                '  chroot: ""',
                '  directory: "%s"' % self.tmp.name,
                '  pidfile: ""',
                "  use-syslog: no",
                '  logfile: ""',
                "  verbosity: 1",
                "  num-threads: 1",
                "  do-ip6: no",
                "  so-reuseport: no",
                "  rrset-roundrobin: no",
                "  access-control: 127.0.0.0/8 allow",
                '  local-zone: "." refuse']
        conf += ['  local-zone: "%s." static' % z for z in zones]
        conf += ["  " + line for line in lines]
        conf += ["remote-control:", "  control-enable: no"]
        self.config = os.path.join(self.tmp.name, "unbound.conf")
        with open(self.config, "w") as f:
            f.write("\n".join(conf) + "\n")
        self.log = []
        self.process = subprocess.Popen([UNBOUND, "-d", "-c", self.config],
                                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                        text=True)
        reader = threading.Thread(target=self._drain, daemon=True)
        reader.start()
        deadline = time.time() + 20
        while not any("start of service" in line for line in self.log):
            if self.process.poll() is not None or time.time() > deadline:
                self.stop()
                raise RuntimeError("unbound did not start:\n" + "\n".join(self.log))
            time.sleep(0.05)

    def _drain(self):
        for line in self.process.stdout:
            self.log.append(line.rstrip("\n"))

    @property
    def resolver(self):
        return "127.0.0.1@%d" % self.port

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.tmp.cleanup()


class SilentDns:
    """A UDP port on 127.0.0.1 that takes queries and never answers: a dead resolver."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]

    def close(self):
        self.sock.close()
