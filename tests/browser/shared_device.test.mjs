// A relative on a shared or public device: nothing typed is kept on the device, a warning
// comes before the session ends for want of use, choosing to stay keeps it, and otherwise the
// page signs out by itself. The portal runs with a 30-second idle limit (15 minutes in use)
// so that the test takes a minute.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startPortal, startBrowser, axe, familySignIn } from "./harness.mjs";

let portal, browser;
before(async () => {
  portal = await startPortal({ LIAISON_SHARED_DEVICE_IDLE_SECONDS: "30" });
  browser = await startBrowser();
});
after(async () => { await browser?.close(); portal?.stop(); });

test("on a shared device the page warns before signing out, keeps a typing relative signed in, and keeps nothing", async () => {
  const ctx = await browser.newContext({ viewport: { width: 390, height: 800 } });
  const page = await ctx.newPage();
  await familySignIn(portal, page, "helen.fenwick@demo.liaison.test", { shared: true });
  await page.goto(`${portal.address}/family/messages`);
  // Typing for longer than the warning time is use: no warning, and nothing is stored.
  for (let i = 0; i < 12; i++) {
    await page.type("#body", "a few words ");
    await page.waitForTimeout(2000);
  }
  assert.equal(await page.isVisible("dialog[data-idle-dialog]"), false, "no warning while typing");
  const stored = await page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith("liaison-draft:")));
  assert.deepEqual(stored, [], "no draft on a shared device");
  // Left alone, the page warns (20 s in), accessibly, with the choice focused.
  await page.waitForSelector("dialog[data-idle-dialog][open]", { timeout: 30000 });
  assert.equal(await page.evaluate(() => document.activeElement.hasAttribute("data-idle-stay")), true);
  const violations = await axe(page);
  assert.deepEqual(violations, [], JSON.stringify(violations, null, 2));
  await page.keyboard.press("Enter");
  assert.equal(await page.isVisible("dialog[data-idle-dialog]"), false);
  assert.match(await page.inputValue("#body"), /a few words/, "what was typed is still there");
  const alive = await page.evaluate(async () => (await fetch("/family/still-here", { redirect: "manual" })).status);
  assert.equal(alive, 204, "the session is still open on the server");
  assert.equal(new URL(page.url()).pathname, "/family/messages");
  // Left alone again past the limit: signed out, nothing of the case on the screen.
  await page.waitForURL((url) => url.pathname === "/family/sign-in", { timeout: 45000 });
  const res = await page.goto(`${portal.address}/family/messages`);
  assert.equal(new URL(page.url()).pathname, "/family/sign-in", `signed out (${res.status()})`);
  await ctx.close();
});
