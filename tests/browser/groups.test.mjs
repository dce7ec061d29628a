// Family groups and a restricted relative in a real browser. The demo's separated parents
// (Samuel and Ruth Oyelaran) are two family groups; staff write to each through the pages;
// each parent reads every family page and calendar file and finds only their own group's
// words. On another case a relative who wrote to the team is restricted by the manager: their
// session ends, and the rest of the family no longer sees them. Staff pages pass axe-core.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startPortal, startBrowser, axe, signInByKeyboard, familySignIn, DEMO } from "./harness.mjs";

let portal, browser;
before(async () => { portal = await startPortal(); browser = await startBrowser(); });
after(async () => { await browser?.close(); portal?.stop(); });

const SAMUEL = "samuel.oyelaran@demo.liaison.test";
const RUTH = "ruth.oyelaran@demo.liaison.test";
const HELEN = "helen.fenwick@demo.liaison.test";
const JOE = "joe.fenwick@demo.liaison.test";
const PAGES = ["/family", "/family/timeline", "/family/contacts", "/family/appointments", "/family/property",
  "/family/messages", "/family/notices", "/family/preferences"];

async function assertAccessible(page, label) {
  const violations = await axe(page);
  assert.deepEqual(violations, [], `${label}: ${JSON.stringify(violations, null, 2)}`);
}

/** A relative signed in, in a browser of their own. */
async function relative(email) {
  const ctx = await browser.newContext({ viewport: { width: 390, height: 800 } });
  const page = await ctx.newPage();
  await familySignIn(portal, page, email);
  return { ctx, page };
}

/** Every family page and calendar file the relative can reach, as lower-case text. */
async function crawl(page) {
  let seen = "";
  for (const path of PAGES) {
    const res = await page.goto(`${portal.address}${path}`);
    assert.equal(res.status(), 200, path);
    seen += await page.content();
  }
  await page.goto(`${portal.address}/family/appointments`);
  for (const href of await page.$$eval('a[href$=".ics"]', (as) => as.map((a) => a.getAttribute("href")))) {
    const res = await page.request.get(`${portal.address}${href}`);
    assert.equal(res.status(), 200, href);
    seen += await res.text();
  }
  return seen.toLowerCase();
}

/** The staff page of a case, found from the case list by its reference. */
async function openCase(page, reference) {
  await page.goto(`${portal.address}/staff/cases`);
  await Promise.all([page.waitForNavigation(), page.click(`a:has-text("${reference}")`)]);
  return new URL(page.url()).pathname;
}

test("separated parents each read only their own group's messages, on every page", async () => {
  const staff = await browser.newContext({ viewport: { width: 1024, height: 900 } });
  const s = await staff.newPage();
  await signInByKeyboard(s, portal.address, DEMO.officer);
  const casePath = await openCase(s, "FL-2026-00003");
  await s.goto(`${portal.address}${casePath}/messages`);
  await assertAccessible(s, "messages with a group choice");
  for (const [group, words] of [["Father", "A note for the father, bonly."], ["Mother and stepfather", "A note for the mother, aonly."]]) {
    await s.selectOption("#family_group_id", { label: group });
    await s.fill("#body", words);
    await Promise.all([s.waitForNavigation(), s.click('main form button:has-text("Send to the family")')]);
    assert.match(await s.textContent("main"), /Sent\./);
  }
  // Without a group chosen, the page explains and keeps what was typed.
  await s.fill("#body", "Which group is this for?");
  await Promise.all([s.waitForNavigation(), s.click('main form button:has-text("Send to the family")')]);
  assert.match(await s.textContent(".error-summary"), /more than one family group/);
  assert.equal(await s.inputValue("#body"), "Which group is this for?");
  await assertAccessible(s, "messages with an error");
  await staff.close();

  const samuel = await relative(SAMUEL);
  const fromSamuel = await crawl(samuel.page);
  assert.ok(fromSamuel.includes("a note for the father, bonly."), "Samuel reads his group's message");
  assert.ok(!fromSamuel.includes("aonly") && !fromSamuel.includes("ruth oyelaran"), "Samuel reaches nothing of Ruth's group");
  await samuel.ctx.close();
  const ruth = await relative(RUTH);
  const fromRuth = await crawl(ruth.page);
  assert.ok(fromRuth.includes("a note for the mother, aonly."), "Ruth reads her group's message");
  assert.ok(!fromRuth.includes("bonly") && !fromRuth.includes("samuel oyelaran"), "Ruth reaches nothing of Samuel's group");
  await ruth.ctx.close();
});

test("a restricted relative is signed out and disappears from what the family sees", async () => {
  const staff = await browser.newContext({ viewport: { width: 1024, height: 900 } });
  const s = await staff.newPage();
  await signInByKeyboard(s, portal.address, DEMO.manager);
  const casePath = await openCase(s, "FL-2026-00001");
  await Promise.all([s.waitForNavigation(), s.click('a:has-text("Change details or portal access"):has-text("Joe Fenwick")')]);
  const joePath = new URL(s.url()).pathname;
  await Promise.all([s.waitForNavigation(), s.click('form[action$="/invite"] button')]);

  const joe = await relative(JOE);
  await joe.page.goto(`${portal.address}/family/messages`);
  await joe.page.check("#category-question");
  await joe.page.fill("#body", "Joe asks something, ronly.");
  await Promise.all([joe.page.waitForNavigation(), joe.page.click('main form button[type=submit]')]);
  const helen = await relative(HELEN);
  await helen.page.goto(`${portal.address}/family/messages`);
  assert.ok((await helen.page.textContent("main")).includes("Joe asks something, ronly."), "before: the same group's message");

  await s.goto(`${portal.address}${joePath}`);
  await s.click('summary:has-text("Restrict this relative")');
  await s.fill("#restrict-reason", "Named in the investigation");
  await Promise.all([s.waitForNavigation(), s.click('form[action$="/restrict"] button')]);
  assert.match(await s.textContent("section[aria-labelledby=restriction]"), /Restricted since/);
  await assertAccessible(s, "a restricted relative's page");
  // The forms that share with the family warn.
  await s.goto(`${portal.address}${casePath}/updates/new`);
  assert.match(await s.textContent("main"), /A relative on this case is restricted/);
  await assertAccessible(s, "the update form with the warning");
  await staff.close();

  const res = await joe.page.goto(`${portal.address}/family/messages`);
  assert.equal(new URL(joe.page.url()).pathname, "/family/sign-in", `Joe is signed out (${res.status()})`);
  const fromHelen = await crawl(helen.page);
  assert.ok(!fromHelen.includes("ronly") && !fromHelen.includes("joe fenwick"), "Helen no longer sees Joe");
  await joe.ctx.close();
  await helen.ctx.close();
});
