//! AR aging on hand-worked books: partial payments, a bounced check, a write-off, voids before and after the
//! as-of date, a payment after it, money left on account and applied later, store credit and goodwill credit.

use anyhow::Result;

use crate::support::{Books, footer, m, table};

/// Store MAIN taxes misc lines at 6 %, so a 1,000.00 line makes a 1,060.00 invoice.
///
/// | invoice | customer | date | total | what happens |
/// |---|---|---|---|---|
/// | 1 | Bob | 2025-12-01 | 318.00 | 100.00 written off 2026-03-10 |
/// | 2 | Ann | 2026-01-10 | 1,060.00 | 500.00 paid 2026-01-20 |
/// | 3 | Bob (terms 30) | 2026-02-20 | 530.00 | paid by check 2026-03-01, check bounced 2026-03-05 |
/// | 4 | Bob | 2026-03-02 | 106.00 | voided 2026-03-03 |
/// | 5 | Ann | 2026-03-15 | 212.00 | |
/// | 6 | Cy | 2026-03-20 | 106.00 | paid 2026-04-05 |
/// | 7 | Ann | 2026-03-30 | 53.00 | voided 2026-04-02 |
///
/// Cy also pays 50.00 on account on 2026-03-25 and has 20.00 of it refunded as store credit on 2026-03-26.
const JOURNAL: &str = r#"
{"op":"create_org","name":"Test Jewelers"}
{"op":"create_store","org_id":1,"code":"MAIN","name":"Main Street","tax_rate":"6"}
{"op":"create_contact","org_id":1,"name":"Ann Lee","customer":true,"created_on":"2025-11-01"}
{"op":"create_contact","org_id":1,"name":"Bob Stone","customer":true,"terms_days":30,"created_on":"2025-11-01"}
{"op":"create_contact","org_id":1,"name":"Cy Gold","customer":true,"created_on":"2025-11-01"}
{"op":"create_invoice","org_id":1,"store_id":1,"customer_id":2,"invoice_date":"2025-12-01","lines":[{"kind":"misc","description":"Repair","unit_price":"300.00"}],"finalize":true}
{"op":"create_invoice","org_id":1,"store_id":1,"customer_id":1,"invoice_date":"2026-01-10","lines":[{"kind":"misc","description":"Chain","unit_price":"1000.00"}],"finalize":true}
{"op":"record_payment","org_id":1,"store_id":1,"customer_id":1,"paid_on":"2026-01-20","method":"cash","amount":"500.00","apply":[{"invoice_id":2,"amount":"500.00"}]}
{"op":"create_invoice","org_id":1,"store_id":1,"customer_id":2,"invoice_date":"2026-02-20","lines":[{"kind":"misc","description":"Clasp","unit_price":"500.00"}],"finalize":true}
{"op":"record_payment","org_id":1,"store_id":1,"customer_id":2,"paid_on":"2026-03-01","method":"check","amount":"530.00","apply":[{"invoice_id":3,"amount":"530.00"}]}
{"op":"create_invoice","org_id":1,"store_id":1,"customer_id":2,"invoice_date":"2026-03-02","lines":[{"kind":"misc","description":"Cleaning","unit_price":"100.00"}],"finalize":true}
{"op":"void_invoice","org_id":1,"invoice_id":4,"voided_on":"2026-03-03"}
{"op":"void_payment","org_id":1,"payment_id":2,"voided_on":"2026-03-05","reason":"NSF"}
{"op":"write_off","org_id":1,"invoice_id":1,"written_on":"2026-03-10","amount":"100.00"}
{"op":"create_invoice","org_id":1,"store_id":1,"customer_id":1,"invoice_date":"2026-03-15","lines":[{"kind":"misc","description":"Sizing","unit_price":"200.00"}],"finalize":true}
{"op":"create_invoice","org_id":1,"store_id":1,"customer_id":3,"invoice_date":"2026-03-20","lines":[{"kind":"misc","description":"Battery","unit_price":"100.00"}],"finalize":true}
{"op":"record_payment","org_id":1,"store_id":1,"customer_id":3,"paid_on":"2026-03-25","method":"cash","amount":"50.00","apply":"none"}
{"op":"refund","org_id":1,"store_id":1,"customer_id":3,"paid_on":"2026-03-26","method":"store_credit","amount":"20.00","payment_id":3}
{"op":"create_invoice","org_id":1,"store_id":1,"customer_id":1,"invoice_date":"2026-03-30","lines":[{"kind":"misc","description":"Polish","unit_price":"50.00"}],"finalize":true}
{"op":"void_invoice","org_id":1,"invoice_id":7,"voided_on":"2026-04-02"}
{"op":"record_payment","org_id":1,"store_id":1,"customer_id":3,"paid_on":"2026-04-05","method":"card","amount":"106.00","apply":[{"invoice_id":6,"amount":"106.00"}]}
"#;

