"""Tracked mail end to end: a campaign's message captured at a real SMTP peer carries only
signed click links (besides mailto:, tel:, anchors, data-notrack and the unsubscribe page) and
an open pixel; following a link redirects to exactly its original URL (UTM kept, IRIs as
URIs) and records a click; an altered token gets a 404 and no Location; the pixel records an
open; campaigns with tracking off are left alone; transactional mail is tracked per template;
[tracking] store_ip = false stores no client hint; a SIGTERM right after N pixel requests
leaves exactly N opens in engagement_inbox."""

import base64
import concurrent.futures
import hashlib
import hmac
import html.parser
import http.client
import os
import re
import time
import urllib.parse

from audience_fixtures import AudienceCase
from campaign_fixtures import SendingCase
from harness import PgCluster, Server

PUBLIC = "https://news.example.org"
UA = "Mozilla/5.0 (X11; Linux) Почта/1.0 Año"
UA_WIRE = UA.encode("utf-8").decode("latin-1")  # http.client sends header values as Latin-1

BODY = """<!doctype html>
<html><head><meta charset="utf-8"><title>Otoño</title></head>
<body>
<p>Hola {{first_name}}: <a href="https://shop.example.com/ofertas?cat=1" class="btn">Ver las ofertas de otoño</a></p>
<p><a href='https://shop.example.ru/скидки?сезон=зима'>Скидки для вас</a>
 · <a href="https://example.org/%D0%BA%D0%B0%D1%82%D0%B0%D0%BB%D0%BE%D0%B3">Каталог</a></p>
<p><a href="https://shop.example.com/u/{{subscriber.id}}">Tu página</a></p>
<p><a href="mailto:ayuda@example.com">Ayuda</a> <a href="tel:+34911234567">Llámanos</a>
 <a href="#arriba">Arriba</a> <a data-notrack href="https://private.example.com/cuenta">Cuenta</a></p>
<p><a href="{{unsubscribe_url}}">Darse de baja</a></p>
</body>
</html>
"""

UTM = {"source": "boletín", "medium": "email", "campaign": "otoño"}

# Opens and clicks as the endpoints recorded them, wherever they are now: the worker's job moves
# them from engagement_inbox into the history two seconds after they came (implied opens are
# the job's own, not requests). A test send's row in the history names no campaign.
RECORDED = ("(SELECT occurred_at, kind, message_id, campaign_id, subscriber_id, link_id, method,"
            " user_agent, client_hint FROM engagement_inbox UNION ALL SELECT occurred_at, kind,"
            " message_id, campaign_id, subscriber_id, link_id, method, user_agent, client_hint"
            " FROM message_engagements WHERE reason <> 'implied_by_click')")


def setUpModule():
    AudienceCase.cluster = PgCluster()


def tearDownModule():
    AudienceCase.cluster.destroy()


class Hrefs(html.parser.HTMLParser):
    """every href and img src of a page, with the link's text"""

    def __init__(self):
        super().__init__()
        self.links, self.images, self._open = [], [], None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a" and "href" in attrs:
            self._open = [attrs["href"], "", "data-notrack" in attrs]
            self.links.append(self._open)
        if tag == "img":
            self.images.append(attrs.get("src"))

    def handle_endtag(self, tag):
        if tag == "a":
            self._open = None

    def handle_data(self, data):
        if self._open is not None:
            self._open[1] += data


def parse(page):
    p = Hrefs()
    p.feed(page)
    return p


def tagged(url):
    """url with the campaign's UTM parameters, as the campaign's tagging writes them"""
    query = urllib.parse.urlencode([("utm_source", UTM["source"]), ("utm_medium", UTM["medium"]),
                                    ("utm_campaign", UTM["campaign"])])
    return url + ("&" if "?" in url else "?") + query


def iri_to_uri(url):
    return urllib.parse.quote(url, safe="%/:=&?~#+!$,;'@()*[]")


