// Starts the real liaison binary on a fresh SQLite file with the demo data, and a headless
// Debian Chromium driven by playwright-core. Never downloads a browser.
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { createInterface } from "node:readline";
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

export async function startPortal() {
  const bin = process.env.LIAISON_BIN || join(root, "target", "debug", "liaison");
  const dir = mkdtempSync(join(tmpdir(), "liaison-browser-"));
  const child = spawn(bin, ["serve", "--demo"], {
    cwd: dir,
    env: { ...portalEnv(), LIAISON_BIND: "127.0.0.1:0", LIAISON_LOG_LEVEL: "warn", LIAISON_DATA_DIR: join(dir, "data") },
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
