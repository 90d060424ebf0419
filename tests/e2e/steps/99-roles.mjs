// Roles in the dashboard: an editor sees no settings and is refused the page when typing its
// address; a viewer sees no write action. The server refuses them anyway
// (tests/integration/test_roles.py walks every route).
export const name = "roles";

export default async function (ctx) {
  const { page } = ctx;
  await ctx.logout();

  await ctx.login(ctx.editor);
  const nav = page.getByRole("navigation");
  await nav.getByRole("link", { name: "Campaigns" }).waitFor();
  ctx.check((await nav.getByRole("link", { name: "Settings" }).count()) === 0, "an editor sees Settings in the menu");
  await ctx.goto("/settings");
  await page.getByRole("heading", { name: "Not allowed" }).waitFor();
  await ctx.scan("forbidden page");
  await ctx.shot("editor-forbidden");
  // the API says the same
  const answer = await ctx.expectingErrors(() => page.evaluate(async () => (await fetch("/api/v1/users")).status));
  ctx.check(answer === 403, `GET /api/v1/users as an editor answered ${answer}, not 403`);
  await ctx.logout();

  const viewer = { email: "lector.roles@example.com", password: "viewer-password-1" };
  const made = await ctx.api("POST", "/api/v1/users", { ...viewer, role: "viewer" });
  if (made.status !== 201) throw new Error("create a viewer: " + made.text);
  await ctx.login(viewer);
  await page.getByRole("heading", { name: "Overview" }).waitFor();
  for (const path of ["/lists", "/campaigns", "/templates"]) {
    await ctx.goto(path);
    await page.locator("main h1").first().waitFor();
    const writes = await page.locator("main").getByRole("button", { name: /^(new|create|add|delete|save)\b/i }).count();
    const links = await page.locator("main").getByRole("link", { name: /^(new|create|add)\b/i }).count();
    ctx.check(writes + links === 0, `a viewer sees a write action on ${path}`);
  }
  await ctx.logout();
  await ctx.login(ctx.admin);
}
