//! RFM on hand-worked books: five customers in scope, ties in frequency, a return, an invoice outside the
//! window and a voided one.

use anyhow::Result;

use crate::support::{Books, footer, table};

/// As of 2026-06-30, window (2023-06-30, 2026-06-30]; net = line amounts before tax.
///
/// | customer | invoices (net) | recency | F | M |
/// |---|---|---|---|---|
/// | Avery | 2025-01-10 300, 2026-05-01 200, 2026-06-20 100 | 10 | 3 | 600 |
/// | Blake | 2026-06-25 50 | 5 | 1 | 50 |
/// | Casey | 2024-01-01 1,000, 2025-12-31 1,000 | 181 | 2 | 2,000 |
/// | Devon | 2023-08-01 400, 2024-02-01 ring 300, 2026-06-01 its return −300 | 880 | 2 | 400 |
/// | Emery | 2026-01-15 500, 2026-03-15 500 | 107 | 2 | 1,000 |
///
/// Finley's only invoice (2020) is outside the window; Gray's was voided; Harper buys from another org, and the
/// Uptown store has sold nothing. Cuts (PERCENTILE_CONT at 20/40/60/80 %):
/// recency 9, 68.2, 136.6, 320.8; frequency 1.8, 2, 2, 2.2; monetary 330, 520, 760, 1,200.
const JOURNAL: &str = r#"
{"op":"create_org","name":"Test Jewelers"}
{"op":"create_store","org_id":1,"code":"MAIN","name":"Main Street","tax_rate":"6"}
{"op":"create_contact","org_id":1,"name":"Avery","customer":true,"created_on":"2019-01-01"}
{"op":"create_contact","org_id":1,"name":"Blake","customer":true,"created_on":"2019-01-01"}
{"op":"create_contact","org_id":1,"name":"Casey","customer":true,"created_on":"2019-01-01"}
{"op":"create_contact","org_id":1,"name":"Devon","customer":true,"created_on":"2019-01-01"}
{"op":"create_contact","org_id":1,"name":"Emery","customer":true,"created_on":"2019-01-01"}
{"op":"create_contact","org_id":1,"name":"Finley","customer":true,"created_on":"2019-01-01"}
{"op":"create_contact","org_id":1,"name":"Gray","customer":true,"created_on":"2019-01-01"}
{"op":"create_style","org_id":1,"style_no":"R-1","family":"jewelry","category":"rings","description":"Band","serialized":true,"retail_price":"300.00"}
{"op":"receive_item","org_id":1,"store_id":1,"style_id":1,"cost":"100.00","received_on":"2019-01-01"}
{"op":"create_invoice","org_id":1,"store_id":1,"customer_id":6,"invoice_date":"2020-01-01","lines":[{"kind":"misc","description":"x","unit_price":"900.00"}],"finalize":true}
{"op":"create_invoice","org_id":1,"store_id":1,"customer_id":4,"invoice_date":"2023-08-01","lines":[{"kind":"misc","description":"x","unit_price":"400.00"}],"finalize":true}
{"op":"create_invoice","org_id":1,"store_id":1,"customer_id":3,"invoice_date":"2024-01-01","lines":[{"kind":"misc","description":"x","unit_price":"1000.00"}],"finalize":true}
{"op":"create_invoice","org_id":1,"store_id":1,"customer_id":4,"invoice_date":"2024-02-01","lines":[{"kind":"sale","item_id":1,"unit_price":"300.00"}],"finalize":true}
{"op":"create_invoice","org_id":1,"store_id":1,"customer_id":1,"invoice_date":"2025-01-10","lines":[{"kind":"misc","description":"x","unit_price":"300.00"}],"finalize":true}
{"op":"create_invoice","org_id":1,"store_id":1,"customer_id":3,"invoice_date":"2025-12-31","lines":[{"kind":"misc","description":"x","unit_price":"1000.00"}],"finalize":true}
{"op":"create_invoice","org_id":1,"store_id":1,"customer_id":5,"invoice_date":"2026-01-15","lines":[{"kind":"misc","description":"x","unit_price":"500.00"}],"finalize":true}
{"op":"create_invoice","org_id":1,"store_id":1,"customer_id":5,"invoice_date":"2026-03-15","lines":[{"kind":"misc","description":"x","unit_price":"500.00"}],"finalize":true}
{"op":"create_invoice","org_id":1,"store_id":1,"customer_id":1,"invoice_date":"2026-05-01","lines":[{"kind":"misc","description":"x","unit_price":"200.00"}],"finalize":true}
{"op":"create_invoice","org_id":1,"store_id":1,"customer_id":4,"invoice_date":"2026-06-01","lines":[{"kind":"return","returned_line_id":4,"qty":-1}],"finalize":true}
{"op":"create_invoice","org_id":1,"store_id":1,"customer_id":7,"invoice_date":"2026-06-10","lines":[{"kind":"misc","description":"x","unit_price":"800.00"}],"finalize":true}
{"op":"void_invoice","org_id":1,"invoice_id":11,"voided_on":"2026-06-11"}
{"op":"create_invoice","org_id":1,"store_id":1,"customer_id":1,"invoice_date":"2026-06-20","lines":[{"kind":"misc","description":"x","unit_price":"100.00"}],"finalize":true}
{"op":"create_invoice","org_id":1,"store_id":1,"customer_id":2,"invoice_date":"2026-06-25","lines":[{"kind":"misc","description":"x","unit_price":"50.00"}],"finalize":true}
{"op":"create_store","org_id":1,"code":"UPTOWN","name":"Uptown","tax_rate":"6"}
{"op":"create_org","name":"Other Jewelers"}
{"op":"create_store","org_id":2,"code":"OTHER","name":"Other Main","tax_rate":"6"}
{"op":"create_contact","org_id":2,"name":"Harper","customer":true,"created_on":"2019-01-01"}
{"op":"create_invoice","org_id":2,"store_id":3,"customer_id":8,"invoice_date":"2026-06-29","lines":[{"kind":"misc","description":"x","unit_price":"9000.00"}],"finalize":true}
"#;

