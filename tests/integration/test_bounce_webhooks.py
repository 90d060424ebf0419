"""The providers' webhooks: Amazon SES through SNS (signature checked with a certificate served
over loopback, subscription confirmed), SendGrid's signed Event Webhook, Postmark's basic
credentials and Mailgun's signing key. A valid request is applied and mapped to the message;
a missing or altered signature is refused with 401/403 and writes nothing; a retried event is
recorded once. Keys and certificates are made by the test with openssl."""

import base64
import hashlib
import hmac
import http.server
import json
import os
import subprocess
import threading
import time
import unittest

from audience_fixtures import AudienceCase
from bounce_fixtures import BounceCase
from harness import PgCluster, make_temp_dir

MAILGUN_KEY = "key-mailgun-ñ-секрет"
POSTMARK = ("postmark", "clave-segura")


def setUpModule():
    AudienceCase.cluster = PgCluster()


def tearDownModule():
    AudienceCase.cluster.destroy()


def openssl(*args, data=None):
    return subprocess.run(["openssl", *args], input=data, capture_output=True, check=True).stdout


class CertificateServer(http.server.ThreadingHTTPServer):
    """serves the SNS signing certificate and records the subscription confirmations"""

    def __init__(self, pem):
        self.pem = pem
        self.confirmed = []
        super().__init__(("127.0.0.1", 0), CertificateHandler)
        threading.Thread(target=self.serve_forever, daemon=True).start()