fn row(cells: &[&str]) -> Vec<String> {
    cells.iter().map(|s| (*s).to_string()).collect()
}

#[tokio::test]
async fn aging_as_of_a_date_counts_what_was_known_then() -> Result<()> {
    let books = Books::from_journal(JOURNAL).await?;

    // As of 2026-03-31: invoice 4 is void, invoice 7 not yet; the check bounced; the write-off is in;
    // Cy's 2026-04-05 payment is not. Ages: inv 2 = 80 days, inv 5 = 16, inv 7 = 1, inv 1 = 120, inv 3 = 39,
    // inv 6 = 11. Cy's credits: 50.00 − 20.00 refunded = 30.00 unapplied, plus 20.00 of store credit.
    let o = books.run("ar_aging", "summary", &[("as_of", "2026-03-31")]).await?;
    let labels: Vec<&str> = o.header.shown().map(|(_, c)| c.label.as_ref()).collect();
    assert_eq!(labels, ["Customer", "0–30", "31–60", "61–90", "91+", "Total open", "Unapplied / credits", "Net"]);
    assert_eq!(
        table(&o),
        [
            // 212.00 + 53.00 | — | 1,060.00 − 500.00
            row(&["Ann Lee", "265.00", "0.00", "560.00", "0.00", "825.00", "0.00", "825.00"]),
            // 530.00 | 318.00 − 100.00
            row(&["Bob Stone", "0.00", "530.00", "0.00", "218.00", "748.00", "0.00", "748.00"]),
            row(&["Cy Gold", "106.00", "0.00", "0.00", "0.00", "106.00", "-50.00", "56.00"]),
        ]
    );
    assert_eq!(footer(&o), row(&["Total", "371.00", "530.00", "560.00", "218.00", "1,679.00", "-50.00", "1,629.00"]));
    assert_eq!(o.total("net"), m("1629.00"));

    // As of 2026-02-28 nothing from March counts: Ann's inv 2 is 49 days old, Bob's inv 3 8 days and inv 1
    // 89 days with no write-off yet; Cy has nothing.
    let o = books.run("ar_aging", "summary", &[("as_of", "2026-02-28")]).await?;
    assert_eq!(
        table(&o),
        [
            row(&["Ann Lee", "0.00", "560.00", "0.00", "0.00", "560.00", "0.00", "560.00"]),
            row(&["Bob Stone", "530.00", "0.00", "318.00", "0.00", "848.00", "0.00", "848.00"]),
        ]
    );
    assert_eq!(o.total("open"), m("1408.00"));

    // As of 2026-03-03 the check that bounced on 03-05 still pays inv 3, and inv 4 is already void: Bob owes
    // inv 1 alone (92 days), Ann inv 2 (52 days)
    let o = books.run("ar_aging", "summary", &[("as_of", "2026-03-03")]).await?;
    assert_eq!(
        table(&o),
        [
            row(&["Ann Lee", "0.00", "560.00", "0.00", "0.00", "560.00", "0.00", "560.00"]),
            row(&["Bob Stone", "0.00", "0.00", "0.00", "318.00", "318.00", "0.00", "318.00"]),
        ]
    );
    // and Cy's 50.00 on account is all unapplied on 03-25, before 20.00 of it is refunded
    let o = books.run("ar_aging", "credits", &[("as_of", "2026-03-25")]).await?;
    assert_eq!(o.total("amount"), m("-50.00"));
    Ok(())
}

