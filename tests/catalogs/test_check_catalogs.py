"""The catalog check passes on the tree and fails, naming the problem, on a copy that breaks it:
a key missing from one language, a key only one language has, a template word no catalog has."""
import json
import os
import shutil
import tempfile
import unittest

import check_catalogs

SOURCE = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


class CheckCatalogs(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp()
        shutil.copytree(os.path.join(SOURCE, "templates"), os.path.join(self.tmp, "templates"))
        shutil.copytree(os.path.join(SOURCE, "server"), os.path.join(self.tmp, "server"))

    def tearDown(self):
        shutil.rmtree(self.tmp)

    def edit_catalog(self, lang, change):
        path = os.path.join(self.tmp, "templates", "locales", lang + ".json")
        with open(path, encoding="utf-8") as f:
            words = json.load(f)
        change(words)
        with open(path, "w", encoding="utf-8") as f:
            json.dump(words, f, ensure_ascii=False)

    def test_the_shipped_catalogs_pass(self):
        self.assertEqual(check_catalogs.problems(SOURCE), [])

    def test_a_key_missing_from_one_language_fails(self):
        self.edit_catalog("ru", lambda w: w.pop("mail.footer.unsubscribe"))
        self.assertIn("ru.json lacks mail.footer.unsubscribe", check_catalogs.problems(self.tmp))

    def test_a_key_only_one_language_has_fails(self):
        self.edit_catalog("es", lambda w: w.update({"public.extra": "Más"}))
        self.assertIn("es.json has public.extra, which en.json lacks", check_catalogs.problems(self.tmp))

    def test_a_template_word_no_catalog_has_fails(self):
        path = os.path.join(self.tmp, "templates", "public", "subscribe.html")
        with open(path, "a", encoding="utf-8") as f:
            f.write("{{t.public.subscribe.nowhere}}\n")
        self.assertIn("templates/public/subscribe.html uses t.public.subscribe.nowhere, which no catalog has",
                      check_catalogs.problems(self.tmp))

    def test_a_page_key_the_code_names_must_exist(self):
        self.edit_catalog("en", lambda w: w.pop("public.busy.title"))
        found = check_catalogs.problems(self.tmp)
        self.assertIn("server/api/public.c names public.busy.title, which no catalog has", found)
        self.assertIn("es.json has public.busy.title, which en.json lacks", found)

    def test_a_word_nothing_uses_fails(self):
        for lang in ("en", "es", "ru"):
            self.edit_catalog(lang, lambda w: w.update({"mail.unused": "x"}))
        self.assertEqual(check_catalogs.problems(self.tmp), ["en.json: mail.unused is used nowhere"])


if __name__ == "__main__":
    unittest.main()
