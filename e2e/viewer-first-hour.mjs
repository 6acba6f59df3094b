// The viewer as a newcomer meets it, in Chromium:
// - signed out, "Log in" comes back to the viewer after the login (next=);
// - the header links the other pages by title (no monitor for a user) and offers Log out;
// - Edit, a change made in another tab, Save: both values are shown, nothing is overwritten
//   unseen, "Save mine over it" then saves;
// - a 100 KB value is folded with "Show all"; a 2 MB value is stopped before sending, with the
//   text kept;
// - at 390 px every row's actions are on screen; the same in Japanese.
// Env: MODT_LOGIN_URL, MODT_VIEWER_URL, MODT_SCREENSHOTS.
import { env, launch, shot, check, run, register } from "./lib.mjs";

await run(async () => {
  const loginUrl = env("MODT_LOGIN_URL");
  const viewerUrl = env("MODT_VIEWER_URL");
  const base = new URL(loginUrl).origin;
  const { browser, context, page, problems } = await launch();
  const user = `f-${Date.now() % 1e9}`;
  const password = "a long password";
  const row = (p, key) => p.locator(`tr[data-key="${key}"]`);
  const save = (p) => p.getByRole("button", { name: "Save", exact: true }).click();
  try {
    // An account first (registration is on identify's own pages).
    await register(page, base, user, password);

    // Signed out on the viewer: "Log in" returns here afterwards.
    await page.goto(viewerUrl);
    await page.getByTestId("login").click();
    check(new URL(page.url()).searchParams.get("next") !== null, `login carries next: ${page.url()}`);
    await page.getByLabel("User name").fill(user);
    await page.getByLabel("Password").fill(password);
    await page.getByRole("button", { name: "Log in" }).click();
    await page.getByTestId("live").waitFor({ timeout: 15000 });
    check(page.url().startsWith(viewerUrl), `back on the viewer: ${page.url()}`);

    // The header: other pages by title, no monitor for a user, Log out.
    const nav = page.getByTestId("nav");
    await nav.getByRole("link", { name: "Sample app" }).waitFor();
    check((await nav.getByRole("link", { name: "Monitor" }).count()) === 0, "no monitor link for a user");
    check((await nav.locator('[aria-current="page"]').textContent()) === "Viewer", "the current page is marked");
    await page.getByTestId("nav-logout").waitFor();
    await shot(page, "01-back-after-login");

    // A change made elsewhere while editing.
    await page.getByLabel("Key").fill("theme");
    await page.getByLabel("Value").fill("light");
    await save(page);
    await row(page, "theme").waitFor();
    await row(page, "theme").getByRole("link", { name: "Edit" }).click();
    await page.getByLabel("Value").fill("solarized");
    const other = await context.newPage();
    await other.goto(new URL("/?edit=theme", viewerUrl).href);
    await other.getByLabel("Value").fill("dark");
    await save(other);
    await other.waitForFunction(() => document.querySelector('tr[data-key="theme"] pre').textContent === '"dark"');
    await other.close();
    await save(page);
    const conflict = page.getByTestId("conflict");
    await conflict.waitFor();
    check((await page.getByTestId("conflict-saved").textContent()) === '"dark"', "the stored value is shown");
    check((await page.getByTestId("conflict-yours").textContent()) === "solarized", "hers is shown");
    check((await page.getByLabel("Value").inputValue()) === "solarized", "her input is kept");
    await shot(page, "02-conflict");
    await page.getByTestId("keep-yours").click();
    await page.waitForFunction(() => document.querySelector('tr[data-key="theme"] pre').textContent === '"solarized"');

    // A long value is folded; a far too long one is stopped before sending.
    await page.getByLabel("Key").fill("long");
    await page.getByLabel("Value").fill("x".repeat(100 * 1024));
    await save(page);
    const folded = row(page, "long").getByTestId("folded");
    await folded.waitFor();
    const height = (await row(page, "long").boundingBox()).height;
    check(height < 400, `the folded row is short: ${height}px`);
    await shot(page, "03-folded");
    await folded.locator("summary").click();
    check(await row(page, "long").locator("pre.whole").isVisible(), "show all opens it");
    await page.getByLabel("Key").fill("huge");
    await page.getByLabel("Value").fill("y".repeat(2 * 1024 * 1024));
    await save(page);
    await page.getByTestId("value-size").waitFor();
    check((await page.getByTestId("value-size").textContent()).includes("limit"), "the limit is said");
    check((await page.getByLabel("Value").inputValue()).length === 2 * 1024 * 1024, "the text is kept");
    check((await row(page, "huge").count()) === 0, "nothing was saved");
    await shot(page, "04-too-large");
    await page.getByLabel("Value").fill("");

    // Phone width: each row's actions are on screen, nothing scrolls off unseen.
    await page.setViewportSize({ width: 390, height: 844 });
    for (const lang of ["en", "ja"]) {
      await page.goto(new URL(`/?lang=${lang}`, viewerUrl).href);
      await row(page, "theme").waitFor();
      for (const key of ["theme", "long"]) {
        for (const el of [row(page, key).locator("td.actions button"), row(page, key).locator("td.updated")]) {
          const box = await el.boundingBox();
          check(box && box.x >= 0 && box.x + box.width <= 390, `${lang} ${key}: on screen at 390 px: ${JSON.stringify(box)}`);
        }
      }
      const tall = (await row(page, "long").boundingBox()).height;
      check(tall < 500, `${lang}: the folded row stays short at 390 px (${tall}px)`);
      const wide = await page.evaluate(() => document.documentElement.scrollWidth);
      check(wide <= 390, `${lang}: no sideways scrolling at 390 px (${wide}px)`);
      await shot(page, `05-${lang}-390px`);
    }
    check((await page.getByTestId("nav").textContent()).includes("サンプルアプリ"), "titles in Japanese");
    // The signed-out page (401) and the conflict page (409) are meant; nothing else may fail.
    const unexpected = problems.filter((p) => !/status of (401|409)\b/.test(p));
    check(unexpected.length === 0, `no console errors: ${unexpected.join("; ")}`);
  } finally {
    await browser.close();
  }
});
