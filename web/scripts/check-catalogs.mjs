// Checks the dashboard's message catalogs (src/locales/<language>/<area>.json) against each other
// and against the code: every language has every file and key of English, with the same
// {parameters}; a word with plural forms has exactly the forms its language needs
// (Intl.PluralRules); every key the code names exists, and every key is used. Prints each
// problem and exits 1 when there is one.
//
// A key counts as used when the code quotes it whole ("lists.title") or quotes a prefix that
// code completes at run time ("common.role_" + role).
//
// Usage: node scripts/check-catalogs.mjs [WEB_DIR]
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";

const web = process.argv[2] ?? ".";
const locales = join(web, "src", "locales");
const problems = [];

function read(lang) {
  const words = {};
  for (const file of readdirSync(join(locales, lang)).sort()) {
    if (!file.endsWith(".json")) continue;
    const area = file.slice(0, -5);
    let data;
    try {
      data = JSON.parse(readFileSync(join(locales, lang, file), "utf8"));
    } catch (e) {
      problems.push(`${lang}/${file}: ${e.message}`);
      continue;
    }
    for (const [key, word] of Object.entries(data)) words[`${area}.${key}`] = word;
  }
  return words;
}

function params(word) {
  const text = typeof word === "string" ? word : Object.values(word).join(" ");
  return [...new Set([...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]))].sort().join(",");
}

const languages = readdirSync(locales).filter((d) => statSync(join(locales, d)).isDirectory()).sort();
if (!languages.includes("en")) {
  console.log("src/locales/en is missing");
  process.exit(1);
}
const catalogs = Object.fromEntries(languages.map((l) => [l, read(l)]));
const english = catalogs.en;

for (const lang of languages) {
  const words = catalogs[lang];
  const needed = new Intl.PluralRules(lang).resolvedOptions().pluralCategories.sort().join(",");
  for (const key of Object.keys(english)) if (!(key in words)) problems.push(`${lang} lacks ${key}`);
  for (const [key, word] of Object.entries(words)) {
    if (!(key in english)) {
      problems.push(`${lang} has ${key}, which en lacks`);
      continue;
    }
    if (typeof word === "string") {
      if (!word.trim()) problems.push(`${lang}: ${key} is empty`);
      if (typeof english[key] !== "string") problems.push(`${lang}: ${key} needs plural forms, as in en`);
    } else if (word && typeof word === "object") {
      const forms = Object.keys(word).sort().join(",");
      if (forms !== needed) problems.push(`${lang}: ${key} has the forms ${forms}; ${lang} needs ${needed}`);
      if (Object.values(word).some((w) => typeof w !== "string" || !w.trim())) problems.push(`${lang}: ${key} has an empty form`);
    } else problems.push(`${lang}: ${key} is neither a text nor plural forms`);
    if (key in english && params(word) !== params(english[key]))
      problems.push(`${lang}: ${key} takes {${params(word)}}, en takes {${params(english[key])}}`);
  }
}

// every string literal of the code that looks like a key or a key's prefix
function sources(dir) {
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...sources(path));
    else if (/\.(ts|vue)$/.test(name) && !name.endsWith(".d.ts")) out.push(path);
  }
  return out;
}
const areas = new Set(Object.keys(english).map((k) => k.split(".")[0]));
const quoted = new Set();
const LITERAL = /["'`]([a-z][a-z0-9_]*\.[a-z0-9_.]*)(?=["'`$])/g;
const CALL = /\bt\(\s*["'`]([a-z][a-z0-9_]*\.[a-z0-9_.]*)["'`]/g;
for (const file of sources(join(web, "src"))) {
  const text = readFileSync(file, "utf8");
  for (const m of text.matchAll(LITERAL)) if (areas.has(m[1].split(".")[0])) quoted.add(m[1]);
  for (const m of text.matchAll(CALL))
    if (!/[._]$/.test(m[1]) && !(m[1] in english)) problems.push(`${relative(web, file)}: t("${m[1]}") is in no catalog`);
}
const prefixes = [...quoted].filter((q) => q.endsWith(".") || q.endsWith("_"));
// common.json holds the words every page may share (Save, Cancel, ...): kept even while unused
for (const key of Object.keys(english))
  if (!key.startsWith("common.") && !quoted.has(key) && !prefixes.some((p) => key.startsWith(p))) problems.push(`en: ${key} is used nowhere`);

for (const p of problems) console.log(p);
console.log(problems.length ? `${problems.length} problem(s)` : `catalogs agree: ${languages.join(", ")}, ${Object.keys(english).length} keys each`);
process.exit(problems.length ? 1 : 0);
