//! Small books where an independent check found a report or an operation wrong (`tests/cases/*.jsonl`, one
//! journal each), with the figures DESIGN's rules give worked out here by hand.

use anyhow::Result;

use crate::support::{Books, day, footer, m, table};

const AGING_AVERAGE: &str = include_str!("../cases/inventory-aging-average-cost.jsonl");
const TRANSFER_AVERAGE: &str = include_str!("../cases/avg-transfer-cost.jsonl");
const CONVERSION_VOID: &str = include_str!("../cases/memo-conversion-voided-invoice.jsonl");
const REMOVE_CONSIGNED: &str = include_str!("../cases/remove-line-consigned-sale-fk.jsonl");
const REOPEN: &str = include_str!("../cases/reopen-counts-before-refinalize.jsonl");

fn row(cells: &[&str]) -> Vec<String> {
    cells.iter().map(|s| (*s).to_string()).collect()
}

/// Column `i` of every row.
fn column(rows: &[Vec<String>], i: usize) -> Vec<String> {
    rows.iter().map(|r| r[i].clone()).collect()
}

async fn no_stock_differences(books: &Books) -> Result<()> {
    let diffs = oltp::reconcile::inventory(&books.db).await?;
    assert!(diffs.is_empty(), "inventory reconcile: {diffs:?}");
    Ok(())
}

