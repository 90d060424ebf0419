#!/usr/bin/python3
"""Checks the message catalogs of templates/locales against each other and against what uses
them: every catalog holds exactly the keys of en.json, every word a template ({{t.KEY}}) or the
server code that looks words up ("public.busy": a page's KEY.title and KEY.message) names
exists, and every word of
the catalogs is used somewhere. Prints each problem and exits 1 when there is one.

Usage: check_catalogs.py SOURCE_DIR"""
import json
import os
import re
import sys

TEMPLATE_USE = re.compile(r"\{\{\s*[#^/]?\s*t\.([A-Za-z0-9_.]+)")
CODE_KEY = re.compile(r'"((?:public|mail)\.[a-z0-9_]+(?:\.[a-z0-9_]+)*)"')
TEMPLATE_SUFFIXES = (".html", ".mustache", ".css")


def load_catalogs(locales):
    catalogs = {}
    for name in sorted(os.listdir(locales)):
        if not re.fullmatch(r"[a-z]{2,3}\.json", name):
            continue
        with open(os.path.join(locales, name), encoding="utf-8") as f:
            catalogs[name[:-5]] = json.load(f)
    return catalogs


def files_under(root, suffixes):
    for folder, _, names in os.walk(root):
        for name in sorted(names):
            if name.endswith(suffixes):
                yield os.path.join(folder, name)


def problems(source_dir):
    locales = os.path.join(source_dir, "templates", "locales")
    catalogs = load_catalogs(locales)
    if "en" not in catalogs:
        return ["templates/locales/en.json is missing"]
    found = []
    english = set(catalogs["en"])
    for lang, words in sorted(catalogs.items()):
        for key in sorted(english - set(words)):
            found.append("%s.json lacks %s" % (lang, key))
        for key in sorted(set(words) - english):
            found.append("%s.json has %s, which en.json lacks" % (lang, key))
        for key, word in sorted(words.items()):
            if not isinstance(word, str) or not word.strip():
                found.append("%s.json: %s is not a text" % (lang, key))

    used = set()
    sources = list(files_under(os.path.join(source_dir, "templates"), TEMPLATE_SUFFIXES))
    sources += files_under(os.path.join(source_dir, "server"), (".c",))
    for path in sources:
        name = os.path.relpath(path, source_dir)
        with open(path, encoding="utf-8") as f:
            text = f.read()
        for key in TEMPLATE_USE.findall(text):
            used.add(key)
            if key not in english:
                found.append("%s uses t.%s, which no catalog has" % (name, key))
        # keys are literals only in the code that looks words up
        if not path.endswith(".c") or ("catalog_word" not in text and "api_public_message" not in text):
            continue
        for key in CODE_KEY.findall(text):
            # a message page's key names KEY.title and KEY.message
            keys = [key] if key in english else [key + ".title", key + ".message"]
            used.update(keys)
            for k in keys:
                if k not in english:
                    found.append("%s names %s, which no catalog has" % (name, k))
    for key in sorted(english - used):
        found.append("en.json: %s is used nowhere" % key)
    return found


def main():
    found = problems(sys.argv[1] if len(sys.argv) > 1 else ".")
    for line in found:
        print(line)
    if not found:
        print("catalogs: every key in every language, every key used exists")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
