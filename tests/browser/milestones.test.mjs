// Case types and milestones in a real browser. An officer marks a milestone of the demo's
// road death not needed and records one reached through the pages; the Welsh-speaking widow
// then sees exactly the road death's remaining milestones, in Welsh, with the day reached,
// and the mother in the unexplained death sees that type's milestones in English: at 320 px
// and 1280 px, without sideways scrolling, and axe-core finds nothing.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startPortal, startBrowser, axe, scrollsSideways, signInByKeyboard, familySignIn, DEMO } from "./harness.mjs";

let portal, browser;
before(async () => { portal = await startPortal(); browser = await startBrowser(); });
after(async () => { await browser?.close(); portal?.stop(); });

async function assertAccessible(page, label) {
  const violations = await axe(page);
  assert.deepEqual(violations, [], `${label}: ${JSON.stringify(violations, null, 2)}`);
}

/** The labels of the stepper's steps, in order. */
async function steps(page) {
  // The words a sighted reader sees (each label also links to its explanation, with hidden
  // words for a screen reader).
  return page.$$eval("ol.stepper .step-label", (els) => els.map((e) => {
    const shown = e.cloneNode(true);
    shown.querySelectorAll(".visually-hidden").forEach((h) => h.remove());
    return shown.textContent.trim();
  }));
}

test("the family's stepper shows their case type's milestones, at two widths, in English and Welsh", async () => {
  const staff = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const s = await staff.newPage();
  await signInByKeyboard(s, portal.address, DEMO.officer2);
  await s.goto(`${portal.address}/staff/cases`);
  await Promise.all([s.waitForNavigation(), s.click('a:has-text("FL-2026-00002")')]);
  const casePath = new URL(s.url()).pathname;
  assert.match(await s.textContent("main .lead"), /Road death/);
  await Promise.all([s.waitForNavigation(), s.click('a:has-text("Type and milestones")')]);
  await assertAccessible(s, "milestones page");
  // A reason is required: the page says so beside the field and keeps the choice.
  await s.selectOption("#not_needed_milestone", "first_hearing");
  await Promise.all([s.waitForNavigation(), s.click('button:has-text("Mark it not needed")')]);
  assert.match(await s.textContent(".error-summary"), /Give the reason/);
  assert.equal(await s.inputValue("#not_needed_milestone"), "first_hearing");
  await assertAccessible(s, "milestones page with an error");
  await s.fill("#not_needed_reason", "The driver admitted the offence by post.");
  await Promise.all([s.waitForNavigation(), s.click('button:has-text("Mark it not needed")')]);
  assert.match(await s.textContent("main"), /Not needed: The driver admitted the offence by post\./);
  // Record the release of the body from its row: the update form comes with it chosen.
  await Promise.all([s.waitForNavigation(), s.click('a:has-text("Record it reached: Release of the body")')]);
  assert.equal(await s.inputValue("#milestone"), "release_of_body");
  await assertAccessible(s, "update form with a milestone");
  await s.fill("#body", "The coroner has released Aled; the funeral directors can collect him from Friday.");
  await Promise.all([s.waitForNavigation(), s.click('button:has-text("Post the update")')]);
  assert.equal(new URL(s.url()).pathname, casePath);
  await staff.close();

  for (const [email, expected, label] of [
    ["carys.pryce@demo.liaison.test",
      ["Swyddog cyswllt teulu wedi'i neilltuo", "Archwiliad post-mortem", "Rhyddhau'r corff ar gyfer yr angladd", "Ymchwiliad",
        "Cyhuddo", "Treial", "Dyfarniad", "Dedfryd", "Agor y cwest", "Cwest", "Wedi dod i ben"], "road death in Welsh"],
    ["helen.fenwick@demo.liaison.test",
      ["Family liaison officer assigned", "Post-mortem examination", "Release of the body for the funeral", "Investigation",
        "Inquest opened", "Pre-inquest review", "Inquest", "Concluded"], "unexplained death in English"],
  ]) {
    for (const width of [320, 1280]) {
      const ctx = await browser.newContext({ viewport: { width, height: 800 } });
      const page = await ctx.newPage();
      await familySignIn(portal, page, email);
      assert.deepEqual(await steps(page), expected, `${label} at ${width} px`);
      if (email.startsWith("carys")) {
        const reached = await page.textContent("ol.stepper li:nth-child(3)");
        assert.match(reached, /Cyrhaeddwyd/, `the day the body was released: ${reached}`);
      }
      assert.equal(await scrollsSideways(page), false, `${label} at ${width} px scrolls sideways`);
      await assertAccessible(page, `${label} at ${width} px`);
      await ctx.close();
    }
  }
});
