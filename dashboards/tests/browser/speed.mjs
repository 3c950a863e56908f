// How fast the pages are, in Debian's chromium against a running server (LOUPE_URL, signed in as LOUPE_USER /
// LOUPE_PASSWORD): the dashboard ready (every counter and the chart drawn) after navigation, each core report's
// page beside the same run through the API, a drill drawer opening — medians of LOUPE_ROUNDS (10) — and the
// dashboard's weight on a first visit (bytes over the wire, compressed, and requests). Prints a Markdown table
// for docs/BENCHMARKS.md.
import { BASE, launch, newPage, signIn } from "./lib.mjs";

const rounds = Number(process.env.LOUPE_ROUNDS || 10);
const [user, password] = [process.env.LOUPE_USER || "owner", process.env.LOUPE_PASSWORD];
if (!password) throw new Error("LOUPE_PASSWORD: the password of LOUPE_USER");
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor((s.length - 1) / 2)]; };
const ms = (x) => `${x.toFixed(0)} ms`;

const browser = await launch();
try {
  // a first visit: nothing cached
  const first = await newPage(browser);
  await signIn(first, user, password);
  await first.waitForSelector("#figures[data-ready]");
  await first.waitForSelector("#sales-chart[data-drawn=true]");
  const weight = await first.evaluate(() => {
    const all = [...performance.getEntriesByType("navigation"), ...performance.getEntriesByType("resource")];
    return { bytes: all.reduce((s, e) => s + (e.transferSize || 0), 0), requests: all.length };
  });

  // the dashboard, again and again: navigation start to every counter and the chart drawn
  const dash = [];
  for (let i = 0; i < rounds; i++) {
    await first.goto(BASE + "/");
    await first.waitForSelector("#figures[data-ready]");
    await first.waitForSelector("#sales-chart[data-drawn=true]");
    dash.push(await first.evaluate(() => performance.now()));
  }

  // each core report's page (load event) beside the same view through the API
  const reports = ["ar_aging", "memo_aging", "memo_liability", "memo_conversion", "inventory_valuation",
    "inventory_aging", "gross_profit", "pricing_realization", "rfm"];
  const rows = [];
  for (const id of reports) {
    const page = [], apiTimes = [], served = [], shown = [];
    for (let i = 0; i < rounds; i++) {
      await first.goto(`${BASE}/reports/${id}`);
      const t = await first.evaluate(() => {
        const n = performance.getEntriesByType("navigation")[0];
        return { served: n.responseEnd - n.requestStart, shown: n.domContentLoadedEventEnd, load: n.loadEventEnd };
      });
      page.push(t.load);
      served.push(t.served);
      shown.push(t.shown);
      const t0 = Date.now();
      const r = await first.request.get(`${BASE}/api/v1/reports/${id}/run?limit=200`);
      await r.body();
      apiTimes.push(Date.now() - t0);
    }
    rows.push([id, median(apiTimes), median(served), median(shown), median(page)]);
  }

  // a drawer: AR aging's 91+ total opened, rows drawn
  const drawer = [];
  for (let i = 0; i < rounds; i++) {
    await first.goto(BASE + "/reports/ar_aging");
    const head = await first.locator("main table.report thead th").allTextContents();
    const cell = first.locator("main table.report tfoot td").nth(head.findIndex((h) => h.trim() === "91+")).locator("a");
    const t0 = Date.now();
    await cell.click();
    await first.waitForSelector("#drawer.open .drawer-content table");
    drawer.push(Date.now() - t0);
  }

  console.log(`dashboard ready: median ${ms(median(dash))} of ${rounds} (min ${ms(Math.min(...dash))}, max ${ms(Math.max(...dash))})`);
  console.log(`dashboard, first visit: ${(weight.bytes / 1024).toFixed(0)} KiB over the wire in ${weight.requests} requests`);
  console.log(`drawer open (AR aging 91+): median ${ms(median(drawer))}`);
  console.log("\n| report | API run (200 rows) | page served | page shown (DOMContentLoaded) | page loaded (chart drawn) | loaded − API |");
  console.log("|---|---:|---:|---:|---:|---:|");
  for (const [id, a, sv, sh, p] of rows) console.log(`| ${id} | ${ms(a)} | ${ms(sv)} | ${ms(sh)} | ${ms(p)} | ${ms(p - a)} |`);
  if (first.errors.length) throw new Error("script errors: " + first.errors.join("; "));
} finally {
  await browser.close();
}
