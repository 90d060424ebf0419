// The dashboard's words and formats in the person's language. Catalogs are JSON files under
// locales/<language>/<area>.json; the key "subscribers.title" is the member "title" of
// subscribers.json. A word may take parameters ("{count} subscribers") and, when it depends on a
// number, be an object of plural forms named as Intl.PluralRules names them (one, few, many,
// other). Adding a language is adding its folder: scripts/check-catalogs.mjs (a test) fails when
// a catalog lacks a key or a plural form its language needs.
import { ref } from "vue";

export type Word = string | Record<string, string>;
type Catalog = Record<string, Word>;

const files = import.meta.glob<Catalog>("./locales/*/*.json", { eager: true, import: "default" });

// language -> "area.key" -> word
const catalogs: Record<string, Record<string, Word>> = {};
for (const [path, words] of Object.entries(files)) {
  const m = /\.\/locales\/([^/]+)\/([^/]+)\.json$/.exec(path);
  if (!m) continue;
  const [, lang, area] = m;
  const into = (catalogs[lang] ??= {});
  for (const [key, word] of Object.entries(words)) into[`${area}.${key}`] = word;
}

// Each language named in its own language, for the switcher.
export const LANGUAGES: { code: string; name: string }[] = Object.keys(catalogs)
  .sort()
  .map((code) => ({ code, name: String(catalogs[code]["common.language_name"] ?? code) }));

const STORAGE_KEY = "mailcast.language";

// The first of the browser's languages that has a catalog, else English.
function browserLanguage(): string {
  for (const tag of navigator.languages ?? [navigator.language]) {
    const code = tag.toLowerCase().split("-")[0];
    if (catalogs[code]) return code;
  }
  return "en";
}

function initialLanguage(): string {
  const kept = localStorage.getItem(STORAGE_KEY);
  return kept && catalogs[kept] ? kept : browserLanguage();
}

export const locale = ref(initialLanguage());
document.documentElement.lang = locale.value;

// Switches the dashboard's language; null goes back to the browser's.
export function setLocale(code: string | null): void {
  if (code && catalogs[code]) localStorage.setItem(STORAGE_KEY, code);
  else localStorage.removeItem(STORAGE_KEY);
  locale.value = code && catalogs[code] ? code : browserLanguage();
  document.documentElement.lang = locale.value;
}

export type Params = Record<string, string | number>;

function lookup(key: string): Word | undefined {
  return catalogs[locale.value]?.[key] ?? catalogs.en?.[key];
}

// The word for key in the current language with {name} replaced by params.name. With a
// "count" parameter and a word of plural forms, the form for that count. Unknown keys show as
// themselves, so a missing word is visible rather than blank.
export function t(key: string, params: Params = {}): string {
  const word = lookup(key);
  let text: string;
  if (word === undefined) text = key;
  else if (typeof word === "string") text = word;
  else {
    const count = Number(params.count ?? 0);
    const form = new Intl.PluralRules(locale.value).select(count);
    text = word[form] ?? word.other ?? key;
  }
  return text.replace(/\{(\w+)\}/g, (whole, name: string) =>
    name in params ? (typeof params[name] === "number" ? formatNumber(params[name] as number) : String(params[name])) : whole,
  );
}

export function formatNumber(value: number | null | undefined, digits?: number): string {
  if (value === null || value === undefined || Number.isNaN(value)) return "";
  return new Intl.NumberFormat(locale.value, digits === undefined ? {} : { minimumFractionDigits: digits, maximumFractionDigits: digits }).format(value);
}

// ratio 0.1234 -> "12.3 %" (as the language writes it)
export function formatPercent(ratio: number | null | undefined, digits = 1): string {
  if (ratio === null || ratio === undefined || Number.isNaN(ratio)) return "";
  return new Intl.NumberFormat(locale.value, { style: "percent", minimumFractionDigits: digits, maximumFractionDigits: digits }).format(ratio);
}

export function formatMoney(value: number | null | undefined): string {
  return formatNumber(value, 2);
}

// An RFC 3339 time as date and time in the person's language and time zone.
export function formatDateTime(iso: string | null | undefined): string {
  if (!iso) return "";
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : new Intl.DateTimeFormat(locale.value, { dateStyle: "medium", timeStyle: "short" }).format(d);
}

// A date ("2026-12-06", a UTC day) or a time, as a date in the person's language.
export function formatDate(iso: string | null | undefined): string {
  if (!iso) return "";
  const dayOnly = /^\d{4}-\d{2}-\d{2}$/.test(iso);
  const d = new Date(dayOnly ? iso + "T00:00:00Z" : iso);
  if (Number.isNaN(d.getTime())) return iso;
  return new Intl.DateTimeFormat(locale.value, dayOnly ? { dateStyle: "medium", timeZone: "UTC" } : { dateStyle: "medium" }).format(d);
}
