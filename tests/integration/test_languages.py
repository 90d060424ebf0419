"""The languages of public pages and of mailcast's own mail, from the message catalogs in
templates/locales: the form in the browser's language (Accept-Language, q-values honoured),
a subscriber's pages and mail in their "language" attribute, English otherwise; and the security
headers every public page carries."""

import re
import time
import unittest
import urllib.parse

from audience_fixtures import AudienceCase
from campaign_fixtures import SendingCase
from harness import PgCluster

SENDER = "Tienda Ñandú"


def setUpModule():
    AudienceCase.cluster = PgCluster()


def tearDownModule():
    AudienceCase.cluster.destroy()


class LanguagesTest(SendingCase):
    server_env = {"MAILCAST_SERVER_PUBLIC_URL": "https://news.example.org",
                  "MAILCAST_MAIL_SENDER_NAME": SENDER}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        post = lambda body: cls.api.request("POST", "/api/v1/lists", body).json()
        cls.ofertas = post({"name": "Ofertas de otoño", "visibility": "public", "optin": "double"})
        cls.noticias = post({"name": "Новости", "visibility": "public"})

    def page(self, method, path, headers=None, form=None):
        raw = urllib.parse.urlencode(form, doseq=True).encode() if form is not None else None
        h = dict(headers or {})
        if form is not None:
            h["Content-Type"] = "application/x-www-form-urlencoded"
        return self.server.client().request(method, path, raw=raw, headers=h)

    def assert_page_headers(self, r):
        csp = r.header("Content-Security-Policy") or ""
        self.assertIn("default-src 'none'", csp, r)
        self.assertIn("frame-ancestors 'none'", csp)
        self.assertNotIn("unsafe-inline", csp)
        self.assertNotIn("script-src", csp)
        self.assertEqual(r.headers_named("Referrer-Policy"), ["no-referrer"])
        self.assertEqual(r.headers_named("X-Content-Type-Options"), ["nosniff"])
        self.assertNotIn("<style", r.body)
        self.assertNotIn("style=", r.body)
        self.assertIn('<link rel="stylesheet" href="/public/style.css">', r.body)

    def wait_mail(self, address, timeout=60):
        deadline = time.monotonic() + timeout
        while not self.received().get(address):
            self.assertLess(time.monotonic(), deadline, "no mail reached " + address)
            time.sleep(0.05)
        return self.received()[address][0]

    def test_the_form_speaks_the_browsers_language(self):
        r = self.page("GET", "/subscribe", {"Accept-Language": "es-ES,es;q=0.9"})
        self.assertEqual(r.status, 200, r)
        self.assertIn('<html lang="es">', r.body)
        self.assertIn("<h1>Suscríbete</h1>", r.body)
        self.assertIn("<label>Correo electrónico <input", r.body)
        self.assertIn(">Suscribirme</button>", r.body)
        self.assertNotIn("Subscribe", r.body)
        # the highest q-value wins, and a region picks its language
        r = self.page("GET", "/subscribe", {"Accept-Language": "de-DE, en;q=0.2, ru-RU;q=0.8"})
        self.assertIn("<h1>Подписка</h1>", r.body)
        r = self.page("GET", "/subscribe", {"Accept-Language": "es-MX"})
        self.assertIn("<h1>Suscríbete</h1>", r.body)
        # nothing it has: English
        for headers in ({}, {"Accept-Language": "de, fr;q=0.5"}):
            r = self.page("GET", "/subscribe", headers)
            self.assertIn('<html lang="en">', r.body)
            self.assertIn("<h1>Subscribe</h1>", r.body)

    def test_the_forms_answers_speak_it_too(self):
        spanish = {"Accept-Language": "es-ES,es;q=0.9"}
        r = self.submit({"email": "nadie@example.org", "list": [999999]}, headers=spanish)
        self.assertEqual(r.status, 400, r)
        self.assertIn('<p class="error">Elige al menos una lista.</p>', r.body)
        r = self.submit({"email": "no es una dirección", "list": [self.noticias["id"]]}, headers=spanish)
        self.assertEqual(r.status, 400, r)
        self.assertIn("Escribe una dirección de correo válida.", r.body)
        r = self.submit({"email": "lucia@example.org", "list": [self.noticias["id"]]},
                        headers={"Accept-Language": "ru"})
        self.assertEqual(r.status, 200, r)
        self.assertIn("<h1>Спасибо!</h1>", r.body)
        # the new subscriber keeps the language they chose
        self.assertEqual(self.subscriber("lucia@example.org")["attributes"], {"language": "ru"})
        r = self.submit({"email": "plain@example.org", "list": [self.noticias["id"]]})
        self.assertEqual(self.subscriber("plain@example.org")["attributes"], {})

    def test_the_preferences_page_speaks_the_subscribers_language(self):
        s = self.create_subscriber("olga@example.org", name="Ольга", lists=[self.noticias["id"]],
                                   attributes={"language": "ru"})
        path = "/preferences/" + self.token("p", s["id"])
        # the subscriber's attribute wins over the browser's
        r = self.page("GET", path, {"Accept-Language": "es"})
        self.assertEqual(r.status, 200, r)
        self.assertIn('<html lang="ru">', r.body)
        self.assertIn("<h1>Ваши подписки</h1>", r.body)
        self.assertIn("<p>Для olga@example.org</p>", r.body)
        self.assertIn(">Сохранить</button>", r.body)
        self.assertIn(">Отписаться от всех</button>", r.body)
        self.assert_page_headers(r)
        r = self.page("POST", path, form={"list": [self.noticias["id"]], "action": "save"})
        self.assertEqual(r.status, 200, r)
        self.assertIn("Ваш выбор сохранён.", r.body)
        r = self.page("POST", path, form={"action": "unsubscribe_all"})
        self.assertIn("Вы отписаны от всех рассылок.", r.body)
        self.assert_page_headers(r)
        # without the attribute: the browser's language
        other = self.create_subscriber("pablo@example.org", lists=[self.noticias["id"]])
        r = self.page("GET", "/preferences/" + self.token("p", other["id"]), {"Accept-Language": "es"})
        self.assertIn("<h1>Tus suscripciones</h1>", r.body)

    def test_the_optin_mail_and_its_confirmation_speak_spanish(self):
        r = self.submit({"email": "jose.es@example.org", "name": "José Núñez", "list": [self.ofertas["id"]]},
                        headers={"Accept-Language": "es-ES,es;q=0.9,en;q=0.5"})
        self.assertEqual(r.status, 200, r)
        self.assertIn("te hemos enviado un correo", r.body)
        msg = self.wait_mail("jose.es@example.org")
        self.assertEqual(msg["Subject"], "Confirma tu suscripción a Ofertas de otoño")
        html = msg.get_body(("html",)).get_content()
        text = " ".join(msg.get_body(("plain",)).get_content().split())
        self.assertIn('<html lang="es"', html)
        self.assertIn("Hola, José: alguien (esperamos que tú) ha pedido recibir Ofertas de otoño de %s"
                      " en esta dirección." % SENDER, html)
        self.assertIn(">Sí, suscribirme</a>", html)
        self.assertIn("Si no lo has pedido tú, ignora este correo", text)
        self.assertNotIn("confirm your subscription", html)
        link = re.search(r'href="https://news\.example\.org(/confirm/[^"]+)"', html).group(1)
        r = self.page("GET", link, {"Accept-Language": "en"})
        self.assertEqual(r.status, 200, r)
        self.assertIn("<h1>Suscripción confirmada</h1>", r.body)
        self.assertIn("<li>Ofertas de otoño</li>", r.body)
        self.assert_page_headers(r)

    def test_a_campaigns_footer_speaks_russian_to_a_russian_subscriber(self):
        lst = self.create_list("Осенние новости")
        self.create_subscriber("ivan@example.org", name="Иван", lists=[lst["id"]],
                               attributes={"language": "ru"})
        self.create_subscriber("mary@example.org", name="Mary", lists=[lst["id"]])
        body = "{{<layouts/base}}{{$content}}<p>Привет, {{first_name}}!</p>{{/content}}{{/layouts/base}}"
        r = self.api.request("POST", "/api/v1/campaigns", {
            "name": "Осень", "subject": "Новости", "from_email": "news@example.com",
            "body": body, "lists": [lst["id"]]})
        self.assertEqual(r.status, 201, r)
        c = r.json()
        self.send(c)
        self.wait_state(c, "finished")
        got = self.received()
        html = got["ivan@example.org"][0].get_body(("html",)).get_content()
        text = " ".join(got["ivan@example.org"][0].get_body(("plain",)).get_content().split())
        self.assertIn('<html lang="ru"', html)
        sentence = "Вы получили это письмо, потому что подписались на Осенние новости от %s." % SENDER
        self.assertIn(sentence, html)
        self.assertIn(sentence, text)
        self.assertRegex(html, r'style="color:#7b8794;">Отписаться</a>')
        self.assertNotIn("Unsubscribe</a>", html)
        english = got["mary@example.org"][0].get_body(("html",)).get_content()
        self.assertIn("You receive this email because you subscribed to Осенние новости", english)
        self.assertIn(">Unsubscribe</a>", english)

    def test_every_public_page_carries_the_security_headers(self):
        s = self.create_subscriber("headers@example.org", lists=[self.noticias["id"]])
        pages = [
            self.page("GET", "/subscribe"),
            self.submit({"email": "headers2@example.org", "list": [self.noticias["id"]]}),
            self.submit({"email": "headers3@example.org"}),
            self.page("GET", "/confirm/" + self.token("c", s["id"], 1, 1)),
            self.page("GET", "/confirm/forged"),
            self.page("GET", "/preferences/" + self.token("p", s["id"])),
            self.page("POST", "/preferences/" + self.token("p", s["id"]), form={"action": "save"}),
            self.page("GET", "/preferences/forged"),
            self.page("GET", "/t/c/forged"),
        ]
        for r in pages:
            self.assertTrue(r.header("Content-Type").startswith("text/html"), r)
            self.assert_page_headers(r)
        r = self.page("GET", "/t/c/forged", {"Accept-Language": "ru"})
        self.assertEqual(r.status, 404)
        self.assertIn("<h1>Ссылка не найдена</h1>", r.body)
        css = self.page("GET", "/public/style.css")
        self.assertEqual(css.status, 200)
        self.assertEqual(css.header("Content-Type"), "text/css; charset=utf-8")
        self.assertEqual(css.headers_named("X-Content-Type-Options"), ["nosniff"])
        self.assertIn(".trap{", css.body)

    def test_the_template_preview_shows_the_subscribers_words(self):
        s = self.create_subscriber("vista@example.org", attributes={"language": "es"})
        t = self.api.request("POST", "/api/v1/templates", {
            "name": "Con pie", "subject": "Hola",
            "body": "{{<layouts/base}}{{$content}}<p>Hola</p>{{/content}}{{/layouts/base}}"}).json()
        r = self.api.request("POST", "/api/v1/templates/%d/preview" % t["id"], {"subscriber_id": s["id"]})
        self.assertEqual(r.status, 200, r)
        self.assertIn("Recibes este correo porque te suscribiste a nuestros correos de %s." % SENDER,
                      r.json()["html"])


if __name__ == "__main__":
    unittest.main()
