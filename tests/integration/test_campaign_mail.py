"""What a campaign message carries when it reaches a real SMTP peer: the shipped layout's
complete footer (sender name, list name, postal address) in both parts, List-Id and a
Feedback-ID naming the list, a text part without the hidden preheader, the subscriber's data
under the names the API shows; test sends with the same headers and a working unsubscribe
link; transactional mail with the same data; render errors that name the part."""

import re
import time
import unittest
import urllib.parse

from audience_fixtures import AudienceCase
from campaign_fixtures import SendingCase
from harness import PgCluster

SENDER = "Tienda Ñandú & Cía"
POSTAL = "Calle Mayor 1, 28013 Madrid, España"

BODY = ("{{<layouts/base}}{{$preheader}}Ofertas de otoño para {{first_name}}{{/preheader}}"
        "{{$content}}<p>Hola {{first_name}} de {{attributes.ciudad}} ({{ciudad}},"
        " {{subscriber.email}}, {{subscriber.status}})</p>{{/content}}{{/layouts/base}}")


def setUpModule():
    AudienceCase.cluster = PgCluster()


def tearDownModule():
    AudienceCase.cluster.destroy()


def words(text):
    return " ".join(text.split())


class CampaignMailTest(SendingCase):
    server_env = {"MAILCAST_SERVER_PUBLIC_URL": "https://news.example.org",
                  "MAILCAST_MAIL_SENDER_NAME": SENDER, "MAILCAST_MAIL_POSTAL_ADDRESS": POSTAL}

    def campaign(self, **fields):
        body = {"name": "Otoño", "subject": "Hola {{first_name}}", "from_email": "news@example.com",
                "from_name": "Noticias", "body": BODY}
        body.update(fields)
        r = self.api.request("POST", "/api/v1/campaigns", body)
        self.assertEqual(r.status, 201, r)
        return r.json()

    def wait_sent(self, message_ids, timeout=60):
        deadline = time.monotonic() + timeout
        while any(self.api.request("GET", "/api/v1/messages/%d" % i).json()["state"] != "sent"
                  for i in message_ids):
            self.assertLess(time.monotonic(), deadline)
            time.sleep(0.2)

    def assert_page_works(self, url, address):
        """the preferences page of url (on https://news.example.org) answers for address"""
        path = urllib.parse.urlsplit(url).path
        self.assertTrue(path.startswith("/preferences/"), url)
        page = self.api.request("GET", path)
        self.assertEqual(page.status, 200, page)
        self.assertIn(address, page.body)

    def test_a_campaign_mail_has_a_complete_footer_and_its_list_headers(self):
        lst = self.create_list("Boletín de otoño")
        sub = self.create_subscriber("ana.footer@example.org", name="Ana Ruiz", lists=[lst["id"]],
                                     attributes={"ciudad": "Sevilla"})
        c = self.campaign(lists=[lst["id"]])
        self.send(c)
        self.wait_state(c, "finished")
        [msg] = self.received()["ana.footer@example.org"]
        html = msg.get_body(("html",)).get_content()
        text = msg.get_body(("plain",)).get_content()
        sentence = "You receive this email because you subscribed to Boletín de otoño from %s." % SENDER
        self.assertIn(sentence.replace("&", "&amp;"), html)
        self.assertIn(POSTAL, html)
        self.assertIn(sentence, words(text))
        self.assertIn(POSTAL, words(text))
        self.assertIn("Hola Ana de Sevilla (Sevilla, ana.footer@example.org, active)", html)
        # the preheader and its filler characters are for the inbox list only
        self.assertTrue(text.startswith("Hola Ana de Sevilla"), text[:200])
        self.assertNotIn("\u2007", text)
        self.assertNotIn("Ofertas de otoño", text)
        self.assertIn("Ofertas de otoño para Ana", html)
        # RFC 2919 with an encoded word for the name; the feedback loop names the same list
        self.assertEqual(str(msg["List-Id"]), "Boletín de otoño <list-%d.example.com>" % lst["id"])
        raw = msg.as_bytes().decode("ascii")
        self.assertRegex(raw, r"List-Id: =\?UTF-8\?")
        self.assertEqual(msg["Feedback-ID"], "%d:list-%d:campaign:mailcast" % (c["id"], lst["id"]))
        self.assertEqual(msg["List-Unsubscribe-Post"], "List-Unsubscribe=One-Click")
        link = re.search(r"<(https://news\.example\.org/preferences/[^>]+)>", msg["List-Unsubscribe"])
        self.assertIsNotNone(link, msg["List-Unsubscribe"])
        self.assertIn('href="%s"' % link.group(1), html)
        self.assert_page_works(link.group(1), sub["email"])

    def test_a_test_send_carries_the_bulk_headers_and_link_of_the_real_send(self):
        lst = self.create_list("Новости")
        sub = self.create_subscriber("olga.test@example.org", name="Ольга", lists=[lst["id"]],
                                     attributes={"ciudad": "Москва"})
        qa = self.create_subscriber("qa.self@example.org", name="Quality")
        c = self.campaign(lists=[lst["id"]])
        r = self.api.request("POST", "/api/v1/campaigns/%d/test" % c["id"],
                             {"to": ["qa.other@example.org"], "subscriber_id": sub["id"]})
        self.assertEqual(r.status, 202, r)
        mine = self.api.request("POST", "/api/v1/campaigns/%d/test" % c["id"],
                                {"to": ["qa.self@example.org"]})
        self.assertEqual(mine.status, 202, mine)
        self.wait_sent(r.json()["message_ids"] + mine.json()["message_ids"])
        self.send(c)
        self.wait_state(c, "finished")
        got = self.received()
        [real] = got["olga.test@example.org"]
        [test] = got["qa.other@example.org"]
        self.assertEqual(test["Subject"], "[Test] Hola Ольга")
        # the unsubscribe link and address name each its own message (and so differ in that
        # id and their signature): alike otherwise
        def same_subscriber(value):
            value = re.sub(r"/preferences/p\.(\d+)\.\d+\.0\.[0-9a-f]+", r"/preferences/p.\1", value)
            return re.sub(r"unsubscribe\+(\d+)\.\d+\.[0-9a-f]+@", r"unsubscribe+\1@", value)
        for header in ("List-Id", "Feedback-ID", "List-Unsubscribe", "List-Unsubscribe-Post"):
            self.assertIsNotNone(test[header], header)
            self.assertEqual(same_subscriber(str(test[header])), same_subscriber(str(real[header])),
                             header)
        self.assertIn("/preferences/p.%d." % sub["id"], str(test["List-Unsubscribe"]))
        self.assertEqual(str(test["List-Id"]), "Новости <list-%d.example.com>" % lst["id"])
        html = test.get_body(("html",)).get_content()
        self.assertIn("Hola Ольга de Москва", html)
        self.assertIn("subscribed to Новости from", html)
        # sent to an address that is a subscriber: their own data and working link
        [own] = got["qa.self@example.org"]
        link = re.search(r"<(https://[^>]+)>", own["List-Unsubscribe"]).group(1)
        self.assertIn("qa.self@example.org", own.get_body(("html",)).get_content())
        self.assert_page_works(link, qa["email"])

    def test_a_segment_campaign_names_its_segment_and_the_footer_reads_well(self):
        self.create_subscriber("segment.only@example.org", name="Sara",
                               attributes={"ciudad": "Bilbao"})
        segment = self.api.request("POST", "/api/v1/segments", {
            "name": "Bilbaínos", "rule": {"field": "attributes.ciudad", "op": "eq",
                                          "value": "Bilbao"}}).json()
        c = self.campaign(segments=[segment["id"]])
        self.send(c)
        self.wait_state(c, "finished")
        [msg] = self.received()["segment.only@example.org"]
        html = msg.get_body(("html",)).get_content()
        self.assertIn("because you subscribed to emails from %s." % SENDER.replace("&", "&amp;"),
                      html)
        self.assertNotIn(" .</p>", html)
        self.assertEqual(str(msg["List-Id"]), "Bilbaínos <segment-%d.example.com>" % segment["id"])
        self.assertEqual(msg["Feedback-ID"],
                         "%d:segment-%d:campaign:mailcast" % (c["id"], segment["id"]))

    def test_a_render_error_names_the_part(self):
        lst = self.create_list("Fechas")
        self.create_subscriber("bad.date@example.org", lists=[lst["id"]],
                               attributes={"alta": "no es una fecha"})
        c = self.campaign(lists=[lst["id"]], subject="Hola",
                          body="<p>Desde {{ alta | date: \"%Y\" }}</p>")
        self.send(c)
        self.wait_state(c, "finished")
        reason = self.psql("SELECT reason FROM messages WHERE campaign_id = %d" % c["id"])
        self.assertRegex(reason, r"^the message could not be built: body: line 1, column 10: ")

    def test_transactional_mail_sees_the_subscriber_objects(self):
        r = self.api.request("POST", "/api/v1/templates", {
            "name": "Recibo", "kind": "transactional", "subject": "Pedido {{pedido}}",
            "body": "<p>{{subscriber.name}} · {{attributes.ciudad}} · {{ciudad}} ·"
                    " {{subscriber.attributes.ciudad}}</p>"})
        self.assertEqual(r.status, 201, r)
        sub = self.create_subscriber("tx.objects@example.org", name="Иван Петров",
                                     attributes={"ciudad": "Ciudad Real"})
        r = self.api.request("POST", "/api/v1/tx", {"subscriber_id": sub["id"],
                                                    "template_id": r.json()["id"],
                                                    "data": {"pedido": "A-9", "ciudad": "Lima"}})
        self.assertEqual(r.status, 202, r)
        self.wait_sent([r.json()["message_id"]])
        [msg] = self.received()["tx.objects@example.org"]
        # the message's data wins over the flat name; the objects keep the subscriber's
        self.assertIn("Иван Петров · Ciudad Real · Lima · Ciudad Real",
                      msg.get_body(("html",)).get_content())
        self.assertIsNone(msg["List-Id"])

    def test_the_preview_shows_the_configured_footer(self):
        t = self.api.request("POST", "/api/v1/templates", {"name": "Vista", "body": BODY}).json()
        r = self.api.request("POST", "/api/v1/templates/%d/preview" % t["id"],
                             {"data": {"first_name": "Eva"}})
        self.assertEqual(r.status, 200, r)
        html = r.json()["html"]
        self.assertIn("subscribed to emails from %s." % SENDER.replace("&", "&amp;"), html)
        self.assertIn(POSTAL, html)
        self.assertIn("attributes.ciudad", r.json()["missing"])


if __name__ == "__main__":
    unittest.main()
