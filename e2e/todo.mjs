// The todo page in a real browser, calling the REST API through the gateway: log in, add a
// todo, tick it in one tab and see it ticked live in another, edit it in the second and see
// it in the first, an edit from a stale form refused (412) and explained, delete it in one
// and see it gone from the other. No console errors (a CSP refusal would be one).
// Env: MODT_LOGIN_URL, MODT_TODO_URL, MODT_USER, MODT_PASSWORD, MODT_SCREENSHOTS.
import { env, launch, shot, check, run } from "./lib.mjs";

await run(async () => {
  const loginUrl = env("MODT_LOGIN_URL");
  const todoUrl = env("MODT_TODO_URL");
  const { browser, context, page, problems } = await launch();
  const item = (p, title) => p.getByTestId("todo").filter({ has: p.getByTestId("title").getByText(title, { exact: true }) });
  const loaded = async (p) => {
    await p.locator("#todos[data-loaded=true]").waitFor({ state: "attached" });
    await p.locator("#live[data-state=live]").waitFor({ state: "attached" });
  };
  try {
    // Log in, coming back to the todo page.
    await page.goto(`${loginUrl}?next=${encodeURIComponent(todoUrl + "/")}`);
    await page.getByLabel("User name").fill(env("MODT_USER"));
    await page.getByLabel("Password").fill(env("MODT_PASSWORD"));
    await page.getByRole("button", { name: "Log in" }).click();
    await page.waitForURL(`${todoUrl}/`);
    await loaded(page);
    check(await page.getByTestId("empty").isVisible(), "an empty list says so");

    // Add two todos; the newest comes first.
    await page.getByTestId("new-title").fill("Buy milk");
    await page.getByTestId("new-notes").fill("2 litres");
    await page.getByTestId("add").click();
    await item(page, "Buy milk").waitFor();
    await page.getByTestId("new-title").fill("Call Bob");
    await page.getByTestId("add").click();
    await item(page, "Call Bob").waitFor();
    const titles = await page.getByTestId("title").allTextContents();
    check(titles.join("|") === "Call Bob|Buy milk", `newest first: ${titles}`);
    check((await item(page, "Buy milk").getByTestId("notes").textContent()) === "2 litres", "notes shown");
    await shot(page, "01-added");

    // A second tab on the same session.
    const other = await context.newPage();
    other.on("console", (m) => { if (m.type() === "error") problems.push(`console (tab 2): ${m.text()}`); });
    other.on("pageerror", (e) => problems.push(`page error (tab 2): ${e.message}`));
    await other.goto(`${todoUrl}/`);
    await loaded(other);
    await item(other, "Buy milk").waitFor();

    // Tick in the first tab: the second shows it done, live.
    await item(page, "Buy milk").getByTestId("tick").check();
    await other.locator("li.done", { has: other.getByText("Buy milk", { exact: true }) }).waitFor();
    await shot(other, "02-ticked-in-other-tab");

    // Edit in the second tab: the first shows the new title, live.
    await item(other, "Buy milk").getByTestId("edit").click();
    await other.getByTestId("edit-title").fill("Buy oat milk");
    await other.getByTestId("save").click();
    await item(other, "Buy oat milk").waitFor();
    await item(page, "Buy oat milk").waitFor();
    check(await item(page, "Buy oat milk").evaluate((li) => li.classList.contains("done")), "still done");
    await shot(page, "03-edited-in-other-tab");

    // A form opened before a change made elsewhere: its save is refused (If-Match), said so,
    // and the item shows the latest version.
    await item(page, "Call Bob").getByTestId("edit").click();
    await item(other, "Call Bob").getByTestId("tick").check();
    await other.locator("li.done", { has: other.getByText("Call Bob", { exact: true }) }).waitFor();
    await page.locator('li[data-testid=todo][data-version="2"]', { has: page.getByTestId("edit-title") }).waitFor();
    await page.getByTestId("edit-title").fill("Call Bob at 5");
    await page.getByTestId("save").click();
    await page.getByTestId("error").filter({ hasText: "changed elsewhere" }).waitFor();
    await page.locator("li.done", { has: page.getByText("Call Bob", { exact: true }) }).waitFor();
    check(await item(page, "Call Bob at 5").count() === 0, "the stale edit was not saved");
    await shot(page, "04-conflict");

    // Delete in the first tab: gone from the second, live.
    await item(page, "Buy oat milk").getByTestId("delete").click();
    await item(page, "Buy oat milk").waitFor({ state: "detached" });
    await item(other, "Buy oat milk").waitFor({ state: "detached" });
    const left = await other.getByTestId("title").allTextContents();
    check(left.join("|") === "Call Bob", `one left: ${left}`);
    await shot(other, "05-deleted-in-other-tab");

    // After a reload the list is the stored one.
    await page.reload();
    await loaded(page);
    check((await page.getByTestId("title").allTextContents()).join("|") === "Call Bob", "stored");
    // The refused stale edit is logged by the browser as a failed load (412); nothing else may be.
    const unexpected = problems.filter((p) => !p.includes("status of 412"));
    check(unexpected.length === 0, `no console errors: ${unexpected.join("; ")}`);
  } finally {
    await browser.close();
  }
});