#[tokio::test]
async fn due_date_basis_puts_invoices_not_yet_due_in_current() -> Result<()> {
    let books = Books::from_journal(JOURNAL).await?;
    // As of 2026-03-15 by due date: Bob's terms make inv 3 due 2026-03-22 (Current) and inv 1 due 2025-12-31
    // (74 days); Ann's invoices are due on receipt: inv 2 is 64 days, inv 5 is due today (0 days).
    let o = books.run("ar_aging", "summary", &[("as_of", "2026-03-15"), ("basis", "due_date")]).await?;
    let labels: Vec<&str> = o.header.shown().map(|(_, c)| c.label.as_ref()).collect();
    assert_eq!(
        labels,
        ["Customer", "Current", "0–30", "31–60", "61–90", "91+", "Total open", "Unapplied / credits", "Net"]
    );
    assert_eq!(
        table(&o),
        [
            row(&["Ann Lee", "0.00", "212.00", "0.00", "560.00", "0.00", "772.00", "0.00", "772.00"]),
            row(&["Bob Stone", "530.00", "0.00", "0.00", "218.00", "0.00", "748.00", "0.00", "748.00"]),
        ]
    );
    // custom edges: 0–60, 61+
    let o = books.run("ar_aging", "summary", &[("as_of", "2026-03-31"), ("edges", "60")]).await?;
    assert_eq!(footer(&o), row(&["Total", "901.00", "778.00", "1,679.00", "-50.00", "1,629.00"]));
    Ok(())
}

#[tokio::test]
async fn the_net_total_equals_the_customers_balance_in_the_books() -> Result<()> {
    let books = Books::from_journal(JOURNAL).await?;
    let o = books.run("ar_aging", "summary", &[("as_of", "2026-06-30")]).await?;
    // invoices 2,226.00 (1, 2, 3, 5, 6) − payments in 656.00 (500 + 50 + 106; the bounced check is void)
    // + refunds out 20.00 − write-offs 100.00 − store credit 20.00 = 1,470.00
    let books_balance = books
        .books_i64(
            "select (select sum(total_cents) from invoices where status = 'finalized')
                  - (select sum(amount_cents) from payments where status = 'posted' and direction = 'in')
                  + (select coalesce(sum(amount_cents), 0) from payments where status = 'posted' and direction = 'out')
                  - (select coalesce(sum(amount_cents), 0) from write_offs where voided_on is null)
                  - (select coalesce(sum(amount_cents), 0) from store_credit_entries) as v",
        )
        .await?;
    assert_eq!(books_balance, 147_000);
    assert_eq!(o.total("net"), reports::Value::Money(i128::from(books_balance)));
    // Cy owes nothing but is owed 50.00: a row of credits only
    assert_eq!(table(&o)[2], row(&["Cy Gold", "0.00", "0.00", "0.00", "0.00", "0.00", "-50.00", "-50.00"]));
    Ok(())
}

#[tokio::test]
async fn drills_open_the_rows_behind_a_cell_and_sum_to_it() -> Result<()> {
    let books = Books::from_journal(JOURNAL).await?;
    let at = [("as_of", "2026-03-31")];

    // Ann's name → her open invoices, oldest first
    let o = books.drill("ar_aging", "summary", &at, "1:customer").await?;
    let cells: Vec<Vec<String>> =
        table(&o).into_iter().map(|r| vec![r[1].clone(), r[4].clone(), r[7].clone(), r[8].clone()]).collect();
    assert_eq!(
        cells,
        [
            row(&["INV-000002", "1,060.00", "560.00", "80"]),
            row(&["INV-000005", "212.00", "212.00", "16"]),
            row(&["INV-000007", "53.00", "53.00", "1"]),
        ]
    );
    assert_eq!(o.total("balance"), m("825.00"));

    // the 0–30 total → every invoice in that bucket
    let o = books.drill("ar_aging", "summary", &at, "total:b1").await?;
    assert_eq!(o.rows, 3);
    assert_eq!(o.total("balance"), m("371.00"));

    // Cy's credits → the unapplied payment and the store credit
    let o = books.drill("ar_aging", "summary", &at, "3:credits").await?;
    let kinds: Vec<String> = table(&o).into_iter().map(|r| format!("{} {}", r[1], r[4])).collect();
    assert_eq!(kinds, ["Unapplied payment -30.00", "Store credit -20.00"]);
    assert_eq!(o.total("amount"), m("-50.00"));

    // Bob's bounced check in his invoice's history
    let o = books.drill("ar_aging", "invoices", &[("as_of", "2026-03-31"), ("customer", "2")], "2:invoice_no").await?;
    assert_eq!(
        table(&o),
        [
            row(&["2026-02-20", "Invoice", "INV-000003", "530.00", "530.00"]),
            row(&["2026-03-01", "Payment", "check #2", "-530.00", "0.00"]),
            row(&["2026-03-05", "Payment voided", "#2", "530.00", "530.00"]),
        ]
    );
    Ok(())
}

