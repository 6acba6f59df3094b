// Every web unit answers an unknown address with the styled 404 page, in the visitor's
// language, with a way back; at phone width too. MODT_URLS: the units' start pages, by comma.
import { launch, env, shot, check, run } from "./lib.mjs";

await run(async () => {
  const { browser, page } = await launch();
  try {
    const urls = env("MODT_URLS").split(",");
    for (const [i, base] of urls.entries()) {
      const origin = new URL(base).origin;
      const res = await page.goto(`${origin}/no/such/page`);
      check(res.status() === 404, `${origin}: status ${res.status()}`);
      await page.getByTestId("not-found").waitFor({ timeout: 5000 });
      check((await page.textContent("h1")) === "Page not found", `${origin}: English title`);
      const css = await page.evaluate(() => getComputedStyle(document.querySelector("main")).maxWidth);
      check(css !== "none", `${origin}: the stylesheet applies (main max-width ${css})`);
      await shot(page, `0${i + 1}-${new URL(origin).port}-en`);
    }
    // Japanese, at phone width: the link back fits and leads to the start page.
    await page.setViewportSize({ width: 390, height: 700 });
    const first = new URL(urls[0]).origin;
    await page.goto(`${first}/nope?lang=ja`);
    check((await page.textContent("h1")) === "ページが見つかりません", "Japanese title");
    const link = page.getByRole("link", { name: "トップページへ" });
    const box = await link.boundingBox();
    check(box && box.x >= 0 && box.x + box.width <= 390, `the link fits at 390 px: ${JSON.stringify(box)}`);
    await shot(page, "09-ja-390px");
    await link.click();
    await page.waitForLoadState();
    check(new URL(page.url()).pathname !== "/nope", "the link leaves the 404 page");
    // The ?lang=ja choice holds on the next page, which was opened without it.
    check(!page.url().includes("lang="), `no lang in ${page.url()}`);
    check((await page.getAttribute("html", "lang")) === "ja", "the next page is in Japanese too");
    await shot(page, "10-next-page-ja");
  } finally {
    await browser.close();
  }
});
