// The live monitor under request traffic: `modt state set` and `modt req` several times, page
// reloads (each asks the identify unit about the session). The tree shows each requester's
// one-off replies as one node ("N replies"), never a node per reply id; the preview of a
// state set starts with what it does, not its timestamp; tree nodes draw a sparkline with a
// bar once messages flowed, labelled with the rate. At 390×844 every column of a message is
// on screen (the preview under the topic) and nothing is wider than the screen; the tree is
// folded above the list and opens. Then the same page in Japanese.
// Env: MODT_LOGIN_URL, MODT_MONITOR_URL, MODT_USER, MODT_PASSWORD (an administrator),
// MODT_BIN, MODT_BROKER_PORT and MODT_DATA_DIR (for `modt`), MODT_SCREENSHOTS.
import { execFileSync } from "node:child_process";
import { env, launch, shot, check, run } from "./lib.mjs";

const REQUESTS = 5;

await run(async () => {
  const monitorUrl = env("MODT_MONITOR_URL");
  const { browser, page, problems, urls } = await launch();
  const modt = (...args) => execFileSync(env("MODT_BIN"), args, { stdio: ["ignore", "pipe", "pipe"] });
  // Opens every folded node of the tree under `prefix`, level by level.
  const unfold = async (prefix) => {
    for (let round = 0; round < 6; round++) {
      const clicked = await page.evaluate((prefix) => {
        const folded = [...document.querySelectorAll('[data-testid=tree] button.toggle[aria-expanded="false"]')]
          .filter((b) => { const p = b.nextElementSibling.title; return prefix.startsWith(p + "/") || p === prefix || p.startsWith(prefix + "/"); });
        folded.forEach((b) => b.click());
        return folded.length;
      }, prefix);
      if (clicked === 0) return;
      await page.waitForTimeout(100); // one animation frame redraws the tree
    }
  };
  const filterOn = async (filter) => {
    await page.getByTestId("filter").fill(filter);
    await page.getByTestId("apply").click();
    await page.waitForFunction((prefix) => {
      const topics = [...document.querySelectorAll("[data-testid=message] td.topic")].map((td) => td.textContent);
      return topics.length > 0 && topics.every((t) => t.startsWith(prefix));
    }, filter.replace("#", ""), { timeout: 5000 });
  };
  try {
    await page.goto(env("MODT_LOGIN_URL"));
    await page.getByLabel("User name").fill(env("MODT_USER"));
    await page.getByLabel("Password").fill(env("MODT_PASSWORD"));
    await page.getByRole("button", { name: "Log in" }).click();
    await page.getByTestId("username").waitFor({ timeout: 15000 });

    // Each load asks the identify unit twice (page, WebSocket): replies to the monitor's root.
    for (let i = 0; i < 3; i++) {
      await page.goto(monitorUrl);
      await page.getByTestId("status").filter({ hasText: "Live" }).waitFor({ timeout: 5000 });
    }
    // Real requests: each `modt` process is a requester of its own (a client id each).
    for (let i = 0; i < REQUESTS; i++) {
      modt("state", "set", env("MODT_USER"), `e2e-key-${i}`, `value-${i}`);
      modt("req", "modt/echo", JSON.stringify({ n: i }));
    }
    // Many replies to one requester, as a long-lived client gets them (published here, since
    // every `modt` process is a new client): one node counting them all.
    for (let i = 0; i < REQUESTS; i++) {
      modt("pub", `modt/reply/cli/e2e-requester/r${i}`, JSON.stringify({ timestamp: "t", request_id: `r${i}`, status: "ok" }));
    }

    // The preview of a state set: what it does first, bookkeeping last.
    const set = page.getByTestId("message").filter({ hasText: "modt/state/set" }).first();
    await set.waitFor({ timeout: 5000 });
    const preview = await set.getByTestId("preview").textContent();
    check(preview.startsWith('{"action":"set","user_id":'), `a state set's preview starts with its action: ${preview}`);
    check(!preview.startsWith('{"timestamp"'), `not with the timestamp: ${preview}`);

    // Replies: one node per requester, counting its replies; no node below it.
    await page.getByTestId("tree").getByRole("button", { name: "modt", exact: true }).waitFor({ timeout: 5000 });
    await unfold("modt/reply");
    await page.waitForFunction((n) => {
      const groups = [...document.querySelectorAll("[data-testid=reply-group]")];
      const replies = groups.reduce((sum, g) => sum + Number(g.dataset.replies), 0);
      // Wait for the last reply to the one requester too: the checks below count them all.
      return replies >= 3 * n && groups.some((g) => g.dataset.path === "modt/reply/cli/e2e-requester" && Number(g.dataset.replies) >= n);
    }, REQUESTS, { timeout: 5000 });
    const groups = await page.evaluate(() => [...document.querySelectorAll("[data-testid=reply-group]")].map((g) => ({
      path: g.dataset.path,
      replies: Number(g.dataset.replies),
      text: g.querySelector(".count").textContent,
      below: g.querySelectorAll("li").length,
    })));
    const many = groups.find((g) => g.path === "modt/reply/cli/e2e-requester");
    check(many.replies === REQUESTS && many.text.includes(`${REQUESTS} replies`), `one node counts a requester's replies: ${JSON.stringify(many)}`);
    check(groups.every((g) => g.below === 0 && g.path.split("/").length <= 4), `no node per reply id: ${JSON.stringify(groups)}`);
    const paths = await page.evaluate(() => [...document.querySelectorAll("[data-testid=tree] button.link")].map((b) => b.title));
    check(!paths.some((p) => /^modt\/reply\/[^/]+\/[^/]+\/./.test(p)), `no topic below a reply root in the tree: ${paths}`);
    check(groups.length <= 2 * REQUESTS + 3, `at most one node per requesting client: ${groups.length}`);
    check(groups.filter((g) => g.path.startsWith("modt/reply/cli/cli-modt-") && g.replies === 1).length >= 2 * REQUESTS,
      `each modt process's reply is counted under its own root: ${JSON.stringify(groups)}`);
    const one = groups.find((g) => g.replies === 1);
    check(!one || one.text.includes("1 reply") && !one.text.includes("replies"), `singular: ${JSON.stringify(one)}`);

    // Sparklines: the `modt` node's has a bar, and says its rate.
    const modtSpark = page.getByTestId("tree").locator("li").filter({ has: page.getByRole("button", { name: "modt", exact: true }) })
      .first().locator(":scope > .node [data-testid=spark]");
    await modtSpark.locator("rect.bar").first().waitFor({ timeout: 5000 });
    const bar = await modtSpark.locator("rect.bar").first().getAttribute("height");
    check(Number(bar) > 0, `a non-zero bar: ${bar}`);
    const label = await modtSpark.getAttribute("aria-label");
    check(/^\d+(\.\d)? messages\/s over the last minute$/.test(label), `the sparkline's label: ${label}`);
    check(await page.locator("[data-testid=spark]").count() >= 3, "every node has a sparkline");
    // A group filters on its replies, which the list still shows.
    await page.locator('[data-testid=reply-group][data-path="modt/reply/cli/e2e-requester"] button.link').click();
    await page.waitForFunction((n) => {
      const topics = [...document.querySelectorAll("[data-testid=message] td.topic")].map((td) => td.textContent);
      return topics.length === n && topics.every((t) => t.startsWith("modt/reply/cli/e2e-requester/r"));
    }, REQUESTS, { timeout: 5000 });
    await shot(page, "01-grouped");

    // A phone: the tree folded above the list, every column of a row on screen.
    await page.setViewportSize({ width: 390, height: 844 });
    await page.reload();
    await page.getByTestId("status").filter({ hasText: "Live" }).waitFor({ timeout: 5000 });
    const row = page.getByTestId("message").filter({ hasText: "modt/state/set" }).first();
    await row.waitFor({ timeout: 5000 });
    check(!(await page.getByTestId("topics-box").evaluate((d) => d.open)), "the tree starts folded on a phone");
    // The tree is redrawn live, so an element can be replaced between two looks: measure
    // whichever element is there now, a few times if need be.
    const within = async (what, locator) => {
      check(await locator.isVisible(), `${what} is visible`);
      let box = null;
      for (let i = 0; i < 10 && !box; i++) {
        box = await locator.boundingBox({ timeout: 1000 }).catch(() => null);
        if (!box) await page.waitForTimeout(100);
      }
      check(box && box.width > 0 && box.x >= 0 && box.x + box.width <= 390, `${what} is within 390 px: ${JSON.stringify(box)}`);
    };
    for (const cls of ["time", "topic", "qos", "size", "payload"]) await within(cls, row.locator(`td.${cls}`));
    const topicBox = await row.locator("td.topic").boundingBox();
    const previewBox = await row.getByTestId("preview").boundingBox();
    check(previewBox.y >= topicBox.y + topicBox.height - 1, "the preview is on a line under the topic");
    const widths = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
    check(widths[0] <= widths[1], `nothing is wider than the screen: ${widths}`);
    await filterOn("modt/state/#"); // a screenshot of a few rows
    await shot(page, "02-phone");
    await page.getByTestId("topics-box").locator("summary").click();
    await page.getByTestId("tree").getByRole("button", { name: "modt", exact: true }).waitFor({ timeout: 5000 });
    await within("the tree's sparkline", page.locator("[data-testid=spark]").first());
    const widthsOpen = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
    check(widthsOpen[0] <= widthsOpen[1], `the open tree fits too: ${widthsOpen}`);
    await shot(page, "03-phone-tree");

    // More history than the page keeps (500 rows): a fresh page shows the newest and does not
    // call the older ones dropped.
    modt("sim", "devices", "--count", "700", "--rate", "0", "--seed", "1");
    // Japanese.
    await page.setViewportSize({ width: 1000, height: 760 });
    await page.goto(new URL("?lang=ja", monitorUrl).href);
    await page.getByTestId("status").filter({ hasText: "ライブ" }).waitFor({ timeout: 5000 });
    await page.getByTestId("tree").getByRole("button", { name: "modt", exact: true }).waitFor({ timeout: 5000 });
    await page.locator("[data-testid=rows] tr").nth(499).waitFor({ state: "attached", timeout: 5000 });
    check(await page.getByTestId("dropped").isHidden(), `no drop reported for old history: ${await page.getByTestId("dropped").textContent()}`);
    const hint = await page.locator("#filter-hint").textContent();
    check(hint.includes("直近 500 件"), `the hint names the 500 rows a page shows: ${hint}`);
    await unfold("modt/reply");
    await page.locator("[data-testid=reply-group] .count").filter({ hasText: "返信" }).first().waitFor({ timeout: 5000 });
    await filterOn("modt/state/#");
    const jaLabel = await page.locator("[data-testid=spark]").first().getAttribute("aria-label");
    check(jaLabel.startsWith("直近1分間で毎秒"), `the sparkline's label in Japanese: ${jaLabel}`);
    // At 1000 px the tree sits above the list, so the payload column keeps room to read.
    const wide = await page.getByTestId("preview").first().boundingBox();
    check(wide && wide.width >= 300 && wide.x + wide.width <= 1000, `the preview has room at 1000 px: ${JSON.stringify(wide)}`);
    await shot(page, "04-ja");

    check(problems.length === 0, `no console errors or CSP violations: ${problems.join("; ")}`);
  } catch (e) {
    await shot(page, "zz-failure").catch(() => {});
    throw new Error(`${e.message}\n  at ${page.url()}\n  requests: ${urls.slice(-20).join(" ")}`);
  } finally {
    await browser.close();
  }
});
