"""mailcast render: a template file and a JSON data file in, the rendering on stdout; a
malformed template gives line:column on stderr and exit status 1, never a crash."""
import json
import os
import subprocess
import tempfile
import unittest

MAILCAST = os.environ.get("MAILCAST_BIN", "mailcast")
SOURCE_DIR = os.environ.get("MAILCAST_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))


class RenderCommand(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.addCleanup(self.dir.cleanup)

    def write(self, name, text):
        path = os.path.join(self.dir.name, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        return path

    def render(self, template, data=None, partials=None, extra=()):
        args = [MAILCAST, "render", self.write("t.mustache", template)]
        if data is not None:
            args += ["--data", self.write("data.json", json.dumps(data))]
        if partials is not None:
            for name, text in partials.items():
                self.write(os.path.join("partials", name + ".mustache"), text)
            args += ["--partials", os.path.join(self.dir.name, "partials")]
        args += list(extra)
        return subprocess.run(args, capture_output=True, timeout=60)

    def test_renders_data_to_stdout(self):
        r = self.render("Hi {{name | upper}} & {{{raw}}}\n", {"name": "ñandú", "raw": "<b>"})
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.decode(), "Hi ÑANDÚ & <b>\n")

    def test_partials_and_parents_come_from_the_partials_folder(self):
        r = self.render("{{<layout}}{{$body}}{{>card}}{{/body}}{{/layout}}", {"n": "Zoë"},
                        {"layout": "<main>{{$body}}{{/body}}</main>", "card": "<p>{{n}}</p>"})
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.decode(), "<main><p>Zoë</p></main>")

    def test_dynamic_partials_are_found_in_the_partials_folder(self):
        r = self.render("{{#b}}{{>*kind}}{{/b}}", {"b": [{"kind": "x"}, {"kind": "y"}]},
                        {"x": "X", "y": "Y"})
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.decode(), "XY")

    def test_without_data_names_are_empty(self):
        r = self.render("[{{name}}]")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.decode(), "[]")

    def test_an_unclosed_section_gives_line_and_column(self):
        r = self.render("line one\n  {{#items}}\n  {{name}}\n")
        self.assertEqual(r.returncode, 1)
        self.assertEqual(r.stdout, b"")
        self.assertIn(b":2:3:", r.stderr)
        self.assertIn(b"section 'items' is never closed", r.stderr)

    def test_a_mismatched_close_gives_line_and_column(self):
        r = self.render("{{#a}}\n{{/b}}")
        self.assertEqual(r.returncode, 1)
        self.assertIn(b":2:1:", r.stderr)

    def test_an_unknown_filter_gives_line_and_column(self):
        r = self.render("x {{ name | shout }}")
        self.assertEqual(r.returncode, 1)
        self.assertIn(b":1:3:", r.stderr)
        self.assertIn(b"unknown filter 'shout'", r.stderr)

    def test_a_bad_delimiter_change_gives_line_and_column(self):
        r = self.render("\n\n   {{=| =}}")
        self.assertEqual(r.returncode, 1)
        self.assertIn(b":3:4:", r.stderr)

    def test_an_error_in_a_partial_names_it(self):
        r = self.render("{{>broken}}", {}, {"broken": "ok\n{{/x}}"})
        self.assertEqual(r.returncode, 1)
        self.assertIn(os.path.join("partials", "broken.mustache").encode() + b":2:1: ", r.stderr)
        self.assertNotIn(b"line 2, column 1", r.stderr)

    def test_the_position_is_printed_once(self):
        r = self.render("{{#items}}")
        self.assertEqual(r.returncode, 1)
        self.assertEqual(r.stderr.decode(), "mailcast render: %s:1:1: section 'items' is never closed\n"
                         % os.path.join(self.dir.name, "t.mustache"))

    def test_an_unreadable_data_file_is_named_without_a_position(self):
        missing = os.path.join(self.dir.name, "missing.json")
        r = subprocess.run([MAILCAST, "render", self.write("t.mustache", "x"), "--data", missing],
                           capture_output=True, timeout=60)
        self.assertEqual(r.returncode, 1)
        self.assertIn(("mailcast render: %s: " % missing).encode(), r.stderr)
        self.assertNotIn(b"-1", r.stderr)

    def test_any_json_value_is_a_context(self):
        cases = [("{{.}}", "¡Hola, señor!", "¡Hola, señor!"), ("{{.}}", 3.5, "3.5"),
                 ("{{#.}}<{{.}}>{{/.}}", ["раз", "два"], "<раз><два>"),
                 ("{{^.}}nada{{/.}}", False, "nada"), ("[{{.}}]", None, "[]")]
        for template, data, expected in cases:
            r = self.render(template, data)
            self.assertEqual((r.returncode, r.stdout.decode()), (0, expected), (template, data, r.stderr))

    def test_a_bad_value_for_a_filter_is_a_render_error(self):
        r = self.render("{{ when | date: \"%Y\" }}", {"when": "yesterday"})
        self.assertEqual(r.returncode, 1)
        self.assertIn(b":1:1:", r.stderr)

    def test_bad_json_data_is_reported_with_its_position(self):
        path = self.write("bad.json", '{"a": }')
        r = subprocess.run([MAILCAST, "render", self.write("t.mustache", "x"), "--data", path],
                           capture_output=True, timeout=60)
        self.assertEqual(r.returncode, 1)
        self.assertIn(b"bad.json:1:", r.stderr)

    def test_a_missing_template_file_is_an_error(self):
        r = subprocess.run([MAILCAST, "render", os.path.join(self.dir.name, "none.mustache")],
                           capture_output=True, timeout=60)
        self.assertEqual(r.returncode, 1)
        self.assertIn(b"cannot read", r.stderr)

    def test_garbage_never_crashes(self):
        for text in ["{{", "{{{x}}", "{{#a}}{{/a}}{{/a}}", "{{=<% %>=}}<%#x%>", "\xff{{x}}",
                     "{{<p}}{{$b}}", "{{x|}}", "{{ x | truncate: -1 }}", "{{>}}", "{{! x"]:
            r = self.render(text, {"x": 1})
            self.assertIn(r.returncode, (0, 1), text)
            if r.returncode == 1:
                self.assertRegex(r.stderr.decode(errors="replace"), r":\d+:\d+: ", text)


if __name__ == "__main__":
    unittest.main()