/// Rings R366 (800.00, 2025-06-29), R365 (700.00, 2025-06-30), R91 (600.00, 2026-03-31), R90 (500.00,
/// 2026-04-01); a pearl lot received 4 × 100.00 (2025-01-01), 3 × 120.00 (2025-09-01), 5 × 150.00 (2026-05-01);
/// 2 pearls sold 2026-05-15. As of 2026-06-30 the pearls left are 2 units of the first layer (545 days: 366+),
/// 3 of the second (302 days: 181–365) and 5 of the third (60 days: 0–90).
#[tokio::test]
async fn inventory_aging_values_layers_at_the_average_under_weighted_average() -> Result<()> {
    let books = Books::from_journal(AGING_AVERAGE).await?;
    let at = [("as_of", "2026-06-30")];
    // pool 400 + 360 + 750 = 1,510.00 for 12; the sale takes 1,510 × 2 ÷ 12 = 251.67, leaving 1,258.33 for 10.
    // Layers at the average: 2 → 1,258.33 × 2 ÷ 10 = 251.67; 3 → 377.499 = 377.50; the newest takes the rest,
    // 1,258.33 − 251.67 − 377.50 = 629.16. Buckets: 0–90 R90 500 + 629.16; 91–180 R91 600; 181–365 R365 700 +
    // 377.50; 366+ R366 800 + 251.67.
    let aging = books.run("inventory_aging", "summary", &at).await?;
    assert_eq!(column(&table(&aging), 3), ["1,129.16", "600.00", "1,077.50", "1,051.67", "0.00"]);
    assert_eq!(footer(&aging)[3], "3,858.33");
    let valuation = books.run("inventory_valuation", "summary", &at).await?;
    assert_eq!(column(&table(&valuation), 3), ["2,600.00", "1,258.33"]);
    assert_eq!(aging.total("cost"), valuation.total("cost"));
    no_stock_differences(&books).await?;

    // the same books under FIFO: the sale takes 2 × 100.00 from the oldest layer; the layers keep their own
    // cost: 0–90 500 + 750; 181–365 700 + 360; 366+ 800 + 2 × 100
    let books =
        Books::from_journal(&AGING_AVERAGE.replace(r#""costing_method": "average""#, r#""costing_method": "fifo""#))
            .await?;
    let aging = books.run("inventory_aging", "summary", &at).await?;
    assert_eq!(column(&table(&aging), 3), ["1,250.00", "600.00", "1,060.00", "1,000.00", "0.00"]);
    let valuation = books.run("inventory_valuation", "summary", &at).await?;
    assert_eq!(column(&table(&valuation), 3), ["2,600.00", "1,310.00"]);
    assert_eq!(aging.total("cost"), valuation.total("cost"));
    Ok(())
}

/// Weighted average: BEAD at S3, 9 @ 187.37 + 9 @ 142.63 = 2,970.00 for 18 (165.00 a unit); 2024-03-16 5 go to
/// S2; 2024-03-20 2 scrapped at S3; 2024-05-24 2 go from S3 to S1.
#[tokio::test]
async fn a_transfer_under_weighted_average_moves_the_average_cost() -> Result<()> {
    let books = Books::from_journal(TRANSFER_AVERAGE).await?;
    let by_store = |d: &'static str| [("as_of", d), ("by", "store")];
    let before = books.run("inventory_valuation", "summary", &by_store("2024-03-15")).await?;
    assert_eq!(column(&table(&before), 3), ["2,970.00"]);
    // 2,970.00 × 5 ÷ 18 = 825.00 leaves S3 and reaches S2; S3 keeps 2,145.00 for 13
    let after = books.run("inventory_valuation", "summary", &by_store("2024-03-16")).await?;
    assert_eq!(
        column(&table(&after), 3).into_iter().zip(column(&table(&after), 2)).collect::<Vec<_>>(),
        [("825.00".to_string(), "5".to_string()), ("2,145.00".to_string(), "13".to_string())]
    );
    assert_eq!(before.total("cost"), after.total("cost"));
    // the scrap costs 2,145 × 2 ÷ 13 = 330.00 (1,815.00 for 11 left); the second move 1,815 × 2 ÷ 11 = 330.00
    let later = books.run("inventory_valuation", "summary", &by_store("2024-06-30")).await?;
    assert_eq!(column(&table(&later), 0), ["S1", "S2", "S3"]);
    assert_eq!(column(&table(&later), 3), ["330.00", "825.00", "1,485.00"]);
    assert_eq!(footer(&later)[3], "2,640.00");
    let aging = books.run("inventory_aging", "summary", &[("as_of", "2024-06-30")]).await?;
    assert_eq!(aging.total("cost"), later.total("cost"));
    no_stock_differences(&books).await
}

/// Memo M-000001 (2026-03-01) to mia: line 1 ring RA at 2,000.00, invoiced 2026-03-20, that invoice voided
/// 2026-06-01; line 2 ring RB at 3,000.00, returned 2026-03-25; line 3 5 chains at 35.00, out; line 4 watch at
/// 5,000.00, returned 2026-04-05 and the return reversed 2026-04-20.
#[tokio::test]
async fn memo_conversion_puts_a_voided_invoices_line_back_out() -> Result<()> {
    let books = Books::from_journal(CONVERSION_VOID).await?;
    let march = [("from", "2026-03-01"), ("to", "2026-03-31")];
    // as known today: issued 2,000 + 3,000 + 175 + 5,000 = 10,175.00; nothing invoiced; 3,000.00 returned;
    // lines 1, 3, 4 out = 7,175.00; every ratio 0
    let o = books.run("memo_conversion", "summary", &march).await?;
    assert_eq!(
        table(&o),
        [row(&["mia", "4", "10,175.00", "0.00", "3,000.00", "7,175.00", "0", "1", "3", "0.00%", "0.00%", "0.00%"])]
    );
    // as known on 2026-05-31, before the void: line 1 invoiced; 2,000 ÷ 10,175 = 19.66 %, 1 ÷ 4 = 25 %,
    // resolved 2,000 ÷ (2,000 + 3,000) = 40 %
    let o = books.run("memo_conversion", "summary", &[march[0], march[1], ("as_of", "2026-05-31")]).await?;
    assert_eq!(
        table(&o),
        [row(&[
            "mia",
            "4",
            "10,175.00",
            "2,000.00",
            "3,000.00",
            "5,175.00",
            "1",
            "1",
            "2",
            "19.66%",
            "25.00%",
            "40.00%"
        ])]
    );
    // memo aging agrees: after the void the three lines are out
    let aging = books.run("memo_aging", "summary", &[("as_of", "2026-06-10")]).await?;
    assert_eq!(aging.total("retail"), m("7175.00"));
    Ok(())
}

/// A consigned watch V1 (cost 4,000.00) sold with a gift box on INV-000001 (2024-01-30), the invoice reopened
/// 2024-02-01 and the watch's line removed: the reversed settlement goes with the line, the watch is back in
/// stock for its consignor, and the invoice holds the gift box alone.
#[tokio::test]
async fn removing_a_reopened_consigned_sale_line_takes_its_reversed_settlement() -> Result<()> {
    let books = Books::from_journal(REMOVE_CONSIGNED).await?;
    assert_eq!(books.books_i64("select count(*) as v from consignment_settlements").await?, 0);
    assert_eq!(books.books_i64("select count(*) as v from invoice_lines").await?, 1);
    assert_eq!(books.books_i64("select total_cents as v from invoices where id = 1").await?, 500);
    assert_eq!(books.books_i64("select count(*) as v from items where id = 1 and status = 'in_stock'").await?, 1);
    // the deleted settlement is in the audit log, so it can be told and restored
    assert_eq!(
        books
            .books_i64(
                "select count(*) as v from audit_log where entity = 'consignment_settlements' and action = 'delete'"
            )
            .await?,
        1
    );
    no_stock_differences(&books).await?;

    // a sale line that a return (on an invoice since voided) still names stays on its invoice
    for line in [
        r#"{"op": "receive_item", "org_id": 1, "store_id": 1, "style_id": 2, "stock_no": "R1", "cost": "100.00", "received_on": "2024-01-02"}"#,
        r#"{"op": "create_invoice", "org_id": 1, "store_id": 1, "customer_id": 2, "invoice_date": "2024-03-01", "lines": [{"kind": "sale", "item_id": 2, "unit_price": "300.00"}], "finalize": true}"#,
        r#"{"op": "create_invoice", "org_id": 1, "store_id": 1, "customer_id": 2, "invoice_date": "2024-03-05", "lines": [{"kind": "return", "returned_line_id": 3, "qty": -1}], "finalize": true}"#,
        r#"{"op": "void_invoice", "org_id": 1, "invoice_id": 3, "voided_on": "2024-03-06"}"#,
        r#"{"op": "reopen_invoice", "org_id": 1, "invoice_id": 2, "reopened_on": "2024-03-07"}"#,
    ] {
        books.apply(line).await?;
    }
    let refused = books.apply(r#"{"op": "remove_invoice_line", "org_id": 1, "line_id": 3}"#).await;
    assert_eq!(
        refused.map_err(|e| e.to_string()).err().as_deref(),
        Some("line 3 was returned on invoice INV-000003; a returned sale line stays on its invoice")
    );
    assert_eq!(books.books_i64("select count(*) as v from invoice_lines where id = 3").await?, 1);
    Ok(())
}

/// FIFO: a chain lot received 5 × 10.00 (2026-01-01) and 5 × 20.00 (2026-02-01). 3 go out on memo to Ann on
/// 2026-03-01 (from the oldest layer: 3 × 10.00); 4 sell over the counter to Bob on 2026-03-05 (the units on
/// hand: 2 × 10.00 + 2 × 20.00 = 60.00, not the memo's); Ann's line is invoiced 2026-03-15 at the cost of its
/// own layers (30.00). Another unit goes out 2026-03-20 (layer 2, 20.00) and comes back 2026-03-25.
const FIFO_MEMO: &str = r#"
{"op":"create_org","name":"Test Jewelers","costing_method":"fifo"}
{"op":"create_store","org_id":1,"code":"MAIN","name":"Main Street"}
{"op":"create_contact","org_id":1,"name":"Ann Lee","customer":true,"created_on":"2025-01-01"}
{"op":"create_contact","org_id":1,"name":"Bob Stone","customer":true,"created_on":"2025-01-01"}
{"op":"create_style","org_id":1,"style_no":"C-1","family":"jewelry","category":"chains","description":"Rope chain","serialized":false,"retail_price":"40.00"}
{"op":"receive_stock","org_id":1,"store_id":1,"style_id":1,"qty":5,"cost":"50.00","received_on":"2026-01-01"}
{"op":"receive_stock","org_id":1,"store_id":1,"style_id":1,"qty":5,"cost":"100.00","received_on":"2026-02-01"}
{"op":"issue_memo","org_id":1,"store_id":1,"customer_id":1,"memo_date":"2026-03-01","lines":[{"item_id":1,"qty":3,"memo_price":"35.00"}]}
{"op":"create_invoice","org_id":1,"store_id":1,"customer_id":2,"invoice_date":"2026-03-05","lines":[{"kind":"sale","item_id":1,"qty":4,"unit_price":"40.00"}],"finalize":true}
{"op":"create_invoice","org_id":1,"store_id":1,"customer_id":1,"invoice_date":"2026-03-15","lines":[{"kind":"sale","memo_line_id":1}],"finalize":true}
{"op":"issue_memo","org_id":1,"store_id":1,"customer_id":1,"memo_date":"2026-03-20","lines":[{"item_id":1,"qty":1,"memo_price":"35.00"}]}
{"op":"return_memo_line","org_id":1,"memo_line_id":2,"returned_on":"2026-03-25"}
"#;

#[tokio::test]
async fn a_memo_of_a_fifo_lot_holds_its_oldest_layers_until_it_is_invoiced() -> Result<()> {
    let books = Books::from_journal(FIFO_MEMO).await?;
    // the counter sale costs the units on hand (2 × 10 + 2 × 20), the memo's sale its own 3 × 10
    let costs = books.books_pairs("select cast(id as text) as k, cost_cents as v from invoice_lines".into()).await?;
    assert_eq!(costs.into_values().collect::<Vec<_>>(), [6_000, 3_000]);
    // on 2026-03-10 Ann's 3 units are the memo's layer-1 units: 30.00 (the lot's average then was
    // (150 − 60) ÷ 6 × 3 = 45.00)
    let o = books.run("memo_liability", "lines", &[("as_of", "2026-03-10")]).await?;
    assert_eq!((o.rows, o.total("cost"), o.total("retail")), (1, m("30.00"), m("105.00")));
    // on 2026-03-21 the second memo holds one unit of layer 2: 20.00
    let o = books.run("memo_liability", "lines", &[("as_of", "2026-03-21")]).await?;
    assert_eq!((o.rows, o.total("cost")), (1, m("20.00")));
    // gross profit for March: 160.00 − 60.00 and 105.00 − 30.00
    let o = books
        .run("gross_profit", "summary", &[("from", "2026-03-01"), ("to", "2026-03-31"), ("by", "customer")])
        .await?;
    assert_eq!(column(&table(&o), 0), ["Ann Lee", "Bob Stone"]);
    assert_eq!(o.total("cost"), m("90.00"));
    // what is left: 3 units of layer 2 (60.00), none of them on memo
    let o = books.run("inventory_valuation", "summary", &[("as_of", "2026-03-31")]).await?;
    assert_eq!((o.total("qty"), o.total("cost")), (reports::Value::Count(3), m("60.00")));
    assert_eq!(books.books_i64("select coalesce(sum(qty_on_memo), 0) as v from cost_layers").await?, 0);
    no_stock_differences(&books).await
}

const JUNE: [(&str, &str); 2] = [("from", "2026-06-01"), ("to", "2026-06-30")];

/// `params` with `as_of` added.
fn on<'a>(params: &[(&'a str, &'a str)], as_of: &'a str) -> Vec<(&'a str, &'a str)> {
    params.iter().copied().chain([("as_of", as_of)]).collect()
}

/// AR aging's row for a customer owing `owed`, all of it 0–30 days old.
fn owes(customer: &str, owed: &str) -> Vec<Vec<String>> {
    vec![row(&[customer, owed, "0.00", "0.00", "0.00", owed, "0.00", owed])]
}

/// INV-000001 (xen, S0 untaxed, 2026-06-01): misc 700.00, finalized; reopened 2026-06-05, its line replaced by
/// one of 650.00 and finalized again with no date in a journal run on 2026-06-09, so the new finalization
/// counts from 2026-06-09. As of each date the invoice counts with the finalization in effect then: 700.00
/// on [06-01, 06-05), nothing on [06-05, 06-09), 650.00 from 06-09.
#[tokio::test]
async fn a_reopened_invoice_counts_with_the_finalization_in_effect_on_each_date() -> Result<()> {
    let books = Books::from_journal_on(REOPEN, day("2026-06-09")).await?;
    assert_eq!(books.books_i64("select count(*) as v from invoice_versions").await?, 1);
    // (as of, owed and June revenue — a misc line: zero cost, GP = revenue —, age in days)
    for (as_of, owed) in [
        ("2026-06-04", Some(("700.00", "3"))),
        ("2026-06-05", None),
        ("2026-06-08", None),
        ("2026-06-09", Some(("650.00", "8"))),
    ] {
        let ar = books.run("ar_aging", "summary", &[("as_of", as_of)]).await?;
        let invoices = books.run("ar_aging", "invoices", &[("as_of", as_of)]).await?;
        // June whole (from `sales_month` when it stood on the date, else the lines and versions) and a
        // part-month (the lines and versions alone) agree
        let gp = books.run("gross_profit", "summary", &on(&JUNE, as_of)).await?;
        let part = books
            .run("gross_profit", "summary", &[("from", "2026-06-01"), ("to", "2026-06-15"), ("as_of", as_of)])
            .await?;
        assert_eq!(table(&part), table(&gp), "as of {as_of}");
        match owed {
            Some((x, age)) => {
                assert_eq!(table(&ar), owes("xen", x), "as of {as_of}");
                assert_eq!(
                    table(&invoices),
                    [row(&["xen", "INV-000001", "2026-06-01", "2026-06-01", x, "0.00", "0.00", x, age, "0–30"])]
                );
                assert_eq!(table(&gp), [row(&["sp1", "1", x, "0.00", x, "100.00%", "0.00", x])], "as of {as_of}");
            }
            None => {
                assert!(table(&ar).is_empty() && table(&invoices).is_empty(), "as of {as_of}: {:?}", table(&ar));
                assert!(table(&gp).is_empty(), "as of {as_of}: {:?}", table(&gp));
            }
        }
        assert_eq!(ar.total("net"), m(owed.map_or("0.00", |o| o.0)));
    }
    // as of 06-04 the invoice's history and lines are those of its first finalization, from 06-09 its new ones
    let history = books.run("ar_aging", "history", &[("as_of", "2026-06-04"), ("invoice", "1")]).await?;
    assert_eq!(table(&history), [row(&["2026-06-01", "Invoice", "INV-000001", "700.00", "700.00"])]);
    let history = books.run("ar_aging", "history", &[("as_of", "2026-06-06"), ("invoice", "1")]).await?;
    assert!(table(&history).is_empty());
    for (as_of, price) in [("2026-06-04", "700.00"), ("2026-06-09", "650.00")] {
        let lines = books.run("ar_aging", "lines", &[("as_of", as_of), ("invoice", "1")]).await?;
        assert_eq!(table(&lines), [row(&["1", "misc", "Misc", "1", price, "0.00", price])], "as of {as_of}");
    }
    // RFM: xen is a customer of 700.00 on 06-04, of nothing on 06-06, of 650.00 on 06-09
    for (as_of, monetary) in
        [("2026-06-04", vec![m("700.00")]), ("2026-06-06", vec![]), ("2026-06-09", vec![m("650.00")])]
    {
        let rfm = books.run("rfm", "customers", &[("as_of", as_of)]).await?;
        assert_eq!(rfm.column("monetary"), monetary, "as of {as_of}");
    }
    Ok(())
}

/// The case's org, stores, salesperson sp1, customer xen and styles (RING is style 1, retail 2,500.00), FIFO.
fn preamble() -> String {
    REOPEN.lines().take_while(|l| !l.contains("create_invoice")).map(|l| format!("{l}\n")).collect()
}

/// Rings A (cost 1,000.00) and B (1,200.00), both received 2026-05-01; INV-000001 (xen, sp1, S0 untaxed,
/// 2026-06-10) sells A at 2,000.00 and is reopened 2026-06-12 (A back in stock), A's line removed and B added
/// at 2,300.00.
const RINGS_REOPENED: &str = r#"
{"op": "receive_item", "org_id": 1, "store_id": 1, "style_id": 1, "stock_no": "A", "cost": "1000.00", "received_on": "2026-05-01", "acquired_on": "2026-05-01"}
{"op": "receive_item", "org_id": 1, "store_id": 1, "style_id": 1, "stock_no": "B", "cost": "1200.00", "received_on": "2026-05-01", "acquired_on": "2026-05-01"}
{"op": "create_invoice", "org_id": 1, "store_id": 1, "customer_id": 1, "salesperson_id": 1, "invoice_date": "2026-06-10", "lines": [{"kind": "sale", "item_id": 1, "unit_price": "2000.00"}], "finalize": true}
{"op": "reopen_invoice", "org_id": 1, "invoice_id": 1, "reopened_on": "2026-06-12"}
{"op": "remove_invoice_line", "org_id": 1, "line_id": 1}
{"op": "add_invoice_lines", "org_id": 1, "invoice_id": 1, "lines": [{"kind": "sale", "item_id": 2, "unit_price": "2300.00"}]}
"#;

/// [`RINGS_REOPENED`] finalized again on 2026-06-15, selling B: as of each day GP, AR, valuation and
/// realization count the first sale (A) on [06-10, 06-12), nothing on [06-12, 06-15) with both rings in stock,
/// and the second sale (B) from 06-15.
#[tokio::test]
async fn a_reopened_sale_of_another_piece_counts_each_sale_and_its_stock_on_its_own_dates() -> Result<()> {
    let today = day("2026-06-20");
    let books = Books::from_journal_on(&format!("{}{RINGS_REOPENED}", preamble()), today).await?;
    // open again since 06-12: a new finalization cannot count from before the reopen, and the period
    // holding the open invoice's date cannot close
    let e = books
        .execute(r#"{"op": "finalize_invoice", "org_id": 1, "invoice_id": 1, "finalized_on": "2026-06-11"}"#, today)
        .await
        .unwrap_err();
    assert_eq!(e.to_string(), "finalized_on: 2026-06-11 — before the reopen date 2026-06-12");
    let e = books.execute(r#"{"op": "close_period", "org_id": 1, "through": "2026-06-13"}"#, today).await.unwrap_err();
    assert_eq!(
        e.to_string(),
        "through: 2026-06-13 — 1 open invoice(s) dated on or before it must be finalized or voided first"
    );
    books
        .execute(r#"{"op": "finalize_invoice", "org_id": 1, "invoice_id": 1, "finalized_on": "2026-06-15"}"#, today)
        .await?;
    books.sync().await?;
    no_stock_differences(&books).await?;

    // GP: A 2,000.00 − 1,000.00; B 2,300.00 − 1,200.00. Valuation (retail 2,500.00 a ring): both 2,200.00 /
    // 5,000.00, markup 2,800 ÷ 2,200 = 127.27 %; B alone 1,300 ÷ 1,200 = 108.33 %; A alone 150.00 %.
    // Realization: A 2,000 ÷ 2,500 = 80.00 %, GP at list 1,500 ÷ 2,500 = 60.00 %, actual 1,000 ÷ 2,000 =
    // 50.00 %, impact 1,500 − 1,000 = 500.00; B 2,300 ÷ 2,500 = 92.00 %, 1,300 ÷ 2,500 = 52.00 %,
    // 1,100 ÷ 2,300 = 47.83 %, impact 1,300 − 1,100 = 200.00.
    let first_sale = (
        row(&["sp1", "1", "2,000.00", "1,000.00", "1,000.00", "50.00%", "0.00", "1,000.00"]),
        "2,000.00",
        row(&["jewelry", "1", "1", "1,200.00", "2,500.00", "108.33%"]),
        row(&["sp1", "1", "2,500.00", "2,000.00", "1,000.00", "80.00%", "60.00%", "50.00%", "500.00"]),
    );
    let second_sale = (
        row(&["sp1", "1", "2,300.00", "1,200.00", "1,100.00", "47.83%", "0.00", "1,100.00"]),
        "2,300.00",
        row(&["jewelry", "1", "1", "1,000.00", "2,500.00", "150.00%"]),
        row(&["sp1", "1", "2,500.00", "2,300.00", "1,200.00", "92.00%", "52.00%", "47.83%", "200.00"]),
    );
    let both_rings = row(&["jewelry", "2", "2", "2,200.00", "5,000.00", "127.27%"]);
    for as_of in ["2026-06-09", "2026-06-10", "2026-06-11", "2026-06-12", "2026-06-14", "2026-06-15", "2026-06-20"] {
        let sale = match as_of {
            "2026-06-10" | "2026-06-11" => Some(&first_sale),
            "2026-06-15" | "2026-06-20" => Some(&second_sale),
            _ => None,
        };
        let gp = books.run("gross_profit", "summary", &on(&JUNE, as_of)).await?;
        let ar = books.run("ar_aging", "summary", &[("as_of", as_of)]).await?;
        let valuation = books.run("inventory_valuation", "summary", &[("as_of", as_of)]).await?;
        let realization = books.run("pricing_realization", "summary", &on(&JUNE, as_of)).await?;
        match sale {
            Some((g, owed, held, r)) => {
                assert_eq!(table(&gp), std::slice::from_ref(g), "GP as of {as_of}");
                assert_eq!(table(&ar), owes("xen", owed), "AR as of {as_of}");
                assert_eq!(table(&valuation), std::slice::from_ref(held), "valuation as of {as_of}");
                assert_eq!(table(&realization), std::slice::from_ref(r), "realization as of {as_of}");
            }
            None => {
                assert!(table(&gp).is_empty(), "GP as of {as_of}: {:?}", table(&gp));
                assert!(table(&ar).is_empty(), "AR as of {as_of}: {:?}", table(&ar));
                assert_eq!(table(&valuation), std::slice::from_ref(&both_rings), "valuation as of {as_of}");
                assert!(table(&realization).is_empty(), "realization as of {as_of}: {:?}", table(&realization));
            }
        }
        // the detail (always the lines) agrees with the summary
        let detail = books.run("gross_profit", "detail", &on(&JUNE, as_of)).await?;
        assert_eq!(detail.total("gp"), gp.total("gp"), "as of {as_of}");
    }

    // left to its default, the new finalization is dated the day it is made: the same books finalized on
    // 2026-06-15 without a date say the same on every day
    let undated = Books::from_journal_on(&format!("{}{RINGS_REOPENED}", preamble()), day("2026-06-15")).await?;
    undated.execute(r#"{"op": "finalize_invoice", "org_id": 1, "invoice_id": 1}"#, day("2026-06-15")).await?;
    undated.sync().await?;
    for as_of in ["2026-06-11", "2026-06-12", "2026-06-14", "2026-06-15"] {
        for (report, params) in [
            ("gross_profit", on(&JUNE, as_of)),
            ("ar_aging", vec![("as_of", as_of)]),
            ("inventory_valuation", vec![("as_of", as_of)]),
        ] {
            let (a, b) = (books.run(report, "summary", &params).await?, undated.run(report, "summary", &params).await?);
            assert_eq!(table(&b), table(&a), "{report} as of {as_of}");
        }
    }
    Ok(())
}

/// [`RINGS_REOPENED`] but A sold again at a lower price: A's line removed, A added back at 1,800.00 and
/// finalized 2026-06-15; a 100.00 repair of A dated 2026-06-11. The live cost picks the repair up as of its
/// date, in the first sale's figures as in the second's; A is back in stock, repair included, on [06-12, 06-15).
#[tokio::test]
async fn a_reopened_sale_of_the_same_piece_at_a_new_price_moves_it_on_each_date() -> Result<()> {
    let today = day("2026-06-20");
    let journal = format!(
        "{}{}{}",
        preamble(),
        RINGS_REOPENED.replace(r#""item_id": 2, "unit_price": "2300.00""#, r#""item_id": 1, "unit_price": "1800.00""#),
        r#"{"op": "add_item_cost", "org_id": 1, "item_id": 1, "cost_date": "2026-06-11", "kind": "repair", "amount": "100.00"}
{"op": "finalize_invoice", "org_id": 1, "invoice_id": 1, "finalized_on": "2026-06-15"}
"#
    );
    let books = Books::from_journal_on(&journal, today).await?;
    no_stock_differences(&books).await?;
    // (as of, GP revenue / cost / GP / GP %, AR, valuation)
    let b_alone = row(&["jewelry", "1", "1", "1,200.00", "2,500.00", "108.33%"]);
    for (as_of, gp, owed, held) in [
        ("2026-06-10", Some(["2,000.00", "1,000.00", "1,000.00", "50.00%"]), Some("2,000.00"), b_alone.clone()),
        ("2026-06-11", Some(["2,000.00", "1,100.00", "900.00", "45.00%"]), Some("2,000.00"), b_alone.clone()),
        // A back, at 1,000.00 + 100.00: 2,300.00, markup 2,700 ÷ 2,300 = 117.39 %
        ("2026-06-12", None, None, row(&["jewelry", "2", "2", "2,300.00", "5,000.00", "117.39%"])),
        ("2026-06-14", None, None, row(&["jewelry", "2", "2", "2,300.00", "5,000.00", "117.39%"])),
        ("2026-06-15", Some(["1,800.00", "1,100.00", "700.00", "38.89%"]), Some("1,800.00"), b_alone.clone()),
    ] {
        let o = books.run("gross_profit", "summary", &on(&JUNE, as_of)).await?;
        match gp {
            Some([rev, cost, g, pct]) => {
                assert_eq!(table(&o), [row(&["sp1", "1", rev, cost, g, pct, "0.00", g])], "GP as of {as_of}")
            }
            None => assert!(table(&o).is_empty(), "GP as of {as_of}: {:?}", table(&o)),
        }
        let ar = books.run("ar_aging", "summary", &[("as_of", as_of)]).await?;
        match owed {
            Some(x) => assert_eq!(table(&ar), owes("xen", x), "AR as of {as_of}"),
            None => assert!(table(&ar).is_empty(), "AR as of {as_of}: {:?}", table(&ar)),
        }
        let valuation = books.run("inventory_valuation", "summary", &[("as_of", as_of)]).await?;
        assert_eq!(table(&valuation), [held], "valuation as of {as_of}");
    }
    Ok(())
}
