//! Memo and inventory reports on hand-worked books: pieces and a two-layer lot, an additional cost before and
//! after the as-of date, a consigned watch, memo lines returned, reversed, invoiced and still out.

use anyhow::Result;

use crate::support::{Books, footer, m, table};

/// Items: 1 ring (cost 1,000.00, 2025-10-01; recert 100.00 on 2026-02-15, repair 50.00 on 2026-04-10),
/// 2 ring (1,200.00, 2026-02-01), 3 earring lot (10 × 50.00 on 2025-12-01, 10 × 60.00 on 2026-03-01),
/// 4 consigned watch (3,000.00, 2026-01-15), 5 pearl strand (400.00, 2026-03-10), 6 pearl strand (300.00,
/// 2024-01-10). Retail: rings 2,000.00, earrings 100.00, watch 5,000.00, pearls 900.00.
///
/// Memos: M-000001 to Ann 2026-01-05, line 1 = ring 1 at 1,900.00: returned 2026-02-01, return reversed
/// 2026-02-05 (out again). M-000002 to Bob 2026-03-05: line 2 = pearls 5 at 850.00, invoiced 2026-03-20;
/// line 3 = 2 earrings at 95.00 (out). M-000003 to Ann 2026-03-25: line 4 = ring 2 at 1,500.00, returned
/// 2026-03-28.
const JOURNAL: &str = r#"
{"op":"create_org","name":"Test Jewelers"}
{"op":"create_store","org_id":1,"code":"MAIN","name":"Main Street","tax_rate":"6"}
{"op":"create_contact","org_id":1,"name":"Stuller","vendor":true,"created_on":"2023-01-01"}
{"op":"create_contact","org_id":1,"name":"Ann Lee","customer":true,"created_on":"2023-01-01"}
{"op":"create_contact","org_id":1,"name":"Bob Stone","customer":true,"created_on":"2023-01-01"}
{"op":"create_contact","org_id":1,"name":"Harbor Watch Co.","vendor":true,"created_on":"2023-01-01"}
{"op":"create_style","org_id":1,"style_no":"R-100","family":"jewelry","category":"rings","description":"Solitaire ring","serialized":true,"retail_price":"2000.00"}
{"op":"create_style","org_id":1,"style_no":"E-210","family":"jewelry","category":"earrings","description":"Gold hoops","serialized":false,"retail_price":"100.00"}
{"op":"create_style","org_id":1,"style_no":"W-40","family":"watches","category":"dress watches","description":"Steel automatic","serialized":true,"retail_price":"5000.00"}
{"op":"create_style","org_id":1,"style_no":"P-7","family":"pearls","category":"strands","description":"Akoya strand","serialized":true,"retail_price":"900.00"}
{"op":"receive_item","org_id":1,"store_id":1,"style_id":1,"vendor_id":1,"cost":"1000.00","received_on":"2025-10-01"}
{"op":"receive_item","org_id":1,"store_id":1,"style_id":1,"vendor_id":1,"cost":"1200.00","received_on":"2026-02-01"}
{"op":"receive_stock","org_id":1,"store_id":1,"style_id":2,"vendor_id":1,"qty":10,"cost":"500.00","received_on":"2025-12-01"}
{"op":"receive_item","org_id":1,"store_id":1,"style_id":3,"consignor_id":4,"cost":"3000.00","received_on":"2026-01-15"}
{"op":"receive_item","org_id":1,"store_id":1,"style_id":4,"vendor_id":1,"cost":"400.00","received_on":"2026-03-10"}
{"op":"receive_item","org_id":1,"store_id":1,"style_id":4,"vendor_id":1,"cost":"300.00","received_on":"2024-01-10"}
{"op":"receive_stock","org_id":1,"store_id":1,"style_id":2,"vendor_id":1,"qty":10,"cost":"600.00","received_on":"2026-03-01"}
{"op":"add_item_cost","org_id":1,"item_id":1,"cost_date":"2026-02-15","kind":"recert","amount":"100.00"}
{"op":"issue_memo","org_id":1,"store_id":1,"customer_id":2,"memo_date":"2026-01-05","lines":[{"item_id":1,"memo_price":"1900.00"}]}
{"op":"return_memo_line","org_id":1,"memo_line_id":1,"returned_on":"2026-02-01"}
{"op":"reverse_memo_return","org_id":1,"memo_line_id":1,"reversed_on":"2026-02-05"}
{"op":"issue_memo","org_id":1,"store_id":1,"customer_id":3,"memo_date":"2026-03-05","lines":[{"item_id":5,"memo_price":"850.00"},{"item_id":3,"qty":2,"memo_price":"95.00"}]}
{"op":"create_invoice","org_id":1,"store_id":1,"customer_id":3,"invoice_date":"2026-03-20","lines":[{"kind":"sale","memo_line_id":2}],"finalize":true}
{"op":"issue_memo","org_id":1,"store_id":1,"customer_id":2,"memo_date":"2026-03-25","lines":[{"item_id":2,"memo_price":"1500.00"}]}
{"op":"return_memo_line","org_id":1,"memo_line_id":4,"returned_on":"2026-03-28"}
{"op":"add_item_cost","org_id":1,"item_id":1,"cost_date":"2026-04-10","kind":"repair","amount":"50.00"}
"#;

