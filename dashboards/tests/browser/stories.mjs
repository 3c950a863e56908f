// Loupe's pages as people use them, in Debian's chromium: run by api/tests/it/browser.rs against a server over
// the two-shop books of api/tests/it/serve.rs (Carat & Co: Main Street and The Mall; Other Gems apart), in order
// (the last story records a sale).
//
// Carat & Co by hand: invoice 1 (Main Street) 6,200.00 + 6 % = 6,572.00 and invoice 2 (The Mall) 2 × 180.00 + 6 %
// = 381.60, both to Ann Lee, unpaid, dated in January: AR 6,953.60, all of it 91+ days old.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BASE, api, launch, newPage, pdfText, shown, signIn, tableOf, xlsxRows } from "./lib.mjs";

let browser;
const shots = process.env.LOUPE_SHOTS;

before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

async function figures(page) {
  await page.waitForSelector("#figures[data-ready]");
  await page.waitForSelector("#sales-chart[data-drawn=true]");
  const text = async (id) => (await page.getByTestId(id).textContent()).trim();
  return { text };
}

describe("an owner", () => {
  test("signs in and sees counters that are the reports' totals", async () => {
    const page = await newPage(browser);
    await signIn(page, "olivia", "owner-pass-1");
    assert.equal(new URL(page.url()).pathname, "/");
    const f = await figures(page);
    const ar = await api(page, "/api/v1/reports/ar_aging/run");
    assert.equal(await f.text("counter-ar_balance"), shown(ar.totals.cells.net));
    assert.equal(await f.text("counter-ar_balance"), "6,953.60");
    assert.equal(await f.text("part-ar_balance"), `91+ days: ${shown(ar.totals.cells.b4)}`);
    const open = await api(page, "/api/v1/reports/ar_aging/run?view=invoices&bucket=open");
    assert.equal(await f.text("counter-open_invoices"), String(open.row_count));
    const inv = await api(page, "/api/v1/reports/inventory_aging/run");
    assert.equal(await f.text("counter-inventory"), shown(inv.totals.cells.cost));
    const memo = await api(page, "/api/v1/reports/memo_liability/run");
    assert.equal(await f.text("counter-memo_exposure"), shown(memo.totals.cells.cost));
    // a counter opens the report it is the total of, whose footer shows the same figure
    await Promise.all([page.waitForURL(/\/reports\/ar_aging/), page.getByTestId("counter-ar_balance").locator("a").click()]);
    const t = await tableOf(page.locator("table.report"));
    assert.ok(t.foot.includes("6,953.60"), JSON.stringify(t.foot));
    assert.deepEqual(page.errors, []);
  });

  test("drills from a 91+ cell into the invoices behind it, and on into one invoice", async () => {
    const page = await newPage(browser);
    await signIn(page, "olivia", "owner-pass-1", "/reports/ar_aging");
    const t = await tableOf(page.locator("main table.report"));
    const col = t.head.indexOf("91+");
    assert.ok(col > 0, JSON.stringify(t.head));
    const cell = page.locator("main table.report tbody tr").first().locator("td").nth(col).locator("a");
    const value = (await cell.textContent()).trim();
    assert.equal(value, "6,953.60");
    await cell.click();
    await page.waitForSelector("#drawer.open .drawer-content");
    const rows = await tableOf(page.locator("#drawer table.report"));
    const balance = rows.head.indexOf("Balance");
    const sum = rows.rows.reduce((s, r) => s + Math.round(Number(r[balance].replaceAll(",", "")) * 100), 0);
    assert.equal(sum, 695360, "the drawer's rows add up to the cell");
    assert.equal(rows.foot[balance], value);
    // a second level: an invoice's payment history, with the way back in the crumbs
    await page.locator("#drawer tbody tr").first().locator("a[data-drawer]").nth(1).click();
    await page.waitForFunction(() => document.querySelector("#drawer")?.dataset.depth === "2");
    const crumbs = await page.locator("#drawer-crumbs").textContent();
    assert.match(crumbs, /open invoices › .*history/);
    if (shots) await page.screenshot({ path: join(shots, "story-drawer.png") });
    await page.locator("#drawer-crumbs a").first().click();
    await page.waitForFunction(() => document.querySelector("#drawer")?.dataset.depth === "1");
    await page.keyboard.press("Escape");
    assert.equal(await page.locator("#drawer").getAttribute("aria-hidden"), "true");
    assert.deepEqual(page.errors, []);
  });

  test("downloads Excel and PDF of exactly the table on screen", async () => {
    const page = await newPage(browser);
    await signIn(page, "olivia", "owner-pass-1", "/reports/ar_aging?view=invoices&bucket=open");
    const screen = await tableOf(page.locator("main table.report"));
    const dir = mkdtempSync(join(tmpdir(), "loupe-exports-"));
    const save = async (which) => {
      const [d] = await Promise.all([page.waitForEvent("download"), page.locator(`[data-export=${which}]`).click()]);
      const path = join(dir, d.suggestedFilename());
      await d.saveAs(path);
      return path;
    };
    const xlsx = xlsxRows(await save("excel"));
    const header = xlsx.findIndex((r) => r.includes("Invoice") && r.includes("Balance"));
    assert.ok(header >= 0, JSON.stringify(xlsx));
    const body = xlsx.slice(header + 1, header + 1 + screen.rows.length);
    const inv = screen.head.indexOf("Invoice"), bal = screen.head.indexOf("Balance");
    assert.deepEqual(
      body.map((r) => [r[xlsx[header].indexOf("Invoice")], shown(Number(r[xlsx[header].indexOf("Balance")]).toFixed(2))]),
      screen.rows.map((r) => [r[inv], r[bal]]),
    );
    const pdf = pdfText(await save("pdf"));
    for (const r of screen.rows) {
      assert.ok(pdf.includes(r[inv]) && pdf.includes(r[bal]), `${r[inv]} ${r[bal]} in the PDF`);
    }
    assert.ok(pdf.includes(screen.foot[bal]), "the total in the PDF");
  });

  test("pasting another org's link shows not found", async () => {
    const page = await newPage(browser);
    await signIn(page, "olivia", "owner-pass-1");
    for (const path of ["/reports/ar_aging?view=history&invoice=3", "/?scope=3", "/reports/ar_aging?customer=4"]) {
      const r = await page.goto(BASE + path);
      assert.equal(r.status(), 404, path);
      await page.getByText("Not found").first().waitFor();
      assert.ok(!(await page.content()).includes("Zoe"), path);
    }
  });

  test("whose session ended signs in again and is back on the page", async () => {
    const page = await newPage(browser);
    await signIn(page, "olivia", "owner-pass-1", "/reports/ar_aging?view=invoices");
    // the session ends on the server (as on expiry or revocation) while the browser still holds its cookie
    const held = await page.context().cookies();
    const r = await page.request.delete(BASE + "/api/v1/session");
    assert.equal(r.status(), 204);
    await page.context().addCookies(held);
    await page.reload();
    assert.equal(new URL(page.url()).pathname, "/sign-in");
    await page.getByText("Your session ended").waitFor();
    await page.fill("#username", "olivia");
    await page.fill("#password", "owner-pass-1");
    await Promise.all([page.waitForURL(/\/reports\/ar_aging\?view=invoices/), page.click("button[type=submit]")]);
    await page.locator("main table.report").waitFor();
  });
});

