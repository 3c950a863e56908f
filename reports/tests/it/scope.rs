//! A user allowed one store sees what that store held, had out on memo and sold on each date — with the pieces'
//! descriptions, costs and partners — however the pieces have moved since; and nothing of the other store's.

use anyhow::Result;

use reports::Value::Count;

use crate::support::{Books, footer, m, table};

/// Stores MAIN (1) and MALL (2). Ring 1 (cost 1,000.00) and ring 2 (1,200.00, Morgan owner 30 %) are received
/// at MAIN on 2026-01-10. Ring 1: recert 100.00 on 02-01, on memo to Ann 02-10 to 02-20, moved to MALL 03-15,
/// repair 50.00 on 04-01. Ring 2: sold to Ann at MAIN 02-05 for 2,200.00, returned 03-05, moved to MALL 03-15.
const JOURNAL: &str = r#"
{"op":"create_org","name":"Test Jewelers"}
{"op":"create_store","org_id":1,"code":"MAIN","name":"Main Street","tax_rate":"6"}
{"op":"create_store","org_id":1,"code":"MALL","name":"Mall","tax_rate":"6"}
{"op":"create_contact","org_id":1,"name":"Stuller","vendor":true,"created_on":"2025-01-01"}
{"op":"create_contact","org_id":1,"name":"Ann Lee","customer":true,"created_on":"2025-01-01"}
{"op":"create_contact","org_id":1,"name":"Morgan Gem Partners","partner":true,"created_on":"2025-01-01"}
{"op":"create_style","org_id":1,"style_no":"R-100","family":"jewelry","category":"rings","description":"Solitaire ring","serialized":true,"retail_price":"2000.00"}
{"op":"receive_item","org_id":1,"store_id":1,"style_id":1,"vendor_id":1,"cost":"1000.00","received_on":"2026-01-10"}
{"op":"receive_item","org_id":1,"store_id":1,"style_id":1,"vendor_id":1,"cost":"1200.00","received_on":"2026-01-10"}
{"op":"add_partnership","org_id":1,"item_id":2,"partner_id":3,"share":"30","kind":"owner"}
{"op":"add_item_cost","org_id":1,"item_id":1,"cost_date":"2026-02-01","kind":"recert","amount":"100.00"}
{"op":"create_invoice","org_id":1,"store_id":1,"customer_id":2,"invoice_date":"2026-02-05","lines":[{"kind":"sale","item_id":2,"unit_price":"2200.00"}],"finalize":true}
{"op":"issue_memo","org_id":1,"store_id":1,"customer_id":2,"memo_date":"2026-02-10","lines":[{"item_id":1,"memo_price":"1900.00"}]}
{"op":"return_memo_line","org_id":1,"memo_line_id":1,"returned_on":"2026-02-20"}
{"op":"create_invoice","org_id":1,"store_id":1,"customer_id":2,"invoice_date":"2026-03-05","lines":[{"kind":"return","returned_line_id":1,"qty":-1}],"finalize":true}
{"op":"transfer_stock","org_id":1,"item_id":1,"to_store_id":2,"moved_on":"2026-03-15"}
{"op":"transfer_stock","org_id":1,"item_id":2,"to_store_id":2,"moved_on":"2026-03-15"}
{"op":"add_item_cost","org_id":1,"item_id":1,"cost_date":"2026-04-01","kind":"repair","amount":"50.00"}
"#;

fn row(cells: &[&str]) -> Vec<String> {
    cells.iter().map(|s| (*s).to_string()).collect()
}

const MAIN: Option<&[i64]> = Some(&[1]);
const MALL: Option<&[i64]> = Some(&[2]);

