// Imports: a CSV file with Spanish and Russian names, a quoted field holding a comma and one row
// whose address is wrong is previewed, its columns mapped (city as text, age as a number), and
// imported into the list; the page follows the job to its end and shows the one refused row.
import { join } from "node:path";
import { readFileSync } from "node:fs";
import { ensureList } from "../prepare.mjs";

export const name = "imports";

export default async function (ctx) {
  const { page } = ctx;
  const list = await ensureList(ctx);
  const file = join(ctx.fixtures, "subscribers.csv");
  const good = readFileSync(file, "utf8").split(/\r?\n/).slice(1).map((l) => l.split(",")[0]).filter((e) => e.includes("@"));

  await ctx.goto("/imports");
  await page.getByRole("heading", { name: "Import a CSV file" }).waitFor();
  await ctx.scan("imports");

  await page.getByLabel("CSV file", { exact: true }).setInputFiles(file);
  const mapping = page.locator("table.mapping");
  await mapping.waitFor();
  // the preview reads quotes and UTF-8 as the server will
  const preview = page.locator("table.preview-table");
  await preview.getByRole("cell", { name: "Bilbao, País Vasco", exact: true }).waitFor();
  await preview.getByRole("cell", { name: "Наталья Иванова", exact: true }).waitFor();
  ctx.check((await preview.locator("tbody tr").count()) === 5, "the preview shows the first five rows");
  ctx.check((await page.getByLabel("Import column “E-mail” as").inputValue()) === "email", "the E-mail column is guessed as the address");
  ctx.check((await page.getByLabel("Import column “Nombre completo” as").inputValue()) === "name", "the name column is guessed");

  await page.getByLabel("Import column “Ciudad” as").selectOption("attr:string");
  await page.getByLabel("Attribute name for column “Ciudad”").fill("city");
  await page.getByLabel("Import column “Edad” as").selectOption("attr:number");
  await page.getByLabel("Attribute name for column “Edad”").fill("age");
  await page.getByRole("group", { name: "Put the subscribers on these lists" }).getByLabel(list.name, { exact: true }).check();
  await page.getByLabel("Status on the lists").selectOption("confirmed");
  await ctx.scan("imports: mapping");
  await page.getByRole("heading", { name: "Columns" }).evaluate((h) => h.scrollIntoView());
  await ctx.shot("imports-mapping");

  await page.getByRole("button", { name: "Upload and import" }).click();
  await page.waitForURL((u) => /^\/imports\/\d+$/.test(u.pathname));
  const id = Number(new URL(page.url()).pathname.split("/").pop());
  await page.getByRole("heading", { name: "Summary" }).waitFor({ timeout: 60000 });
  const errors = page.getByRole("heading", { name: "Refused rows" }).locator("xpath=..");
  await errors.getByRole("cell", { name: "11", exact: true }).waitFor();
  ctx.check((await errors.locator("tbody tr").count()) === 1, "the report shows one refused row");
  await ctx.scan("import report");
  await ctx.shot("imports-report");

  const job = (await ctx.api("GET", `/api/v1/imports/${id}`)).json;
  ctx.check(job.state === "finished" && job.rows_done === good.length && job.rows_failed === 1, `the import did ${good.length} rows and refused 1: ${JSON.stringify(job)}`);
  const members = (await ctx.api("GET", `/api/v1/subscribers?list=${list.id}&limit=1000`)).json.items;
  const emails = new Set(members.map((s) => s.email));
  ctx.check(good.every((e) => emails.has(e)), "every good row is on the list");
  const natalia = members.find((s) => s.email === "natalia.ivanova@example.com");
  ctx.check(natalia?.name === "Наталья Иванова" && natalia.attributes.city === "Москва" && natalia.attributes.age === 33, "the mapping typed the attributes: " + JSON.stringify(natalia));
  const andrei = members.find((s) => s.email === "andrei.popov@example.com");
  ctx.check(andrei?.attributes.city === "Новосибирск, Сибирь", "a quoted field keeps its comma");
  ctx.check(natalia?.lists.some((m) => m.id === list.id && m.status === "confirmed"), "imported as confirmed on the list");

  // the history lists it
  await page.getByRole("link", { name: "← All imports" }).click();
  await page.getByRole("link", { name: "subscribers.csv" }).first().waitFor();
  ctx.state.import = { id };
}
