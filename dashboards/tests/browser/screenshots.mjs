// The README's screenshots: the dashboard, a report with its drill drawer open, and the dashboard at phone
// width, from a running server (LOUPE_URL) signed in as LOUPE_USER / LOUPE_PASSWORD, into LOUPE_SHOTS.
import { join } from "node:path";
import { launch, newPage, signIn } from "./lib.mjs";

const out = process.env.LOUPE_SHOTS || "docs/screenshots";
const [user, password] = [process.env.LOUPE_USER || "owner", process.env.LOUPE_PASSWORD];
if (!password) throw new Error("LOUPE_PASSWORD: the password of LOUPE_USER");

const browser = await launch();
try {
  const page = await newPage(browser);
  await signIn(page, user, password);
  await page.waitForSelector("#sales-chart[data-drawn=true]");
  await page.screenshot({ path: join(out, "dashboard.png"), fullPage: true });

  await page.goto(new URL("/reports/ar_aging", page.url()).href);
  await page.waitForSelector("#report-chart[data-drawn=true]");
  // the 91+ total: the invoices behind the oldest bucket
  const head = await page.locator("main table.report thead th").allTextContents();
  await page.locator("main table.report tfoot td").nth(head.findIndex((h) => h.trim() === "91+")).locator("a").click();
  await page.waitForSelector("#drawer.open .drawer-content");
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.waitForTimeout(250);
  await page.screenshot({ path: join(out, "report-drawer.png") });

  const phone = await newPage(browser, { width: 375, height: 812 });
  await phone.context().addCookies(await page.context().cookies());
  await phone.goto(new URL("/", page.url()).href);
  await phone.waitForSelector("#sales-chart[data-drawn=true]");
  await phone.screenshot({ path: join(out, "dashboard-phone.png"), fullPage: true });
  const errors = [...page.errors, ...phone.errors];
  if (errors.length) throw new Error("script errors: " + errors.join("; "));
} finally {
  await browser.close();
}
console.log(`screenshots written to ${out}`);
