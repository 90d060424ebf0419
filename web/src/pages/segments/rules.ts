// The segment rule as the builder edits it, and its JSON form (docs/audience.md, "Segment
// rules"). The editing form gives every node a stable key and keeps each value as typed (a
// string per input), so a half-written value survives until it is complete; toRule() turns it
// into the JSON the API takes, incomplete() says what still has to be filled in before the
// server is asked to count.

export type FieldName = "email" | "name" | "status" | "created_at" | "updated_at" | "attribute";
export type Op = "eq" | "neq" | "in" | "contains" | "starts_with" | "exists" | "gt" | "gte" | "lt" | "lte" | "between";
export type Engagement = "opened" | "clicked" | "not_opened" | "not_clicked";

// A condition on a field, or (in an event's "where") on a property of the event.
export interface Cond {
  key: number;
  field: FieldName;
  attr: string; // the key after "attributes." or "properties."
  op: Op;
  value: string;
  value2: string; // the upper end of "between"
  kind: "text" | "number" | "date" | "bool"; // how value is written into JSON
}

export type Node =
  | { key: number; type: "group"; mode: "all" | "any"; children: Node[] }
  | { key: number; type: "not"; child: Node }
  | { key: number; type: "field"; cond: Cond }
  | { key: number; type: "list"; list: number | null; status: "" | "unconfirmed" | "confirmed" | "unsubscribed" }
  | { key: number; type: "engagement"; engagement: Engagement; campaign: number | null; within: string; machine: boolean }
  | { key: number; type: "event"; event: string; minCount: string; within: string; sinceEntry: boolean; where: Cond[] };

export type NodeType = Node["type"];
export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

let next = 1;
export function newKey(): number {
  return next++;
}

export const FIELDS: FieldName[] = ["email", "name", "status", "created_at", "updated_at", "attribute"];

// The operators each field allows (docs/audience.md).
export function opsFor(field: FieldName): Op[] {
  switch (field) {
    case "email":
      return ["eq", "neq", "in", "contains", "starts_with"];
    case "name":
      return ["eq", "neq", "in", "contains", "starts_with", "exists"];
    case "status":
      return ["eq", "neq", "in"];
    case "created_at":
    case "updated_at":
      return ["gt", "gte", "lt", "lte", "between"];
    case "attribute":
      return ["eq", "neq", "in", "contains", "starts_with", "exists", "gt", "gte", "lt", "lte", "between"];
  }
}

// The kinds of value an attribute or property compared with this operator may be.
export function kindsFor(field: FieldName, op: Op): Cond["kind"][] {
  if (field !== "attribute") return [field === "created_at" || field === "updated_at" ? "date" : "text"];
  if (op === "contains" || op === "starts_with") return ["text"];
  if (op === "exists") return ["bool"];
  if (op === "gt" || op === "gte" || op === "lt" || op === "lte" || op === "between") return ["number", "date"];
  return ["text", "number", "bool"];
}

export const STATUSES = ["active", "unsubscribed", "blocklisted"];
export const LIST_STATUSES = ["unconfirmed", "confirmed", "unsubscribed"] as const;
export const ENGAGEMENTS: Engagement[] = ["opened", "clicked", "not_opened", "not_clicked"];

export function newCond(field: FieldName = "attribute"): Cond {
  const op = field === "attribute" ? "eq" : opsFor(field)[0];
  return { key: newKey(), field, attr: "", op, value: "", value2: "", kind: kindsFor(field, op)[0] };
}

// Keeps a condition coherent after its field or operator changed.
export function fixCond(c: Cond): void {
  if (!opsFor(c.field).includes(c.op)) c.op = opsFor(c.field)[0];
  const kinds = kindsFor(c.field, c.op);
  if (!kinds.includes(c.kind)) c.kind = kinds[0];
  if (c.field === "status" && c.op !== "in" && !STATUSES.includes(c.value)) c.value = STATUSES[0];
  if (c.kind === "bool" && c.value !== "true" && c.value !== "false") c.value = "true";
}

