// A trigger as its builder edits it, and the definition the API takes (docs/automations.md, "A
// definition"). Each step keeps a stable key so the list can be reordered without the inputs
// losing their place.
import { condToJson, fromRule, newKey, rootFrom, ruleOut, type Cond, type Json, type Node } from "../segments/rules";

export type StepKind = "wait" | "wait_until" | "if" | "send" | "exit";
export const STEP_KINDS: StepKind[] = ["wait", "wait_until", "if", "send", "exit"];

export type Step =
  | { key: number; kind: "wait"; wait: string }
  | { key: number; kind: "wait_until"; until: string }
  | { key: number; kind: "if"; rule: Node; otherwise: "exit" | "continue" }
  | { key: number; kind: "send"; template: number | null; subject: string }
  | { key: number; kind: "exit" };

export interface TriggerForm {
  name: string;
  entryKind: "event" | "list" | "date_attribute";
  event: string;
  where: Cond[];
  list: number | null;
  dateAttribute: string;
  offsetDays: string;
  segment: number | null;
  reentry: "once" | "every_time" | "after";
  reentryAfter: string; // a duration, "30d"
  exitOn: string; // event names separated by commas
  settings: string; // JSON text
  enabled: boolean;
  steps: Step[];
}

type Obj = Record<string, Json>;

function obj(v: unknown): Obj {
  return v && typeof v === "object" && !Array.isArray(v) ? (v as Obj) : {};
}

export function newStep(kind: StepKind): Step {
  const key = newKey();
  switch (kind) {
    case "wait":
      return { key, kind, wait: "1d" };
    case "wait_until":
      return { key, kind, until: "09:00" };
    case "if":
      return { key, kind, rule: rootFrom({ all: [] }), otherwise: "exit" };
    case "send":
      return { key, kind, template: null, subject: "" };
    case "exit":
      return { key, kind };
  }
}

export function emptyForm(): TriggerForm {
  return {
    name: "",
    entryKind: "event",
    event: "",
    where: [],
    list: null,
    dateAttribute: "",
    offsetDays: "0",
    segment: null,
    reentry: "once",
    reentryAfter: "30d",
    exitOn: "",
    settings: "{}",
    enabled: true,
    steps: [newStep("wait"), newStep("send")],
  };
}

function stepFrom(s: Obj): Step {
  const key = newKey();
  if ("wait" in s) return { key, kind: "wait", wait: String(s.wait ?? "") };
  if ("wait_until" in s) return { key, kind: "wait_until", until: String(s.wait_until ?? "") };
  if ("if" in s) return { key, kind: "if", rule: rootFrom(s.if), otherwise: s.else === "continue" ? "continue" : "exit" };
  if ("send" in s) return { key, kind: "send", template: typeof s.send === "number" ? s.send : null, subject: typeof s.subject === "string" ? s.subject : "" };
  return { key, kind: "exit" };
}

// the stored (normalized) trigger -> the form
export function formFrom(t: Record<string, unknown>): TriggerForm {
  const entry = obj(t.entry);
  const form = emptyForm();
  form.name = String(t.name ?? "");
  if ("list" in entry) {
    form.entryKind = "list";
    form.list = typeof entry.list === "number" ? entry.list : null;
  } else if ("date_attribute" in entry) {
    form.entryKind = "date_attribute";
    form.dateAttribute = String(entry.date_attribute ?? "");
    form.offsetDays = String(entry.offset_days ?? 0);
  } else {
    form.entryKind = "event";
    form.event = String(entry.event ?? "");
    const where = Array.isArray(entry.where) ? entry.where : [];
    // an event rule's conditions read as the segment builder reads them
    const asRule = fromRule({ event: form.event, where });
    form.where = asRule.type === "event" ? asRule.where : [];
  }
  form.segment = typeof t.segment === "number" ? t.segment : null;
  const reentry = String(t.reentry ?? "once");
  if (reentry.startsWith("after:")) {
    form.reentry = "after";
    form.reentryAfter = reentry.slice(6);
  } else form.reentry = reentry === "every_time" ? "every_time" : "once";
  form.exitOn = (Array.isArray(t.exit_on) ? t.exit_on : []).join(", ");
  form.settings = JSON.stringify(t.settings ?? {}, null, 2);
  form.enabled = t.enabled !== false;
  form.steps = (Array.isArray(t.steps) ? t.steps : []).map((s) => stepFrom(obj(s)));
  return form;
}

export function stepJson(s: Step): Obj {
  switch (s.kind) {
    case "wait":
      return { wait: s.wait };
    case "wait_until":
      return { wait_until: s.until };
    case "if":
      return { if: ruleOut(s.rule), else: s.otherwise };
    case "send":
      return { send: s.template, subject: s.subject.trim() === "" ? null : s.subject };
    case "exit":
      return { exit: true };
  }
}

// The definition to send; settings that are not JSON throw a SyntaxError (shown at settings).
export function definition(f: TriggerForm): Obj {
  let entry: Obj;
  if (f.entryKind === "list") entry = { list: f.list };
  else if (f.entryKind === "date_attribute") {
    const days = String(f.offsetDays).trim();
    entry = { date_attribute: f.dateAttribute.trim(), offset_days: /^-?\d+$/.test(days) ? Number(days) : days };
  } else {
    entry = { event: f.event.trim() };
    if (f.where.length) entry.where = f.where.map((c) => condToJson(c, "properties."));
  }
  return {
    name: f.name.trim(),
    entry,
    segment: f.segment,
    steps: f.steps.map(stepJson),
    exit_on: f.exitOn
      .split(",")
      .map((s) => s.trim())
      .filter((s) => s !== ""),
    reentry: f.reentry === "after" ? "after:" + f.reentryAfter : f.reentry,
    settings: JSON.parse(f.settings.trim() || "{}") as Json,
  };
}

// A short account of a definition's entry, for the list of triggers.
export function entryKind(t: Record<string, unknown>): { kind: "event" | "list" | "date_attribute"; what: string } {
  const entry = obj(t.entry);
  if ("list" in entry) return { kind: "list", what: String(entry.list) };
  if ("date_attribute" in entry) return { kind: "date_attribute", what: String(entry.date_attribute) };
  return { kind: "event", what: String(entry.event ?? "") };
}

// ---- durations: "1d12h" <-> an amount and a unit

export const UNITS = ["m", "h", "d", "w", "s"] as const;
export type Unit = (typeof UNITS)[number];
const SECONDS: Record<Unit, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 };

export function parseDuration(text: string): { amount: number; unit: Unit } {
  let total = 0;
  for (const m of String(text).matchAll(/(\d+)\s*([smhdw])/g)) total += Number(m[1]) * SECONDS[m[2] as Unit];
  for (const unit of ["w", "d", "h", "m"] as Unit[])
    if (total > 0 && total % SECONDS[unit] === 0) return { amount: total / SECONDS[unit], unit };
  return { amount: total, unit: total ? "s" : "d" };
}

// ---- where the server's error goes: "steps[2].if.all[0].op" -> step 2, inside its rule

export function stepOfError(field: string): { index: number; rest: string } | null {
  const m = /^steps\[(\d+)\](?:\.(.*))?$/.exec(field);
  return m ? { index: Number(m[1]), rest: m[2] ?? "" } : null;
}
