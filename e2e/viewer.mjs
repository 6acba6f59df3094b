// The viewer in a real browser: add, update, delete, clear (with its confirmation), a change
// from a second tab appearing live in the first, and a forged form refused. "Delete all
// keys" is there only while there are keys, also when they arrive live.
// Env: MODT_LOGIN_URL, MODT_VIEWER_URL, MODT_SCREENSHOTS.
import { env, launch, shot, check, run, registerAndLogIn } from "./lib.mjs";

await run(async () => {
  const loginUrl = env("MODT_LOGIN_URL");
  const viewerUrl = env("MODT_VIEWER_URL");
  const base = new URL(loginUrl).origin;
  const { browser, context, page, problems } = await launch();
  const user = `v-${Date.now() % 1e9}`;
  const password = "a long password";
  const row = (key) => page.locator(`tr[data-key="${key}"]`);
  try {
    // An account, then straight to the viewer.
    await registerAndLogIn(page, base, user, password);
    await page.goto(viewerUrl);
    await page.getByTestId("empty").waitFor();
    const clearAll = page.getByRole("button", { name: "Delete all keys…" });
    check(!(await clearAll.isVisible()), "no keys: no 'Delete all keys'");
    await shot(page, "01-empty");

    // Add: plain text needs no quotes; JSON keeps its type.
    await page.getByLabel("Key").fill("theme");
    await page.getByLabel("Value").fill("dark mode");
    await page.getByRole("button", { name: "Save" }).click();
    await row("theme").waitFor();
    await page.getByLabel("Key").fill("layout");
    await page.getByLabel("Value").fill('{"columns": 2, "compact": true}');
    await page.getByRole("button", { name: "Save" }).click();
    await row("layout").waitFor();
    check((await row("theme").locator("pre").textContent()) === '"dark mode"', "string stored");
    check((await row("layout").locator("pre").textContent()).includes('"columns": 2'), "object stored");
    check(await clearAll.isVisible(), "keys: 'Delete all keys' shown");
    await shot(page, "02-added");

    // Invalid JSON is explained, and the input is kept.
    await page.getByLabel("Key").fill("broken");
    await page.getByLabel("Value").fill('{"a": }');
    await page.getByRole("button", { name: "Save" }).click();
    await page.getByTestId("error").waitFor();
    check((await page.getByTestId("error").textContent()).includes("not valid"), "bad JSON explained");
    await shot(page, "03-invalid-json");

    // Update through Edit: version 2.
    await row("theme").getByRole("link", { name: "Edit" }).click();
    check((await page.getByLabel("Value").inputValue()) === "dark mode", "editor filled without quotes");
    await page.getByLabel("Value").fill("light");
    await page.getByRole("button", { name: "Save" }).click();
    await page.waitForFunction(() => {
      const r = document.querySelector('tr[data-key="theme"]');
      return r && r.querySelector("pre").textContent === '"light"' && r.children[2].textContent.trim() === "2";
    });
    await shot(page, "04-updated");

    // Live: a second tab saves a key; the first shows it without a reload.
    const other = await context.newPage();
    await other.goto(viewerUrl);
    await other.getByLabel("Key").fill("from-tab-2");
    await other.getByLabel("Value").fill("42");
    await other.getByRole("button", { name: "Save" }).click();
    await other.locator('tr[data-key="from-tab-2"]').waitFor();
    await row("from-tab-2").waitFor({ timeout: 3000 });
    await shot(page, "05-live");
    await other.close();

    // Delete one key.
    await row("layout").getByRole("button", { name: "Delete layout" }).click();
    await page.getByTestId("notice").waitFor();
    check((await row("layout").count()) === 0, "layout deleted");

    // A forged form without the token is refused and changes nothing.
    const forged = await page.request.post(`${viewerUrl.replace(/\/$/, "")}/clear`, {
      form: { user: "", confirm: "yes" },
      headers: { origin: new URL(viewerUrl).origin },
      maxRedirects: 0,
    });
    check(forged.status() === 403, `forged clear refused (${forged.status()})`);
    await page.reload();
    check((await row("theme").count()) === 1, "nothing cleared by the forgery");

    // Clear all, after the confirmation page.
    await page.getByRole("button", { name: "Delete all keys…" }).click();
    await page.getByRole("button", { name: "Yes, delete all keys" }).waitFor();
    await shot(page, "06-confirm-clear");
    await page.getByRole("button", { name: "Yes, delete all keys" }).click();
    await page.getByTestId("empty").waitFor();
    check(!(await clearAll.isVisible()), "cleared: no 'Delete all keys'");
    await shot(page, "07-cleared");
    // A key saved elsewhere brings the button back live.
    const third = await context.newPage();
    await third.goto(viewerUrl);
    await third.getByLabel("Key").fill("again");
    await third.getByLabel("Value").fill("1");
    await third.getByRole("button", { name: "Save" }).click();
    await row("again").waitFor({ timeout: 3000 });
    await clearAll.waitFor({ state: "visible", timeout: 3000 });
    await third.close();
    // The refused JSON (400) and the forged form (403) are expected to log their status.
    const unexpected = problems.filter((p) => !/status of (400|403) /.test(p));
    check(unexpected.length === 0, `no console errors or CSP violations: ${unexpected.join("; ")}`);
  } catch (e) {
    await shot(page, "zz-failure").catch(() => {});
    throw new Error(`${e.message}\n  at ${page.url()}`);
  } finally {
    await browser.close();
  }
});
