// Subscribers: the list's subscribers page by page, a search for a Russian name, the person's
// page (attributes, lists, activity) with an attribute changed as JSON, the privacy export
// downloaded, and another person erased after the confirmation that names their address.
import { readFileSync } from "node:fs";
import { ensureList } from "../prepare.mjs";

export const name = "subscribers";

export default async function (ctx) {
  const { page } = ctx;
  const list = await ensureList(ctx);
  const members = (await ctx.api("GET", `/api/v1/subscribers?list=${list.id}&limit=1000`)).json.items;
  const russian = members.find((s) => /[а-яё]/i.test(s.name));
  const other = members.find((s) => s.id !== russian.id && !/[а-яё]/i.test(s.name));
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

  // erasing another person asks first, naming the address
  await ctx.goto(`/subscribers/${other.id}`);
  await page.getByRole("heading", { name: other.email, level: 1 }).waitFor();
  await page.getByRole("button", { name: "Erase" }).click();
  const dialog = page.getByRole("dialog");
  await dialog.getByText(`Erase ${other.email}?`, { exact: false }).waitFor();
  await ctx.scan("subscriber: erase confirmation");
  await dialog.getByRole("button", { name: "Erase" }).click();
  await page.waitForURL((u) => u.pathname === "/subscribers");
  await page.getByRole("status").filter({ hasText: `${other.email} was erased` }).waitFor();
  ctx.check((await ctx.api("GET", `/api/v1/subscribers/${other.id}`)).status === 404, "the erased subscriber is gone");
  const again = await ctx.api("POST", "/api/v1/subscribers", { email: other.email, name: other.name });
  ctx.check(again.status === 422 && again.json?.error?.code === "suppressed", "an erased address cannot come back: " + again.text);
  ctx.state.subscriber = { id: russian.id, email: russian.email };
}
