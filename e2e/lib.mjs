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
