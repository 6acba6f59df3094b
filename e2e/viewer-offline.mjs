// The viewer's "Live" notice follows the connection: when the whole system stops under the
// open page, it says the page is reconnecting instead of "Live".
// Env: MODT_LOGIN_URL, MODT_VIEWER_URL, MODT_UP_PID (the `modt up` to stop), MODT_SCREENSHOTS.
import { env, launch, shot, check, run, registerAndLogIn } from "./lib.mjs";

await run(async () => {
  const loginUrl = env("MODT_LOGIN_URL");
  const viewerUrl = env("MODT_VIEWER_URL");
  const base = new URL(loginUrl).origin;
  const { browser, page } = await launch();
  const user = `o-${Date.now() % 1e9}`;
  const password = "a long password";
  try {
    await registerAndLogIn(page, base, user, password);
    await page.goto(viewerUrl);
    const live = page.getByTestId("live");
    await live.waitFor();
    check((await live.getAttribute("data-state")) === "live", "live while the system runs");
    await shot(page, "01-live");

    process.kill(Number(env("MODT_UP_PID")), "SIGKILL");
    await page.waitForFunction(
      () => document.getElementById("live").getAttribute("data-state") === "lost",
      null,
      { timeout: 10000 },
    );
    const text = await live.textContent();
    check(text.startsWith("Reconnecting"), `the notice says so: ${text}`);
    await shot(page, "02-reconnecting");
  } finally {
    await browser.close();
  }
});