export function newNode(type: NodeType): Node {
  const key = newKey();
  switch (type) {
    case "group":
      return { key, type, mode: "all", children: [] };
    case "not":
      return { key, type, child: { key: newKey(), type: "field", cond: newCond() } };
    case "field":
      return { key, type, cond: newCond() };
    case "list":
      return { key, type, list: null, status: "" };
    case "engagement":
      return { key, type, engagement: "opened", campaign: null, within: "", machine: false };
    case "event":
      return { key, type, event: "", minCount: "", within: "", sinceEntry: false, where: [] };
  }
}

// ---- JSON -> editing form

function text(v: Json | undefined): string {
  return v === undefined || v === null ? "" : String(v);
}

function condFrom(j: Record<string, Json>, prefix: "attributes." | "properties."): Cond {
  const path = text(j.field);
  const isAttr = path.startsWith(prefix);
  const field = (isAttr ? "attribute" : path) as FieldName;
  const op = (text(j.op) || "eq") as Op;
  const v = j.value;
  const c: Cond = { key: newKey(), field, attr: isAttr ? path.slice(prefix.length) : "", op, value: "", value2: "", kind: "text" };
  const one = Array.isArray(v) && op !== "in" ? v[0] : v;
  if (typeof one === "number") c.kind = "number";
  else if (typeof one === "boolean") c.kind = "bool";
  else if (field === "attribute" && (op === "gt" || op === "gte" || op === "lt" || op === "lte" || op === "between")) c.kind = "date";
  else if (field === "created_at" || field === "updated_at") c.kind = "date";
  if (op === "exists") c.value = v === false ? "false" : "true";
  else if (op === "in") c.value = Array.isArray(v) ? v.map(text).join(", ") : text(v);
  else if (op === "between" && Array.isArray(v)) {
    c.value = dateText(text(v[0]), c.kind);
    c.value2 = dateText(text(v[1]), c.kind);
  } else c.value = dateText(text(v), c.kind);
  if (Array.isArray(v) && op === "in" && v.length && typeof v[0] === "number") c.kind = "number";
  return c;
}

// a stored date as the date input shows it (YYYY-MM-DD)
function dateText(v: string, kind: Cond["kind"]): string {
  return kind === "date" && /^\d{4}-\d{2}-\d{2}/.test(v) ? v.slice(0, 10) : v;
}

export function fromRule(j: Json | undefined): Node {
  if (!j || typeof j !== "object" || Array.isArray(j)) return { key: newKey(), type: "group", mode: "all", children: [] };
  const key = newKey();
  if (Array.isArray(j.all) || Array.isArray(j.any)) {
    const mode = Array.isArray(j.all) ? "all" : "any";
    return { key, type: "group", mode, children: (j[mode] as Json[]).map(fromRule) };
  }
  if ("not" in j) return { key, type: "not", child: fromRule(j.not) };
  if ("field" in j) return { key, type: "field", cond: condFrom(j, "attributes.") };
  if ("list" in j) return { key, type: "list", list: typeof j.list === "number" ? j.list : null, status: (text(j.status) as "") || "" };
  if ("engagement" in j)
    return {
      key,
      type: "engagement",
      engagement: text(j.engagement) as Engagement,
      campaign: typeof j.campaign === "number" ? j.campaign : null,
      within: text(j.within_days),
      machine: j.include_machine === true,
    };
  const where = Array.isArray(j.where) ? j.where.filter((w): w is Record<string, Json> => !!w && typeof w === "object" && !Array.isArray(w)) : [];
  return {
    key,
    type: "event",
    event: text(j.event),
    minCount: text(j.min_count),
    within: text(j.within_days),
    sinceEntry: j.since_entry === true,
    where: where.map((w) => condFrom(w, "properties.")),
  };
}

// ---- editing form -> JSON

function scalar(v: string, kind: Cond["kind"]): Json {
  const s = String(v).trim(); // a number input gives a number
  if (kind === "number") return s === "" || Number.isNaN(Number(s)) ? s : Number(s);
  if (kind === "bool") return s === "true";
  return s;
}

export function condToJson(c: Cond, prefix: "attributes." | "properties."): Record<string, Json> {
  const field = c.field === "attribute" ? prefix + c.attr.trim() : c.field;
  const out: Record<string, Json> = { field, op: c.op };
  if (c.op === "exists") {
    if (c.field === "attribute" && c.value === "false") out.value = false;
  } else if (c.op === "in")
    out.value = String(c.value)
      .split(",")
      .map((s) => s.trim())
      .filter((s) => s !== "")
      .map((s) => scalar(s, c.kind));
  else if (c.op === "between") out.value = [scalar(c.value, c.kind), scalar(c.value2, c.kind)];
  else out.value = scalar(c.value, c.kind);
  return out;
}