class TrackingTest(SendingCase):
    server_env = {"MAILCAST_SERVER_PUBLIC_URL": PUBLIC}

    def campaign(self, **fields):
        body = {"name": "Otoño", "subject": "Hola {{first_name}}", "from_email": "news@example.com",
                "from_name": "Noticias", "body": BODY, "utm": UTM}
        body.update(fields)
        r = self.api.request("POST", "/api/v1/campaigns", body)
        self.assertEqual(r.status, 201, r)
        return r.json()

    def sent_to(self, address, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            got = self.received().get(address)
            if got:
                return got[-1]
            time.sleep(0.1)
        self.fail("nothing reached %s" % address)

    def rows(self, sql, expected, timeout=15):
        """waits for sql to answer expected (the batch is written within 200 ms)"""
        deadline = time.monotonic() + timeout
        got = None
        while time.monotonic() < deadline:
            got = self.psql(sql)
            if got == expected:
                return got
            time.sleep(0.1)
        self.assertEqual(got, expected, sql)

    def click_token(self, message_id, campaign_id, subscriber_id, link_id, url=None):
        """a click token signed as the server signs them (docs/tracking.md, "Tokens"); with url,
        a personalized link's, which carries the URL it rendered"""
        def leb128(v):
            out = bytearray()
            while True:
                byte, v = v & 0x7F, v >> 7
                out.append(byte | (0x80 if v else 0))
                if not v:
                    return bytes(out)
        with open(os.path.join(self.server.data_dir, "secret")) as f:
            key = bytes.fromhex(f.read().strip())
        payload = (b"u" if url else b"c") + b"".join(
            leb128(v) for v in (message_id, campaign_id, subscriber_id, link_id))
        if url:
            payload += url.encode("utf-8")
        mac = hmac.new(key, b"mailcast-track-v1" + payload, hashlib.sha256).digest()[:12]
        return base64.urlsafe_b64encode(payload + mac).decode().rstrip("=")

    def get(self, url, method="GET", headers=None):
        self.assertTrue(url.startswith(PUBLIC + "/"), url)
        return self.server.client().request(method, url[len(PUBLIC):], headers=headers)

    def test_a_campaign_mail_has_only_signed_links_that_redirect_to_the_original_urls(self):
        lst = self.create_list("Boletín de otoño")
        ana = self.create_subscriber("ana.track@example.org", name="Ana Ruiz", lists=[lst["id"]])
        self.create_subscriber("oleg.track@example.org", name="Олег Петров", lists=[lst["id"]])
        c = self.campaign(lists=[lst["id"]])
        self.assertTrue(c["track_opens"] and c["track_clicks"])  # on unless switched off
        self.send(c)
        self.wait_state(c, "finished")
        msg = self.sent_to("ana.track@example.org")
        page = msg.get_body(("html",)).get_content()
        text = msg.get_body(("plain",)).get_content()
        message_id = int(self.psql("SELECT id FROM messages WHERE campaign_id = %d AND "
                                   "subscriber_id = %d" % (c["id"], ana["id"])))
        found = parse(page)
        expected = {
            "Ver las ofertas de otoño": tagged("https://shop.example.com/ofertas?cat=1"),
            "Скидки для вас": iri_to_uri(tagged("https://shop.example.ru/скидки?сезон=зима")),
            "Каталог": tagged("https://example.org/%D0%BA%D0%B0%D1%82%D0%B0%D0%BB%D0%BE%D0%B3"),
            "Tu página": tagged("https://shop.example.com/u/%d" % ana["id"]),
        }
        kept = {"Ayuda": "mailto:ayuda@example.com", "Llámanos": "tel:+34911234567",
                "Arriba": "#arriba",
                # tagged for analytics, not tracked
                "Cuenta": tagged("https://private.example.com/cuenta")}
        tracked = {}
        for href, label, _ in found.links:
            label = " ".join(label.split())
            if label in kept:
                self.assertEqual(href, kept[label])
            elif label == "Darse de baja":
                self.assertTrue(href.startswith(PUBLIC + "/preferences/"), href)
            else:
                # a personalized link's token also carries the URL it rendered: longer
                self.assertRegex(href, r"^%s/t/c/[A-Za-z0-9_-]{20,%s}$"
                                 % (re.escape(PUBLIC), "" if label == "Tu página" else "60"), label)
                tracked[label] = href
        self.assertEqual(sorted(tracked), sorted(expected))
        # the rest of the HTML is as rendered: the link texts and attributes are untouched
        self.assertIn('class="btn">Ver las ofertas de otoño</a>', page)
        self.assertIn("<a data-notrack href=\"https://private.example.com/cuenta?utm_", page)
        # the links were found once, when the campaign was compiled, not in each message
        self.assertFalse(any("campaign %d: tracking finds the links of each message" % c["id"]
                             in line for line in self.server.stderr_lines))
        # the pixel, before </body>
        [pixel] = found.images
        self.assertRegex(pixel, r"^%s/t/o/[A-Za-z0-9_-]{20,60}\.gif$" % re.escape(PUBLIC))
        self.assertLess(page.index(pixel), page.index("</body>"))
        self.assertGreater(page.index(pixel), page.index("Darse de baja"))
        # the text part shows the same tracked URLs and no other web address but those left alone
        for url in re.findall(r"https?://[^\s)]+", text):
            self.assertTrue(url in tracked.values() or url == kept["Cuenta"]
                            or url.startswith(PUBLIC + "/preferences/"), url)
        for label, url in tracked.items():
            self.assertIn(url, text, label)

        # each link redirects to exactly its original URL, and the click is recorded
        for label, url in tracked.items():
            r = self.get(url, headers={"User-Agent": UA_WIRE})
            self.assertEqual(r.status, 302, (label, r))
            self.assertEqual(r.header("Location"), expected[label], label)
        self.rows("SELECT count(*) FROM " + RECORDED + " recorded WHERE kind = 'click' AND message_id = %d"
                  % message_id, str(len(tracked)))
        self.assertEqual(
            self.psql("SELECT DISTINCT campaign_id || ' ' || subscriber_id || ' ' || method || ' '"
                      " || user_agent || ' ' || client_hint FROM " + RECORDED + " recorded"
                      " WHERE message_id = %d" % message_id),
            "%d %d GET %s 127.0.0.0/24" % (c["id"], ana["id"], UA))
        # each click names the link of its campaign whose href it went to, as written (the
        # personalized one with its tag)
        got = self.psql("SELECT l.url FROM " + RECORDED + " e JOIN tracked_links l ON"
                        " l.id = e.link_id AND l.campaign_id = %d WHERE e.message_id = %d"
                        " ORDER BY l.url" % (c["id"], message_id)).split("\n")
        written = dict(expected, **{"Tu página": tagged("https://shop.example.com/u/{{subscriber.id}}")})
        self.assertEqual(sorted(urllib.parse.unquote(iri_to_uri(u)) for u in got),
                         sorted(urllib.parse.unquote(iri_to_uri(u)) for u in written.values()))
        # a scanner's HEAD redirects too and is recorded as such
        r = self.get(tracked["Каталог"], method="HEAD")
        self.assertEqual((r.status, r.header("Location")), (302, expected["Каталог"]))
        self.rows("SELECT count(*) FROM " + RECORDED + " recorded WHERE method = 'HEAD' AND message_id = %d"
                  % message_id, "1")

        # the pixel answers a GIF nobody may cache, and records an open
        r = self.get(pixel, headers={"User-Agent": UA_WIRE})
        self.assertEqual(r.status, 200)
        self.assertEqual(r.header("Content-Type"), "image/gif")
        self.assertIn("no-store", r.header("Cache-Control"))
        self.assertTrue(r.body.startswith("GIF89a"))
        self.rows("SELECT count(*) FROM " + RECORDED + " recorded WHERE kind = 'open' AND message_id = %d"
                  " AND campaign_id = %d AND subscriber_id = %d AND link_id IS NULL"
                  % (message_id, c["id"], ana["id"]), "1")

        # one row per href as written, whoever got the message: the other subscriber's
        # personalized link names the same row and leads to his own page
        self.assertEqual(self.psql("SELECT count(*) FROM tracked_links WHERE campaign_id = %d"
                                   % c["id"]), str(len(tracked)))
        oleg = self.sent_to("oleg.track@example.org").get_body(("html",)).get_content()
        [his] = [href for href, label, _ in parse(oleg).links if label.strip() == "Tu página"]
        oleg_id = int(self.psql("SELECT id FROM subscribers WHERE email = 'oleg.track@example.org'"))
        r = self.get(his)
        self.assertEqual((r.status, r.header("Location")),
                         (302, tagged("https://shop.example.com/u/%d" % oleg_id)))

    def test_a_personalized_link_token_whose_url_was_changed_redirects_nowhere(self):
        lst = self.create_list("Personal")
        sub = self.create_subscriber("personal@example.org", lists=[lst["id"]])
        c = self.campaign(lists=[lst["id"]], name="Personal", utm={})
        self.send(c)
        self.wait_state(c, "finished")
        message = int(self.psql("SELECT id FROM messages WHERE campaign_id = %d" % c["id"]))
        pattern = int(self.psql("SELECT id FROM tracked_links WHERE campaign_id = %d AND"
                                " url LIKE '%%{{subscriber.id}}%%'" % c["id"]))
        literal = int(self.psql("SELECT id FROM tracked_links WHERE campaign_id = %d AND"
                                " url = 'https://shop.example.com/ofertas?cat=1'" % c["id"]))
        own = "https://shop.example.com/u/%d" % sub["id"]
        # signed as the server signs: the token carries what the href does not give back (the
        # id), and the subscriber's own URL redirects
        r = self.get(PUBLIC + "/t/c/" + self.click_token(message, c["id"], sub["id"], pattern,
                                                         str(sub["id"])))
        self.assertEqual((r.status, r.header("Location")), (302, own))
        recorded = "SELECT count(*) FROM " + RECORDED + " recorded WHERE message_id = %d" % message
        self.rows(recorded, "1")
        # what a token carries only ever fills the href's tag: the host stays the href's
        r = self.get(PUBLIC + "/t/c/" + self.click_token(message, c["id"], sub["id"], pattern,
                                                         "1@evil.example/"))
        self.assertEqual((r.status, r.header("Location")),
                         (302, "https://shop.example.com/u/1@evil.example/"))
        self.rows(recorded, "2")
        # the pattern's row without a URL, a URL on a literal link's row, another campaign's
        # personalized link: validly signed, and still nowhere
        other = self.campaign(lists=[lst["id"]], name="Otra personal", utm={})
        self.send(other)
        self.wait_state(other, "finished")
        theirs = int(self.psql("SELECT id FROM tracked_links WHERE campaign_id = %d AND"
                               " url LIKE '%%{{subscriber.id}}%%'" % other["id"]))
        for token in (
                self.click_token(message, c["id"], sub["id"], pattern),
                self.click_token(message, c["id"], sub["id"], literal, "1"),
                self.click_token(message, c["id"], sub["id"], theirs, str(sub["id"]))):
            r = self.get(PUBLIC + "/t/c/" + token)
            self.assertEqual((r.status, r.header("Location")), (404, None), token)
        # the server's own token with its URL changed, character by character
        good = self.click_token(message, c["id"], sub["id"], pattern, str(sub["id"]))
        for i in range(0, len(good), 7):
            other = "A" if good[i] != "A" else "B"
            r = self.get(PUBLIC + "/t/c/" + good[:i] + other + good[i + 1:])
            self.assertEqual((r.status, r.header("Location")), (404, None), i)
        time.sleep(0.6)  # three flushes
        self.assertEqual(self.psql(recorded), "2")

    def test_links_printed_by_unescaped_values_are_tracked_from_each_message(self):
        lst = self.create_list("Promociones")
        self.create_subscriber("promo@example.org", lists=[lst["id"]], attributes={
            "promo": "<a href=\"https://promo.example.ru/рождество\">Промо</a>"})
        c = self.campaign(lists=[lst["id"]], name="Promo", utm={}, body=(
            "<html><body><p>{{{promo}}}</p>"
            "<p><a href=\"https://shop.example.com/fijo?u={{subscriber_id}}\">Fijo</a></p>"
            "</body></html>"))
        self.send(c)
        self.wait_state(c, "finished")
        page = self.sent_to("promo@example.org").get_body(("html",)).get_content()
        found = parse(page)
        self.assertEqual(len(found.images), 1)
        sub_id = int(self.psql("SELECT id FROM subscribers WHERE email = 'promo@example.org'"))
        expected = {"Промо": iri_to_uri("https://promo.example.ru/рождество"),
                    "Fijo": "https://shop.example.com/fijo?u=%d" % sub_id}
        for href, label, _ in found.links:
            self.assertRegex(href, r"^%s/t/c/" % re.escape(PUBLIC), label)
            r = self.get(href)
            self.assertEqual((r.status, r.header("Location")), (302, expected[label]), label)
        self.assertEqual(sorted(label for _, label, _ in found.links), sorted(expected))
        self.assertTrue(any("tracking finds the links of each message" in line
                            for line in self.server.stderr_lines))

    def test_altered_or_forged_tokens_redirect_nowhere_and_record_nothing(self):
        lst = self.create_list("Alterados")
        self.create_subscriber("alterado@example.org", lists=[lst["id"]])
        c = self.campaign(lists=[lst["id"]], name="Alterada")
        self.send(c)
        self.wait_state(c, "finished")
        msg = self.sent_to("alterado@example.org")
        found = parse(msg.get_body(("html",)).get_content())
        link = next(h for h, label, _ in found.links if "/t/c/" in h)
        [pixel] = found.images
        message = int(self.psql("SELECT id FROM messages WHERE campaign_id = %d" % c["id"]))
        token = link.rsplit("/", 1)[1]
        alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
        for i in range(len(token)):
            other = alphabet[(alphabet.index(token[i]) + 17) % 64]
            altered = link[:-len(token)] + token[:i] + other + token[i + 1:]
            r = self.get(altered)
            self.assertEqual(r.status, 404, altered)
            self.assertIsNone(r.header("Location"))
            self.assertIn("text/html", r.header("Content-Type"))
        # an open token is no click token, and a made-up one is nothing
        open_token = pixel.rsplit("/", 1)[1][:-4]
        for bogus in (open_token, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "x" * 500):
            r = self.get(PUBLIC + "/t/c/" + bogus)
            self.assertEqual((r.status, r.header("Location")), (404, None), bogus)
        # a forged pixel still gets the image and records nothing
        r = self.get(pixel[:-6] + ("A" if pixel[-5] != "A" else "B") + ".gif")
        self.assertEqual((r.status, r.header("Content-Type")), (200, "image/gif"))
        time.sleep(0.6)  # three flushes
        self.assertEqual(self.psql("SELECT count(*) FROM " + RECORDED + " recorded WHERE message_id = %d"
                                   % message), "0")

    def test_a_signed_token_redirects_only_to_a_link_of_its_own_campaign(self):
        lst = self.create_list("Dos campañas")
        sub = self.create_subscriber("dos@example.org", lists=[lst["id"]])
        first = self.campaign(lists=[lst["id"]], name="Primera")
        self.send(first)
        self.wait_state(first, "finished")
        second = self.campaign(lists=[lst["id"]], name="Segunda",
                               body="<p><a href=\"https://otra.example.net/\">otra</a></p>")
        self.send(second)
        self.wait_state(second, "finished")
        message = int(self.psql("SELECT id FROM messages WHERE campaign_id = %d" % first["id"]))
        own = int(self.psql("SELECT min(id) FROM tracked_links WHERE campaign_id = %d" % first["id"]))
        other = int(self.psql("SELECT id FROM tracked_links WHERE campaign_id = %d" % second["id"]))
        # the test's own signing is the server's: a link of the campaign redirects
        r = self.get(PUBLIC + "/t/c/" + self.click_token(message, first["id"], sub["id"], own))
        self.assertEqual(r.status, 302, r)
        recorded = "SELECT count(*) FROM " + RECORDED + " recorded WHERE message_id = %d" % message
        self.rows(recorded, "1")
        # the other campaign's link, a link that does not exist, a transactional message's
        for token in (self.click_token(message, first["id"], sub["id"], other),
                      self.click_token(message, first["id"], sub["id"], other + 1000),
                      self.click_token(message, 0, 0, own)):
            r = self.get(PUBLIC + "/t/c/" + token)
            self.assertEqual((r.status, r.header("Location")), (404, None), token)
        time.sleep(0.6)  # three flushes
        self.assertEqual(self.psql(recorded), "1")

    def test_switching_tracking_off_leaves_the_mail_as_rendered(self):
        lst = self.create_list("Sin seguimiento")
        self.create_subscriber("privado@example.org", lists=[lst["id"]])
        c = self.campaign(lists=[lst["id"]], name="Privada", track_opens=False, track_clicks=False)
        self.assertFalse(c["track_opens"] or c["track_clicks"])
        self.send(c)
        self.wait_state(c, "finished")
        page = self.sent_to("privado@example.org").get_body(("html",)).get_content()
        found = parse(page)
        self.assertEqual(found.images, [])
        self.assertNotIn("/t/", page)
        self.assertIn(tagged("https://shop.example.com/ofertas?cat=1").replace("&", "&amp;"), page)
        self.assertEqual(self.psql("SELECT count(*) FROM tracked_links WHERE campaign_id = %d"
                                   % c["id"]), "0")
        # opens alone: the pixel without rewritten links
        c = self.campaign(lists=[lst["id"]], name="Solo aperturas", track_clicks=False)
        self.send(c)
        self.wait_state(c, "finished")
        page = self.received()["privado@example.org"][-1].get_body(("html",)).get_content()
        self.assertEqual(len(parse(page).images), 1)
        self.assertNotIn("/t/c/", page)

    def test_a_message_whose_links_cannot_be_recorded_goes_with_its_links_as_written(self):
        lst = self.create_list("Sin tabla")
        self.create_subscriber("sintabla@example.org", lists=[lst["id"]])
        c = self.campaign(lists=[lst["id"]], name="Sin tabla", utm={},
                          body="<p><a href=\"https://nueva.example.net/oferta\">oferta</a></p>")
        self.psql("ALTER TABLE tracked_links RENAME TO tracked_links_away")
        try:
            self.send(c)
            self.wait_state(c, "finished")
        finally:
            self.psql("ALTER TABLE tracked_links_away RENAME TO tracked_links")
        found = parse(self.sent_to("sintabla@example.org").get_body(("html",)).get_content())
        self.assertEqual([h for h, _, _ in found.links], ["https://nueva.example.net/oferta"])
        self.assertEqual(len(found.images), 1)  # the pixel needs no row
        self.assertTrue(any("goes without click tracking" in line
                            for line in self.server.stderr_lines))

    def tx_message(self, address):
        """sends a transactional message with a link; returns (message id, click URL, pixel)"""
        r = self.api.request("POST", "/api/v1/templates", {
            "name": "Pedido " + address, "kind": "transactional", "subject": "Tu pedido",
            "body": "<p>Tu pedido: <a href=\"https://shop.example.com/pedido/{{n}}\">ver</a></p>"})
        self.assertEqual(r.status, 201, r)
        r = self.api.request("POST", "/api/v1/tx", {"to": address, "template_id": r.json()["id"],
                                                    "data": {"n": 77}})
        self.assertEqual(r.status, 202, r)
        msg = self.sent_to(address)
        found = parse(msg.get_body(("html",)).get_content())
        [(link, _, _)] = found.links
        [pixel] = found.images
        self.assertIn(link, msg.get_body(("plain",)).get_content())
        return r.json()["message_id"], link, pixel

    def test_opens_and_clicks_through_the_endpoints_reach_the_campaign_stats(self):
        lst = self.create_list("Estadísticas")
        self.create_subscriber("ana.stats@example.org", name="Ana Ruiz", lists=[lst["id"]])
        self.create_subscriber("oleg.stats@example.org", name="Олег Петров", lists=[lst["id"]])
        c = self.campaign(lists=[lst["id"]], name="Estadísticas de otoño")
        self.send(c)
        self.wait_state(c, "finished")
        # read an hour after delivery, as people do: no "soon after delivery" rule applies
        self.psql("UPDATE messages SET sent_at = now() - interval '1 hour' WHERE campaign_id = %d"
                  % c["id"])
        ana = parse(self.sent_to("ana.stats@example.org").get_body(("html",)).get_content())
        oleg = parse(self.sent_to("oleg.stats@example.org").get_body(("html",)).get_content())
        # Ana reads it in a browser and follows the offer; Oleg's images go through Gmail's proxy
        browser = {"User-Agent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36"
                                 " (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36"}
        proxy = {"User-Agent": "Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0"
                               " (via ggpht.com GoogleImageProxy)"}
        self.assertEqual(self.get(ana.images[0], headers=browser).status, 200)
        [offer] = [href for href, label, _ in ana.links if "ofertas" in label]
        self.assertEqual(self.get(offer, headers=browser).status, 302)
        self.assertEqual(self.get(oleg.images[0], headers=proxy).status, 200)
        # the worker's job classifies them a couple of seconds after they came
        deadline = time.monotonic() + 60
        while True:
            stats = self.api.request("GET", "/api/v1/campaigns/%d/stats" % c["id"]).json()
            if stats["opens"]["total_human"] + stats["opens"]["total_machine"] == 2:
                break
            self.assertLess(time.monotonic(), deadline, stats)
            time.sleep(0.3)
        self.assertEqual(stats["opens"], {"unique_human": 1, "total_human": 1,
                                          "unique_machine": 1, "total_machine": 1})
        self.assertEqual(stats["clicks"], {"unique_human": 1, "total_human": 1,
                                           "unique_machine": 0, "total_machine": 0})
        self.assertEqual(stats["click_to_open"], 1)
        self.assertEqual([(link["url"], link["unique_human"], link["total"])
                          for link in stats["links"] if link["total"]],
                         [(tagged("https://shop.example.com/ofertas?cat=1"), 1, 1)])
        self.assertEqual((stats["recipients"], stats["sent"]), (2, 2))
        self.assertEqual(sum(h["opens_human"] for h in stats["series"]), 1)
        self.assertEqual(sum(h["clicks_human"] for h in stats["series"]), 1)

    def test_transactional_mail_is_tracked_per_template(self):
        message_id, link, pixel = self.tx_message("cliente@example.org")
        r = self.get(link)
        self.assertEqual((r.status, r.header("Location")), (302, "https://shop.example.com/pedido/77"))
        self.assertEqual(self.get(pixel).status, 200)
        self.rows("SELECT string_agg(kind || ' ' || COALESCE(campaign_id::text, '-') || ' '"
                  " || COALESCE(subscriber_id::text, '-'), ',' ORDER BY kind) FROM " + RECORDED + " recorded"
                  " WHERE message_id = %d" % message_id, "click - -,open - -")
        self.assertEqual(self.psql("SELECT count(*) FROM tracked_links l JOIN messages m ON"
                                   " m.template_id = l.template_id WHERE m.id = %d" % message_id),
                         "1")

    def second_server(self, **env):
        """`mailcast serve --no-worker` on the same database and secret, with env added"""
        return Server(dsn=self.dsn, data_dir=self.server.data_dir,
                      args=("--config", self.config, "--no-worker"),
                      extra_env=dict(env, MAILCAST_SERVER_PUBLIC_URL=PUBLIC))

    def test_sigterm_right_after_n_pixel_requests_leaves_n_opens_and_no_address(self):
        message_id, _, pixel = self.tx_message("apagado@example.org")
        other = self.second_server(MAILCAST_TRACKING_STORE_IP="false")
        path = pixel[len(PUBLIC):]
        n_each, workers = 150, 4

        def hammer(_):
            conn = http.client.HTTPConnection("127.0.0.1", other.port, timeout=30)
            answered = 0
            for _ in range(n_each):
                conn.request("GET", path, headers={"User-Agent": UA_WIRE})
                r = conn.getresponse()
                r.read()
                answered += r.status == 200
            conn.close()
            return answered

        try:
            with concurrent.futures.ThreadPoolExecutor(workers) as pool:
                answered = sum(pool.map(hammer, range(workers)))
        finally:
            self.assertEqual(other.stop(), 0)
        self.assertEqual(answered, n_each * workers)
        self.assertEqual(self.psql("SELECT count(*), count(client_hint) FROM " + RECORDED + " recorded"
                                   " WHERE message_id = %d AND kind = 'open'" % message_id),
                         "%d|0" % answered)

    def test_a_failed_write_is_retried_and_a_full_batch_drops_and_counts(self):
        message_id, _, pixel = self.tx_message("reintento@example.org")
        other = self.second_server(MAILCAST_TRACKING_BUFFER_EVENTS="100")
        client = other.client()

        def metric(name):
            body = client.request("GET", "/metrics").body
            return int(re.search(r"(?m)^%s (\d+)$" % re.escape(name), body).group(1))

        try:
            # the table is away: every write fails and the batch keeps its rows
            self.psql("ALTER TABLE engagement_inbox RENAME TO engagement_inbox_away")
            try:
                for _ in range(150):
                    r = client.request("GET", pixel[len(PUBLIC):])
                    self.assertEqual((r.status, r.header("Content-Type")), (200, "image/gif"))
                deadline = time.monotonic() + 15
                while metric('mailcast_tracking_flushes_total{result="failed"}') == 0:
                    self.assertLess(time.monotonic(), deadline)
                    time.sleep(0.1)
                self.assertEqual(metric("mailcast_tracking_events_recorded_total"), 100)
                self.assertEqual(metric("mailcast_tracking_events_dropped_total"), 50)
                self.assertEqual(metric("mailcast_tracking_events_waiting"), 100)
            finally:
                self.psql("ALTER TABLE engagement_inbox_away RENAME TO engagement_inbox")
            # back: the same rows go in, once
            self.rows("SELECT count(*) FROM " + RECORDED + " recorded WHERE message_id = %d" % message_id,
                      "100")
            self.assertEqual(metric("mailcast_tracking_events_written_total"), 100)
        finally:
            self.assertEqual(other.stop(), 0)
        self.assertEqual(self.psql("SELECT count(*) FROM " + RECORDED + " recorded WHERE message_id = %d"
                                   % message_id), "100")

    def test_metrics_count_recorded_and_written_events(self):
        _, _, pixel = self.tx_message("metricas@example.org")
        self.assertEqual(self.get(pixel).status, 200)
        deadline = time.monotonic() + 15
        while True:
            body = self.api.request("GET", "/metrics").body
            written = int(re.search(r"^mailcast_tracking_events_written_total (\d+)$", body,
                                    re.M).group(1))
            recorded = int(re.search(r"^mailcast_tracking_events_recorded_total (\d+)$", body,
                                     re.M).group(1))
            if written == recorded or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        self.assertGreaterEqual(recorded, 1)
        self.assertEqual(written, recorded)
        self.assertRegex(body, r"(?m)^mailcast_tracking_events_dropped_total 0$")
