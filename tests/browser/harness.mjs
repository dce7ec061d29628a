// Starts the real liaison binary on a fresh SQLite file with the demo data, and a headless
// Debian Chromium driven by playwright-core. Never downloads a browser.
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { createInterface } from "node:readline";
import assert from "node:assert/strict";
import { chromium } from "playwright-core";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..", "..");
const axeSource = readFileSync(join(here, "node_modules", "axe-core", "axe.min.js"), "utf8");

export const DEMO = {
  officer: ["officer@demo.liaison.test", "demo-officer-password"],
  officer2: ["officer2@demo.liaison.test", "demo-officer2-password"],
  manager: ["manager@demo.liaison.test", "demo-manager-password"],
  admin: ["admin@demo.liaison.test", "demo-admin-password"],
};

/** The environment without this harness's own LIAISON_* variables (the portal refuses
 * settings it does not know, as it should). */
function portalEnv() {
  const env = { ...process.env };
  for (const key of Object.keys(env)) {
    if (key.startsWith("LIAISON_")) delete env[key];
  }
  return env;
}

export async function startPortal(settings = {}) {
  const bin = process.env.LIAISON_BIN || join(root, "target", "debug", "liaison");
  const dir = mkdtempSync(join(tmpdir(), "liaison-browser-"));
  const child = spawn(bin, ["serve", "--demo"], {
    cwd: dir,
    env: { ...portalEnv(), LIAISON_BIND: "127.0.0.1:0", LIAISON_LOG_LEVEL: "warn", LIAISON_DATA_DIR: join(dir, "data"), ...settings },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const address = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("liaison did not start in 60 s")), 60000);
    const lines = createInterface({ input: child.stdout });
    lines.on("line", (line) => {
      const m = line.match(/^Liaison is running at (\S+?)\/? /);
      if (m) { clearTimeout(timer); resolve(m[1]); }
    });
    child.on("exit", (code) => reject(new Error(`liaison exited with ${code}`)));
  });
  return { address, dataDir: join(dir, "data"), stop: () => child.kill("SIGTERM") };
}

export async function startBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
      "--no-first-run", "--disable-sync", "--disable-quic"],
  });
}

/** Runs axe-core with the WCAG 2.x A and AA rules and returns the violations. */
export async function axe(page) {
  // Injected through the DevTools protocol, so the page's own strict CSP stays in force.
  await page.evaluate(axeSource);
  return page.evaluate(async () => {
    const result = await window.axe.run(document, {
      runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"] },
    });
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => n.target.join(" ")) }));
  });
}

/** True when the page is wider than the viewport (horizontal scrolling). */
export async function scrollsSideways(page) {
  return page.evaluate(() => document.documentElement.scrollWidth > document.documentElement.clientWidth);
}

/** Signs in through the form using only the keyboard. */
export async function signInByKeyboard(page, address, [email, password]) {
  await page.goto(`${address}/staff/login`);
  await page.keyboard.press("Tab"); // skip link
  let focused = await page.evaluate(() => document.activeElement.textContent.trim());
  if (focused !== "Skip to main content") throw new Error(`first Tab should reach the skip link, got ${focused}`);
  // Tab until the email field has focus.
  for (let i = 0; i < 10; i++) {
    await page.keyboard.press("Tab");
    if (await page.evaluate(() => document.activeElement.id) === "email") break;
  }
  await page.keyboard.type(email);
  await page.keyboard.press("Tab");
  await page.keyboard.type(password);
  await Promise.all([page.waitForNavigation(), page.keyboard.press("Enter")]);
}

/** Presses Tab until the focused element satisfies `matches` (evaluated in the page). */
export async function tabTo(page, matches, what, max = 80) {
  for (let i = 0; i < max; i++) {
    await page.keyboard.press("Tab");
    if (await page.evaluate(matches)) return;
  }
  throw new Error(`could not reach ${what} with the Tab key`);
}

/** The plain-text part of an .eml file, decoded. */
export function plainText(eml) {
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

/** Waits for a sign-in e-mail to `address` not read before, and returns its link. */
export async function mailLink(portal, address) {
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
  throw new Error(`no new sign-in e-mail for ${address}`);
}
const seen = new Set();

/** Asks for a sign-in link as a relative, with the keyboard, and follows it from the e-mail;
 * `shared` ticks "this is a shared or public device" on the link page. */
export async function familySignIn(portal, page, email, { shared = false } = {}) {
  await page.goto(`${portal.address}/family/sign-in`);
  await page.focus("#email");
  await page.keyboard.type(email);
  await Promise.all([page.waitForNavigation(), page.keyboard.press("Enter")]);
  assert.match(await page.textContent("h1"), /Check your email|Gwiriwch eich e-bost/);
  const link = await mailLink(portal, email);
  await page.goto(`${portal.address}${link}`);
  if (shared) { await page.check("#shared"); }
  await page.focus("main button[type=submit]");
  await Promise.all([page.waitForNavigation(), page.keyboard.press("Enter")]);
  assert.equal(new URL(page.url()).pathname, "/family");
}