#[tokio::test]
async fn a_store_sees_the_pieces_it_held_and_sold_after_they_move_away() -> Result<()> {
    let books = Books::from_journal(JOURNAL).await?;
    let run = |report: &'static str, view: &'static str, at: &'static str, stores: Option<&[i64]>| {
        let books = &books;
        let stores = stores.map(<[i64]>::to_vec);
        async move {
            let key = if report == "gross_profit" { "to" } else { "as_of" };
            let mut params = vec![(key, at)];
            if report == "gross_profit" {
                params.push(("from", "2026-02-01"));
            }
            books.run_scoped(report, view, &params, stores).await
        }
    };

    // 2026-03-01: ring 1 is back from memo at MAIN at 1,000.00 + the 100.00 recert; ring 2 is sold
    let main = run("inventory_valuation", "summary", "2026-03-01", MAIN).await?;
    assert_eq!(table(&main), [row(&["jewelry", "1", "1", "1,100.00", "2,000.00", "81.82%"])]);
    assert_eq!(run("inventory_valuation", "summary", "2026-03-01", None).await?.values(), main.values());
    assert_eq!(run("inventory_valuation", "summary", "2026-03-01", MALL).await?.rows, 0);
    let aged = run("inventory_aging", "summary", "2026-03-01", MAIN).await?;
    assert_eq!(aged.total("cost"), m("1100.00"));
    assert_eq!((aged.total("items"), aged.total("qty")), (Count(1), Count(1)));

    // 2026-04-30: both rings are at MALL, ring 1 with the repair too (1,150.00), ring 2 back at 1,200.00
    let mall = run("inventory_valuation", "summary", "2026-04-30", MALL).await?;
    assert_eq!(table(&mall), [row(&["jewelry", "2", "2", "2,350.00", "4,000.00", "70.21%"])]);
    assert_eq!(run("inventory_valuation", "summary", "2026-04-30", MAIN).await?.rows, 0);

    // 2026-02-15: ring 1 out on memo from MAIN, at its cost then (1,100.00)
    let memo = run("memo_liability", "lines", "2026-02-15", MAIN).await?;
    assert_eq!(memo.rows, 1);
    assert_eq!((memo.total("cost"), memo.total("retail")), (m("1100.00"), m("1900.00")));
    assert_eq!(run("memo_liability", "lines", "2026-02-15", MALL).await?.rows, 0);

    // February at MAIN: ring 2 sold for 2,200.00 at 1,200.00; Morgan's 30 % is 660.00 and takes 300.00 of the
    // 1,000.00 GP, whoever looks
    let want = row(&["Total", "1", "2,200.00", "1,200.00", "1,000.00", "45.45%", "660.00", "700.00"]);
    assert_eq!(footer(&run("gross_profit", "summary", "2026-02-28", MAIN).await?), want);
    assert_eq!(footer(&run("gross_profit", "summary", "2026-02-28", None).await?), want);
    assert_eq!(run("gross_profit", "summary", "2026-02-28", MALL).await?.rows, 0);
    Ok(())
}

/// Ann pays 150.00 at MAIN on 2026-03-02 against a 100.00 invoice and takes the 50.00 left over as store
/// credit; Bob's 80.00 payment at MALL stays unapplied.
const CREDIT: &str = r#"
{"op":"create_org","name":"Test Jewelers"}
{"op":"create_store","org_id":1,"code":"MAIN","name":"Main Street"}
{"op":"create_store","org_id":1,"code":"MALL","name":"Mall"}
{"op":"create_contact","org_id":1,"name":"Ann Lee","customer":true,"created_on":"2025-01-01"}
{"op":"create_contact","org_id":1,"name":"Bob Stone","customer":true,"created_on":"2025-01-01"}
{"op":"create_invoice","org_id":1,"store_id":1,"customer_id":1,"invoice_date":"2026-03-01","lines":[{"kind":"misc","description":"Cleaning","unit_price":"100.00"}],"finalize":true}
{"op":"record_payment","org_id":1,"store_id":1,"customer_id":1,"paid_on":"2026-03-02","method":"cash","amount":"150.00"}
{"op":"refund","org_id":1,"store_id":1,"customer_id":1,"paid_on":"2026-03-02","method":"store_credit","amount":"50.00","payment_id":1}
{"op":"record_payment","org_id":1,"store_id":2,"customer_id":2,"paid_on":"2026-03-03","method":"cash","amount":"80.00","apply":"none"}
"#;

/// Store credit belongs to the customer, not to a store: a user allowed some stores sees none of it (as a store
/// filter shows none), and a scope naming a store the org does not have is refused, not shown the org's
/// store-less rows.
#[tokio::test]
async fn a_store_scope_sees_no_store_credit_and_names_only_the_orgs_stores() -> Result<()> {
    let books = Books::from_journal(CREDIT).await?;
    let at = [("as_of", "2026-03-31")];
    // the whole org: Ann's 50.00 store credit, Bob's 80.00 unapplied
    let o = books.run("ar_aging", "credits", &at).await?;
    assert_eq!(o.total("amount"), m("-130.00"));
    // MAIN's user: Ann's payment is wholly applied or refunded there, and the store credit is no store's
    let o = books.run_scoped("ar_aging", "credits", &at, Some(vec![1])).await?;
    assert_eq!((o.rows, o.total("amount")), (0, m("0.00")), "{:?}", table(&o));
    let o = books.run_scoped("ar_aging", "summary", &at, Some(vec![1])).await?;
    assert_eq!(o.rows, 0);
    // MALL's user: Bob's payment only
    let o = books.run_scoped("ar_aging", "credits", &at, Some(vec![2])).await?;
    assert_eq!((o.rows, o.total("amount")), (1, m("-80.00")));
    // a store the org does not have
    let e = books.run_scoped("ar_aging", "summary", &at, Some(vec![999])).await.expect_err("no store 999");
    assert_eq!(e.to_string(), "param store: \"999\" — no such store in this org");
    Ok(())
}