#[tokio::test]
async fn bad_parameters_and_foreign_stores_are_refused_by_name() -> Result<()> {
    let books = Books::from_journal(JOURNAL).await?;
    let err = books.run("ar_aging", "summary", &[("as_of", "31/03/2026")]).await.unwrap_err().to_string();
    assert!(
        err.starts_with("param as_of: \"31/03/2026\" — not a date (YYYY-MM-DD, or one of: today, yesterday"),
        "{err}"
    );
    let err = books.run("ar_aging", "summary", &[("basis", "ship_date")]).await.unwrap_err().to_string();
    assert_eq!(err, "param basis: \"ship_date\" — must be one of: invoice_date, due_date");
    let err = books.run("ar_aging", "summary", &[("store", "9")]).await.unwrap_err().to_string();
    assert_eq!(err, "param store: \"9\" — no such store among those you may see");
    let err = books.run("ar_aging", "weekly", &[]).await.unwrap_err().to_string();
    assert_eq!(err, "report ar_aging has no view \"weekly\" (it has: summary, invoices, credits, history, lines)");
    // a user allowed only another store sees no invoices and no payments
    let o = books.run_scoped("ar_aging", "summary", &[("as_of", "2026-03-31"), ("store", "1")], Some(vec![1])).await?;
    assert_eq!(o.total("open"), m("1679.00"));
    // a scope naming a store the org does not have is refused, whatever the parameters
    let err = books.run_scoped("ar_aging", "summary", &[("store", "1")], Some(vec![2])).await.unwrap_err().to_string();
    assert_eq!(err, "param store: \"2\" — no such store in this org");
    let err = books.run_scoped("ar_aging", "summary", &[("as_of", "2026-03-31")], Some(vec![2])).await.unwrap_err();
    assert_eq!(err.to_string(), "param store: \"2\" — no such store in this org");
    Ok(())
}

/// Money applied after the fact and goodwill credit, each counted from its own date. Store MAIN taxes at 6 %,
/// so the lines here are untaxed and an invoice's total is its line.
///
/// | date | what happens |
/// |---|---|
/// | 2026-02-20 | INV-000001, Ann, 600.00 |
/// | 2026-03-01 | Ann pays 1,000.00 in cash, left on account (`apply: "none"`) |
/// | 2026-03-10 | `apply_payment`: 600.00 of it to INV-000001 |
/// | 2026-03-12 | Bo gets 50.00 of goodwill store credit |
/// | 2026-03-20 | INV-000002, Ann, 500.00; Bo's credit voided |
/// | 2026-03-25 | `apply_payment` oldest first: the 400.00 left to INV-000002 |
const LATER: &str = r#"
{"op":"create_org","name":"Test Jewelers"}
{"op":"create_store","org_id":1,"code":"MAIN","name":"Main Street","tax_rate":"6"}
{"op":"create_contact","org_id":1,"name":"Ann Lee","customer":true,"created_on":"2026-01-01"}
{"op":"create_contact","org_id":1,"name":"Bob Stone","customer":true,"created_on":"2026-01-01"}
{"op":"create_invoice","org_id":1,"store_id":1,"customer_id":1,"invoice_date":"2026-02-20","lines":[{"kind":"misc","description":"Chain","unit_price":"600.00","taxable":false}],"finalize":true}
{"op":"record_payment","org_id":1,"store_id":1,"customer_id":1,"paid_on":"2026-03-01","method":"cash","amount":"1000.00","apply":"none"}
{"op":"apply_payment","org_id":1,"payment_id":1,"applied_on":"2026-03-10","apply":[{"invoice_id":1,"amount":"600.00"}]}
{"op":"issue_store_credit","org_id":1,"customer_id":2,"amount":"50.00","issued_on":"2026-03-12","reason":"Repair ran late"}
{"op":"create_invoice","org_id":1,"store_id":1,"customer_id":1,"invoice_date":"2026-03-20","lines":[{"kind":"misc","description":"Clasp","unit_price":"500.00","taxable":false}],"finalize":true}
{"op":"void_store_credit","org_id":1,"store_credit_id":1,"voided_on":"2026-03-20"}
{"op":"apply_payment","org_id":1,"payment_id":1,"applied_on":"2026-03-25"}
"#;

