//! Reports as people ask for them: customers, stores and invoices by name or number, buckets and drill columns by
//! their labels, today in the org's time zone, the org's paper and store names on the header, and a saved report
//! whose relative dates resolve anew on each run.

use std::collections::BTreeMap;

use anyhow::{Context as _, Result};
use chrono::{TimeZone as _, Utc};
use reports::model::Paper;
use reports::{Request, Scope};

use crate::support::{Books, day, footer, table};

/// Org 1 "Gem & Co" (Auckland, A4): stores MAIN (1) and MALL (2); two customers named Ann Lee (1, with an email,
/// and 2) and Bob Stone (3). Org 2 "Other Jewelers" (UTC, Letter): store 3, customer Zed Other (4).
///
/// | invoice | store | customer | date | total | age on 2026-06-30 | bucket |
/// |---|---|---|---|---|---|---|
/// | INV-000001 | MAIN | Ann Lee (1) | 2026-02-20 | 600.00 | 130 | 91+ |
/// | INV-000002 | MALL | Bob Stone | 2026-04-10 | 300.00 | 81 | 61–90 |
/// | INV-000003 | MAIN | Ann Lee (2) | 2026-05-15 | 200.00 | 46 | 31–60 |
/// | org 2's | — | Zed Other | 2026-05-01 | 100.00 | — | — |
const JOURNAL: &str = r#"
{"op":"create_org","name":"Gem & Co","time_zone":"Pacific/Auckland","paper_size":"a4"}
{"op":"create_store","org_id":1,"code":"MAIN","name":"Main Street","tax_rate":"6"}
{"op":"create_store","org_id":1,"code":"MALL","name":"Mall","tax_rate":"6"}
{"op":"create_contact","org_id":1,"name":"Ann Lee","email":"ann@example.com","customer":true,"created_on":"2026-01-01"}
{"op":"create_contact","org_id":1,"name":"Ann Lee","customer":true,"created_on":"2026-01-01"}
{"op":"create_contact","org_id":1,"name":"Bob Stone","customer":true,"created_on":"2026-01-01"}
{"op":"create_org","name":"Other Jewelers"}
{"op":"create_store","org_id":2,"code":"X","name":"Elsewhere","tax_rate":"6"}
{"op":"create_contact","org_id":2,"name":"Zed Other","customer":true,"created_on":"2026-01-01"}
{"op":"create_invoice","org_id":1,"store_id":1,"customer_id":1,"invoice_date":"2026-02-20","lines":[{"kind":"misc","description":"Chain","unit_price":"600.00","taxable":false}],"finalize":true}
{"op":"create_invoice","org_id":1,"store_id":2,"customer_id":3,"invoice_date":"2026-04-10","lines":[{"kind":"misc","description":"Clasp","unit_price":"300.00","taxable":false}],"finalize":true}
{"op":"create_invoice","org_id":1,"store_id":1,"customer_id":2,"invoice_date":"2026-05-15","lines":[{"kind":"misc","description":"Sizing","unit_price":"200.00","taxable":false}],"finalize":true}
{"op":"create_invoice","org_id":2,"store_id":3,"customer_id":4,"invoice_date":"2026-05-01","lines":[{"kind":"misc","description":"Pin","unit_price":"100.00","taxable":false}],"finalize":true}
"#;

fn row(cells: &[&str]) -> Vec<String> {
    cells.iter().map(|s| (*s).to_string()).collect()
}

fn filter(o: &reports::Output, label: &str) -> Option<String> {
    o.header.filters.iter().find(|(l, _)| l == label).map(|(_, v)| v.clone())
}

