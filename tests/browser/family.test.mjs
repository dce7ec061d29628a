// The family portal in a real browser: a relative asks for a sign-in link by keyboard on a
// small phone screen, follows the link from the e-mail (written as a file in demo mode), and
// every family page and form passes axe-core (WCAG 2.2 AA) without sideways scrolling.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startPortal, startBrowser, axe, scrollsSideways, familySignIn } from "./harness.mjs";

let portal, browser;
before(async () => { portal = await startPortal(); browser = await startBrowser(); });
after(async () => { await browser?.close(); portal?.stop(); });

const RELATIVE = "helen.fenwick@demo.liaison.test";
const WELSH_RELATIVE = "carys.pryce@demo.liaison.test";

async function assertAccessible(page, label) {
  const violations = await axe(page);
  assert.deepEqual(violations, [], `${label}: ${JSON.stringify(violations, null, 2)}`);
}

/** Signs a relative in by e-mail link, with the keyboard. */
const signIn = (page, email) => familySignIn(portal, page, email);

test("a relative signs in by e-mail link with the keyboard alone on a 320 px screen", async () => {
  const ctx = await browser.newContext({ viewport: { width: 320, height: 700 } });
  const page = await ctx.newPage();
  await signIn(page, RELATIVE);
  assert.match(await page.textContent("h1"), /About Daniel Fenwick/);
  assert.equal(await scrollsSideways(page), false);
  await ctx.close();
});

test("every family page and form passes axe-core at 320 px and 1024 px", async () => {
  const anonymous = await browser.newContext({ viewport: { width: 320, height: 700 } });
  const a = await anonymous.newPage();
  for (const path of ["/family/sign-in", "/family/sign-in/link?token=broken", "/family/no-such-page"]) {
    await a.goto(`${portal.address}${path}`);
    await assertAccessible(a, path);
    assert.equal(await scrollsSideways(a), false, `${path} scrolls sideways`);
  }
  await a.goto(`${portal.address}/family/sign-in`);
  await Promise.all([a.waitForNavigation(), a.click("main button[type=submit]")]);
  assert.match(await a.textContent(".error-summary"), /Enter your email address/);
  await assertAccessible(a, "sign-in with an error");
  await anonymous.close();

  for (const width of [320, 1024]) {
    const ctx = await browser.newContext({ viewport: { width, height: 800 } });
    const page = await ctx.newPage();
    await signIn(page, RELATIVE);
    for (const path of ["/family", "/family/timeline", "/family/contacts", "/family/appointments",
      "/family/property", "/family/messages", "/family/notices", "/family/preferences"]) {
      await page.goto(`${portal.address}${path}`);
      assert.equal(await page.getAttribute("html", "lang"), "en");
      await assertAccessible(page, `${path} at ${width}px`);
      assert.equal(await scrollsSideways(page), false, `${path} scrolls sideways at ${width}px`);
    }
    await ctx.close();
  }
});

test("a relative writes a message with the keyboard, and an empty one keeps the choice and explains", async () => {
  const ctx = await browser.newContext({ viewport: { width: 360, height: 800 } });
  const page = await ctx.newPage();
  await signIn(page, RELATIVE);
  await page.goto(`${portal.address}/family/messages`);
  await page.focus("#category-question");
  await page.keyboard.press("Space");
  await page.focus("button:has-text('Send message')");
  await Promise.all([page.waitForNavigation(), page.keyboard.press("Enter")]);
  assert.match(await page.textContent(".error-summary"), /Write your message/);
  assert.equal(await page.isChecked("#category-question"), true, "the choice is kept");
  await assertAccessible(page, "message form with an error");
  await page.focus("#body");
  await page.keyboard.type("Could we visit the place where it happened?");
  await page.focus("button:has-text('Send message')");
  await Promise.all([page.waitForNavigation(), page.keyboard.press("Enter")]);
  assert.match(await page.textContent("main"), /Your message has been sent/);
  assert.match(await page.textContent("main"), /Could we visit the place where it happened\?/);
  assert.match(await page.textContent("main"), /Not yet acknowledged/);
  await assertAccessible(page, "messages after sending");
  await ctx.close();
});

