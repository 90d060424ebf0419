// Templates: write one in the editor (CodeMirror) with Spanish text and {{first_name}}, preview
// it for a subscriber of the list in the server's sandboxed frame, at phone width too, see a
// broken tag marked at its line, fix it and save.
import { ensureList } from "../prepare.mjs";

export const name = "templates";

// on the shipped layout, whose footer the preview shows too
const GOOD = "{{< layouts/base}}{{$content}}\n<h1>¡Hola, {{first_name}}!</h1>\n<p>Gracias por suscribirte. Este mes: envío gratis a {{city}}. <a href=\"https://shop.example.com/ofertas\">Ver ofertas</a></p>\n{{/content}}{{/layouts/base}}";
const BROKEN = GOOD.replace("<p>Gracias", "<p>{{#ofertas}}Gracias");

// replaces the editor's text as a person does: select all, delete, type (paste) the new text
async function typeInto(page, editor, text) {
  await editor.click();
  await page.keyboard.press("ControlOrMeta+A");
  await page.keyboard.press("Backspace");
  await page.keyboard.insertText(text);
}

export default async function (ctx) {
  const { page } = ctx;
  await ensureList(ctx);
  await ctx.goto("/templates");
  await page.getByRole("heading", { name: "Templates", exact: true }).waitFor();
  await ctx.scan("templates");

  await page.getByRole("link", { name: "New template" }).click();
  await page.waitForURL((u) => u.pathname === "/templates/new");
  const editor = page.locator(".code-editor .cm-content");
  await editor.waitFor();
  const templateName = "Bienvenida de diciembre";
  await page.getByLabel("Name", { exact: true }).fill(templateName);
  await page.getByLabel("Subject", { exact: true }).fill("¡Hola, {{first_name}}! Novedades de diciembre");
  await typeInto(page, editor, GOOD);

  // the preview for a subscriber found by email
  await page.getByLabel("Preview for a subscriber (search by email)").fill("lucia@");
  await page.getByRole("button", { name: /lucia@example\.com/ }).click();
  await page.getByText("Previewing for lucia@example.com.").waitFor();
  const frame = page.frameLocator("iframe.preview-frame");
  await frame.getByRole("heading", { name: "¡Hola, Lucía!" }).waitFor();
  await frame.getByText("envío gratis a Sevilla").waitFor();
  await page.locator(".preview-text").filter({ hasText: "Lucía" }).waitFor();
  await page.locator(".preview-subject").filter({ hasText: "¡Hola, Lucía! Novedades de diciembre" }).waitFor();
  const src = await page.locator("iframe.preview-frame").getAttribute("src");
  ctx.check(/^\/preview\/[0-9a-f]{32}$/.test(src ?? ""), `the preview frame's address is ${src}`);
  ctx.check((await page.locator("iframe.preview-frame").getAttribute("sandbox")) === "", "the preview frame is sandboxed");
  await ctx.scan("template editor");
  await ctx.shot("template-editor");

  // phone width
  await page.getByRole("button", { name: "Phone" }).click();
  const box = await page.locator("iframe.preview-frame.phone").boundingBox();
  ctx.check(box && Math.round(box.width) === 375, `the phone preview is ${box?.width} px wide`);
  await frame.getByRole("heading", { name: "¡Hola, Lucía!" }).waitFor();

  // a broken tag: the error at its line, next to the editor and in it
  await ctx.expectingErrors(async () => {
    await typeInto(page, editor, BROKEN);
    await page.locator("#body-error").filter({ hasText: /Line \d+:/ }).waitFor();
    await page.locator(".cm-lintRange-error").first().waitFor();
  });
  const message = await page.locator("#body-error").innerText();
  ctx.check(/^Line 4: body: line 4, column 1: closing tag 'content' does not match the open section 'ofertas' \(line 3, column 4\)/.test(message), `the error says ${message}`);
  await ctx.scan("template editor (compile error)");
  await ctx.shot("template-error");

  // fixed: the error goes, the preview comes back; then saved
  await typeInto(page, editor, GOOD);
  await page.locator("#body-error").filter({ hasText: /Line \d+:/ }).waitFor({ state: "detached" });
  await frame.getByRole("heading", { name: "¡Hola, Lucía!" }).waitFor();
  await page.getByRole("button", { name: "Save" }).click();
  await page.waitForURL((u) => /^\/templates\/\d+$/.test(u.pathname));
  await page.getByText("Saved.").waitFor();
  const id = Number(new URL(page.url()).pathname.split("/").pop());
  const stored = (await ctx.api("GET", `/api/v1/templates/${id}`)).json;
  ctx.check(stored?.name === templateName, `the template is stored as ${stored?.name}`);
  ctx.check(stored?.body === GOOD, `the stored body is ${JSON.stringify(stored?.body)}`);
  ctx.check(stored?.subject === "¡Hola, {{first_name}}! Novedades de diciembre", `the stored subject is ${stored?.subject}`);

  // it is listed; at phone width the page fits and the editor stacks above the preview
  await ctx.goto("/templates");
  await page.getByRole("link", { name: templateName }).waitFor();
  ctx.state.template = { id, name: templateName };
  await page.setViewportSize({ width: 390, height: 844 });
  try {
    await ctx.goto(`/templates/${id}`);
    await frame.getByText("Gracias por suscribirte").waitFor();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    ctx.check(overflow <= 0, `the editor is ${overflow} px wider than a phone`);
    await ctx.scan("template editor (phone)");
  } finally {
    await page.setViewportSize({ width: 1280, height: 800 });
  }

  // a viewer reads and previews the template but changes nothing
  const viewer = { email: "lector.plantillas@example.com", password: "lector-plantillas-1" };
  const made = await ctx.api("POST", "/api/v1/users", { ...viewer, role: "viewer" });
  ctx.check(made.status === 201 || made.status === 409, `create a viewer: ${made.status}`);
  await ctx.logout();
  await ctx.login(viewer);
  await ctx.goto(`/templates/${id}`);
  await page.getByText("your role cannot change it").waitFor();
  await page.frameLocator("iframe.preview-frame").getByText("Gracias por suscribirte").waitFor();
  ctx.check((await page.getByRole("button", { name: "Save" }).count()) === 0, "a viewer sees no Save");
  ctx.check((await page.getByRole("button", { name: "Delete" }).count()) === 0, "a viewer sees no Delete");
  ctx.check((await editor.getAttribute("contenteditable")) === "false", "a viewer cannot type in the editor");
  await ctx.goto("/templates");
  ctx.check((await page.getByRole("link", { name: "New template" }).count()) === 0, "a viewer sees no New template");
  await ctx.logout();
  await ctx.login(ctx.admin);
}
