// Campaigns: compose one step by step to the walk's list (leaving out the segment when there is
// one) with the walk's template, see the recipient count the API agrees with, send a test,
// send it, watch its progress reach "finished", open and click the delivered mail as a person
// and as machines, and read the report (charts, links) and the overview's rates. A copy is
// scheduled in another time zone and cancelled. An A/B test is composed, sent, and its winner
// chosen on the campaign's page.
import { ensureList, ensureTemplate } from "../prepare.mjs";

export const name = "campaigns";

const BROWSER_UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36";

function must(answer, what) {
  if (answer.status >= 300) throw new Error(`${what}: ${answer.status} ${answer.text}`);
  return answer.json;
}

// the captured messages of campaign id (its tests left out), as text with quoted-printable undone
// (as sent when raw: undoing it would break folded encoded words in the headers)
async function capturedOf(ctx, id, raw = false) {
  const page = must(await ctx.api("GET", "/api/v1/outbox?limit=100"), "outbox");
  const out = [];
  for (const item of page.items ?? []) {
    const res = await fetch(`${ctx.base}/api/v1/outbox/${encodeURIComponent(item.name)}`, {
      headers: { Authorization: "Bearer " + process.env.MAILCAST_E2E_TOKEN },
    });
    const sent = await res.text();
    const text = sent.replace(/=\r?\n/g, "").replace(/=3D/gi, "=");
    if (new RegExp(`^Feedback-ID: ${id}:`, "mi").test(text)) out.push(raw ? sent : text);
  }
  return out;
}

// the Subject header of a captured message, its encoded words (RFC 2047) decoded
function subjectOf(text) {
  const m = /^Subject: (.*(?:\r?\n[ \t].*)*)/im.exec(text);
  if (!m) return "";
  const decode = (enc, data) =>
    enc.toUpperCase() === "B"
      ? Buffer.from(data, "base64").toString("utf8")
      : Buffer.from(data.replace(/_/g, " ").replace(/=([0-9A-F]{2})/gi, (_, h) => String.fromCharCode(parseInt(h, 16))), "latin1").toString("utf8");
  return m[1]
    .replace(/\r?\n[ \t]/g, " ")
    .replace(/\?=\s+=\?/g, "?==?")
    .replace(/=\?UTF-8\?([BQ])\?([^?]*)\?=/gi, (_, enc, data) => decode(enc, data));
}

const tracked = (text, kind) => {
  const m = new RegExp(`/t/${kind}/[^"'\\s<>)]+`).exec(text);
  return m ? m[0] : null;
};

