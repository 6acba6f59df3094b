// The devices page in a real browser, while the Rust test publishes device messages to the
// broker the ingest unit's demo connection reads: a sensor's value and chart update live;
// the parse log shows the malformed messages and filters them by kind; the filter rows'
// fields and buttons stand on one line at one height; the discovered topics list a topic no
// parser knows; an administrator stops and starts the connection, the label showing its
// loading state until the reconciler's status confirms (the PATCH is held back 800 ms by
// the browser so the loading state is always seen); the page fits 390 px; a user (in
// Japanese) gets no controls and the sensors' kinds in Japanese. No console errors (a CSP
// refusal is one).
// Env: MODT_LOGIN_URL, MODT_INGEST_URL, MODT_ADMIN, MODT_USER, MODT_PASSWORD, MODT_SENSOR,
// MODT_UNKNOWN_TOPIC, MODT_SCREENSHOTS.
import { env, launch, shot, check, run } from "./lib.mjs";

await run(async () => {
  const loginUrl = env("MODT_LOGIN_URL");
  const ingestUrl = env("MODT_INGEST_URL");
  const sensorKey = env("MODT_SENSOR");
  const { browser, page, problems } = await launch();

  const logIn = async (p, user) => {
    await p.goto(`${loginUrl}?next=${encodeURIComponent(ingestUrl + "/")}`);
    await p.locator("#username").fill(user);
    await p.locator("#password").fill(env("MODT_PASSWORD"));
    await p.locator("form button[type=submit]").click();
    await p.waitForURL(`${ingestUrl}/`);
    await p.locator("#devices-app[data-loaded=true]").waitFor({ state: "attached" });
    await p.locator("#live[data-state=live]").waitFor({ state: "attached" });
  };
  const valueOf = (p) => p.locator(`[data-testid=sensor][data-key="${sensorKey}"] [data-testid=sensor-value]`).getAttribute("data-value");
  const changes = (p, before) => p.waitForFunction(([key, b]) => {
    const v = document.querySelector(`[data-testid=sensor][data-key="${key}"] [data-testid=sensor-value]`);
    return v && v.getAttribute("data-value") !== b;
  }, [sensorKey, before]);

  try {
    await logIn(page, env("MODT_ADMIN"));

    // A sensor's value changes while the page is open, and its chart has its recent values.
    await page.locator(`[data-testid=sensor][data-key="${sensorKey}"]`).waitFor();
    await changes(page, await valueOf(page));
    await page.waitForFunction((key) => {
      const svg = document.querySelector(`[data-testid=sensor][data-key="${key}"] svg`);
      return svg && Number(svg.getAttribute("data-points")) >= 3 && svg.querySelector("polyline");
    }, sensorKey);

    // The parse log shows a malformed message, and filters by kind.
    await page.locator("[data-testid=failure][data-kind=not_json]").first().waitFor();
    await page.getByTestId("log-kind").selectOption("schema");
    await page.getByTestId("log-apply").click();
    await page.waitForFunction(() => {
      const rows = [...document.querySelectorAll("#parse-log [data-testid=failure]")];
      return rows.length > 0 && rows.every((r) => r.getAttribute("data-kind") === "schema");
    });
    const pointer = await page.locator("#parse-log [data-testid=failure]").first().locator("td").nth(4).textContent();
    check(pointer.startsWith("/readings"), `a schema failure names where: ${pointer}`);

    // The filter rows line up: every field and button of a row one height, on one line.
    const rows = await page.evaluate(() => ["#log-form", "#topics-form"].map((form) =>
      [...document.querySelectorAll(`${form} select, ${form} input, ${form} button`)].map((c) => {
        const r = c.getBoundingClientRect();
        return { form, name: c.name || c.textContent.trim(), top: r.top, height: r.height };
      })));
    for (const row of rows) {
      const [first] = row;
      for (const c of row) {
        check(Math.abs(c.height - first.height) < 1 && Math.abs(c.top - first.top) < 1,
          `${c.form}: ${c.name} at ${c.top}+${c.height}, ${first.name} at ${first.top}+${first.height}`);
      }
    }

    // The discovered topics include one no parser knows.
    await page.getByTestId("topic-row").filter({ hasText: env("MODT_UNKNOWN_TOPIC") }).waitFor();
    await shot(page, "01-devices");

    // Stop, then start the demo connection: loading until the reconciler confirms.
    const conn = page.getByTestId("connection").filter({ hasText: "demo" });
    const state = (s) => conn.locator(`[data-testid=conn-state][data-state=${s}]`);
    await state("connected").waitFor();
    await page.evaluate(() => {
      window.__states = [];
      const record = () => {
        const l = document.querySelector("[data-testid=connection] [data-testid=conn-state]");
        const s = l && l.getAttribute("data-state");
        if (s && window.__states[window.__states.length - 1] !== s) window.__states.push(s);
      };
      new MutationObserver(record).observe(document.getElementById("connections"), { subtree: true, childList: true, attributes: true });
      record();
    });
    await page.route((url) => url.pathname.startsWith("/ingest/connections/"), async (route) => {
      if (route.request().method() === "PATCH") await new Promise((r) => setTimeout(r, 800));
      await route.continue();
    });
    await conn.getByTestId("conn-toggle").click();
    await state("pending").waitFor();
    check(await conn.getByTestId("conn-toggle").isDisabled(), "no second click while it is pending");
    await shot(page, "02-stopping");
    await state("stopped").waitFor();
    await conn.getByTestId("conn-toggle").click();
    await state("pending").waitFor();
    await state("connected").waitFor();
    const states = await page.evaluate(() => window.__states);
    check(states.join(",").endsWith("connected,pending,stopped,pending,connected"), `states: ${states}`);
    await page.unroute((url) => url.pathname.startsWith("/ingest/connections/"));
    // Readings flow again once it is back.
    await changes(page, await valueOf(page));
    await shot(page, "03-restarted");

    // A phone's width: nothing wider than the screen.
    await page.setViewportSize({ width: 390, height: 844 });
    const wide = await page.evaluate(() => document.documentElement.scrollWidth);
    check(wide <= 390, `the page is ${wide} px wide at 390`);
    await shot(page, "04-phone");

    // A user, in Japanese, on a phone: reads everything, no controls.
    const ja = await browser.newContext({ locale: "ja-JP", viewport: { width: 390, height: 844 } });
    const user = await ja.newPage();
    user.on("console", (m) => { if (m.type() === "error") problems.push(`console (user): ${m.text()}`); });
    user.on("pageerror", (e) => problems.push(`page error (user): ${e.message}`));
    await logIn(user, env("MODT_USER"));
    await user.getByTestId("read-only").waitFor();
    await user.locator(`[data-testid=sensor][data-key="${sensorKey}"]`).waitFor();
    check(await user.getByTestId("conn-toggle").count() === 0, "a user has no start/stop");
    check((await user.locator("h1").textContent()) === "デバイス", "the page is in Japanese");
    const kind = user.locator(`[data-testid=sensor][data-key="${sensorKey}"] .s-kind`);
    check((await kind.textContent()) === "温度", `the sensor's kind in Japanese: ${await kind.textContent()}`);
    check((await kind.getAttribute("data-kind")) === "temperature", "the kind's id stays as sent");
    const state2 = await user.getByTestId("conn-state").first().textContent();
    check(state2 === "接続済み", `the label in Japanese: ${state2}`);
    const wideJa = await user.evaluate(() => document.documentElement.scrollWidth);
    check(wideJa <= 390, `the Japanese page is ${wideJa} px wide at 390`);
    await shot(user, "05-ja-user-phone");

    check(problems.length === 0, `no console errors: ${problems.join("; ")}`);
  } finally {
    await browser.close();
  }
});
