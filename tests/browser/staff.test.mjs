// Staff and admin pages in a real browser: keyboard sign-in, accessibility, small screens.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startPortal, startBrowser, axe, scrollsSideways, signInByKeyboard, DEMO } from "./harness.mjs";

let portal, browser;
before(async () => { portal = await startPortal(); browser = await startBrowser(); });
after(async () => { await browser?.close(); portal?.stop(); });

async function context(width = 1024) {
  return browser.newContext({ viewport: { width, height: 800 } });
}

async function assertAccessible(page, label) {
  const violations = await axe(page);
  assert.deepEqual(violations, [], `${label}: ${JSON.stringify(violations, null, 2)}`);
}

test("the demo officer signs in with the keyboard alone and sees their cases", async () => {
  const ctx = await context(360);
  const page = await ctx.newPage();
  await signInByKeyboard(page, portal.address, DEMO.officer);
  assert.equal(new URL(page.url()).pathname, "/staff");
  assert.match(await page.textContent("h1"), /My work/);
  assert.match(await page.textContent("main"), /My cases/);
  assert.match(await page.textContent("main"), /FL-2026-00001/);
  assert.equal(await scrollsSideways(page), false, "no sideways scroll at 360 px");
  await ctx.close();
});

test("the demo officer finds their assignment notices in the inbox and can mark them read", async () => {
  const ctx = await context(360);
  const page = await ctx.newPage();
  await signInByKeyboard(page, portal.address, DEMO.officer);
  assert.match(await page.textContent("nav"), /Notifications\s*3\s*unread/);
  await page.click("text=Notifications");
  assert.match(await page.textContent("main"), /You have been assigned to case FL-2026-00001/);
  await assertAccessible(page, "inbox with unread items");
  await Promise.all([page.waitForNavigation(), page.click("button:has-text('Mark all')")]);
  assert.doesNotMatch(await page.textContent("nav"), /unread/);
  await ctx.close();
});

test("a wrong password keeps the email and explains the problem accessibly", async () => {
  const ctx = await context();
  const page = await ctx.newPage();
  await signInByKeyboard(page, portal.address, [DEMO.officer[0], "not the password"]);
  assert.equal(await page.inputValue("#email"), DEMO.officer[0]);
  assert.match(await page.textContent(".error-summary"), /not right/);
  const focused = await page.evaluate(() => document.activeElement.className);
  assert.match(focused, /error-summary/, "focus moves to the error summary");
  await assertAccessible(page, "sign-in with errors");
  await ctx.close();
});

test("every public and staff page passes axe-core and fits a 320 px screen", async () => {
  for (const width of [1024, 320]) {
    const ctx = await context(width);
    const page = await ctx.newPage();
    for (const path of ["/", "/staff/login", "/no-such-page"]) {
      await page.goto(portal.address + path);
      await assertAccessible(page, `${path} at ${width}`);
      assert.equal(await scrollsSideways(page), false, `${path} scrolls sideways at ${width}`);
    }
    await signInByKeyboard(page, portal.address, DEMO.manager);
    for (const path of ["/staff", "/staff/account/password", "/staff/notifications"]) {
      await page.goto(portal.address + path);
      await assertAccessible(page, `${path} at ${width}`);
      assert.equal(await scrollsSideways(page), false, `${path} scrolls sideways at ${width}`);
    }
    await ctx.close();
  }
});

test("every admin page passes axe-core, including a form shown again with errors", async () => {
  const ctx = await context();
  const page = await ctx.newPage();
  await signInByKeyboard(page, portal.address, DEMO.admin);
  assert.equal(new URL(page.url()).pathname, "/admin");
  const paths = ["/admin", "/admin/users", "/admin/users/new", "/admin/teams", "/admin/audit",
    "/admin/outbox", "/admin/outbox?status=sent", "/admin/mail", "/admin/targets", "/admin/support"];
  for (const path of paths) {
    await page.goto(portal.address + path);
    await assertAccessible(page, path);
  }
  await page.goto(portal.address + "/admin/users");
  await page.click("text=Priya Marsh");
  await assertAccessible(page, "an account page");
  await page.goto(portal.address + "/admin/teams");
  await page.click("text=Riverside Family Liaison Unit");
  await assertAccessible(page, "a team page");
  assert.match(await page.textContent("main"), /Priya Marsh/);

  await page.goto(portal.address + "/admin/users/new");
  await page.fill("#email", "not an email");
  await Promise.all([page.waitForNavigation(), page.click("button[type=submit] >> text=Create account")]);
  assert.match(await page.textContent(".error-summary"), /Enter a name/);
  assert.equal(await page.inputValue("#email"), "not an email", "what was typed is kept");
  await assertAccessible(page, "account form with errors");

  // The families' support list: an entry's own page, and the add form with its problems.
  await page.goto(portal.address + "/admin/support");
  await Promise.all([page.waitForNavigation(), page.click('a:has-text("Change") >> nth=2')]);
  await assertAccessible(page, "a support entry");
  await page.goto(portal.address + "/admin/support");
  await page.fill("#phone", "call us");
  await Promise.all([page.waitForNavigation(), page.click("button[type=submit] >> text=Add to the list")]);
  assert.match(await page.textContent(".error-summary"), /Enter the organisation's name/);
  assert.equal(await page.inputValue("#phone"), "call us", "what was typed is kept");
  await assertAccessible(page, "support list with errors");
  await ctx.close();
});

test("signing out works from the header, by keyboard, and the back button shows nothing private", async () => {
  const ctx = await context();
  const page = await ctx.newPage();
  await signInByKeyboard(page, portal.address, DEMO.officer);
  await page.focus("button:has-text('Sign out')");
  await Promise.all([page.waitForNavigation(), page.keyboard.press("Enter")]);
  assert.match(page.url(), /signed_out=1/);
  await page.goto(portal.address + "/staff");
  assert.match(new URL(page.url()).pathname, /\/staff\/login/);
  await ctx.close();
});
