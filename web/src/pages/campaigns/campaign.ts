// What the campaign pages share: the states, the human rates of a campaign's stats, and times
// in a chosen time zone.
import { api, type Schemas } from "../../api/client";

export type Campaign = Schemas["Campaign"];
export type Stats = Schemas["CampaignStats"];
export const STATES = ["draft", "scheduled", "running", "paused", "finished", "cancelled"] as const;
export type State = (typeof STATES)[number];

// unique human opens and clicks over the messages delivered (null before any was)
export function humanRates(s: Stats | undefined): { open: number | null; click: number | null } {
  const delivered = s?.delivered ?? 0;
  if (!s || delivered <= 0) return { open: null, click: null };
  return { open: (s.opens?.unique_human ?? 0) / delivered, click: (s.clicks?.unique_human ?? 0) / delivered };
}

// The stats of campaigns by id, asked 20 at a time (the API's limit); those never sent are left
// out, as they have nothing to count.
export async function statsOf(campaigns: Campaign[]): Promise<Map<number, Stats>> {
  const ids = campaigns.filter((c) => c.state !== "draft" && c.state !== "scheduled" && c.id).map((c) => c.id as number);
  const out = new Map<number, Stats>();
  for (let i = 0; i < ids.length; i += 20) {
    const page = await api.get("/api/v1/campaigns/stats", { query: { ids: ids.slice(i, i + 20).join(",") } });
    for (const s of page.items ?? []) if (s.id) out.set(s.id, s);
  }
  return out;
}

export function browserTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
}

// Every IANA zone the browser knows, with UTC first.
export function timeZones(): string[] {
  const intl = Intl as unknown as { supportedValuesOf?: (key: string) => string[] };
  const zones = intl.supportedValuesOf ? intl.supportedValuesOf("timeZone") : [];
  return ["UTC", ...zones.filter((z) => z !== "UTC")];
}

// An instant (RFC 3339) as the wall-clock "YYYY-MM-DDTHH:MM" of zone, for a datetime-local input.
export function localInZone(iso: string, zone: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return "";
  const parts = new Intl.DateTimeFormat("en-CA", {
    timeZone: zone,
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    hourCycle: "h23",
  }).formatToParts(d);
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? "00";
  return `${get("year")}-${get("month")}-${get("day")}T${get("hour")}:${get("minute")}`;
}

// A datetime-local value as the API takes it: a local time without offset, which the server
// reads in the campaign's timezone ("2026-12-24T09:00" -> "2026-12-24T09:00:00").
export function sendAtOf(local: string): string {
  return local.length === 16 ? local + ":00" : local;
}

// seconds as the language writes a duration ("1 hr, 5 min", "3 min, 20 sec", "45 sec")
export function duration(seconds: number | null | undefined, lang: string): string {
  if (seconds === null || seconds === undefined) return "";
  const s = Math.max(0, Math.round(seconds));
  const unit = (value: number, name: string) => new Intl.NumberFormat(lang, { style: "unit", unit: name, unitDisplay: "short" }).format(value);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const parts = h ? [unit(h, "hour"), unit(m, "minute")] : m ? [unit(m, "minute"), unit(s % 60, "second")] : [unit(s, "second")];
  return parts.join(" ");
}

// The composer's A/B test: the variants' subject, from name and content (empty or 0: the
// campaign's; a variant's own HTML, given through the API, is kept as it is) and the test's
// settings, and what the API takes (null: no test).
export type AbMetric = "clicks" | "opens" | "revenue";
export type AbVariantForm = { subject: string; from_name: string; template_id: number; body: string };
const emptyVariant = (): AbVariantForm => ({ subject: "", from_name: "", template_id: 0, body: "" });
export type AbForm = {
  enabled: boolean;
  variants: AbVariantForm[];
  test_percent: number;
  metric: AbMetric;
  wait: string;
  winner: "auto" | "manual";
};
type AbInput = NonNullable<Schemas["CampaignInput"]["ab_test"]>;

export function abFormOf(c: Campaign | null): AbForm {
  const ab = c?.ab_test;
  const variants = (ab?.variants ?? []).map((v) => ({
    subject: v.subject ?? "",
    from_name: v.from_name ?? "",
    template_id: v.template_id ?? 0,
    body: v.body ?? "",
  }));
  return {
    enabled: !!ab,
    variants: variants.length >= 2 ? variants : [emptyVariant(), emptyVariant()],
    test_percent: ab?.test_percent ?? 20,
    metric: ab?.metric ?? "clicks",
    wait: ab?.wait ?? "4h",
    winner: ab?.winner ?? "auto",
  };
}

export function abPayload(f: AbForm): AbInput | null {
  if (!f.enabled) return null;
  return {
    variants: f.variants.map((v) => ({
      ...(v.subject.trim() ? { subject: v.subject } : {}),
      ...(v.from_name.trim() ? { from_name: v.from_name } : {}),
      ...(v.template_id > 0 ? { template_id: v.template_id } : v.body ? { body: v.body } : {}),
    })),
    test_percent: f.test_percent,
    metric: f.metric,
    wait: f.wait,
    winner: f.winner,
  };
}

// "A", "B", ... for variant i
export const variantName = (i: number) => String.fromCharCode(65 + i);

export function newAbVariant(): AbVariantForm {
  return emptyVariant();
}
