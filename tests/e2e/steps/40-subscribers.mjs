// Subscribers: the list's subscribers page by page, a search for a Russian name, the person's
// page (attributes, lists, activity) with an attribute changed as JSON, the privacy export
// downloaded; a person added through the form and erased after the confirmation that names
// their address; next and previous pages; every page at phone width.
import { readFileSync } from "node:fs";
import { ensureList } from "../prepare.mjs";

export const name = "subscribers";

export default async function (ctx) {
  const { page } = ctx;
  const list = await ensureList(ctx);
  const members = (await ctx.api("GET", `/api/v1/subscribers?list=${list.id}&limit=1000`)).json.items;
  const russian = members.find((s) => /[а-яё]/i.test(s.name));
  const other = members.find((s) => s.id !== russian?.id && !/[а-яё]/i.test(s.name));
  if (!russian || !other) throw new Error("the list lacks the subscribers this step needs");

  await ctx.goto(`/subscribers?list=${list.id}`);
  await page.getByRole("heading", { name: "Subscribers", level: 1 }).waitFor();
  await page.getByRole("link", { name: other.email, exact: true }).waitFor();
  ctx.check((await page.getByLabel("List", { exact: true }).inputValue()) === String(list.id), "the list filter comes from the link");
  await ctx.scan("subscribers");
  await ctx.shot("subscribers");

  const surname = russian.name.split(" ").pop();
  await page.getByLabel("Address or name").fill(surname);
  await page.getByRole("button", { name: "Search" }).click();
  await page.waitForURL((u) => u.searchParams.get("query") === surname);
  const link = page.getByRole("link", { name: russian.email, exact: true });
  await link.waitFor();
  await ctx.until("only the matches", async () => (await page.locator("table tbody tr").count()) >= 1 && !(await page.getByRole("link", { name: other.email, exact: true }).count()));

  await link.click();
  await page.waitForURL((u) => u.pathname === `/subscribers/${russian.id}`);
  await page.getByRole("heading", { name: russian.email, level: 1 }).waitFor();
  await page.getByRole("heading", { name: "Attributes" }).waitFor();
  await page.getByRole("rowheader", { name: "city", exact: true }).waitFor();
  await page.getByRole("link", { name: list.name, exact: true }).waitFor();
  await page.getByRole("heading", { name: "Activity" }).waitFor();
  await page.getByText(russian.name, { exact: true }).waitFor();
  await ctx.scan("subscriber detail");
  await ctx.shot("subscriber-detail");

  // attributes as JSON: broken JSON is refused at the field, a good object is saved
  await page.getByRole("button", { name: "Edit" }).click();
  const json = page.getByLabel("Attributes (a JSON object)");
  await json.fill("{city: Москва");
  await page.getByRole("button", { name: "Save" }).click();
  await ctx.until("the error at the attributes", async () => (await json.getAttribute("aria-invalid")) === "true");
  await ctx.scan("subscriber: editing with an error");
  const attrs = { ...russian.attributes, vip: true };
  await json.fill(JSON.stringify(attrs));
  await page.getByRole("button", { name: "Save" }).click();
  await page.getByRole("status").filter({ hasText: "Saved." }).waitFor();
  await page.getByRole("rowheader", { name: "vip", exact: true }).waitFor();
  const saved = (await ctx.api("GET", `/api/v1/subscribers/${russian.id}`)).json;
  ctx.check(saved.attributes.vip === true && saved.attributes.city === russian.attributes.city, "the server holds the changed attributes");

  // the privacy export downloads everything about the person as JSON
  const downloading = page.waitForEvent("download");
  await page.getByRole("button", { name: "Export personal data" }).click();
  const download = await downloading;
  const data = JSON.parse(readFileSync(await download.path(), "utf8"));
  ctx.check(data.subscriber?.email === russian.email && data.memberships?.some((m) => m.list_id === list.id), "the export holds the person and their lists");

  // adding a person by hand: a wrong address is refused at the field
  await ctx.goto("/subscribers");
  await page.getByRole("button", { name: "Add a subscriber" }).click();
  const add = page.locator("form.stack-form");
  const email = add.getByLabel("Email");
  await ctx.expectingErrors(async () => {
    await email.fill("pedro.sin.arroba");
    await add.getByRole("button", { name: "Add", exact: true }).click();
    await ctx.until("the error at the email field", async () => (await email.getAttribute("aria-invalid")) === "true");
  });
  await ctx.scan("subscribers: add with an error");
  const newcomer = "pedro.alta@example.com";
  await email.fill(newcomer);
  await add.getByLabel("Name").fill("Pedro Alta");
  await add.getByLabel(list.name, { exact: true }).check();
  await add.getByRole("button", { name: "Add", exact: true }).click();
  await page.getByRole("heading", { name: newcomer, level: 1 }).waitFor();
  const added = Number(new URL(page.url()).pathname.split("/").pop());
  const held = (await ctx.api("GET", `/api/v1/subscribers/${added}`)).json;
  ctx.check(held.name === "Pedro Alta" && held.lists.some((m) => m.id === list.id), "the server holds the added subscriber on the list");

  // erasing asks first, naming the address
  await page.getByRole("button", { name: "Erase" }).click();
  const dialog = page.getByRole("dialog");
  await dialog.getByText(`Erase ${newcomer}?`, { exact: false }).waitFor();
  await ctx.scan("subscriber: erase confirmation");
  await dialog.getByRole("button", { name: "Erase" }).click();
  await page.waitForURL((u) => u.pathname === "/subscribers");
  await page.getByRole("status").filter({ hasText: `${newcomer} was erased` }).waitFor();
  ctx.check((await ctx.api("GET", `/api/v1/subscribers/${added}`)).status === 404, "the erased subscriber is gone");
  const again = await ctx.api("POST", "/api/v1/subscribers", { email: newcomer, name: "Pedro Alta" });
  ctx.check(again.status === 422 && again.json?.error?.code === "suppressed", "an erased address cannot come back: " + again.text);

  // more subscribers than a page: next and previous walk the cursor
  const all = (await ctx.api("GET", "/api/v1/subscribers?limit=1000")).json.items;
  const missing = Math.max(0, 61 - all.length);
  for (let i = 0; i < missing; i++)
    await ctx.api("POST", "/api/v1/subscribers", { email: `persona.${i}@example.org`, name: `Persona ${i}` });
  await ctx.goto("/subscribers");
  const firstRow = page.locator("table tbody tr").first().getByRole("link");
  const first = await firstRow.innerText();
  await page.getByRole("button", { name: "Next page" }).click();
  await page.getByText("Page 2", { exact: true }).waitFor();
  const second = await page.locator("table tbody tr").first().getByRole("link").innerText();
  const ids = (await ctx.api("GET", "/api/v1/subscribers?limit=51")).json.items;
  ctx.check(first === ids[0].email && second === ids[50].email, `page 2 starts after page 1: ${first}, ${second}`);
  await page.getByRole("button", { name: "Previous page" }).click();
  await page.getByText("Page 1", { exact: true }).waitFor();
  ctx.check((await firstRow.innerText()) === first, "previous goes back to the first page");

  // at phone width the audience pages fit the screen (wide tables scroll inside their box)
  await page.setViewportSize({ width: 390, height: 800 });
  try {
    for (const path of ["/subscribers", `/subscribers/${russian.id}`, "/lists", `/lists/${list.id}`, "/imports"]) {
      await ctx.goto(path);
      const width = await page.evaluate(() => document.documentElement.scrollWidth);
      ctx.check(width <= 391, `${path} is ${width} px wide at 390 px`);
    }
  } finally {
    await page.setViewportSize({ width: 1280, height: 800 });
  }
  ctx.state.subscriber = { id: russian.id, email: russian.email };
}
