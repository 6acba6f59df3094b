// The gateway's API documentation (/docs) in a real browser: it carries the header every
// MoDT page has (brand, the links between web units, who is logged in) and the shared
// favicon; a visitor who is not logged in still reads it; in Japanese the header is in
// Japanese; it fits 390 px. No console errors (a CSP refusal is one).
// Env: MODT_GATEWAY_URL, MODT_LOGIN_URL, MODT_USER, MODT_PASSWORD, MODT_SCREENSHOTS.
import { env, launch, shot, check, run } from "./lib.mjs";

await run(async () => {
  const gatewayUrl = env("MODT_GATEWAY_URL");
  const loginUrl = env("MODT_LOGIN_URL");
  const { browser, page, problems } = await launch();
  const docs = `${gatewayUrl}/docs`;
  const loaded = (p) => p.locator("#api details").first().waitFor();

  try {
    // Not logged in: the header with the brand, the page's icon, the operations.
    await page.goto(docs);
    await loaded(page);
    await shot(page, "01-docs-visitor");
    check(await page.locator("header.bar .brand").count() === 1, "the site header");
    const icon = await page.locator("link[rel=icon]").getAttribute("href");
    const res = await page.request.get(new URL(icon, docs).href);
    check(res.ok() && res.headers()["content-type"].startsWith("image/svg+xml"), `the favicon ${icon}: ${res.status()}`);
    const css = await page.evaluate(() => [...document.styleSheets].map((s) => s.href));
    check(css.some((h) => h && h.endsWith("/assets/modt.css")), `the shared stylesheet: ${css}`);

    // Logged in: the links between the web units, the gateway's own marked, and who it is.
    await page.goto(`${loginUrl}?next=${encodeURIComponent(docs)}`);
    await page.locator("#username").fill(env("MODT_USER"));
    await page.locator("#password").fill(env("MODT_PASSWORD"));
    await page.locator("form button[type=submit]").click();
    await page.waitForURL(docs);
    await loaded(page);
    const current = page.locator("[data-testid=nav] a[aria-current=page]");
    check(await current.textContent() === "API gateway", `the gateway's link is current: ${await current.textContent()}`);
    check(await page.getByTestId("who").textContent() === env("MODT_USER"), "who is logged in");
    check(await page.getByTestId("nav-logout").count() === 1, "a way to log out");
    await shot(page, "02-docs-user");

    // In Japanese, on a phone.
    const ja = await browser.newContext({ locale: "ja-JP", viewport: { width: 390, height: 844 } });
    const p = await ja.newPage();
    p.on("console", (m) => { if (m.type() === "error") problems.push(`console (ja): ${m.text()}`); });
    p.on("pageerror", (e) => problems.push(`page error (ja): ${e.message}`));
    await p.goto(docs);
    await loaded(p);
    check(await p.locator("html").getAttribute("lang") === "ja", "the page is in Japanese");
    check((await p.locator("header.bar").textContent()).includes("APIゲートウェイ"), "the header in Japanese");
    const wide = await p.evaluate(() => document.documentElement.scrollWidth);
    check(wide <= 390, `the page is ${wide} px wide at 390`);
    await shot(p, "03-docs-ja-phone");

    check(problems.length === 0, `no console errors: ${problems.join("; ")}`);
  } finally {
    await browser.close();
  }
});