function wholeOr(s: string): Json | undefined {
  const v = String(s).trim(); // a number input gives a number
  if (v === "") return undefined;
  return /^-?\d+$/.test(v) ? Number(v) : v;
}

export function toRule(n: Node): Json {
  switch (n.type) {
    case "group":
      return { [n.mode]: n.children.map(toRule) };
    case "not":
      return { not: toRule(n.child) };
    case "field":
      return condToJson(n.cond, "attributes.");
    case "list":
      return n.status ? { list: n.list, status: n.status } : { list: n.list };
    case "engagement": {
      const out: Record<string, Json> = { engagement: n.engagement };
      if (n.campaign !== null) out.campaign = n.campaign;
      const within = wholeOr(n.within);
      if (within !== undefined) out.within_days = within;
      if (n.machine) out.include_machine = true;
      return out;
    }
    case "event": {
      const out: Record<string, Json> = { event: n.event.trim() };
      const min = wholeOr(n.minCount);
      if (min !== undefined) out.min_count = min;
      const within = wholeOr(n.within);
      if (within !== undefined) out.within_days = within;
      if (n.sinceEntry) out.since_entry = true;
      if (n.where.length) out.where = n.where.map((c) => condToJson(c, "properties."));
      return out;
    }
  }
}

// ---- what is still missing (the server is asked only about complete rules)

export function condIncomplete(c: Cond): boolean {
  if (c.field === "attribute" && c.attr.trim() === "") return true;
  if (c.op === "exists") return false;
  if (String(c.value).trim() === "") return true;
  return c.op === "between" && String(c.value2).trim() === "";
}

export function incomplete(n: Node): boolean {
  switch (n.type) {
    case "group":
      return n.children.some(incomplete);
    case "not":
      return incomplete(n.child);
    case "field":
      return condIncomplete(n.cond);
    case "list":
      return n.list === null;
    case "engagement":
      return false;
    case "event":
      return n.event.trim() === "" || n.where.some(condIncomplete);
  }
}

// ---- error paths: the server names the member at fault ("all[1].any[0].value")

// The path of each child of a node, as the server writes it.
export function childPath(parent: string, member: string): string {
  return parent ? parent + "." + member : member;
}

// Whether the error at errorPath belongs to the node at path itself (one of its members), not to
// one of its children.
export function ownsError(errorPath: string, path: string, hasChildren: boolean): boolean {
  if (errorPath === path) return true;
  const prefix = path ? path + "." : "";
  if (!errorPath.startsWith(prefix)) return false;
  const rest = errorPath.slice(prefix.length);
  if (hasChildren && /^(all|any)\[\d+\]|^not(\.|$)/.test(rest)) return false;
  return true;
}

// The error path of a rule relative to the rule itself: the segment API names the rule's own
// members ("all[1].value", "rule" for the rule as a whole), the trigger API prefixes them.
export function relativePath(field: string, prefix: string): string | null {
  if (field === prefix) return "";
  if (prefix && !field.startsWith(prefix + ".")) return null;
  return prefix ? field.slice(prefix.length + 1) : field;
}

// The builder's root is always a group, so there is somewhere to add the next rule; a stored
// rule that is a single condition becomes a group of one (the same subscribers).
export function rootFrom(j: Json | undefined): Node {
  const n = fromRule(j);
  return n.type === "group" ? n : { key: newKey(), type: "group", mode: "all", children: [n] };
}

// The JSON of the builder's root: a root group of one rule is that rule alone, so a stored
// single rule goes back unchanged (a trigger would otherwise count it as a new version).
export function ruleOut(root: Node): Json {
  if (root.type === "group" && root.mode === "all" && root.children.length === 1) return toRule(root.children[0]);
  return toRule(root);
}

// The builder's path of the node the server named by its path in ruleOut(root)'s JSON.
export function builderPath(root: Node, serverPath: string): string {
  if (root.type === "group" && root.mode === "all" && root.children.length === 1)
    return serverPath ? "all[0]." + serverPath : "all[0]";
  return serverPath;
}
