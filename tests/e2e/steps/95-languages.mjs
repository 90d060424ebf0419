// Every page in Spanish and Russian, scanned by axe in each, and at phone width: the language
// is switched in the frame as a person would, and the words, the <html lang> and the formats
// follow.
export const name = "languages";

const PATHS = ["/", "/subscribers", "/lists", "/segments", "/imports", "/templates", "/campaigns", "/triggers", "/outbox", "/settings"];
const LANGUAGES = [
  { code: "es", label: "Español", overview: "Resumen", logout: "Cerrar sesión" },
  { code: "ru", label: "Русский", overview: "Обзор", logout: "Выйти" },
];

// true when nothing sticks out sideways (a table too wide must scroll inside its own box)
async function fitsWidth(page) {
  return page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1);
}

export default async function (ctx) {
  const { page } = ctx;
  await ctx.goto("/");
  for (const lang of LANGUAGES) {
    await page.getByRole("combobox", { name: /language|idioma|язык/i }).selectOption(lang.code);
    await page.getByRole("navigation").getByRole("link", { name: lang.overview }).waitFor();
    await page.getByRole("button", { name: lang.logout }).waitFor();
    ctx.check((await page.evaluate(() => document.documentElement.lang)) === lang.code, `<html lang> is not ${lang.code}`);
    for (const path of PATHS) {
      await ctx.goto(path);
      await page.locator("main h1").first().waitFor();
      await ctx.scan(`${path} in ${lang.code}`);
    }
    await ctx.goto("/");
    await ctx.shot("overview-" + lang.code);
  }

  // phone width, in Russian (the longest words)
  await page.setViewportSize({ width: 390, height: 844 });
  for (const path of PATHS) {
    await ctx.goto(path);
    await page.locator("main h1").first().waitFor();
    ctx.check(await fitsWidth(page), `${path} is wider than a phone's screen`);
  }
  // the menu folds away on a phone and opens from its button
  await ctx.goto("/");
  const menu = page.getByRole("button", { name: "Меню" });
  await menu.click();
  await page.getByRole("navigation").getByRole("link", { name: "Рассылки" }).click();
  await page.waitForURL((u) => u.pathname === "/campaigns");
  await ctx.scan("phone menu in ru");
  await ctx.shot("phone-campaigns-ru");
  await page.setViewportSize({ width: 1280, height: 800 });

  await page.getByRole("combobox", { name: /язык/i }).selectOption("en");
  await page.getByRole("navigation").getByRole("link", { name: "Overview" }).waitFor();
}
