// What a family meets, in a real browser: the front door offers their sign-in; the help page
// explains their case in plain words (English and Welsh) and the stepper links to it; an
// officer arranges an appointment in the family's words, the relative answers it (English at
// 320 px, Welsh at 1280 px), and the officer's notice links to the answer on the case page.
// axe-core finds nothing on any of these pages, and none scrolls sideways.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startPortal, startBrowser, axe, scrollsSideways, signInByKeyboard, familySignIn, DEMO } from "./harness.mjs";

let portal, browser;
before(async () => { portal = await startPortal(); browser = await startBrowser(); });
after(async () => { await browser?.close(); portal?.stop(); });

async function assertAccessible(page, label) {
  const violations = await axe(page);
  assert.deepEqual(violations, [], `${label}: ${JSON.stringify(violations, null, 2)}`);
  assert.equal(await scrollsSideways(page), false, `${label} scrolls sideways`);
}

const ENGLISH = "helen.fenwick@demo.liaison.test";
const WELSH = "carys.pryce@demo.liaison.test";

/** A local date and time some days ahead, as a datetime-local field takes it. */
function daysAhead(days) {
  const d = new Date(Date.now() + days * 86400000);
  const pad = (n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T14:00`;
}

test("the front door and the help page, in English and Welsh, at 320 px and 1280 px", async () => {
  for (const width of [320, 1280]) {
    const ctx = await browser.newContext({ viewport: { width, height: 800 } });
    const page = await ctx.newPage();
    await page.goto(`${portal.address}/`);
    await assertAccessible(page, `the front door at ${width}px`);
    await Promise.all([page.waitForNavigation(), page.click('a:has-text("Family sign in")')]);
    assert.equal(new URL(page.url()).pathname, "/family/sign-in");

    await familySignIn(portal, page, width === 320 ? ENGLISH : WELSH);
    // The first step of the stepper explains itself.
    await Promise.all([page.waitForNavigation(), page.click("ol.stepper .step-label a >> nth=0")]);
    assert.equal(new URL(page.url()).pathname, "/family/help");
    assert.match(new URL(page.url()).hash, /^#milestone-/);
    const lang = await page.getAttribute("html", "lang");
    assert.equal(lang, width === 320 ? "en" : "cy");
    assert.match(await page.textContent("h1"), width === 320 ? /Help and explanations/ : /Cymorth/);
    assert.match(await page.textContent("main"), /999/);
    await assertAccessible(page, `the help page at ${width}px (${lang})`);
    await page.goto(`${portal.address}/family/contacts`);
    await assertAccessible(page, `who to contact at ${width}px (${lang})`);
    await page.goto(`${portal.address}/family/notices`);
    await assertAccessible(page, `notices at ${width}px (${lang})`);
    await ctx.close();
  }
});

/** Signs in as `who` and arranges an appointment on case `reference` in the family's words. */
async function arrange(who, reference, title) {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const s = await ctx.newPage();
  await signInByKeyboard(s, portal.address, who);
  await s.goto(`${portal.address}/staff/cases`);
  await Promise.all([s.waitForNavigation(), s.click(`a:has-text("${reference}")`)]);
  await Promise.all([s.waitForNavigation(), s.click('a:has-text("Add a follow-up")')]);
  await s.fill("#purpose", "Staff wording: take the leaflet, check on the brother");
  await s.fill("#due_at", daysAhead(5));
  await s.check("#is_appointment");
  await s.fill("#place", "At home");
  await s.fill("#family_title", title);
  await s.fill("#family_note", "We will bring the coroner's leaflet.");
  await assertAccessible(s, "the follow-up form with the family's words");
  await Promise.all([s.waitForNavigation(), s.click('button:has-text("Add the follow-up")')]);
  return ctx;
}

test("a relative answers an appointment, in English at 320 px and in Welsh at 1280 px, and the officer sees it", async () => {
  for (const [who, reference, email, width, words] of [
    [DEMO.officer, "FL-2026-00001", ENGLISH, 320,
      { change: "Please change it", send: "Send my answer", missing: /Choose whether this time suits you/, thanks: /has been told/ }],
    [DEMO.officer2, "FL-2026-00002", WELSH, 1280,
      { change: "Newidiwch ef", send: "Anfon fy ateb", missing: /Dewiswch a yw/, thanks: /wedi cael gwybod/ }],
  ]) {
    const title = `A visit at home (${reference})`;
    const staff = await arrange(who, reference, title);

    const ctx = await browser.newContext({ viewport: { width, height: 800 } });
    const page = await ctx.newPage();
    await familySignIn(portal, page, email);
    await page.goto(`${portal.address}/family/appointments`);
    const card = page.locator("li", { hasText: title });
    assert.match(await card.textContent(), /We will bring the coroner's leaflet\./);
    assert.doesNotMatch(await page.textContent("main"), /Staff wording/);
    await assertAccessible(page, `appointments at ${width}px`);
    // Sent without a choice: the problem is named and the note kept.
    await card.locator("textarea").fill("After two o'clock, please.");
    await Promise.all([page.waitForNavigation(), card.locator(`button:has-text("${words.send}")`).click()]);
    assert.match(await page.textContent(".error-summary"), words.missing);
    assert.equal(await page.locator("li", { hasText: title }).locator("textarea").inputValue(), "After two o'clock, please.");
    await assertAccessible(page, `an appointment answer with a problem at ${width}px`);
    const again = page.locator("li", { hasText: title });
    await again.locator(`label:has-text("${words.change}")`).click();
    await Promise.all([page.waitForNavigation(), again.locator(`button:has-text("${words.send}")`).click()]);
    assert.match(await page.textContent("main"), words.thanks);
    assert.match(await page.locator("li", { hasText: title }).textContent(), /After two o'clock, please\./);
    await assertAccessible(page, `an answered appointment at ${width}px`);
    await ctx.close();

    // The officer's notice links to the appointment on the case page, which shows the answer.
    const s = staff.pages()[0];
    await s.goto(`${portal.address}/staff/notifications`);
    await Promise.all([s.waitForNavigation(), s.click('a:has-text("A family answered about an appointment")')]);
    assert.match(new URL(s.url()).hash, /^#follow-up-/);
    assert.match(await s.textContent(new URL(s.url()).hash), /Please change it/);
    await assertAccessible(s, "the case page with the family's answer");
    await staff.close();
  }
});