#[tokio::test]
async fn customers_stores_and_invoices_by_name_or_number() -> Result<()> {
    let books = Books::from_journal(JOURNAL).await?;
    let aging = |params: Vec<(&'static str, &'static str)>| {
        let books = &books;
        async move {
            let mut all = vec![("as_of", "2026-06-30")];
            all.extend(params);
            books.run("ar_aging", "summary", &all).await
        }
    };
    // 0–30, 31–60, 61–90, 91+, total open, credits, net
    let bob = row(&["Bob Stone", "0.00", "0.00", "300.00", "0.00", "300.00", "0.00", "300.00"]);

    // exact, any case, by id or #id: the same rows, and the echo names the customer
    for given in ["Bob Stone", "bob stone", "  BOB STONE ", "3", "#3"] {
        let o = aging(vec![("customer", given)]).await?;
        assert_eq!(table(&o), std::slice::from_ref(&bob), "customer={given:?}");
        assert_eq!(filter(&o, "Customer").as_deref(), Some("Bob Stone (#3)"), "customer={given:?}");
        assert_eq!(o.header.params.get("customer").map(String::as_str), Some("3"), "links carry the id");
    }
    // by email: the first Ann Lee
    let o = aging(vec![("customer", "ANN@example.com")]).await?;
    assert_eq!(filter(&o, "Customer").as_deref(), Some("Ann Lee (#1)"));
    assert_eq!(footer(&o).last().map(String::as_str), Some("600.00"));

    // ambiguous: both candidates listed, nothing run
    let e = aging(vec![("customer", "ann lee")]).await.err().context("two Ann Lees")?.to_string();
    assert!(
        e.contains(
            "param customer: \"ann lee\" — 2 customers go by this name: Ann Lee (#1), Ann Lee (#2); give the id"
        ),
        "{e}"
    );
    // another org's customer, or a name nobody has: not found, and nothing of the other org leaks
    for other in ["Zed Other", "Nobody"] {
        let e = aging(vec![("customer", other)]).await.err().context("not found")?.to_string();
        assert!(
            e.contains(&format!("param customer: \"{other}\" — no customer by this name among those you may see")),
            "{e}"
        );
        assert!(!e.contains("#4"), "{e}");
    }

    // stores by name or code; a store of another org is not found
    for given in ["Mall", "MALL", "mall", "2"] {
        let o = aging(vec![("store", given)]).await?;
        assert_eq!(table(&o), std::slice::from_ref(&bob), "store={given:?}");
        assert_eq!(filter(&o, "Store").as_deref(), Some("Mall (#2)"));
    }
    let e = aging(vec![("store", "Elsewhere")]).await.err().context("org 2's store")?.to_string();
    assert!(e.contains("no store by this name among those you may see"), "{e}");
    // a user allowed only MAIN does not find MALL by name either
    let e = books
        .run_scoped("ar_aging", "summary", &[("store", "Mall")], Some(vec![1]))
        .await
        .err()
        .context("MALL hidden from a MAIN user")?
        .to_string();
    assert!(e.contains("param store: \"Mall\" — no store by this name among those you may see"), "{e}");

    // an invoice by its number
    let o = books.run("ar_aging", "lines", &[("as_of", "2026-06-30"), ("invoice", "inv-000002")]).await?;
    assert_eq!(filter(&o, "Invoice").as_deref(), Some("INV-000002 (#2)"));
    assert!(table(&o).iter().flatten().any(|c| c == "Clasp"), "{:?}", table(&o));
    Ok(())
}

#[tokio::test]
async fn buckets_and_drill_columns_by_their_labels() -> Result<()> {
    let books = Books::from_journal(JOURNAL).await?;
    let params = [("as_of", "2026-06-30")];
    // the 31–60 column's total is INV-000003's 200.00; drilling it by key, by label, or typed with a hyphen
    // lands on the same rows
    let by_key = books.drill("ar_aging", "summary", &params, "total:b2").await?;
    assert!(footer(&by_key).contains(&"200.00".to_string()), "{:?}", footer(&by_key));
    for at in ["total:31–60", "total:31-60", "total: 31 - 60"] {
        let o = books.drill("ar_aging", "summary", &params, at).await?;
        assert_eq!(table(&o), table(&by_key), "{at}");
        assert_eq!(filter(&o, "Bucket").as_deref(), Some("31–60"), "{at}: the echo shows the label");
    }
    // a row's cell by label: row 1 is Ann Lee (1), whose 91+ cell is INV-000001
    let o = books.drill("ar_aging", "summary", &params, "1:91+").await?;
    assert_eq!(table(&o).len(), 1);
    assert!(table(&o)[0].iter().any(|c| c == "INV-000001"), "{:?}", table(&o));
    // the bucket parameter takes the label too
    let by_label = books.run("ar_aging", "invoices", &[("as_of", "2026-06-30"), ("bucket", "61-90")]).await?;
    let by_key = books.run("ar_aging", "invoices", &[("as_of", "2026-06-30"), ("bucket", "b3")]).await?;
    assert_eq!(table(&by_label), table(&by_key));
    assert_eq!(table(&by_label).len(), 1);
    // an unknown column names the labels too
    let e = books.drill("ar_aging", "summary", &params, "total:45-60").await.err().context("no such column")?;
    assert!(e.to_string().contains("b2 (31–60)"), "{e}");
    Ok(())
}

