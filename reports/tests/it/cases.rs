//! Small books where an independent check found a report or an operation wrong (`tests/cases/*.jsonl`, one
//! journal each), with the figures DESIGN's rules give worked out here by hand.

use anyhow::Result;

use crate::support::{Books, footer, m, table};

const AGING_AVERAGE: &str = include_str!("../cases/inventory-aging-average-cost.jsonl");
const TRANSFER_AVERAGE: &str = include_str!("../cases/avg-transfer-cost.jsonl");
const CONVERSION_VOID: &str = include_str!("../cases/memo-conversion-voided-invoice.jsonl");
const REMOVE_CONSIGNED: &str = include_str!("../cases/remove-line-consigned-sale-fk.jsonl");

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
