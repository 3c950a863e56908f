// What the browser stories share: Debian's chromium through playwright-core, signing in as a person does, the
// API's answers through the same session, and reading exports back with real readers.
import { chromium } from "playwright-core";
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";

export const BASE = process.env.LOUPE_URL || "http://127.0.0.1:8080";

/// Debian's chromium, headless, with nothing reaching the network on its own.
export async function launch() {
  const executablePath = process.env.CHROMIUM || ["/usr/bin/chromium", "/usr/bin/chromium-browser"].find(existsSync);
  if (!executablePath) throw new Error("no chromium: scripts/browser-setup.sh installs Debian's");
  return chromium.launch({
    executablePath,
    args: [
      "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync",
    ],
  });
}

/// A fresh page (its own cookies) that fails the story on any script error.
export async function newPage(browser, viewport = { width: 1360, height: 900 }) {
  const context = await browser.newContext({ viewport, acceptDownloads: true });
  const page = await context.newPage();
  page.errors = [];
  page.on("pageerror", (e) => page.errors.push(String(e)));
  page.on("console", (m) => { if (m.type() === "error") page.errors.push(m.text()); });
  return page;
}

/// Signs in on the sign-in page the app sends an unsigned visitor to; lands where `path` leads.
export async function signIn(page, username, password, path = "/") {
  await page.goto(BASE + path);
  await page.waitForSelector("#username");
  await page.fill("#username", username);
  await page.fill("#password", password);
  await Promise.all([page.waitForURL((u) => !u.pathname.startsWith("/sign-in")), page.click("button[type=submit]")]);
}

/// The API's JSON for `path`, asked with the page's own session.
export async function api(page, path) {
  const r = await page.request.get(BASE + path);
  if (!r.ok()) throw new Error(`${path}: ${r.status()} ${await r.text()}`);
  return r.json();
}

/// An exact decimal as the pages show it: thousands separators, two decimals.
export function shown(decimal) {
  const s = String(decimal);
  const [int, frac = "00"] = s.split(".");
  const neg = int.startsWith("-");
  const digits = neg ? int.slice(1) : int;
  return (neg ? "-" : "") + digits.replace(/\B(?=(\d{3})+(?!\d))/g, ",") + "." + frac.padEnd(2, "0");
}

/// The text of every cell of a table on the page: the header, the body rows and the footer.
export async function tableOf(locator) {
  return locator.evaluate((t) => ({
    head: Array.from(t.tHead.rows[0].cells).map((c) => c.textContent.trim()),
    rows: Array.from(t.tBodies[0].rows).map((r) => Array.from(r.cells).map((c) => c.textContent.trim())),
    foot: Array.from(t.tFoot.rows[0].cells).map((c) => c.textContent.trim()),
  }));
}

/// An XLSX file's cells, row by row, as openpyxl reads them (numbers as numbers).
export function xlsxRows(path) {
  const py = `
import json, sys, openpyxl
ws = openpyxl.load_workbook(sys.argv[1], read_only=True).active
print(json.dumps([[c for c in r] for r in ws.iter_rows(values_only=True)], default=str))`;
  return JSON.parse(execFileSync("python3", ["-c", py, path], { encoding: "utf8" }));
}

/// A PDF's text as pdftotext lays it out.
export function pdfText(path) {
  return execFileSync("pdftotext", ["-layout", path, "-"], { encoding: "utf8" });
}