class CertificateHandler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path == "/SimpleNotificationService-test.pem":
            body = self.server.pem
        elif self.path.startswith("/confirm"):
            self.server.confirmed.append(self.path)
            body = b"<ConfirmSubscriptionResponse/>"
        else:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class WebhookTest(BounceCase):
    @classmethod
    def setUpClass(cls):
        cls.keys = make_temp_dir("mailcast-keys-")
        k = lambda name: os.path.join(cls.keys, name)
        openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", k("sns.key"), "-out",
                k("sns.pem"), "-days", "1", "-subj", "/CN=sns.test")
        openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", k("other.key"), "-out",
                k("other.pem"), "-days", "1", "-subj", "/CN=other.test")
        openssl("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", k("sendgrid.key"))
        sendgrid_public = base64.b64encode(openssl("ec", "-in", k("sendgrid.key"), "-pubout",
                                                   "-outform", "DER")).decode()
        with open(k("sns.pem"), "rb") as f:
            cls.certs = CertificateServer(f.read())
        cls.base = "http://127.0.0.1:%d/" % cls.certs.server_address[1]
        cls.server_env = {"MAILCAST_BOUNCES_SES_CERTIFICATE_URL": cls.base,
                          "MAILCAST_BOUNCES_SES_TOPIC_ARN": "arn:aws:sns:eu-west-1:1:rebotes",
                          "MAILCAST_BOUNCES_SENDGRID_PUBLIC_KEY": sendgrid_public,
                          "MAILCAST_BOUNCES_POSTMARK_USERNAME": POSTMARK[0],
                          "MAILCAST_BOUNCES_POSTMARK_PASSWORD": POSTMARK[1],
                          "MAILCAST_BOUNCES_MAILGUN_SIGNING_KEY": MAILGUN_KEY}
        super().setUpClass()

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        cls.certs.shutdown()
        subprocess.run(["rm", "-rf", cls.keys])

    def post(self, provider, raw, headers=None):
        h = {"Content-Type": "application/json"}
        h.update(headers or {})
        return self.server.client().request("POST", "/webhooks/" + provider, raw=raw, headers=h)

    def count(self):
        return int(self.psql("SELECT count(*) FROM bounces"))

    def row(self, subscriber):
        return self.psql("SELECT string_agg(kind || '/' || source || '/' || coalesce(message_id::text,"
                         " '-'), ',' ORDER BY id) FROM bounces WHERE subscriber_id = %d"
                         % subscriber["id"])

    def assert_refused(self, r, status):
        self.assertEqual(r.status, status, r)
        self.assertTrue(r.json()["error"]["message"])

    # ---- Mailgun

    def mailgun(self, event, timestamp=None, token="tok-1", key=MAILGUN_KEY):
        ts = str(int(timestamp if timestamp is not None else time.time()))
        sig = hmac.new(key.encode(), (ts + token).encode(), hashlib.sha256).hexdigest()
        return {"signature": {"timestamp": ts, "token": token, "signature": sig},
                "event-data": event}

    def test_mailgun_events_are_accepted_with_their_signature_only(self):
        campaign, sent = self.send_campaign([("mg.dura@example.org", "Dura"),
                                             ("mg.queja@example.org", "Queja")])
        dura, queja = sent["mg.dura@example.org"], sent["mg.queja@example.org"]
        failed = {"id": "mg-ev-1", "event": "failed", "severity": "permanent",
                  "recipient": "mg.dura@example.org",
                  "message": {"headers": {"message-id": "%s@example.com" % dura["token"]}},
                  "delivery-status": {"code": 550, "message": "5.1.1 Buzón no existe"}}
        before = self.count()
        body = self.mailgun(failed)
        # altered after signing, signed with another key, too old, or not signed at all
        altered = json.loads(json.dumps(body))
        altered["signature"]["token"] = "tok-2"
        self.assert_refused(self.post("mailgun", json.dumps(altered).encode()), 403)
        self.assert_refused(self.post("mailgun", json.dumps(
            self.mailgun(failed, key="otra")).encode()), 403)
        self.assert_refused(self.post("mailgun", json.dumps(
            self.mailgun(failed, timestamp=time.time() - 3600)).encode()), 403)
        self.assert_refused(self.post("mailgun", json.dumps({"event-data": failed}).encode()), 401)
        self.assertEqual(self.count(), before)

        r = self.post("mailgun", json.dumps(body).encode())
        self.assertEqual((r.status, r.json()), (200, {"recorded": 1}), r)
        # the same event again (Mailgun retries) is recorded once
        self.assertEqual(self.post("mailgun", json.dumps(body).encode()).json(), {"recorded": 0})
        self.assertEqual(self.row(dura["subscriber"]), "hard/mailgun/%d" % dura["message_id"])
        self.assertEqual(self.status(dura["subscriber"]), "blocklisted")
        complained = {"id": "mg-ev-2", "event": "complained", "recipient": "mg.queja@example.org",
                      "message": {"headers": {"message-id": "%s@example.com" % queja["token"]}}}
        r = self.post("mailgun", json.dumps(self.mailgun(complained, token="tok-3")).encode())
        self.assertEqual(r.json(), {"recorded": 1}, r)
        self.assertEqual(self.status(queja["subscriber"]), "unsubscribed")

    # ---- SendGrid

    def sendgrid_headers(self, raw, timestamp="1765000000"):
        sig = openssl("dgst", "-sha256", "-sign", os.path.join(self.keys, "sendgrid.key"),
                      data=timestamp.encode() + raw)
        return {"X-Twilio-Email-Event-Webhook-Signature": base64.b64encode(sig).decode(),
                "X-Twilio-Email-Event-Webhook-Timestamp": timestamp}

    def test_sendgrid_events_are_accepted_with_their_signature_only(self):
        campaign, sent = self.send_campaign([("sg.rebote@example.org", "Rebote"),
                                             ("sg.spam@example.org", "Спам"),
                                             ("sg.entregado@example.org", "Entregado")])
        reb, spam = sent["sg.rebote@example.org"], sent["sg.spam@example.org"]
        events = [
            {"email": "sg.rebote@example.org", "event": "bounce", "type": "bounce",
             "smtp-id": "<%s@example.com>" % reb["token"], "sg_event_id": "sg-1",
             "reason": "550 5.1.1 Usuario desconocido", "status": "5.1.1"},
            {"email": "sg.spam@example.org", "event": "spamreport", "sg_event_id": "sg-2",
             "smtp-id": "<%s@example.com>" % spam["token"]},
            {"email": "sg.entregado@example.org", "event": "delivered", "sg_event_id": "sg-3"},
        ]
        raw = json.dumps(events, ensure_ascii=False).encode()
        headers = self.sendgrid_headers(raw)
        before = self.count()
        self.assert_refused(self.post("sendgrid", raw.replace(b"spamreport", b"open"), headers),
                            403)
        self.assert_refused(self.post("sendgrid", raw), 401)
        self.assertEqual(self.count(), before)
        r = self.post("sendgrid", raw, headers)
        self.assertEqual((r.status, r.json()), (200, {"recorded": 2}), r)
        self.assertEqual(self.row(reb["subscriber"]), "hard/sendgrid/%d" % reb["message_id"])
        self.assertEqual(self.row(spam["subscriber"]), "complaint/sendgrid/%d" % spam["message_id"])
        self.assertEqual(self.status(sent["sg.entregado@example.org"]["subscriber"]), "active")
        self.assertEqual(self.bounces(reb["subscriber"])[0]["smtp_code"], 550)

    # ---- Postmark

    def test_postmark_needs_its_credentials(self):
        _, sent = self.send_campaign([("pm.blando@example.org", "Blando")])
        s = sent["pm.blando@example.org"]
        raw = json.dumps({"RecordType": "Bounce", "ID": 4323372036854775807, "Type": "SoftBounce",
                          "Email": "pm.blando@example.org", "Description": "Buzón lleno",
                          "Details": "452 4.2.2 Mailbox full"}).encode()
        good = "Basic " + base64.b64encode(("%s:%s" % POSTMARK).encode()).decode()
        bad = "Basic " + base64.b64encode(b"postmark:otra").decode()
        before = self.count()
        self.assert_refused(self.post("postmark", raw), 401)
        self.assert_refused(self.post("postmark", raw, {"Authorization": bad}), 403)
        self.assertEqual(self.count(), before)
        r = self.post("postmark", raw, {"Authorization": good})
        self.assertEqual((r.status, r.json()), (200, {"recorded": 1}), r)
        # Postmark's MessageID is its own: the bounce belongs to the subscriber, not a message
        self.assertEqual(self.row(s["subscriber"]), "soft/postmark/-")
        self.assertEqual(self.status(s["subscriber"]), "active")

    # ---- Amazon SES through SNS

    def sns(self, fields, key="sns.key", cert=None):
        message = dict(fields, SignatureVersion="2",
                       SigningCertURL=cert or self.base + "SimpleNotificationService-test.pem")
        if message["Type"] == "Notification":
            keys = ["Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"]
        else:
            keys = ["Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"]
        text = "".join("%s\n%s\n" % (k, message[k]) for k in keys if k in message)
        sig = openssl("dgst", "-sha256", "-sign", os.path.join(self.keys, key), data=text.encode())
        message["Signature"] = base64.b64encode(sig).decode()
        return message

    def test_ses_notifications_are_checked_against_the_signing_certificate(self):
        campaign, sent = self.send_campaign([("ses.dura@example.org", "Dura"),
                                             ("ses.otra@example.org", "Otra")])
        s = sent["ses.dura@example.org"]
        confirm = self.sns({"Type": "SubscriptionConfirmation", "MessageId": "sub-1",
                            "Token": "tok", "TopicArn": "arn:aws:sns:eu-west-1:1:rebotes",
                            "Message": "You have chosen to subscribe",
                            "SubscribeURL": self.base + "confirm?Token=tok",
                            "Timestamp": "2026-12-06T06:00:00.000Z"})
        r = self.post("ses", json.dumps(confirm).encode(), {"Content-Type": "text/plain"})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(self.certs.confirmed, ["/confirm?Token=tok"])

        ses = {"notificationType": "Bounce",
               "bounce": {"bounceType": "Permanent", "feedbackId": "fb-1",
                          "bouncedRecipients": [{"emailAddress": "ses.dura@example.org",
                                                 "status": "5.1.1",
                                                 "diagnosticCode": "smtp; 550 5.1.1 no existe"}]},
               "mail": {"messageId": "0100-ses", "source": "bounces+%s@example.com" % s["token"],
                        "destination": ["ses.dura@example.org"]}}
        note = self.sns({"Type": "Notification", "MessageId": "n-1",
                         "TopicArn": "arn:aws:sns:eu-west-1:1:rebotes",
                         "Message": json.dumps(ses, ensure_ascii=False),
                         "Timestamp": "2026-12-06T06:01:00.000Z"})
        before = self.count()
        altered = dict(note, Message=note["Message"].replace("ses.dura", "ses.otra"))
        self.assert_refused(self.post("ses", json.dumps(altered).encode()), 403)
        self.assert_refused(self.post("ses", json.dumps(self.sns(
            dict(note), key="other.key")).encode()), 403)
        elsewhere = self.sns(dict(note), cert="http://127.0.0.2:1/SimpleNotificationService-x.pem")
        self.assert_refused(self.post("ses", json.dumps(elsewhere).encode()), 403)
        other_topic = self.sns(dict(note, TopicArn="arn:aws:sns:eu-west-1:1:ajeno"))
        self.assert_refused(self.post("ses", json.dumps(other_topic).encode()), 403)
        unsigned = {k: v for k, v in note.items() if k != "Signature"}
        self.assert_refused(self.post("ses", json.dumps(unsigned).encode()), 401)
        self.assertEqual(self.count(), before)

        r = self.post("ses", json.dumps(note).encode())
        self.assertEqual((r.status, r.json()), (200, {"recorded": 1}), r)
        self.assertEqual(self.row(s["subscriber"]), "hard/ses/%d" % s["message_id"])
        self.assertEqual(self.status(s["subscriber"]), "blocklisted")
        self.assertEqual(self.status(sent["ses.otra@example.org"]["subscriber"]), "active")
        # the certificate was fetched once and kept
        self.assertEqual(self.psql("SELECT count(*) FROM sns_certificates"), "1")


if __name__ == "__main__":
    unittest.main()
