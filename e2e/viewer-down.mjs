// The viewer stays up while what it needs goes away, and says so (in Japanese here):
// the state unit stops → "the state unit is offline"; the broker dies → "lost the broker".
// The units run as separate processes on a Mosquitto started as users run it.
// Env: MODT_LOGIN_URL, MODT_VIEWER_URL, MODT_STATE_PID, MODT_BROKER_PID, MODT_SCREENSHOTS.
import { env, launch, shot, check, run, register } from "./lib.mjs";

await run(async () => {
  const loginUrl = env("MODT_LOGIN_URL");
  const viewerUrl = env("MODT_VIEWER_URL");
  const { browser, page } = await launch();
  const user = `d-${Date.now() % 1e9}`;
  const password = "a long password";
  const stateOf = () => page.getByTestId("live").getAttribute("data-state");
  const until = (state) => page.waitForFunction(
    (s) => document.getElementById("live").getAttribute("data-state") === s, state, { timeout: 20000 });
  try {
    await register(page, new URL(loginUrl).origin, user, password);
    await page.goto(viewerUrl);
    await page.getByTestId("login").click();
    await page.getByLabel("User name").fill(user);
    await page.getByLabel("Password").fill(password);
    await page.getByRole("button", { name: "Log in" }).click();
    await page.getByTestId("live").waitFor({ timeout: 15000 });
    await page.goto(new URL("/?lang=ja", viewerUrl).href);
    await page.getByTestId("live").waitFor();
    check((await stateOf()) === "live", "live while everything runs");
    await shot(page, "01-live");

    process.kill(Number(env("MODT_STATE_PID")), "SIGINT");
    await until("state");
    const text = await page.getByTestId("live").textContent();
    check(text.includes("状態ユニットが停止しています"), `the notice says the state unit is gone: ${text}`);
    await shot(page, "02-state-gone");

    process.kill(Number(env("MODT_BROKER_PID")), "SIGKILL");
    await until("broker");
    const lost = await page.getByTestId("live").textContent();
    check(lost.includes("ブローカー"), `the notice says the broker is gone: ${lost}`);
    await shot(page, "03-broker-gone");
  } finally {
    await browser.close();
  }
});
