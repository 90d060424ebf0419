// Triggers: an abandoned-cart trigger built step by step (entry on cart_updated, wait an hour,
// go on only without an order since entry, send the template, leave on order_completed), with
// a step moved into place and the server's refusal shown at the step it names; once saved it is
// in the list, and a cart_updated event for a subscriber shows them waiting at the wait step.
import { ensureList, ensureTemplate } from "../prepare.mjs";

export const name = "triggers";

export default async function (ctx) {
  const { page } = ctx;
  await ensureList(ctx);
  const template = await ensureTemplate(ctx);
  const triggerName = "Carrito abandonado";

  await ctx.goto("/triggers");
  await page.getByRole("heading", { name: "Triggers", level: 1 }).waitFor();
  await ctx.scan("triggers (list)");
  await page.getByRole("link", { name: /New trigger|Create the first trigger/ }).first().click();
  await page.getByRole("heading", { name: "New trigger" }).waitFor();

  await page.getByLabel("Name", { exact: true }).fill(triggerName);
  await page.getByLabel("an event comes in").check();
  await page.getByLabel("Event name").fill("cart_updated");

  // the new trigger starts with a wait and a send: the wait becomes an hour
  const step = (i) => page.locator(`li.step-card[data-step="${i}"]`);
  await step(0).getByLabel("Wait for").fill("1");
  await step(0).getByLabel("Unit").selectOption("h");

  // a condition added at the end, then moved up before the send
  await page.getByLabel("Kind of step to add").selectOption("if");
  await page.getByRole("button", { name: "Add step" }).click();
  await step(2).getByRole("button", { name: "Move step 3 up" }).click();
  await step(1).getByRole("heading", { name: /Check a condition/ }).waitFor();
  const condition = step(1).locator('fieldset[data-path=""] > .group-actions');
  await condition.getByLabel("Kind of rule to add").selectOption("not");
  await condition.getByRole("button", { name: "Add rule" }).click();
  await step(1).getByLabel("Kind of rule to negate").selectOption("event");
  await step(1).getByLabel("Event", { exact: true }).fill("order_completed");
  await step(1).getByLabel("only since entering the trigger").check();
  await page.getByLabel("Events that take a subscriber off").fill("order_completed");

  // saved without a template for the send step: the server names that step
  await ctx.expectingErrors(async () => {
    await page.getByRole("button", { name: "Save" }).click();
    await step(2).getByRole("alert").waitFor();
    ctx.check(page.url().endsWith("/triggers/new"), "nothing is saved while the server refuses");
  });
  ctx.check(/steps\[2\]\.send|template/.test(await step(2).getByRole("alert").textContent()), "the error is the send step's");
  await step(2).getByLabel("Template").selectOption({ label: template.name });
  // the error goes once the step it names is changed
  await step(2).getByRole("alert").waitFor({ state: "detached" });
  await step(2).getByLabel("Subject").fill("¿Olvidaste algo, {{first_name}}?");
  await ctx.scan("trigger builder");
  await page.locator(".steps-panel").scrollIntoViewIfNeeded();
  await ctx.shot("triggers-builder");

  await page.getByRole("button", { name: "Save" }).click();
  await page.waitForURL(/\/triggers\/\d+$/);
  const id = Number(/\/triggers\/(\d+)$/.exec(page.url())[1]);
  const stored = (await ctx.api("GET", `/api/v1/triggers/${id}`)).json;
  ctx.check(stored?.name === triggerName && stored?.entry?.event === "cart_updated", "the entry is the cart event");
  const kinds = (stored?.steps ?? []).map((s) => Object.keys(s).find((k) => ["wait", "wait_until", "if", "send", "exit"].includes(k)));
  ctx.check(kinds.join(",") === "wait,if,send", `the steps are wait, if, send: ${kinds.join(",")}`);
  ctx.check(stored?.steps?.[0]?.seconds === 3600, "the wait is an hour");
  ctx.check(JSON.stringify(stored?.steps?.[1]?.if) === JSON.stringify({ not: { event: "order_completed", since_entry: true } }), `the condition is no order since entry: ${JSON.stringify(stored?.steps?.[1]?.if)}`);
  ctx.check(stored?.steps?.[2]?.send === template.id, "the send step sends the template");
  ctx.check(JSON.stringify(stored?.exit_on) === JSON.stringify(["order_completed"]), "an order takes the subscriber off");
  ctx.state.trigger = { id, name: triggerName };

  await ctx.goto("/triggers");
  await page.getByRole("row", { name: new RegExp(triggerName) }).waitFor();
  await ctx.scan("triggers (list with one)");

  // a shopper fills a cart: they wait at the wait step
  const event = await ctx.api("POST", "/api/v1/events", { email: "lucia@example.com", name: "cart_updated", properties: { total: 47.3, currency: "EUR" } });
  if (event.status !== 202) throw new Error(`event: ${event.status} ${event.text}`);
  await ctx.goto(`/triggers/${id}`);
  await ctx.until("one subscriber at the wait step", async () => {
    await page.getByRole("button", { name: "Refresh the numbers" }).click();
    await page.waitForLoadState("networkidle");
    return /^1 subscriber at this step$/.test(((await step(0).getByTestId("at-step").textContent()) ?? "").trim());
  });
  await page.getByRole("cell", { name: "lucia@example.com" }).waitFor();
  await ctx.scan("trigger detail");
  await page.locator(".steps-panel").scrollIntoViewIfNeeded();
  await ctx.shot("trigger-detail");

  // pause and resume, each confirmed
  await page.getByRole("button", { name: "Pause" }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Pause" }).click();
  await page.locator(".badge.paused").waitFor();
  ctx.check((await ctx.api("GET", `/api/v1/triggers/${id}`)).json?.enabled === false, "the trigger is paused");
  await page.getByRole("button", { name: "Resume" }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Resume" }).click();
  await page.locator(".badge.running").waitFor();
  ctx.check((await ctx.api("GET", `/api/v1/triggers/${id}`)).json?.enabled === true, "the trigger runs again");
}
