// Outbox: the messages captured instead of sent (the campaign of an earlier step, or a
// transactional message made here when the step runs alone), one of them opened with its HTML
// rendered in the sandboxed frame and its text part.
import { ensureList } from "../prepare.mjs";

export const name = "outbox";

async function makeMail(ctx) {
  await ensureList(ctx);
  const tpl = await ctx.api("POST", "/api/v1/templates", {
    name: "Pedido confirmado", kind: "transactional", subject: "Tu pedido {{order}} está en camino",
    body: '<h1 style="color:#0b5cad">Gracias, {{first_name}}</h1><p>Tu pedido {{order}} sale hoy de Madrid.</p>',
  });
  if (tpl.status !== 201) throw new Error("create a template: " + tpl.text);
  const sent = await ctx.api("POST", "/api/v1/tx", { to: "lucia@example.com", template_id: tpl.json.id, data: { first_name: "Lucía", order: "A-1024" } });
  if (sent.status !== 202) throw new Error("send a transactional message: " + sent.text);
}

export default async function (ctx) {
  const { page } = ctx;
  const listing = await ctx.api("GET", "/api/v1/outbox?limit=50");
  if (!(listing.json?.items ?? []).some((m) => (m.to ?? "").includes("lucia@example.com"))) await makeMail(ctx);
  const newest = await ctx.until("a message to lucia@example.com in the outbox", async () =>
    ((await ctx.api("GET", "/api/v1/outbox?limit=50")).json?.items ?? []).find((m) => (m.to ?? "").includes("lucia@example.com")),
  );

  await ctx.goto("/outbox");
  await page.getByRole("heading", { name: "Outbox", exact: true }).waitFor();
  const row = page.locator("tbody tr").filter({ hasText: "lucia@example.com" }).first();
  await row.waitFor();
  await ctx.scan("outbox");
  await ctx.shot("outbox");
  // at phone width the table scrolls inside its frame, not the page
  await page.setViewportSize({ width: 390, height: 844 });
  try {
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    ctx.check(overflow <= 0, `the outbox is ${overflow} px wider than a phone`);
    await ctx.scan("outbox (phone)");
  } finally {
    await page.setViewportSize({ width: 1280, height: 800 });
  }

  await page.getByRole("link", { name: newest.subject }).first().click();
  await page.waitForURL((u) => u.pathname.startsWith("/outbox/"));
  const name = decodeURIComponent(new URL(page.url()).pathname.split("/").pop());
  await page.getByRole("heading", { name: newest.subject, level: 1 }).waitFor();
  await page.locator("dl.headers dd").filter({ hasText: "lucia@example.com" }).first().waitFor();
  const frame = page.frameLocator("iframe.preview-frame");
  // the message greets its recipient (the walk's campaign and the message made here both do)
  await frame.getByText(/Lucía/).first().waitFor();
  const parts = (await ctx.api("GET", `/api/v1/outbox/${name}/parts`)).json;
  ctx.check(parts?.has_html === true, "the message has an HTML part");
  const shown = await page.locator(".preview-text").innerText();
  ctx.check(parts?.text && shown.trim() === parts.text.trim(), "the page shows the message's text part");
  ctx.check((await page.locator("iframe.preview-frame").getAttribute("sandbox")) === "", "the message frame is sandboxed");
  await ctx.scan("outbox message");
  await ctx.shot("outbox-message");
}