fn row(cells: &[&str]) -> Vec<String> {
    cells.iter().map(|s| (*s).to_string()).collect()
}

#[tokio::test]
async fn memo_aging_and_liability_show_the_lines_out_on_the_date() -> Result<()> {
    let books = Books::from_journal(JOURNAL).await?;
    let at = [("as_of", "2026-03-31")];
    // Ann: line 1 (out again after the reversed return) is 85 days old; line 4 came back. Bob: line 3 (26
    // days) at 2 × 95.00; line 2 was invoiced.
    let o = books.run("memo_aging", "summary", &at).await?;
    assert_eq!(
        table(&o),
        [
            row(&["Ann Lee", "0.00", "0.00", "1,900.00", "0.00", "1,900.00", "1"]),
            row(&["Bob Stone", "190.00", "0.00", "0.00", "0.00", "190.00", "1"]),
        ]
    );
    assert_eq!(footer(&o), row(&["Total", "190.00", "0.00", "1,900.00", "0.00", "2,090.00", "2"]));

    // between the return and its reversal nothing is out
    let o = books.run("memo_aging", "summary", &[("as_of", "2026-02-03")]).await?;
    assert_eq!(o.rows, 0);
    assert_eq!(o.total("retail"), m("0.00"));

    // liability: ring 1 at its cost then (1,000.00 + the 100.00 recert; the April repair is later) and the
    // earrings at the cost of the layer they went out from (FIFO: the oldest, 10 × 50.00): 2 × 50.00
    let o = books.run("memo_liability", "lines", &at).await?;
    let cells: Vec<Vec<String>> = table(&o)
        .into_iter()
        .map(|r| {
            vec![r[0].clone(), r[2].clone(), r[6].clone(), r[7].clone(), r[8].clone(), r[9].clone(), r[10].clone()]
        })
        .collect();
    assert_eq!(
        cells,
        [
            row(&["M-000001", "Ann Lee", "1", "85", "61–90", "1,100.00", "1,900.00"]),
            row(&["M-000002", "Bob Stone", "2", "26", "0–30", "100.00", "190.00"]),
        ]
    );
    assert_eq!((o.total("cost"), o.total("retail")), (m("1200.00"), m("2090.00")));
    // filters: family and bucket
    let o = books.run("memo_liability", "lines", &[("as_of", "2026-03-31"), ("bucket", "b3")]).await?;
    assert_eq!(o.rows, 1);
    let o = books.run("memo_liability", "lines", &[("as_of", "2026-03-31"), ("family", "pearls")]).await?;
    assert_eq!(o.rows, 0);

    // drill: Ann's 61–90 cell → her line
    let o = books.drill("memo_aging", "summary", &at, "1:b3").await?;
    assert_eq!(o.rows, 1);
    assert_eq!(o.total("retail"), m("1900.00"));
    Ok(())
}

#[tokio::test]
async fn memo_conversion_counts_outcomes_known_on_the_as_of_date() -> Result<()> {
    let books = Books::from_journal(JOURNAL).await?;
    let o = books.run("memo_conversion", "summary", &[("from", "2026-03-01"), ("to", "2026-03-31")]).await?;
    // Ann: 1,500.00 issued and returned. Bob: 850.00 invoiced + 190.00 still out = 1,040.00;
    // conversion 850 ÷ 1,040 = 81.73 %, by count 1 ÷ 2; resolved 850 ÷ 850.
    assert_eq!(
        table(&o),
        [
            row(&["Ann Lee", "1", "1,500.00", "0.00", "1,500.00", "0.00", "0", "1", "0", "0.00%", "0.00%", "0.00%"]),
            row(&[
                "Bob Stone",
                "2",
                "1,040.00",
                "850.00",
                "0.00",
                "190.00",
                "1",
                "0",
                "1",
                "81.73%",
                "50.00%",
                "100.00%"
            ]),
        ]
    );
    // overall: 850 ÷ 2,540 = 33.46 %; 1 ÷ 3 = 33.33 %; 850 ÷ (850 + 1,500) = 36.17 %
    assert_eq!(
        footer(&o),
        row(&["Total", "3", "2,540.00", "850.00", "1,500.00", "190.00", "1", "1", "1", "33.46%", "33.33%", "36.17%"])
    );
    // as known on 2026-03-26 the returned line was still out
    let o = books
        .run("memo_conversion", "summary", &[("from", "2026-03-01"), ("to", "2026-03-31"), ("as_of", "2026-03-26")])
        .await?;
    assert_eq!(
        table(&o)[0],
        row(&["Ann Lee", "1", "1,500.00", "0.00", "0.00", "1,500.00", "0", "0", "1", "0.00%", "0.00%", ""])
    );
    Ok(())
}

