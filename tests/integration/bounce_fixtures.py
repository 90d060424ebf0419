"""Shared by the bounce tests: a campaign sent to a real SMTP peer, the Message-ID token and
List-Unsubscribe of what each subscriber received, and the mail samples of
tests/fixtures/bounces with their placeholders filled in."""

import os
import re
import time

from campaign_fixtures import SendingCase
from harness import SOURCE_DIR

FIXTURES = os.path.join(SOURCE_DIR, "tests", "fixtures", "bounces")


def fixture(name, **values):
    """the sample `name` with {token}, {rcpt}, {verp} and {unsubscribe} replaced, CRLF lines"""
    with open(os.path.join(FIXTURES, name), encoding="utf-8") as f:
        text = f.read()
    for key, value in values.items():
        text = text.replace("{%s}" % key, value)
    return text.replace("\r\n", "\n").replace("\n", "\r\n").encode("utf-8")


class BounceCase(SendingCase):
    def send_campaign(self, people, body="<p>Привет, {{name}}</p>"):
        """sends a campaign of body to people [(address, name)]; returns (campaign, {address:
        {"subscriber", "message_id" (the messages row), "token", "mail"}})"""
        tag = time.monotonic_ns()
        lst = self.create_list("Boletín %d" % tag)
        subs = {a: self.create_subscriber(a, name=n, lists=[lst["id"]]) for a, n in people}
        r = self.api.request("POST", "/api/v1/campaigns", {
            "name": "Campaña %d" % tag, "subject": "Hola {{first_name}}",
            "from_email": "news@example.com", "body": body,
            "lists": [lst["id"]]})
        self.assertEqual(r.status, 201, r)
        campaign = r.json()
        self.send(campaign)
        self.wait_state(campaign, "finished")
        received = self.received()
        out = {}
        for address, sub in subs.items():
            # a refused recipient received nothing
            mail = received[address][-1] if address in received else None
            token = mail["Message-ID"].strip()[1:33] if mail else None
            row = self.psql("SELECT id FROM messages WHERE campaign_id = %d AND subscriber_id = %d"
                            % (campaign["id"], sub["id"]))
            out[address] = {"subscriber": sub, "message_id": int(row), "token": token, "mail": mail}
        return campaign, out

    def status(self, subscriber):
        return self.api.request("GET", "/api/v1/subscribers/%d" % subscriber["id"]).json()["status"]

    def bounces(self, subscriber):
        r = self.api.request("GET", "/api/v1/subscribers/%d/bounces" % subscriber["id"])
        self.assertEqual(r.status, 200, r)
        return r.json()["items"]

    def wait_for(self, predicate, what, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = predicate()
            if value:
                return value
            time.sleep(0.2)
        self.fail("waited in vain for " + what)


def list_unsubscribe(mail):
    """(https URL, mailto address) of the List-Unsubscribe header"""
    value = re.sub(r"\s+", "", str(mail["List-Unsubscribe"]))
    url = re.search(r"<(https?://[^>]+)>", value)
    mailto = re.search(r"<mailto:([^?>]+)", value)
    return (url.group(1) if url else None, mailto.group(1) if mailto else None)