fn row(cells: &[&str]) -> Vec<String> {
    cells.iter().map(|s| (*s).to_string()).collect()
}

#[tokio::test]
async fn rfm_scores_by_quintile_cuts_and_equal_values_share_a_score() -> Result<()> {
    let books = Books::from_journal(JOURNAL).await?;
    let at = [("as_of", "2026-06-30")];
    let o = books.run("rfm", "customers", &at).await?;
    // Casey, Devon and Emery all bought twice: the cut at 2 is not below 2, so all three score F = 2.
    // R = 6 − (1 + recency cuts below): Avery 10 → 4; Blake 5 → 5; Casey 181 → 2; Devon 880 → 1; Emery 107 → 3.
    // M: Avery 600 → 3 (330 and 520 below); Blake 50 → 1; Casey 2,000 → 5; Devon 400 → 2; Emery 1,000 → 4.
    // FM = ⌈(F + M) ÷ 2⌉. Order: R + F + M, then monetary.
    assert_eq!(
        table(&o),
        [
            row(&["Avery", "2026-06-20", "10", "3", "600.00", "4", "5", "3", "4", "Loyal"]),
            row(&["Casey", "2025-12-31", "181", "2", "2,000.00", "2", "2", "5", "4", "At risk"]),
            row(&["Emery", "2026-03-15", "107", "2", "1,000.00", "3", "2", "4", "3", "Need attention"]),
            row(&["Blake", "2026-06-25", "5", "1", "50.00", "5", "1", "1", "1", "New customers"]),
            row(&["Devon", "2024-02-01", "880", "2", "400.00", "1", "2", "2", "2", "Hibernating"]),
        ]
    );
    assert_eq!(footer(&o)[..5], row(&["Total", "", "", "10", "4,050.00"]));

    let o = books.run("rfm", "segments", &at).await?;
    let segs: Vec<String> = table(&o).into_iter().map(|r| format!("{} {}", r[0], r[1])).collect();
    assert_eq!(segs, ["Loyal 1", "New customers 1", "Need attention 1", "At risk 1", "Hibernating 1"]);

    // Devon's invoices in the window: the return counts in monetary
    let d = books.drill("rfm", "customers", &at, "5:customer").await?;
    assert_eq!(
        table(&d),
        [
            row(&["INV-000002", "2023-08-01", "400.00"]),
            row(&["INV-000004", "2024-02-01", "300.00"]),
            row(&["INV-000010", "2026-06-01", "-300.00"]),
        ]
    );
    // a segment drills to its customers
    let d = books.drill("rfm", "segments", &at, "4:segment").await?;
    assert_eq!(table(&d)[0][0], "Casey");

    // a one-year window: only Avery (2), Blake, Emery (2) — and Devon, whose return has no positive invoice
    // in it, is out of scope
    let o = books.run("rfm", "customers", &[("as_of", "2026-06-30"), ("lookback", "1")]).await?;
    let names: Vec<String> = table(&o).into_iter().map(|r| r[0].clone()).collect();
    assert_eq!(names.len(), 4);
    assert!(!names.contains(&"Devon".to_string()));

    // the scoring stages run on the caller's scope: a user allowed only Uptown sees no customer to score
    let o = books.run_scoped("rfm", "customers", &at, Some(vec![2])).await?;
    assert_eq!(o.rows, 0);
    let o = books.run_scoped("rfm", "segments", &at, Some(vec![2])).await?;
    assert_eq!(o.rows, 0);
    Ok(())
}
