// Logging in: a wrong password is refused next to the form, the right one opens the overview,
// which on an empty installation says what to do first.
export const name = "login";

export default async function (ctx) {
  const { page } = ctx;
  await ctx.goto("/");
  await page.waitForURL((u) => u.pathname === "/login");
  await ctx.scan("login");
  await ctx.shot("login");

  // the login page speaks the language picked on it
  await page.getByLabel("Language").selectOption("es");
  await page.getByRole("button", { name: "Entrar" }).waitFor();
  await ctx.scan("login in es");
  await page.getByLabel("Idioma").selectOption("en");

  await ctx.expectingErrors(async () => {
    await page.getByLabel("Email").fill(ctx.admin.email);
    await page.getByLabel("Password").fill("not the password");
    await page.getByRole("button", { name: "Log in" }).click();
    await page.getByRole("alert").filter({ hasText: "wrong" }).waitFor();
  });

  await ctx.login(ctx.admin);
  await page.getByRole("heading", { name: "Welcome to mailcast" }).waitFor();
  await ctx.scan("overview (empty)");
  await ctx.shot("overview-empty");
}
