// Shared by the browser tests: launching Debian's Chromium headless, screenshots, and
// failing loudly. Each test is a script the Rust tests run with the system's URLs in env.
import { chromium } from "playwright-core";
import { mkdirSync } from "node:fs";
import { join } from "node:path";

export function env(name) {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
}

export async function launch() {
  const browser = await chromium.launch({
    executablePath: process.env.MODT_CHROMIUM || "/usr/bin/chromium",
    args: [
      "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync",
    ],
  });
  const context = await browser.newContext({ locale: "en-US", viewport: { width: 1000, height: 760 } });
  const page = await context.newPage();
  const problems = [];
  page.on("console", (m) => { if (m.type() === "error") problems.push(`console: ${m.text()}`); });
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  const urls = [];
  page.on("request", (r) => urls.push(r.url()));
  return { browser, context, page, problems, urls };
}

export async function shot(page, name) {
  const dir = env("MODT_SCREENSHOTS");
  mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: join(dir, `${name}.png`), fullPage: true });
}

// Registers `user` on the identify unit at `base` and waits for the login page's notice.
export async function register(page, base, user, password) {
  await page.goto(`${base}/register`);
  await page.getByLabel("User name").fill(user);
  await page.getByLabel("Password", { exact: true }).fill(password);
  await page.getByLabel("Confirm password").fill(password);
  await page.getByRole("button", { name: "Create account" }).click();
  await page.getByTestId("notice").waitFor();
}

// Registers `user` on the identify unit at `base`, logs in, and waits for the app's page.
export async function registerAndLogIn(page, base, user, password) {
  await register(page, base, user, password);
  await page.getByLabel("User name").fill(user);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Log in" }).click();
  await page.getByTestId("username").waitFor();
}

export function check(cond, what) {
  if (!cond) throw new Error(`check failed: ${what}`);
}

export async function run(main) {
  try {
    await main();
    console.log("ok");
  } catch (e) {
    console.error(e && e.stack ? e.stack : String(e));
    process.exit(1);
  }
}
