// Lists: a list is created through the form (an empty name is refused at the name field), shows
// in the table with its counts, and its page offers the public form link and a snippet to paste;
// another list is changed and then deleted after a confirmation.
export const name = "lists";

export default async function (ctx) {
  const { page } = ctx;
  const listName = "Clientes España";
  await ctx.goto("/lists");
  await page.getByRole("heading", { name: "Lists", level: 1 }).waitFor();
  await ctx.scan("lists");

  await page.getByRole("button", { name: "New list" }).click();
  const form = page.locator("form.stack-form");
  await ctx.expectingErrors(async () => {
    await form.getByRole("button", { name: "Create list" }).click();
    const nameField = form.getByLabel("Name", { exact: true });
    await ctx.until("the error at the name field", async () => (await nameField.getAttribute("aria-invalid")) === "true");
    const describedBy = await nameField.getAttribute("aria-describedby");
    const note = page.locator("#" + describedBy);
    ctx.check(/name/i.test(await note.innerText()), "the name field's error says what is wrong");
  });
  await ctx.scan("lists: new list form with an error");

  await form.getByLabel("Name", { exact: true }).fill(listName);
  await form.getByLabel("Description").fill("Clientes de la tienda en España");
  await form.getByLabel("Visibility").selectOption("public");
  await form.getByLabel("Tags").fill("tienda, España");
  await form.getByRole("button", { name: "Create list" }).click();
  await page.getByRole("status").filter({ hasText: listName }).waitFor();
  const link = page.getByRole("link", { name: listName, exact: true });
  await link.waitFor();
  await ctx.shot("lists");

  const lists = await ctx.api("GET", "/api/v1/lists?limit=1000");
  const made = lists.json.items.find((l) => l.name === listName);
  ctx.check(made && made.visibility === "public" && made.tags.includes("España"), "the server holds the list as the form gave it");
  ctx.state.list = { id: made.id, name: made.name };

  await link.click();
  await page.waitForURL((u) => u.pathname === `/lists/${made.id}`);
  await page.getByRole("heading", { name: listName, level: 1 }).waitFor();
  await page.getByRole("heading", { name: "Growth" }).waitFor();
  const formLink = page.getByRole("link", { name: `${ctx.base}/subscribe?list=${made.id}` });
  await formLink.waitFor();
  // the public form the link opens has this list ticked
  const publicForm = await fetch(await formLink.getAttribute("href"));
  ctx.check(new RegExp(`name="list" value="${made.id}" checked`).test(await publicForm.text()), "the form link ticks the list");
  const snippet = await page.getByLabel("Form to paste into your website").inputValue();
  ctx.check(snippet.includes(`name="list" value="${made.id}"`) && snippet.includes('action="' + ctx.base + '/subscribe"'), "the snippet posts to the form with the list");
  await page.getByRole("button", { name: "Copy the form" }).click();
  await page.getByRole("status").filter({ hasText: "Copied." }).waitFor();
  await ctx.scan("list detail");
  await ctx.shot("list-detail");

  // a list is changed on its page, and deleted after a confirmation
  await ctx.goto("/lists");
  await page.getByRole("button", { name: "New list" }).click();
  await form.getByLabel("Name", { exact: true }).fill("Prueba temporal");
  await form.getByRole("button", { name: "Create list" }).click();
  await page.getByRole("link", { name: "Prueba temporal", exact: true }).click();
  await page.getByRole("heading", { name: "Prueba temporal", level: 1 }).waitFor();
  await page.getByRole("button", { name: "Edit" }).click();
  await page.getByLabel("Name", { exact: true }).fill("Prueba cambiada");
  await page.getByLabel("Opt-in").selectOption("double");
  await page.getByRole("button", { name: "Save" }).click();
  await page.getByRole("heading", { name: "Prueba cambiada", level: 1 }).waitFor();
  const temp = Number(new URL(page.url()).pathname.split("/").pop());
  ctx.check((await ctx.api("GET", `/api/v1/lists/${temp}`)).json?.optin === "double", "the change is saved");
  await page.getByRole("button", { name: "Delete list" }).click();
  const dialog = page.getByRole("dialog");
  await dialog.getByText("Prueba cambiada", { exact: false }).waitFor();
  await ctx.scan("list: delete confirmation");
  await dialog.getByRole("button", { name: "Delete list" }).click();
  await page.waitForURL((u) => u.pathname === "/lists");
  await page.getByRole("link", { name: listName, exact: true }).waitFor();
  ctx.check((await ctx.api("GET", `/api/v1/lists/${temp}`)).status === 404, "the deleted list is gone");
}