#[tokio::test]
async fn money_applied_later_and_goodwill_credit_count_from_their_own_dates() -> Result<()> {
    let books = Books::from_journal(LATER).await?;
    let b = &books;
    let summary = move |as_of: &'static str| async move { b.run("ar_aging", "summary", &[("as_of", as_of)]).await };

    // 03-05: the payment is in, not yet applied: INV-000001 owes all 600.00 (13 days) and the 1,000.00 is on
    // account
    assert_eq!(
        table(&summary("2026-03-05").await?),
        [row(&["Ann Lee", "600.00", "0.00", "0.00", "0.00", "600.00", "-1,000.00", "-400.00"])]
    );
    // 03-10: applied that day: INV-000001 is paid and 400.00 is left on account
    assert_eq!(
        table(&summary("2026-03-10").await?),
        [row(&["Ann Lee", "0.00", "0.00", "0.00", "0.00", "0.00", "-400.00", "-400.00"])]
    );
    // 03-12 to 03-19 Bo holds 50.00 of goodwill credit, and no more from its void on 03-20
    let o = summary("2026-03-15").await?;
    assert_eq!(
        table(&o),
        [
            row(&["Ann Lee", "0.00", "0.00", "0.00", "0.00", "0.00", "-400.00", "-400.00"]),
            row(&["Bob Stone", "0.00", "0.00", "0.00", "0.00", "0.00", "-50.00", "-50.00"]),
        ]
    );
    assert_eq!(footer(&o), row(&["Total", "0.00", "0.00", "0.00", "0.00", "0.00", "-450.00", "-450.00"]));
    let o = books.drill("ar_aging", "summary", &[("as_of", "2026-03-15")], "2:credits").await?;
    assert_eq!(table(&o), [row(&["Bob Stone", "Store credit", "balance", "2026-03-12", "-50.00"])]);
    assert!(table(&summary("2026-03-11").await?).iter().all(|r| r[0] != "Bob Stone"));
    // 03-22: Bo's credit is void; INV-000002 owes 500.00 (2 days) and the 400.00 still waits on account
    assert_eq!(
        table(&summary("2026-03-22").await?),
        [row(&["Ann Lee", "500.00", "0.00", "0.00", "0.00", "500.00", "-400.00", "100.00"])]
    );
    // 03-25: oldest first put the 400.00 on INV-000002 (INV-000001 owed nothing): 100.00 open, nothing on account
    let o = summary("2026-03-25").await?;
    assert_eq!(table(&o), [row(&["Ann Lee", "100.00", "0.00", "0.00", "0.00", "100.00", "0.00", "100.00"])]);

    // INV-000001's history shows the payment on the day it was applied, not the day it was received
    let o = books.drill("ar_aging", "invoices", &[("as_of", "2026-03-05")], "1:invoice_no").await?;
    assert_eq!(table(&o), [row(&["2026-02-20", "Invoice", "INV-000001", "600.00", "600.00"])]);
    let o = books.run("ar_aging", "history", &[("as_of", "2026-03-31"), ("invoice", "1")]).await?;
    assert_eq!(
        table(&o),
        [
            row(&["2026-02-20", "Invoice", "INV-000001", "600.00", "600.00"]),
            row(&["2026-03-10", "Payment", "cash #1", "-600.00", "0.00"]),
        ]
    );

    // and the net total is the books' balance: invoices 1,100.00 − payments 1,000.00 − store credit 0.00
    let books_balance = books
        .books_i64(
            "select (select sum(total_cents) from invoices where status = 'finalized')
                  - (select sum(amount_cents) from payments where status = 'posted' and direction = 'in')
                  - (select coalesce(sum(amount_cents), 0) from store_credit_entries) as v",
        )
        .await?;
    assert_eq!(books_balance, 10_000);
    assert_eq!(o.rows, 2);
    assert_eq!(summary("2026-06-30").await?.total("net"), reports::Value::Money(i128::from(books_balance)));
    Ok(())
}
