// Settings as an administrator: the relays page says mail is captured (the walk's server has no
// relay), DKIM says what to configure; the DNS check of example.com shows its checklist with the
// records to publish; a viewer is added and listed; a token is made and shown
// once; a webhook to a port nobody listens on is made, tested, and its failed attempt shows in
// the delivery log; the language chosen in the frame is saved with the user.
export const name = "settings";

const VIEWER = { email: "lectora@example.com", password: "lectora-contraseña-1" };
const HOOK_URL = "http://127.0.0.1:9/hook";

function must(answer, what) {
  if (answer.status >= 300) throw new Error(`${what}: ${answer.status} ${answer.text}`);
  return answer.json;
}

async function allUsers(ctx) {
  return must(await ctx.api("GET", "/api/v1/users?limit=1000"), "list users").items;
}

export default async function (ctx) {
  const { page } = ctx;

  // relays: the capture transport and its outbox folder
  await ctx.goto("/settings");
  await page.waitForURL((u) => u.pathname === "/settings/relays");
  await page.getByRole("heading", { name: "No relay: mail is captured" }).waitFor();
  await page.getByText("/outbox").waitFor();
  await ctx.scan("settings: relays (capture)");
  await ctx.shot("settings-relays");

  // DKIM: none configured, what to add
  await page.getByRole("link", { name: "DKIM" }).click();
  await page.getByRole("heading", { name: "No DKIM key" }).waitFor();
  await ctx.scan("settings: DKIM (none)");

  // deliverability: the DNS check against the walk's DNS server (prepared records for
  // example.com: SPF without the second sending address, DMARC p=none, one address without PTR)
  await page.getByRole("link", { name: "Deliverability" }).click();
  const checkDomain = page.getByLabel("Sending domain", { exact: true });
  await ctx.expectingErrors(async () => {
    await checkDomain.fill("");
    await page.getByRole("button", { name: "Check DNS" }).click();
    await page.locator(".field", { has: checkDomain }).getByRole("alert").filter({ hasText: "domain is required" }).waitFor();
  });
  await ctx.scan("settings: deliverability (domain missing)");
  await checkDomain.fill("example.com");
  await page.getByRole("button", { name: "Check DNS" }).click();
  await page.getByRole("heading", { name: "Checklist for example.com" }).waitFor();
  const checked = must(await ctx.api("GET", "/api/v1/deliverability/check?domain=example.com"), "DNS check");
  const spf = checked.items.find((i) => i.check === "spf");
  ctx.check(spf && spf.status === "fail" && spf.publish, `the server's SPF item has a record to publish: ${JSON.stringify(spf)}`);
  await page.locator("pre.record", { hasText: spf.publish.value }).waitFor();
  const shown = await page.locator("ul.checklist > li").count();
  ctx.check(shown === checked.items.length, `the page shows the server's ${checked.items.length} items: ${shown}`);
  await ctx.scan("settings: deliverability (checklist)");
  await ctx.shot("settings-deliverability");

  // users: a bad address is refused at its field, then the viewer is added and listed
  await page.getByRole("link", { name: "Users" }).click();
  await page.getByRole("heading", { name: "Add user" }).waitFor();
  await ctx.scan("settings: users");
  const email = page.getByLabel("Email", { exact: true });
  await ctx.expectingErrors(async () => {
    await email.fill("lectora");
    await page.getByLabel("Password", { exact: true }).fill(VIEWER.password);
    await page.getByRole("button", { name: "Add user" }).click();
    await page.locator(".field", { has: email }).getByRole("alert").filter({ hasText: "not a valid email" }).waitFor();
  });
  await ctx.scan("settings: users (email refused)");
  await email.fill(VIEWER.email);
  await page.getByLabel("Role", { exact: true }).selectOption("viewer");
  await page.getByRole("button", { name: "Add user" }).click();
  await page.getByRole("cell", { name: VIEWER.email }).waitFor();
  const viewer = (await allUsers(ctx)).find((u) => u.email === VIEWER.email);
  ctx.check(viewer && viewer.role === "viewer", `the server holds ${VIEWER.email} as a viewer: ${JSON.stringify(viewer)}`);
  ctx.state.viewer = { ...VIEWER, id: viewer?.id };

  // a password reset: too short is refused at the field, then the new one logs in
  await page.getByRole("row", { name: new RegExp(VIEWER.email) }).getByRole("button", { name: "Reset password" }).click();
  const newPassword = page.getByLabel(`New password for ${VIEWER.email}`);
  await ctx.expectingErrors(async () => {
    await newPassword.fill("corta");
    await page.getByRole("button", { name: "Set password", exact: true }).click();
    await page.locator(".field", { has: newPassword }).getByRole("alert").waitFor();
  });
  await ctx.scan("settings: users (password reset refused)");
  VIEWER.password = "lectora-nueva-clave-2";
  await newPassword.fill(VIEWER.password);
  await page.getByRole("button", { name: "Set password", exact: true }).click();
  await page.getByText("Password changed").waitFor();
  const login = await fetch(ctx.base + "/api/v1/auth/login", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ email: VIEWER.email, password: VIEWER.password }),
  });
  ctx.check(login.status === 200, `the viewer logs in with the new password: ${login.status}`);
  ctx.state.viewer.password = VIEWER.password;

  // the last admin cannot be demoted: the 409 shows on the row (only tried when the walk's admin
  // is the only one, so nothing changes either way)
  const admins = (await allUsers(ctx)).filter((u) => u.role === "admin");
  if (admins.length === 1) {
    await ctx.expectingErrors(async () => {
      await page.getByLabel(`Role of ${admins[0].email}`).selectOption("editor");
      await page.getByRole("alert").filter({ hasText: "last admin" }).waitFor();
    });
    ctx.check((await allUsers(ctx)).find((u) => u.id === admins[0].id)?.role === "admin", "the last admin is still admin");
  }
  await page.evaluate(() => window.scrollTo(0, 0));
  await ctx.shot("settings-users");

  // at phone width the table scrolls inside its frame and the form stacks: the page itself
  // never scrolls sideways
  await page.setViewportSize({ width: 390, height: 800 });
  ctx.check(await page.evaluate(() => document.documentElement.scrollWidth <= 391), "the users page fits 390 px");
  await ctx.scan("settings: users at phone width");
  await page.setViewportSize({ width: 1280, height: 800 });

  // tokens: made with a role, shown once, then only its prefix
  await page.getByRole("link", { name: "API tokens" }).click();
  await page.getByRole("heading", { name: "New token" }).waitFor();
  await page.getByLabel("Name", { exact: true }).fill("Sincronización tienda");
  await page.getByLabel("Role", { exact: true }).selectOption("editor");
  await page.getByRole("button", { name: "Create token" }).click();
  await page.getByRole("heading", { name: "Token Sincronización tienda created" }).waitFor();
  const token = (await page.locator("pre.secret").innerText()).trim();
  await ctx.scan("settings: tokens (new token shown)");
  await ctx.shot("settings-tokens");
  const me = await fetch(ctx.base + "/api/v1/auth/me", { headers: { Authorization: "Bearer " + token } }).then((r) => r.json());
  ctx.check(me.role === "editor", `the token shown works with the editor role: ${JSON.stringify(me)}`);
  const listed = must(await ctx.api("GET", "/api/v1/tokens?limit=1000"), "list tokens").items.find((x) => x.name === "Sincronización tienda");
  ctx.check(listed && listed.role === "editor" && token.startsWith(listed.prefix), "the token is listed with its role and prefix");
  await page.getByRole("button", { name: "Done" }).click();
  ctx.check((await page.locator("pre.secret").count()) === 0, "the token is not shown again");
  await page.getByRole("cell", { name: "Sincronización tienda" }).waitFor();
  ctx.state.token = { id: listed?.id, name: "Sincronización tienda" };

  // revoking asks first; a cancelled dialog keeps the token, a confirmed one ends it
  const spare = must(await ctx.api("POST", "/api/v1/tokens", { name: "copia temporal", role: "viewer" }), "make a spare token");
  await ctx.goto("/settings/tokens");
  const spareRow = page.getByRole("row", { name: /copia temporal/ });
  await spareRow.getByRole("button", { name: "Revoke" }).click();
  const dialog = page.getByRole("dialog", { name: "Revoke" });
  await dialog.waitFor();
  await ctx.scan("settings: tokens (revoke dialog)");
  await dialog.getByRole("button", { name: "Cancel" }).click();
  await spareRow.getByRole("button", { name: "Revoke" }).click();
  await dialog.getByRole("button", { name: "Revoke" }).click();
  await spareRow.waitFor({ state: "detached" });
  const spareUse = await fetch(ctx.base + "/api/v1/auth/me", { headers: { Authorization: "Bearer " + spare.token } });
  ctx.check(spareUse.status === 401, `a revoked token is refused: ${spareUse.status}`);

  // webhooks: a URL the server refuses shows at the URL field; then one to a closed port
  await page.getByRole("link", { name: "Webhooks" }).click();
  await page.getByRole("heading", { name: "New webhook" }).waitFor();
  await ctx.scan("settings: webhooks (empty)");
  const url = page.getByLabel("URL", { exact: true });
  await page.getByLabel(/message\.sent/).check();
  await page.getByLabel(/campaign\.finished/).check();
  await ctx.expectingErrors(async () => {
    await url.fill("ftp://127.0.0.1/hook");
    await page.getByRole("button", { name: "Create webhook" }).click();
    await page.locator(".field", { has: url }).getByRole("alert").waitFor();
  });
  await url.fill(HOOK_URL);
  await page.getByRole("button", { name: "Create webhook" }).click();
  await page.getByRole("heading", { name: `Webhook for ${HOOK_URL} created` }).waitFor();
  ctx.check((await page.locator("pre.secret").innerText()).trim().length >= 16, "the webhook's secret is shown once");
  await ctx.scan("settings: webhooks (secret shown)");
  const hook = must(await ctx.api("GET", "/api/v1/webhooks?limit=1000"), "list webhooks").items.find((h) => h.url === HOOK_URL);
  ctx.check(hook && hook.events.includes("message.sent") && hook.events.includes("campaign.finished"), `the server holds the webhook: ${JSON.stringify(hook)}`);
  ctx.state.webhook = { id: hook?.id, url: HOOK_URL };

  // its page: a test delivery, tried against the closed port, shows in the log
  await page.getByRole("link", { name: "Open it and send a test" }).click();
  await page.getByRole("heading", { name: "Delivery log" }).waitFor();
  await page.getByRole("button", { name: "Send a test" }).click();
  await page.getByText("The test was not delivered").waitFor({ timeout: 30000 });
  await page.getByRole("cell", { name: "webhook.test" }).waitFor();
  await page.getByText("no answer").first().waitFor();
  const deliveries = must(await ctx.api("GET", `/api/v1/webhooks/${hook.id}/deliveries`), "deliveries").items;
  const tried = deliveries.find((d) => d.event === "webhook.test");
  ctx.check(tried && tried.attempts >= 1 && tried.last_error, `the test's attempt is logged: ${JSON.stringify(tried)}`);
  await ctx.scan("settings: webhook with its delivery log");
  await ctx.shot("settings-webhooks");

  // the language chosen in the frame is saved with the user
  const adminId = (await allUsers(ctx)).find((u) => u.email === ctx.admin.email)?.id;
  await page.locator(".language select").selectOption("ru");
  await page.getByRole("heading", { name: "Журнал доставок" }).waitFor();
  await ctx.until("the admin's language saved as ru", async () => (await allUsers(ctx)).find((u) => u.id === adminId)?.language === "ru");
  await ctx.scan("settings: webhook in Russian");
  await page.locator(".language select").selectOption("en");
  await page.getByRole("heading", { name: "Delivery log" }).waitFor();
  await ctx.until("the admin's language saved as en", async () => (await allUsers(ctx)).find((u) => u.id === adminId)?.language === "en");

  // the viewer made above sees no settings in the navigation and is refused the page
  await ctx.logout();
  await ctx.login(ctx.state.viewer);
  ctx.check((await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Settings" }).count()) === 0, "a viewer's navigation has no settings");
  await ctx.goto("/settings/users");
  await page.getByRole("heading", { name: "Not allowed" }).waitFor();
  await ctx.scan("settings: refused to a viewer");
  await ctx.logout();
  await ctx.login(ctx.admin);
}