describe("a salesperson of The Mall", () => {
  test("sees only The Mall, in the switcher, the counters and every report", async () => {
    const page = await newPage(browser);
    await signIn(page, "sam", "sales-pass-1");
    const options = await page.locator("#scope-select option").allTextContents();
    assert.deepEqual(options.map((o) => o.trim()), ["All my stores", "MALL — The Mall"]);
    await page.waitForSelector("#figures[data-ready]");
    const html = await page.locator("#figures").innerHTML();
    assert.ok(!html.includes("6,572.00") && !html.includes("6,953.60"), "no Main Street figure");
    await page.goto(BASE + "/reports");
    const reports = await page.locator("[data-report]").evaluateAll((as) => as.map((a) => a.getAttribute("href")));
    assert.ok(reports.length > 0);
    for (const href of reports) {
      const r = await page.goto(BASE + href);
      assert.equal(r.status(), 200, href);
      const text = await page.locator("main").textContent();
      assert.ok(!text.includes("Main Street") && !text.includes("6,572.00"), `${href} shows Main Street`);
    }
  });
});

describe("an owner's reports by email", () => {
  test("previews a subscription, saves it, sends it now and sees it in the delivery log", async () => {
    const page = await newPage(browser);
    await signIn(page, "olivia", "owner-pass-1", "/subscriptions");
    const form = page.getByTestId("new-subscription");
    await form.locator("#s-name").fill("Monday AR");
    await form.locator("input[name=report][value=ar_aging]").check();
    await form.locator("input[name=format][value=html]").check();
    // Sam has no address: said by name, nothing kept
    await form.locator("#s-to").fill("sam");
    await Promise.all([page.waitForLoadState("load"), form.getByRole("button", { name: "Preview" }).click()]);
    assert.match(await page.getByTestId("error").textContent(), /has no email address/);
    await page.getByTestId("new-subscription").locator("#s-to").fill("books@carat.example");
    await Promise.all([page.waitForLoadState("load"), page.getByTestId("new-subscription").getByRole("button", { name: "Preview" }).click()]);
    // the preview is the mail as it would go now: the report's title and date, the receivable's total
    const subject = (await page.getByTestId("preview-subject").textContent()).trim();
    assert.match(subject, /^AR aging — .* — as of \d{4}-\d{2}-\d{2}$/);
    const body = await page.frameLocator("iframe.mail-body").locator("body").textContent();
    assert.ok(body.includes("6,953.60") && body.includes("Carat & Co"), body);
    if (shots) {
      await page.screenshot({ path: join(shots, "subscriptions-form.png"), fullPage: true });
      await page.getByTestId("preview").screenshot({ path: join(shots, "subscriptions-preview.png") });
    }
    await Promise.all([page.waitForURL(/made=/), page.getByTestId("new-subscription").getByRole("button", { name: "Save" }).click()]);
    const row = page.locator("[data-testid=subscriptions] tbody tr", { hasText: "Monday AR" });
    assert.match(await row.textContent(), /0 7 \* \* 1 \(UTC\)/);
    assert.match(await row.textContent(), /never sent/);
    await Promise.all([page.waitForURL(/sent=/), row.getByRole("button", { name: "Send now" }).click()]);
    assert.match(await page.getByTestId("notice").textContent(), /Sending "Monday AR" now/);
    // the run goes on in the background: the log shows it sent
    for (let i = 0; i < 50; i++) {
      if ((await page.getByTestId("deliveries").textContent()).includes("books@carat.example")) break;
      await page.waitForTimeout(200);
      await page.reload();
    }
    const last = (await page.getByTestId("deliveries").locator("tbody tr").first().locator("td").allTextContents()).map((t) => t.trim());
    assert.equal(last[1], "Monday AR");
    assert.equal(last[2], "sent", JSON.stringify(last));
    assert.equal(last[4], "books@carat.example");
    assert.match(last[5], /^AR aging \(as_of \d{4}-\d{2}-\d{2}, /, "the report as run, its date resolved");
    assert.match(await page.locator("[data-testid=subscriptions] tbody tr", { hasText: "Monday AR" }).textContent(), /sent/);
    if (shots) await page.screenshot({ path: join(shots, "subscriptions.png"), fullPage: true });
    // paused and resumed from the list
    await Promise.all([page.waitForURL(/paused=/), page.locator("[data-testid=subscriptions] tbody tr", { hasText: "Monday AR" }).getByRole("button", { name: "Pause" }).click()]);
    assert.match(await page.locator("[data-testid=subscriptions] tbody tr", { hasText: "Monday AR" }).textContent(), /paused by Olivia Stone/);
    await Promise.all([page.waitForURL(/resumed=/), page.locator("[data-testid=subscriptions] tbody tr", { hasText: "Monday AR" }).getByRole("button", { name: "Resume" }).click()]);
    // changed: the form comes filled; a PDF on weekdays instead
    await Promise.all([page.waitForURL(/edit=/), page.locator("[data-testid=subscriptions] tbody tr", { hasText: "Monday AR" }).getByRole("link", { name: "Edit" }).click()]);
    const edit = page.getByTestId("new-subscription");
    assert.equal(await edit.locator("#s-to").inputValue(), "books@carat.example");
    assert.ok(await edit.locator("input[name=report][value=ar_aging]").isChecked());
    await edit.locator("input[name=format][value=pdf]").check();
    await edit.locator("#s-cron").fill("30 6 * * 1-5");
    // a second report, each with a parameter of its own
    await edit.locator("input[name=report][value=gross_profit]").check();
    const own = "ar_aging.as_of=yesterday\ngross_profit.period=last_month";
    await edit.locator("#s-params").fill(own);
    await Promise.all([page.waitForURL(/changed=/), edit.getByRole("button", { name: "Save" }).click()]);
    const changed = await page.locator("[data-testid=subscriptions] tbody tr", { hasText: "Monday AR" }).textContent();
    assert.match(changed, /pdf/);
    assert.match(changed, /30 6 \* \* 1-5/);
    assert.match(changed, /AR aging, Gross profit/);
    // opened again, each report's parameter is where it was put
    await Promise.all([page.waitForURL(/edit=/), page.locator("[data-testid=subscriptions] tbody tr", { hasText: "Monday AR" }).getByRole("link", { name: "Edit" }).click()]);
    assert.equal(await page.getByTestId("new-subscription").locator("#s-params").inputValue(), own);
    if (shots) await page.screenshot({ path: join(shots, "subscriptions-edit.png"), fullPage: true });
    assert.deepEqual(page.errors, []);
  });
});

describe("at a counter", () => {
  test("the dashboard fits a phone and refreshes itself when a sale lands", async () => {
    const page = await newPage(browser, { width: 375, height: 812 });
    await signIn(page, "olivia", "owner-pass-1");
    const f = await figures(page);
    const wide = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(wide <= 375, `the page is ${wide}px wide at 375`);
    if (shots) await page.screenshot({ path: join(shots, "story-phone.png"), fullPage: true });
    // a sale at The Mall: 180.00 + 6 % = 190.80 more owed
    const sale = await page.request.post(BASE + "/api/v1/ops/create_invoice", {
      data: { store_id: 2, customer_id: 2, lines: [{ kind: "sale", item_id: 3, qty: 1, unit_price: "180.00" }], finalize: true },
    });
    assert.equal(sale.status(), 200, await sale.text());
    await page.waitForFunction(
      () => document.querySelector("[data-testid=counter-ar_balance]")?.textContent.trim() === "7,144.40",
      null,
      { timeout: 20000 },
    );
    assert.equal(await f.text("counter-ar_balance"), "7,144.40");
    assert.deepEqual(page.errors, []);
  });
});