export default async function (ctx) {
  const { page } = ctx;
  const list = await ensureList(ctx);
  const template = await ensureTemplate(ctx);
  const segment = ctx.state.segment ?? null;
  const confirmed = must(await ctx.api("GET", `/api/v1/lists/${list.id}`), "the list").counts.confirmed;
  const campaignName = "Boletín de diciembre " + Date.now().toString(36);

  await ctx.goto("/campaigns");
  await page.getByRole("heading", { name: "Campaigns" }).waitFor();
  await ctx.scan("campaigns list");
  await page.getByRole("link", { name: "New campaign" }).first().click();
  await page.getByRole("navigation", { name: "Steps of the campaign" }).waitFor();

  // (a) audience, with the count as it is picked
  await page.getByLabel("Campaign name (only you see it)").fill(campaignName);
  await page.getByRole("group", { name: "Send to" }).getByLabel(list.name).check();
  const count = page.getByTestId("recipient-count");
  const recipients = (n) => `${n} recipient${n === 1 ? "" : "s"}`;
  await count.filter({ hasText: recipients(confirmed) }).waitFor();
  let expected = confirmed;
  if (segment) {
    await page.getByRole("group", { name: "Leave out" }).getByLabel(`Segment: ${segment.name}`).check();
    const audience = must(await ctx.api("POST", "/api/v1/campaigns/audience", { lists: [list.id], exclude_segments: [segment.id] }), "audience count");
    expected = audience.count;
    ctx.check(expected < confirmed, `leaving out the segment keeps ${expected} of ${confirmed}`);
    await count.filter({ hasText: recipients(expected) }).waitFor();
  }
  await ctx.scan("composer: audience");
  await ctx.shot("campaign-composer");
  await page.getByRole("button", { name: "Save and continue" }).click();

  // (b) content: the stored template and the sender; the draft is saved here
  await page.getByRole("heading", { name: "Content", level: 2 }).waitFor();
  await page.getByLabel("Template", { exact: true }).selectOption({ label: template.name });
  await page.getByLabel("From name").fill("Tienda Ñandú");
  await page.getByLabel("From address").fill("noticias@example.com");
  await ctx.scan("composer: content");
  await page.getByRole("button", { name: "Save and continue" }).click();
  await page.waitForURL(/\/campaigns\/\d+\/edit$/);
  const id = Number(/\/campaigns\/(\d+)\/edit/.exec(page.url())[1]);
  ctx.state.campaign = { id, name: campaignName };

  // (c) subject, previewed for a subscriber of the list
  await page.getByRole("heading", { name: "Subject", level: 2 }).waitFor();
  await page.getByRole("textbox", { name: "Subject", exact: true }).fill("Novedades de diciembre para {{first_name}}");
  await page.locator(".inbox-subject").filter({ hasText: /^Novedades de diciembre para \S+/ }).waitFor();
  await page.locator(".inbox-pre").waitFor();
  await ctx.scan("composer: subject");
  await page.getByRole("button", { name: "Save and continue" }).click();

  // (d) a test, which the outbox receives
  await page.getByRole("heading", { name: "Test", level: 2 }).waitFor();
  await page.getByLabel("Addresses").fill("prueba@example.com");
  await page.getByRole("button", { name: "Send test" }).click();
  await page.getByRole("status").filter({ hasText: "Test sent to prueba@example.com" }).waitFor();
  await ctx.until("the test in the outbox", async () => {
    const mail = await capturedOf(ctx, id);
    return mail.some((m) => /^To:.*prueba@example\.com/im.test(m) && /^Subject: \[Test\] Novedades de diciembre/im.test(m));
  });
  await ctx.scan("composer: test");
  await page.getByRole("button", { name: "Save and continue" }).click();

  // what the server holds is what the composer showed
  const saved = must(await ctx.api("GET", `/api/v1/campaigns/${id}`), "the draft");
  ctx.check(saved.state === "draft", "the campaign is a draft before it is sent: " + saved.state);
  ctx.check(saved.template_id === template.id, "the campaign uses the template");
  ctx.check(JSON.stringify(saved.lists) === JSON.stringify([list.id]), "the campaign goes to the list");
  ctx.check(JSON.stringify(saved.exclude_segments ?? []) === JSON.stringify(segment ? [segment.id] : []), "the segment is left out");
  ctx.check(saved.subject === "Novedades de diciembre para {{first_name}}", "the subject is saved: " + saved.subject);
  ctx.check(saved.from_email === "noticias@example.com" && saved.from_name === "Tienda Ñandú", "the sender is saved");

  // (e) send now, and watch it finish
  await page.getByRole("heading", { name: "Send", level: 2 }).waitFor();
  await ctx.scan("composer: send");
  await page.getByRole("button", { name: `Send now to ${recipients(expected)}` }).click();
  await page.waitForURL(new RegExp(`/campaigns/${id}$`));
  await page.getByRole("heading", { name: campaignName }).waitFor();
  await page.getByRole("heading", { name: "Progress" }).waitFor();
  // three messages to the outbox take a moment; on a loaded machine the worker may take longer,
  // and what the campaign's progress says then helps to tell slowness from a campaign left running
  try {
    await page.locator(".heading-row .state").filter({ hasText: "finished" }).waitFor({ timeout: 180000 });
  } catch (e) {
    console.log("the campaign's progress: " + (await ctx.api("GET", `/api/v1/campaigns/${id}/progress`)).text);
    throw e;
  }
  const progress = must(await ctx.api("GET", `/api/v1/campaigns/${id}/progress`), "progress");
  ctx.check(progress.state === "finished" && progress.sent === expected, `the campaign sent ${progress.sent} of ${expected}`);
  await ctx.scan("campaign progress (finished)");

  // people and machines open and click the delivered mail
  const mail = await ctx.until("the campaign's mail in the outbox", async () => {
    const m = (await capturedOf(ctx, id)).filter((x) => !/^Subject: \[Test\]/im.test(x));
    return m.length === expected ? m : null;
  });
  const pixels = mail.map((m) => tracked(m, "o")).filter(Boolean);
  const clicks = mail.map((m) => tracked(m, "c")).filter(Boolean);
  ctx.check(pixels.length === expected && clicks.length === expected, "every message has its open pixel and tracked link");
  // an image proxy on delivery and a link scanner's HEAD: machines
  await fetch(ctx.base + pixels[0], { headers: { "User-Agent": "Mozilla/5.0" } });
  await fetch(ctx.base + clicks[0], { method: "HEAD", redirect: "manual", headers: { "User-Agent": BROWSER_UA } });
  // people read later than a machine acts on delivery
  await new Promise((r) => setTimeout(r, 11000));
  for (const p of pixels) await fetch(ctx.base + p, { headers: { "User-Agent": BROWSER_UA } });
  await fetch(ctx.base + clicks[clicks.length - 1], { redirect: "manual", headers: { "User-Agent": BROWSER_UA } });
  const stats = await ctx.until("the opens and clicks counted", async () => {
    const s = must(await ctx.api("GET", `/api/v1/campaigns/${id}/stats`), "stats");
    return s.opens.unique_human === expected && s.clicks.unique_human === 1 && s.opens.unique_machine >= 1 && s.clicks.unique_machine >= 1 ? s : null;
  });

  // the report: figures, the charts with their table, the links
  await ctx.goto(`/campaigns/${id}`);
  await page.getByRole("heading", { name: "Report" }).waitFor();
  await page.locator('canvas[aria-label^="Opens per hour"]').waitFor();
  await page.locator('canvas[aria-label^="Clicks per hour"]').waitFor();
  const linkRow = page.getByRole("table", { name: "Links" }).getByRole("row").filter({ hasText: "shop.example.com/ofertas" });
  await linkRow.waitFor();
  const openRate = new Intl.NumberFormat("en-US", { style: "percent", minimumFractionDigits: 1, maximumFractionDigits: 1 }).format(stats.opens.unique_human / stats.delivered);
  await page.locator(".figures").getByText(openRate).first().waitFor();
  await page.getByText("The figures as a table").click();
  await ctx.scan("campaign report");
  await page.getByRole("heading", { name: "Report" }).scrollIntoViewIfNeeded();
  await page.getByText("The figures as a table").click();
  await ctx.shot("campaign-report");

  // the list: the campaign with its rates; a copy scheduled in another zone, then cancelled
  await ctx.goto("/campaigns");
  const row = page.getByRole("row").filter({ hasText: campaignName }).first();
  await row.getByText(openRate).waitFor();
  await row.getByRole("button", { name: `Duplicate ${campaignName}` }).click();
  await page.waitForURL(/\/campaigns\/\d+\/edit$/);
  const copyId = Number(/\/campaigns\/(\d+)\/edit/.exec(page.url())[1]);
  await page.getByRole("button", { name: /Send$/ }).click();
  await page.getByLabel("At a date and time").check();
  await page.getByLabel("Date and time", { exact: true }).fill("2030-01-15T09:30");
  await page.getByLabel("Time zone", { exact: true }).selectOption("America/New_York");
  await ctx.scan("composer: schedule");
  await page.getByRole("button", { name: "Schedule" }).click();
  await page.waitForURL(new RegExp(`/campaigns/${copyId}$`));
  await page.locator(".heading-row .state").filter({ hasText: "scheduled" }).waitFor();
  const copy = must(await ctx.api("GET", `/api/v1/campaigns/${copyId}`), "the copy");
  ctx.check(Date.parse(copy.send_at) === Date.parse("2030-01-15T14:30:00Z"), "09:30 in New York is 14:30 UTC: " + copy.send_at);
  ctx.check(copy.timezone === "America/New_York", "the copy keeps its time zone: " + copy.timezone);
  await page.getByRole("button", { name: "Cancel campaign" }).click();
  const dialog = page.getByRole("dialog", { name: "Cancel campaign" });
  await dialog.waitFor();
  await ctx.scan("cancel dialog");
  await dialog.getByRole("button", { name: "Cancel campaign" }).click();
  await page.locator(".heading-row .state").filter({ hasText: "cancelled" }).waitFor();
  ctx.check(must(await ctx.api("GET", `/api/v1/campaigns/${copyId}`), "the copy").state === "cancelled", "the copy is cancelled");

  // a campaign held by its sending window (twelve hours away) stays running with its queue:
  // paused, resumed and cancelled from its page
  const hour = String((new Date().getUTCHours() + 12) % 24).padStart(2, "0");
  const held = must(await ctx.api("POST", "/api/v1/campaigns", {
    name: "Rebajas de enero", subject: "Rebajas para {{first_name}}", from_email: "noticias@example.com", from_name: "Tienda Ñandú",
    template_id: template.id, lists: [list.id], timezone: "UTC", window_start: `${hour}:00`, window_end: `${hour}:30`,
  }), "a campaign with a window");
  must(await ctx.api("POST", `/api/v1/campaigns/${held.id}/send`), "send it");
  await ctx.goto(`/campaigns/${held.id}`);
  const state = page.locator(".heading-row .state");
  await state.filter({ hasText: "sending" }).waitFor();
  await page.getByText("Time left").waitFor();
  await page.getByText(`It sends only between ${hour}:00 and ${hour}:30 (UTC).`).waitFor();
  await ctx.scan("campaign progress (sending)");
  await ctx.shot("campaign-progress");
  await page.getByRole("button", { name: "Pause" }).click();
  await state.filter({ hasText: "paused" }).waitFor();
  ctx.check(must(await ctx.api("GET", `/api/v1/campaigns/${held.id}`), "held").state === "paused", "the campaign is paused");
  await page.getByRole("button", { name: "Resume" }).click();
  await state.filter({ hasText: "sending" }).waitFor();
  ctx.check(must(await ctx.api("GET", `/api/v1/campaigns/${held.id}`), "held").state === "running", "the campaign runs again");
  await page.getByRole("button", { name: "Cancel campaign" }).click();
  await page.getByRole("dialog", { name: "Cancel campaign" }).getByRole("button", { name: "Cancel campaign" }).click();
  await state.filter({ hasText: "cancelled" }).waitFor();
  const ended = must(await ctx.api("GET", `/api/v1/campaigns/${held.id}/progress`), "held progress");
  ctx.check(ended.state === "cancelled" && ended.sent === 0 && ended.cancelled === ended.total, "nothing of the cancelled campaign was sent");

  // an A/B test composed on the subject step (two subjects, half the list, a winner chosen
  // by hand), sent, and its winner chosen on the campaign's page: the rest gets B's subject
  const abDraft = must(await ctx.api("POST", "/api/v1/campaigns", {
    name: "Prueba A/B " + Date.now().toString(36), subject: "Asunto base", from_email: "noticias@example.com",
    from_name: "Tienda Ñandú", template_id: template.id, lists: [list.id],
  }), "an A/B draft");
  await ctx.goto(`/campaigns/${abDraft.id}/edit`);
  await page.getByRole("navigation", { name: "Steps of the campaign" }).getByRole("button", { name: "Subject" }).click();
  await page.getByRole("heading", { name: "Subject", level: 2 }).waitFor();
  await page.getByLabel("Test variants on part of the audience first").check();
  await page.getByLabel("Subject of variant A").fill("Rebajas A para {{first_name}}");
  await page.getByLabel("Subject of variant B").fill("Rebajas B para {{first_name}}: ¡últimos días!");
  await page.getByLabel("From name of variant B").fill("Equipo Ñandú");
  await page.getByLabel("Content of variant B").selectOption({ label: template.name });
  await page.getByLabel("Test share (%)").fill("50");
  await page.getByLabel("Choose the winner after").fill("1h");
  await page.getByLabel("Winner chosen").selectOption({ label: "by me" });
  await ctx.scan("composer: A/B test");
  await ctx.shot("campaign-ab-composer");
  await page.getByRole("button", { name: "Save and continue" }).click();
  await page.getByRole("heading", { name: "Test", level: 2 }).waitFor();
  const abSaved = must(await ctx.api("GET", `/api/v1/campaigns/${abDraft.id}`), "the A/B draft").ab_test;
  ctx.check(abSaved && abSaved.variants.length === 2 && abSaved.variants[1].subject === "Rebajas B para {{first_name}}: ¡últimos días!" &&
    abSaved.variants[1].from_name === "Equipo Ñandú" && abSaved.variants[1].template_id === template.id &&
    abSaved.variants[0].template_id === undefined && abSaved.test_percent === 50 && abSaved.winner === "manual" && abSaved.wait === "1h",
    "the A/B test is saved as composed: " + JSON.stringify(abSaved));
  await page.getByRole("button", { name: "Save and continue" }).click();
  await page.getByRole("heading", { name: "Send", level: 2 }).waitFor();
  await page.getByRole("button", { name: /^Send now to / }).click();
  await page.waitForURL(new RegExp(`/campaigns/${abDraft.id}$`));
  await page.getByRole("heading", { name: "A/B test", level: 2 }).waitFor();
  await page.getByText(/^The test is sent; \d+ messages? wait/).waitFor({ timeout: 120000 });
  await page.getByRole("table", { name: /^The variants side by side/ }).waitFor();
  await ctx.scan("campaign A/B test waiting");
  await page.getByRole("button", { name: "Choose B" }).click();
  const chooseDialog = page.getByRole("dialog", { name: "Choose B" });
  await chooseDialog.waitFor();
  await chooseDialog.getByRole("button", { name: "Choose B" }).click();
  await page.getByText(/^Variant B won, chosen by hand/).waitFor();
  await page.locator(".heading-row .state").filter({ hasText: "finished" }).waitFor({ timeout: 180000 });
  const abReport = must(await ctx.api("GET", `/api/v1/campaigns/${abDraft.id}/ab`), "the A/B report");
  ctx.check(abReport.winner && abReport.winner.name === "B" && abReport.winner.by === "manual", "B won by hand: " + JSON.stringify(abReport.winner));
  const abTotal = must(await ctx.api("GET", `/api/v1/campaigns/${abDraft.id}`), "the A/B campaign").total;
  const abMail = await ctx.until("the A/B campaign's mail in the outbox", async () => {
    const m = await capturedOf(ctx, abDraft.id, true);
    return m.length === abTotal ? m : null;
  });
  const bSubjects = abMail.filter((m) => /^Rebajas B para .+: ¡últimos días!$/.test(subjectOf(m))).length;
  ctx.check(bSubjects === abTotal - abReport.variants[0].sent,
    `B's subject went to ${bSubjects} of ${abTotal} (A's to ${abReport.variants[0].sent}): ${abMail.map(subjectOf).join(" | ")}`);
  await ctx.scan("campaign A/B test decided");
  await page.getByRole("heading", { name: "A/B test", level: 2 }).scrollIntoViewIfNeeded();
  await ctx.shot("campaign-ab-report");

  // the overview: the campaign with its human rates, and the lists' growth
  await ctx.goto("/");
  const recent = page.getByRole("row").filter({ hasText: campaignName });
  await recent.getByText(openRate).waitFor();
  await page.getByRole("heading", { name: "List growth, last 30 days" }).waitFor();
  await page.locator('canvas[aria-label^="Subscribed and unsubscribed"]').waitFor();
  await ctx.scan("overview");
  await ctx.shot("overview");

  // at phone width the list, the composer and the report fit (tables scroll inside)
  await page.setViewportSize({ width: 390, height: 800 });
  for (const [path, heading] of [["/campaigns", "Campaigns"], [`/campaigns/${copyId}`, campaignName + " (copy)"], ["/campaigns/new", "New campaign"], [`/campaigns/${id}`, "Report"]]) {
    await ctx.goto(path);
    await page.getByRole("heading", { name: heading, exact: true }).waitFor();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    ctx.check(overflow <= 0, `${path} fits 390 px (overflows by ${overflow} px)`);
  }
  await ctx.scan("campaign report at 390 px");
  await page.setViewportSize({ width: 1280, height: 800 });
}