test("a Welsh-speaking relative reads the portal in Welsh and can switch language", async () => {
  const ctx = await browser.newContext({ viewport: { width: 320, height: 800 } });
  const page = await ctx.newPage();
  await signIn(page, WELSH_RELATIVE);
  assert.equal(await page.getAttribute("html", "lang"), "cy");
  await assertAccessible(page, "home in Welsh");
  assert.equal(await scrollsSideways(page), false);
  await Promise.all([page.waitForNavigation(), page.click("button:has-text('English')")]);
  assert.equal(await page.getAttribute("html", "lang"), "en");
  assert.equal(new URL(page.url()).pathname, "/family");
  await ctx.close();
});

/** Invites a relative of a demo case through the API, as their officer would. */
async function invite(reference, fullName) {
  const api = (path, init = {}) => fetch(`${portal.address}/api/v1${path}`, init);
  const res = await api("/auth/token", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email: "officer@demo.liaison.test", password: "demo-officer-password" }),
  });
  const { access_token: token } = await res.json();
  const auth = { authorization: `Bearer ${token}` };
  const { cases } = await (await api(`/cases`, { headers: auth })).json();
  const found = cases.find((c) => c.reference === reference);
  const relatives = await (await api(`/cases/${found.id}/relatives`, { headers: auth })).json();
  const relative = relatives.find((r) => r.full_name === fullName);
  const invited = await api(`/cases/${found.id}/relatives/${relative.id}/invite`, { method: "POST", headers: auth });
  assert.ok(invited.ok, `invite ${fullName}: ${invited.status}`);
}

async function signOutAnswering(page, choice) {
  await page.click("header button:has-text('Sign out')");
  if (choice) {
    await page.waitForSelector("dialog[data-draft-dialog][open]");
    await assertAccessible(page, "the unsent-message question");
    await Promise.all([page.waitForNavigation(), page.click(`dialog [data-draft-choice=${choice}]`)]);
  } else {
    await page.waitForURL(/\/family\/sign-in/);
  }
  assert.match(new URL(page.url()).pathname, /^\/family\/sign-in/);
}

test("on a shared computer nothing one relative typed is ever shown to another", async () => {
  await invite("FL-2026-00003", "Ruth Oyelaran");
  const SAMUEL = "samuel.oyelaran@demo.liaison.test";
  const RUTH = "ruth.oyelaran@demo.liaison.test";
  const secret = "Private: I do not want Ruth to know yet that I spoke to the coroner's officer.";
  // One browser profile for the whole family, as on a shared computer.
  const ctx = await browser.newContext({ viewport: { width: 1024, height: 800 } });
  const page = await ctx.newPage();

  await signIn(page, SAMUEL);
  await page.goto(`${portal.address}/family/messages`);
  await page.fill("#body", secret);
  await page.waitForFunction(() => document.querySelector("[data-draft-status]").textContent.length > 0);
  await signOutAnswering(page, "keep");
  const stored = await page.evaluate(() => JSON.stringify(Object.entries(localStorage)));
  assert.ok(stored.includes("liaison-draft:v2:"), "Samuel's draft is kept on the device");
  assert.ok(!stored.includes("Ruth") && !stored.includes("Private"), `kept in the clear: ${stored}`);

  await signIn(page, RUTH);
  await page.goto(`${portal.address}/family/messages`);
  await page.waitForTimeout(500);
  assert.equal(await page.inputValue("#body"), "", "Samuel's draft is not in Ruth's form");
  assert.ok(!(await page.textContent("body")).includes("Private"));
  // Ruth has nothing unsent of her own: she is not asked.
  await signOutAnswering(page, null);

  await signIn(page, SAMUEL);
  await page.goto(`${portal.address}/family/messages`);
  await page.waitForFunction((text) => document.querySelector("#body").value === text, secret);
  assert.match(await page.textContent("[data-draft-status]"), /put back/);
  await signOutAnswering(page, "discard");
  const left = await page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith("liaison-draft:")));
  assert.deepEqual(left, [], "a deleted draft is gone from the device");

  await signIn(page, SAMUEL);
  await page.goto(`${portal.address}/family/messages`);
  await page.waitForTimeout(500);
  assert.equal(await page.inputValue("#body"), "");
  await ctx.close();
});
