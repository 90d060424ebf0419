// The browser walk: launches Debian's chromium through playwright-core and runs each step of
// steps/ in order (by file name) against the server test_browser.py started. A step is a module
// exporting `name` and a default async function taking the walk's context (below). The walk
// fails when a step throws, when the page logs an error to the console, or when axe-core finds a
// serious or critical violation on a scanned page.
import { createRequire } from "node:module";
import { mkdirSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const env = process.env;
const webDir = env.MAILCAST_E2E_WEB_DIR ?? join(here, "..", "..", "web");
// the packages are the dashboard's (web/package.json), installed by npm ci there
const requireWeb = createRequire(join(webDir, "package.json"));
const { chromium } = requireWeb("playwright-core");
// evaluated through the debugging protocol, which the pages' CSP (no inline script) does not
// govern, where a <script> tag would be refused
const axeSource = readFileSync(requireWeb.resolve("axe-core/axe.min.js"), "utf8");

const base = env.MAILCAST_E2E_BASE;
const shots = env.MAILCAST_E2E_SHOTS;
const only = env.MAILCAST_E2E_STEPS ? env.MAILCAST_E2E_STEPS.split(",").map((s) => s.trim()) : null;
mkdirSync(shots, { recursive: true });

const problems = [];
let current = "start";
let tolerated = 0; // > 0 while a step provokes API errors on purpose

// "STATUS URL" of the 4xx answers a step provoked on purpose (expectingErrors), each excusing
// the one console message the browser writes about it, whenever that message arrives
const provoked = new Map();

function consoleProblem(text, url) {
  // before login the app asks who is logged in; the answer 401 is how it learns nobody is
  if (/status of 401/.test(text) && url.endsWith("/api/v1/auth/me")) return;
  const failed = /Failed to load resource: the server responded with a status of (4\d\d)/.exec(text);
  const key = failed ? `${failed[1]} ${url}` : "";
  if (provoked.get(key) > 0) {
    provoked.set(key, provoked.get(key) - 1);
    return;
  }
  problems.push(`[${current}] console: ${text}${url ? " (" + url + ")" : ""}`);
}

const browser = await chromium.launch({
  executablePath: env.MAILCAST_E2E_CHROMIUM ?? "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-dev-shm-usage"],
  headless: true,
});
const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: "en-US", timezoneId: "Europe/Madrid" });
const page = await context.newPage();
page.setDefaultTimeout(15000);
page.setDefaultNavigationTimeout(30000);
page.on("console", (msg) => {
  if (msg.type() === "error") consoleProblem(msg.text(), msg.location()?.url ?? "");
});
page.on("pageerror", (err) => problems.push(`[${current}] page error: ${err.message}`));
page.on("response", (res) => {
  if (tolerated > 0 && res.status() >= 400 && res.status() < 500) {
    const key = `${res.status()} ${res.url()}`;
    provoked.set(key, (provoked.get(key) ?? 0) + 1);
  }
});

const ctx = {
  page,
  context,
  base,
  // what one step leaves for the next (ids and names of what it created)
  state: {},
  admin: { email: env.MAILCAST_E2E_ADMIN_EMAIL, password: env.MAILCAST_E2E_ADMIN_PASSWORD },
  editor: { email: env.MAILCAST_E2E_EDITOR_EMAIL, password: env.MAILCAST_E2E_EDITOR_PASSWORD },
  fixtures: join(here, "fixtures"),

  // opens a dashboard path and waits until the page has settled
  async goto(path) {
    await page.goto(base + path);
    await page.waitForLoadState("networkidle");
  },

  // the API with the walk's admin token, to check what the browser did or to prepare data
  async api(method, path, body) {
    const res = await fetch(base + path, {
      method,
      headers: { Authorization: "Bearer " + env.MAILCAST_E2E_TOKEN, ...(body ? { "Content-Type": "application/json" } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    let json;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    return { status: res.status, json, text };
  },

  // logs in through the login page
  async login(who) {
    await ctx.goto("/login");
    await page.getByLabel(/email|correo|почта/i).fill(who.email);
    await page.getByLabel(/password|contraseña|пароль/i).fill(who.password);
    await page.getByRole("button", { name: /log in|entrar|войти/i }).click();
    await page.waitForURL((u) => !u.pathname.startsWith("/login"));
    await page.waitForLoadState("networkidle");
  },

  async logout() {
    await page.getByRole("button", { name: /log out|cerrar sesión|выйти/i }).click();
    await page.waitForURL((u) => u.pathname.startsWith("/login"));
  },

  // axe-core on the page as it is; serious and critical violations fail the walk
  async scan(what) {
    if (!(await page.evaluate(() => "axe" in window))) await page.evaluate(axeSource);
    const result = await page.evaluate(async () => {
      // eslint-disable-next-line no-undef
      const r = await axe.run(document, { resultTypes: ["violations"] });
      return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(" ")) }));
    });
    for (const v of result)
      if (v.impact === "serious" || v.impact === "critical")
        problems.push(`[${current}] axe on ${what}: ${v.impact} ${v.id} (${v.help}) at ${v.nodes.join(", ")}`);
    return result;
  },

  // a screenshot of the viewport, kept as SHOTS/<name>.png
  async shot(name) {
    await page.screenshot({ path: join(shots, name + ".png") });
  },

  // runs fn while API answers 4xx are expected (a step checking that bad input is refused)
  async expectingErrors(fn) {
    tolerated++;
    try {
      return await fn();
    } finally {
      tolerated--;
    }
  },

  // polls check() until it returns a truthy value; throws with what after timeout ms
  async until(what, check, timeout = 30000) {
    const end = Date.now() + timeout;
    for (;;) {
      const value = await check();
      if (value) return value;
      if (Date.now() > end) throw new Error("waited in vain for " + what);
      await new Promise((r) => setTimeout(r, 250));
    }
  },

  // fails the walk (without stopping the step) when cond is false
  check(cond, what) {
    if (!cond) problems.push(`[${current}] ${what}`);
  },
};

const files = readdirSync(join(here, "steps")).filter((f) => f.endsWith(".mjs")).sort();
let failed = false;
for (const file of files) {
  const step = await import(join(here, "steps", file));
  if (only && step.name !== "login" && !only.includes(step.name)) continue;
  current = step.name;
  const started = Date.now();
  try {
    await step.default(ctx);
    console.log(`step ${step.name}: ok (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  } catch (e) {
    failed = true;
    console.log(`step ${step.name}: FAILED: ${e.stack ?? e}`);
    await page.screenshot({ path: join(shots, "failed-" + step.name + ".png") }).catch(() => {});
    break;
  }
}
await browser.close();
for (const p of problems) console.log(p);
if (failed || problems.length) {
  console.log(`browser walk failed: ${failed ? "a step failed; " : ""}${problems.length} problem(s)`);
  process.exit(1);
}
console.log("browser walk passed: screenshots in " + shots);
