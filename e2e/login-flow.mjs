// register → login → the sample app shows the user → logout → back at the login page.
// Env: MODT_LOGIN_URL (the identify unit's /login), MODT_SCREENSHOTS (a directory).
import { env, launch, shot, check, run } from "./lib.mjs";

await run(async () => {
  const loginUrl = env("MODT_LOGIN_URL");
  const base = new URL(loginUrl).origin;
  const { browser, context, page, problems, urls } = await launch();
  const user = `e2e-${Date.now() % 1e9}`;
  const password = "a long password";
  try {
    await page.goto(`${base}/register`);
    await page.getByLabel("User name").fill(user);
    await page.getByLabel("Password", { exact: true }).fill(password);
    await page.getByLabel("Confirm password").fill(password);
    await shot(page, "01-register");
    await page.getByRole("button", { name: "Create account" }).click();
    await page.waitForURL(/\/login\?registered=1$/);
    check((await page.getByTestId("notice").textContent()).includes("Account created"), "registered notice");

    await page.getByLabel("User name").fill(user);
    await page.getByLabel("Password").fill(password);
    await shot(page, "02-login");
    await page.getByRole("button", { name: "Log in" }).click();

    // The waiting page moves on to the sample app by itself.
    await page.getByTestId("username").waitFor({ timeout: 15000 });
    check((await page.getByTestId("username").textContent()).trim() === user, "the app shows the user");
    check((await page.getByTestId("role").textContent()).trim() === "user", "the app shows the role");
    const appUrl = page.url();
    check(!appUrl.startsWith(base), `landed on the app, not the identify unit (${appUrl})`);
    await shot(page, "03-app");

    const cookies = await context.cookies();
    const session = cookies.find((c) => c.name === "modt_session_id");
    check(session && session.httpOnly && session.sameSite === "Lax", "HttpOnly, SameSite=Lax session cookie");
    check(!urls.some((u) => u.includes(session.value)), "the session id is in no URL");
    // The Rust side checks that the server's logs never contain it either.
    console.log(`SESSION ${session.value}`);

    await page.getByTestId("logout").click();
    // A link only asks; the confirmed form logs out.
    await page.getByTestId("logout-confirm").click();
    await page.waitForURL(/\/login\?bye=1$/);
    check((await page.getByTestId("notice").textContent()).includes("logged out"), "logged-out notice");
    await shot(page, "04-logged-out");
    check(!(await context.cookies()).some((c) => c.name === "modt_session_id"), "cookie cleared");

    await page.goto(appUrl);
    await page.getByTestId("login").waitFor();
    await shot(page, "05-app-signed-out");

    // The same pages in Japanese, as a browser set to Japanese gets them.
    const ja = await browser.newContext({ locale: "ja-JP", viewport: { width: 420, height: 760 } });
    const jaPage = await ja.newPage();
    await jaPage.goto(`${base}/login`);
    check((await jaPage.locator("html").getAttribute("lang")) === "ja", "Japanese page");
    await jaPage.getByLabel("ユーザー名").fill(user);
    await jaPage.getByLabel("パスワード").fill("wrong password");
    await jaPage.getByRole("button", { name: "ログイン" }).click();
    check((await jaPage.getByTestId("error").textContent()).includes("正しくありません"), "Japanese error");
    await shot(jaPage, "06-login-ja-narrow");
    await ja.close();
    check(problems.length === 0, `no console errors or CSP violations: ${problems.join("; ")}`);
  } catch (e) {
    await shot(page, "zz-failure").catch(() => {});
    throw new Error(`${e.message}\n  at ${page.url()}\n  requests: ${urls.join(" ")}`);
  } finally {
    await browser.close();
  }
});