#[tokio::test]
async fn valuation_counts_owned_stock_at_its_cost_on_the_date() -> Result<()> {
    let books = Books::from_journal(JOURNAL).await?;
    // jewelry: ring 1 (on memo, 1,100.00), ring 2 (1,200.00), the lot (20 units, 1,100.00); pearls: strand 6
    // (strand 5 was sold); the consigned watch is not ours. Markup 2,600 ÷ 3,400 = 76.47 %, 600 ÷ 300 = 200 %.
    let o = books.run("inventory_valuation", "summary", &[("as_of", "2026-03-31")]).await?;
    assert_eq!(
        table(&o),
        [
            row(&["jewelry", "3", "22", "3,400.00", "6,000.00", "76.47%"]),
            row(&["pearls", "1", "1", "300.00", "900.00", "200.00%"]),
        ]
    );
    assert_eq!(footer(&o), row(&["Total", "4", "23", "3,700.00", "6,900.00", "86.49%"]));
    // on 2026-02-20: the lot's second layer, strand 5 and the April repair are all in the future
    let o = books.run("inventory_valuation", "summary", &[("as_of", "2026-02-20")]).await?;
    assert_eq!(table(&o)[0], row(&["jewelry", "3", "12", "2,800.00", "5,000.00", "78.57%"]));
    // by category, and the drill from a row to its items
    let o = books.run("inventory_valuation", "summary", &[("as_of", "2026-03-31"), ("by", "category")]).await?;
    let groups: Vec<String> = table(&o).into_iter().map(|r| r[0].clone()).collect();
    assert_eq!(groups, ["earrings", "rings", "strands"]);
    let o = books.drill("inventory_valuation", "summary", &[("as_of", "2026-03-31")], "1:group").await?;
    assert_eq!(o.rows, 3);
    assert_eq!(o.total("cost"), m("3400.00"));
    Ok(())
}

#[tokio::test]
async fn aging_ages_each_lot_layer_on_its_own_and_counts_a_lot_once() -> Result<()> {
    let books = Books::from_journal(JOURNAL).await?;
    // ages on 2026-03-31: ring 2 58 days, layer 2 of the lot 30 → 0–90; layer 1 120 → 91–180; ring 1 181 →
    // 181–365; strand 6 811 → 366+
    let o = books.run("inventory_aging", "summary", &[("as_of", "2026-03-31")]).await?;
    assert_eq!(
        table(&o),
        [
            row(&["0–90", "2", "11", "1,800.00", "3,000.00"]),
            row(&["91–180", "1", "10", "500.00", "1,000.00"]),
            row(&["181–365", "1", "1", "1,100.00", "2,000.00"]),
            row(&["366+", "1", "1", "300.00", "900.00"]),
            row(&["No acquisition date", "0", "0", "0.00", "0.00"]),
        ]
    );
    // the lot is in two buckets but one stock record: 4 items, not 5
    assert_eq!(footer(&o), row(&["Total", "4", "23", "3,700.00", "6,900.00"]));
    // consigned stock apart: the watch, 75 days
    let o = books.run("inventory_aging", "summary", &[("as_of", "2026-03-31"), ("ownership", "consigned")]).await?;
    assert_eq!(table(&o)[0], row(&["0–90", "1", "1", "3,000.00", "5,000.00"]));
    // drill a bucket to its pieces and layers
    let o = books.drill("inventory_aging", "summary", &[("as_of", "2026-03-31")], "1:bucket").await?;
    assert_eq!(o.rows, 2);
    assert_eq!(o.total("cost"), m("1800.00"));
    Ok(())
}

/// Dates as people say them: `period=last_month` and `as_of=yesterday` give what their dates give (the test's
/// today is 2026-06-30), the filters echo both the word and the date, and drills carry the dates.
#[tokio::test]
async fn words_for_dates_and_periods_give_what_their_dates_give() -> Result<()> {
    let books = Books::from_journal(JOURNAL).await?;
    let by_word = books.run("memo_conversion", "summary", &[("period", "this_year")]).await?;
    let by_date = books.run("memo_conversion", "summary", &[("from", "2026-01-01"), ("to", "2026-06-30")]).await?;
    assert_eq!(by_word.rows, 2);
    assert_eq!((table(&by_word), footer(&by_word)), (table(&by_date), footer(&by_date)));
    assert!(by_word.header.filters.contains(&("From".into(), "2026-01-01 (this_year)".into())));
    assert!(by_word.header.filters.contains(&("To".into(), "2026-06-30 (this_year)".into())));
    assert_eq!(by_word.header.params.get("from").map(String::as_str), Some("2026-01-01"));
    let march = books.run("memo_conversion", "summary", &[("period", "last_quarter")]).await?;
    assert_eq!(table(&march), table(&by_date));
    let by_word = books.run("inventory_valuation", "summary", &[("as_of", "yesterday")]).await?;
    let by_date = books.run("inventory_valuation", "summary", &[("as_of", "2026-06-29")]).await?;
    assert_eq!((table(&by_word), footer(&by_word)), (table(&by_date), footer(&by_date)));
    assert!(by_word.header.filters.contains(&("As of".into(), "2026-06-29 (yesterday)".into())));
    Ok(())
}
