// The family portal in a real browser: a relative asks for a sign-in link by keyboard on a
// small phone screen, follows the link from the e-mail (written as a file in demo mode), and
// every family page and form passes axe-core (WCAG 2.2 AA) without sideways scrolling.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { startPortal, startBrowser, axe, scrollsSideways } from "./harness.mjs";

let portal, browser;
before(async () => { portal = await startPortal(); browser = await startBrowser(); });
after(async () => { await browser?.close(); portal?.stop(); });

const RELATIVE = "helen.fenwick@demo.liaison.test";
const WELSH_RELATIVE = "carys.pryce@demo.liaison.test";

async function assertAccessible(page, label) {
  const violations = await axe(page);
  assert.deepEqual(violations, [], `${label}: ${JSON.stringify(violations, null, 2)}`);
}

/** The plain-text part of an .eml file, decoded. */
function plainText(eml) {
  const parts = eml.split(/\r?\n--[^\r\n]+\r?\n/);
  const part = parts.find((p) => /Content-Type: text\/plain/i.test(p)) ?? eml;
  const [head, ...rest] = part.split(/\r?\n\r?\n/);
  const body = rest.join("\n\n");
  if (/Content-Transfer-Encoding: base64/i.test(head)) return Buffer.from(body.replace(/\s+/g, ""), "base64").toString("utf8");
  if (/Content-Transfer-Encoding: quoted-printable/i.test(head)) {
    const bytes = body.replace(/=\r?\n/g, "").replace(/=([0-9A-F]{2})/gi, (_, h) => String.fromCharCode(parseInt(h, 16)));
    return Buffer.from(bytes, "latin1").toString("utf8");
  }
  return body;
}

/** Waits for a sign-in e-mail to `address` written after `since`, and returns its link. */
async function linkFor(address, since) {
  const dir = join(portal.dataDir, "mail");
  for (let i = 0; i < 100; i++) {
    let files = [];
    try { files = readdirSync(dir).map((f) => join(dir, f)); } catch { files = []; }
    for (const file of files) {
      const eml = readFileSync(file, "utf8");
      if (!eml.includes(address) || seen.has(file)) continue;
      const text = plainText(eml);
      const m = text.match(/(https?:\/\/\S+\/family\/sign-in\/link\?token=[A-Za-z0-9_-]{43})/);
      if (m) { seen.add(file); return new URL(m[1]).pathname + new URL(m[1]).search; }
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`no sign-in e-mail for ${address} since ${since}`);
}
const seen = new Set();

async function signIn(page, email) {
  await page.goto(`${portal.address}/family/sign-in`);
  await page.focus("#email");
  await page.keyboard.type(email);
  await Promise.all([page.waitForNavigation(), page.keyboard.press("Enter")]);
  assert.match(await page.textContent("h1"), /Check your email|Gwiriwch eich e-bost/);
  const link = await linkFor(email, Date.now());
  await page.goto(`${portal.address}${link}`);
  await page.focus("main button[type=submit]");
  await Promise.all([page.waitForNavigation(), page.keyboard.press("Enter")]);
  assert.equal(new URL(page.url()).pathname, "/family");
}

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