#[tokio::test]
async fn today_is_the_org_s_and_the_header_names_its_paper_and_stores() -> Result<()> {
    let books = Books::from_journal(JOURNAL).await?;
    let snapshot = books.lake.snapshot().await?;
    // 2026-06-30 13:00 UTC is already 2026-07-01 01:00 in Auckland (NZST, UTC+12); still the 30th in UTC
    let now = Utc.with_ymd_and_hms(2026, 6, 30, 13, 0, 0).single().context("instant")?;
    let req = Request { report: "ar_aging".into(), view: Some("summary".into()), params: BTreeMap::new() };

    let auckland = reports::Context::at(&snapshot, Scope::Org { org_id: 1, stores: None }, now).await?;
    let o = reports::run(&auckland, &req).await?;
    assert_eq!(filter(&o, "As of").as_deref(), Some("2026-07-01"));
    assert_eq!(
        (o.header.org.as_str(), o.header.paper, o.header.stores.as_str()),
        ("Gem & Co", Paper::A4, "All stores")
    );

    let utc = reports::Context::at(&snapshot, Scope::Org { org_id: 2, stores: None }, now).await?;
    let o = reports::run(&utc, &req).await?;
    assert_eq!(filter(&o, "As of").as_deref(), Some("2026-06-30"));
    assert_eq!((o.header.org.as_str(), o.header.paper), ("Other Jewelers", Paper::Letter));

    let main = reports::Context::at(&snapshot, Scope::Org { org_id: 1, stores: Some(vec![2, 1]) }, now).await?;
    assert_eq!(reports::run(&main, &req).await?.header.stores, "Main Street, Mall");
    Ok(())
}

#[tokio::test]
async fn a_saved_last_month_report_resolves_to_the_month_before_each_run() -> Result<()> {
    let books = Books::from_journal(JOURNAL).await?;
    books
        .apply(
            r#"{"op":"create_saved_report","org_id":1,"name":"GP last month","report":"gross_profit","view":"summary","params":{"period":"last_month"},"format":"xlsx"}"#,
        )
        .await?;
    let saved = oltp::saved::find(&books.db, 1, None, "GP last month").await?;
    assert_eq!(saved.params.get("period").map(String::as_str), Some("last_month"), "kept as the word");
    assert_eq!(saved.format, "xlsx");
    let snapshot = books.lake.snapshot().await?;
    let req = Request { report: saved.report.clone(), view: saved.view.clone(), params: saved.params.clone() };
    let mut seen = Vec::new();
    for today in ["2026-06-30", "2026-08-03"] {
        let cx =
            reports::Context::new(&snapshot, Scope::Org { org_id: 1, stores: None }, day(today), "Gem".into()).await?;
        let o = reports::run(&cx, &req).await?;
        seen.push((filter(&o, "From").unwrap_or_default(), filter(&o, "To").unwrap_or_default()));
    }
    assert_eq!(
        seen,
        [
            ("2026-05-01 (last_month)".to_string(), "2026-05-31 (last_month)".to_string()),
            ("2026-07-01 (last_month)".to_string(), "2026-07-31 (last_month)".to_string()),
        ]
    );
    // org 2 does not see org 1's saved report
    let e = oltp::saved::find(&books.db, 2, None, "GP last month").await.err().context("other org")?;
    assert_eq!(e.to_string(), r#"saved report "GP last month" not found"#);
    Ok(())
}
