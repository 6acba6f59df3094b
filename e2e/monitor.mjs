// The live monitor: a visitor is sent to log in; an administrator logs in through the
// identify unit, opens the monitor, and sees a message published by `modt pub` within a
// second, with its session id masked (never in the page's HTML); a message opens whole;
// filter, pause/resume and the topic tree work; the filter rules hold in the browser.
// Env: MODT_LOGIN_URL, MODT_MONITOR_URL, MODT_USER, MODT_PASSWORD (an administrator),
// MODT_BIN (the modt binary), MODT_BROKER_PORT, MODT_SCREENSHOTS.
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { env, launch, shot, check, run } from "./lib.mjs";

await run(async () => {
  const loginUrl = env("MODT_LOGIN_URL");
  const monitorUrl = env("MODT_MONITOR_URL");
  const { browser, page, problems, urls } = await launch();
  const publish = (topic, payload) =>
    execFileSync(env("MODT_BIN"), ["pub", "--broker-port", env("MODT_BROKER_PORT"), topic, payload]);
  const secret = randomBytes(32).toString("hex");
  try {
    await page.goto(monitorUrl);
    await page.getByTestId("login").waitFor();
    await shot(page, "01-signed-out");

    // "Log in" comes back to the monitor afterwards (next=).
    await page.getByTestId("login").click();
    check(page.url().startsWith(loginUrl.replace(/\/$/, "")), `on the login page: ${page.url()}`);
    await page.getByLabel("User name").fill(env("MODT_USER"));
    await page.getByLabel("Password").fill(env("MODT_PASSWORD"));
    await page.getByRole("button", { name: "Log in" }).click();
    await page.getByTestId("status").waitFor({ timeout: 15000 });
    check(page.url().startsWith(monitorUrl.replace(/\/$/, "")), `back on the monitor: ${page.url()}`);
    // An administrator finds the monitor from the other pages.
    const nav = page.getByTestId("nav");
    check((await nav.locator('[aria-current="page"]').textContent()) === "Monitor", "the monitor is the current page");
    await nav.getByRole("link", { name: "Sample app" }).click();
    await page.getByTestId("username").waitFor();
    await page.getByTestId("nav").getByRole("link", { name: "Monitor" }).click();
    await page.getByTestId("status").filter({ hasText: "Live" }).waitFor({ timeout: 5000 });
    await page.getByTestId("tree").getByRole("button", { name: "modt", exact: true }).waitFor({ timeout: 5000 });
    await shot(page, "02-live");

    // The filter rules, as the page checks them before asking the server.
    const rules = await page.evaluate(() => ["a/+/c", "#", "a/#", "+", "a/#/b", "a+", "a/b#", ""].map(
      (f) => window.modtMonitor.filterProblem(f) === null));
    check(JSON.stringify(rules) === JSON.stringify([true, true, true, true, false, false, false, false]),
      `filter rules in the browser: ${rules}`);

    // Published now, on the page within a second, masked.
    const topic = "modt/e2e/monitor/login";
    publish(topic, JSON.stringify({ user_id: "u-e2e", session_id: secret, role: "user" }));
    const row = page.getByTestId("message").filter({ hasText: topic }).first();
    await row.waitFor({ timeout: 1000 });
    check((await row.textContent()).includes("••••••"), "the session id is shown masked");
    check(!(await page.content()).includes(secret), "the session id is not in the page's HTML");

    await row.click();
    await page.getByTestId("detail").waitFor();
    const whole = await page.getByTestId("detail-body").textContent();
    check(whole.includes('"user_id": "u-e2e"') && whole.includes('"session_id": "••••••"'), `whole message: ${whole}`);
    const detail = await page.getByTestId("detail").textContent();
    check(detail.includes("1 secret field masked"), `singular: ${detail}`);
    await shot(page, "03-detail");
    await page.getByRole("button", { name: "Close" }).click();

    // Filter: only matching messages, the buffered ones first.
    await page.getByTestId("filter").fill("modt/e2e/#");
    await page.getByTestId("apply").click();
    await page.waitForFunction(() => {
      const rows = [...document.querySelectorAll("[data-testid=message] td.topic")];
      return rows.length > 0 && rows.every((td) => td.textContent.startsWith("modt/e2e/"));
    }, null, { timeout: 5000 });
    await page.getByTestId("filter").fill("modt/e2e/#/x");
    await page.getByTestId("apply").click();
    await page.getByTestId("filter-error").waitFor();
    await page.getByTestId("filter").fill("modt/e2e/#");
    await page.getByTestId("apply").click();
    // The good filter's history replaces the page (and hides the error): wait for it before
    // pausing, or it could land in the paused queue and be counted as new.
    await page.getByTestId("filter-error").waitFor({ state: "hidden", timeout: 5000 });

    // Pause: new messages wait; resume shows them.
    await page.getByTestId("pause").click();
    publish("modt/e2e/monitor/paused", '{"n": 1}');
    await page.getByTestId("status").filter({ hasText: "Paused: 1 new message waiting" }).waitFor({ timeout: 15000 });
    check(await page.getByTestId("message").filter({ hasText: "modt/e2e/monitor/paused" }).count() === 0, "paused");
    await shot(page, "04-paused");
    await page.getByTestId("pause").click();
    await page.getByTestId("message").filter({ hasText: "modt/e2e/monitor/paused" }).waitFor({ timeout: 1000 });
    // The tree: open `modt` to see `e2e` below it.
    await page.getByTestId("tree").locator('button.toggle[aria-expanded="false"]').first().click();
    await page.getByTestId("tree").getByRole("button", { name: "e2e", exact: true }).waitFor({ timeout: 5000 });
    await shot(page, "05-filtered");

    check(!(await page.content()).includes(secret), "still no session id in the page");
    check(!urls.some((u) => u.includes(secret)), "the session id is in no URL");
    check(problems.length === 0, `no console errors or CSP violations: ${problems.join("; ")}`);
  } catch (e) {
    await shot(page, "zz-failure").catch(() => {});
    throw new Error(`${e.message}\n  at ${page.url()}\n  requests: ${urls.join(" ")}`);
  } finally {
    await browser.close();
  }
});
