// Casework in a real browser: an officer on a phone logs a contact with the keyboard alone.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startPortal, startBrowser, axe, scrollsSideways, signInByKeyboard, tabTo, DEMO } from "./harness.mjs";

let portal, browser;
before(async () => { portal = await startPortal(); browser = await startBrowser(); });
after(async () => { await browser?.close(); portal?.stop(); });

async function assertAccessible(page, label) {
  const violations = await axe(page);
  assert.deepEqual(violations, [], `${label}: ${JSON.stringify(violations, null, 2)}`);
}

test("an officer on a 360 px phone logs a contact using only the keyboard", async () => {
  const ctx = await browser.newContext({ viewport: { width: 360, height: 740 } });
  const page = await ctx.newPage();
  await signInByKeyboard(page, portal.address, DEMO.officer);

  // Home -> the case, by keyboard.
  await tabTo(page, () => document.activeElement.textContent.trim() === "FL-2026-00001", "the case link");
  await Promise.all([page.waitForNavigation(), page.keyboard.press("Enter")]);
  assert.match(await page.textContent("h1"), /Daniel Fenwick/);
  await assertAccessible(page, "case page");
  assert.equal(await scrollsSideways(page), false, "case page fits 360 px");

  await tabTo(page, () => document.activeElement.textContent.trim() === "Log a contact", "Log a contact");
  await Promise.all([page.waitForNavigation(), page.keyboard.press("Enter")]);
  assert.match(await page.textContent("h1"), /Log a contact/);
  await assertAccessible(page, "contact form");
  assert.equal(await scrollsSideways(page), false, "contact form fits 360 px");

  // How: a visit (type to choose in the select).
  await tabTo(page, () => document.activeElement.id === "channel", "the channel");
  await page.keyboard.type("Visit");
  // Who made contact: the first option is already chosen; arrow keys would change it.
  await tabTo(page, () => document.activeElement.name === "direction", "the direction");
  // Relatives present: tick the first.
  await tabTo(page, () => document.activeElement.name === "relatives", "a relative");
  await page.keyboard.press("Space");
  await tabTo(page, () => document.activeElement.id === "duration_minutes", "minutes");
  await page.keyboard.type("35");
  await tabTo(page, () => document.activeElement.id === "discussion", "the discussion");
  await page.keyboard.type("Visited Helen at home. Went through the post-mortem process and answered her questions.");
  await tabTo(page, () => document.activeElement.id === "family_summary", "the family summary");
  await page.keyboard.type("We met at home and talked through what happens next.");
  await tabTo(page, () => document.activeElement.id === "follow_up_1_purpose", "the first follow-up");
  await page.keyboard.type("Phone Helen with the coroner's contact details");
  await tabTo(page, () => document.activeElement.tagName === "BUTTON" && document.activeElement.textContent.includes("Save the contact"), "Save");
  await Promise.all([page.waitForNavigation(), page.keyboard.press("Enter")]);

  // The follow-up had no time: the form comes back with everything typed still there.
  assert.match(await page.textContent(".error-summary"), /date and time/);
  assert.equal(await page.inputValue("#discussion"), "Visited Helen at home. Went through the post-mortem process and answered her questions.");
  assert.equal(await page.inputValue("#duration_minutes"), "35");
  assert.equal(await page.isChecked("input[name=relatives]"), true);
  await assertAccessible(page, "contact form with an error");
  // Fix it with the keyboard: the error summary link takes focus to the field.
  // A date-time field by keyboard: the date's digits, then the right arrow (a year may have
  // more digits), then the time and A for AM.
  await page.focus("#follow_up_1_due");
  await page.keyboard.type("01012030");
  await page.keyboard.press("ArrowRight");
  await page.keyboard.type("0930A");
  assert.equal(await page.inputValue("#follow_up_1_due"), "2030-01-01T09:30");
  await tabTo(page, () => document.activeElement.tagName === "BUTTON" && document.activeElement.textContent.includes("Save the contact"), "Save");
  await Promise.all([page.waitForNavigation(), page.keyboard.press("Enter")]);

  assert.match(page.url(), /saved=contact/);
  assert.match(await page.textContent("[role=status]"), /Saved/);
  assert.match(await page.textContent("#timeline ~ ol, .timeline"), /Visited Helen at home/);
  assert.match(await page.textContent("main"), /Phone Helen with the coroner's contact details/);
  await ctx.close();
});

test("what is typed in the contact form survives a reload until it is saved", async () => {
  const ctx = await browser.newContext({ viewport: { width: 1024, height: 800 } });
  const page = await ctx.newPage();
  await signInByKeyboard(page, portal.address, DEMO.officer);
  await page.click("text=FL-2026-00003");
  await page.click("text=Log a contact");
  const form = page.url();
  await page.fill("#discussion", "A draft that must not be lost");
  await page.dispatchEvent("#discussion", "input");
  await page.waitForTimeout(700);
  await page.goto(form);
  // The draft is decrypted and put back a moment after the page loads.
  await page.waitForFunction(() => document.querySelector("#discussion").value !== "");
  assert.equal(await page.inputValue("#discussion"), "A draft that must not be lost");
  assert.match(await page.textContent("[data-draft-status]"), /draft/);
  await Promise.all([page.waitForNavigation(), page.click("button:has-text('Save the contact')")]);
  assert.match(page.url(), /saved=contact/);
  await page.goto(form);
  await page.waitForTimeout(500);
  assert.equal(await page.inputValue("#discussion"), "", "a saved draft is forgotten");
  await ctx.close();
});

test("an officer's unsaved contact is never shown to a colleague on the same computer", async () => {
  const ctx = await browser.newContext({ viewport: { width: 1024, height: 800 } });
  const page = await ctx.newPage();
  const openContactForm = async () => {
    await page.click("text=FL-2026-00001");
    await page.click("text=Log a contact");
  };
  await signInByKeyboard(page, portal.address, DEMO.officer);
  await openContactForm();
  const words = "Helen said in confidence that her son has been threatened.";
  await page.fill("#discussion", words);
  await page.waitForFunction(() => document.querySelector("[data-draft-status]").textContent.length > 0);
  await page.click("header button:has-text('Sign out')");
  await page.waitForSelector("dialog[data-draft-dialog][open]");
  await assertAccessible(page, "the unsaved-draft question");
  await Promise.all([page.waitForNavigation(), page.click("dialog [data-draft-choice=keep]")]);

  // The deputy FLO of the same case signs in on the same browser.
  await signInByKeyboard(page, portal.address, DEMO.officer2);
  await openContactForm();
  await page.waitForTimeout(500);
  assert.equal(await page.inputValue("#discussion"), "", "a colleague's draft is not put back");
  assert.ok(!(await page.evaluate(() => JSON.stringify(localStorage))).includes("threatened"), "kept in the clear");
  await Promise.all([page.waitForNavigation(), page.click("header button:has-text('Sign out')")]);

  await signInByKeyboard(page, portal.address, DEMO.officer);
  await openContactForm();
  await page.waitForFunction((text) => document.querySelector("#discussion").value === text, words);
  await ctx.close();
});

test("a manager's case pages and forms pass axe-core", async () => {
  const ctx = await browser.newContext({ viewport: { width: 1024, height: 800 } });
  const page = await ctx.newPage();
  await signInByKeyboard(page, portal.address, DEMO.manager);
  await page.goto(portal.address + "/staff/cases");
  await assertAccessible(page, "case list");
  await page.click("text=FL-2026-00001");
  const caseUrl = page.url().split("?")[0];
  for (const path of ["", "/follow-ups/new", "/updates/new", "/relatives/new", "/assignments/new", "/property", "/manage",
    "/milestones", "/agencies", "/entitlements"]) {
    await page.goto(caseUrl + path);
    await assertAccessible(page, path || "case page");
  }
  // A referral accepted without consent is shown again with the error beside the box.
  await page.goto(caseUrl + "/entitlements");
  await page.selectOption("#referral_relative_id", { label: "Helen Fenwick" });
  await page.fill("#referral_organisation", "Brake");
  await page.selectOption("#referral_outcome", "accepted");
  await Promise.all([page.waitForNavigation(), page.click("button:has-text('Record the referral')")]);
  assert.match(await page.textContent(".error-summary"), /consent/);
  assert.equal(await page.inputValue("#referral_organisation"), "Brake", "what was typed is kept");
  await assertAccessible(page, "entitlements with an error");
  // Operation Hawthorn spans two teams: the other team's case shows by reference and team.
  await page.goto(portal.address + "/staff/operations");
  await assertAccessible(page, "operations");
  await Promise.all([page.waitForNavigation(), page.click("text=Operation Hawthorn")]);
  assert.match(await page.textContent("main"), /FL-2026-00006/);
  assert.match(await page.textContent("main"), /Hillcrest Family Liaison Unit/);
  assert.doesNotMatch(await page.textContent("main"), /Kieran Oddie/, "a case of another team shows no name");
  await assertAccessible(page, "an operation across two teams");
  await page.goto(portal.address + "/staff/cases/new");
  await assertAccessible(page, "open a case");
  await Promise.all([page.waitForNavigation(), page.click("button:has-text('Open the case')")]);
  assert.match(await page.textContent(".error-summary"), /Enter a name/);
  await assertAccessible(page, "open a case with errors");
  await ctx.close();
});

test("the timeliness dashboard passes axe-core and fits a phone, charts and all", async () => {
  for (const width of [360, 1024]) {
    const ctx = await browser.newContext({ viewport: { width, height: 800 } });
    const page = await ctx.newPage();
    await signInByKeyboard(page, portal.address, DEMO.manager);
    await page.goto(portal.address + "/staff/dashboard");
    assert.match(await page.textContent("h1"), /Timeliness/);
    assert.equal(await page.locator("svg.chart").count(), 6, "a chart per measure");
    assert.match(await page.textContent("section[aria-labelledby=concerns] table"), /Acknowledged .*, not answered/,
      "the demo family's open concern is listed");
    await assertAccessible(page, `dashboard at ${width} px`);
    assert.equal(await scrollsSideways(page), false, `no sideways scroll at ${width} px`);
    await page.goto(portal.address + "/staff/dashboard?from=2026-11-20&to=2026-11-01");
    assert.match(await page.textContent(".error-message"), /after it ends/);
    await assertAccessible(page, `dashboard with an error at ${width} px`);
    await ctx.close();
  }
});
