//! The books' bounds on money, quantities and percents, and the figures worked out from them: each input that
//! once overflowed (a wrapped line amount, an amount too large for the lake, a JSON integer cost that turned a
//! lot's pool cost into a float) is refused by field, value and bound, and leaves the books as they were.

use anyhow::Result;
use oltp::sales::{CreateInvoice, LineInput};
use oltp::types::{LineKind, Money};

use crate::inventory::opening;
use crate::support::TestDb;

/// How many change and audit rows the books hold.
async fn written(t: &TestDb) -> Result<(i64, i64)> {
    Ok((
        t.scalar("select count(*) as v from change_log").await?,
        t.scalar("select count(*) as v from audit_log").await?,
    ))
}

/// Runs a journal line that must be refused; checks it wrote nothing and returns the message.
async fn refused(t: &TestDb, line: &str) -> Result<String> {
    let before = written(t).await?;
    let e = t.json_err(line).await;
    assert_eq!(written(t).await?, before, "{line} wrote something");
    Ok(e.to_string())
}

/// A finalized invoice at store `store` with misc lines of `qty` × `price`.
fn misc(store: i64, lines: &[(i64, &str)]) -> String {
    open_misc(store, lines).replace(r#""lines""#, r#""finalize":true,"lines""#)
}

/// [`misc`], left open.
fn open_misc(store: i64, lines: &[(i64, &str)]) -> String {
    let lines: Vec<String> = lines
        .iter()
        .map(|(qty, price)| {
            format!(r#"{{"kind":"misc","description":"Engraving","qty":{qty},"unit_price":"{price}"}}"#)
        })
        .collect();
    format!(
        r#"{{"op":"create_invoice","org_id":1,"store_id":{store},"customer_id":2,"invoice_date":"2026-01-10","lines":[{}]}}"#,
        lines.join(",")
    )
}

#[tokio::test]
async fn amounts_past_the_bound_are_refused_where_they_are_parsed() -> Result<()> {
    for t in TestDb::all().await? {
        opening(&t).await?;
        t.json(r#"{"op":"create_contact","org_id":1,"name":"Ann","customer":true}"#).await?;
        // 4 × 50,000,000,000,000,000.00 once wrapped to a negative amount
        assert_eq!(
            refused(&t, &misc(1, &[(4, "50000000000000000.00")])).await?,
            "lines[0].unit_price: 50000000000000000.00 — amounts run from -99999999.99 to 99999999.99"
        );
        // 90,000,000,000,000,000.00 fitted in cents but not in the lake's Decimal128(18, 2)
        assert_eq!(
            refused(&t, &misc(1, &[(1, "90000000000000000.00")])).await?,
            "lines[0].unit_price: 90000000000000000.00 — amounts run from -99999999.99 to 99999999.99"
        );
        // the bound itself is taken, a cent more is not
        assert_eq!(
            refused(&t, &misc(1, &[(1, "100000000.00")])).await?,
            "lines[0].unit_price: 100000000.00 — amounts run from -99999999.99 to 99999999.99"
        );
        t.json(&misc(1, &[(1, "99999999.99")])).await?;
        // a negative amount has the same bound
        assert_eq!(
            refused(&t, r#"{"op":"add_item_cost","org_id":1,"item_id":1,"kind":"credit","amount":"-100000000"}"#)
                .await?,
            "amount: -100000000 — amounts run from -99999999.99 to 99999999.99"
        );
        // and so does every other money field
        assert_eq!(
            refused(&t, r#"{"op":"record_payment","org_id":1,"store_id":1,"customer_id":2,"method":"cash","amount":"123456789012.00"}"#).await?,
            "amount: 123456789012.00 — amounts run from -99999999.99 to 99999999.99"
        );
        // more digits than any integer holds is still just out of bounds
        assert_eq!(
            refused(&t, r#"{"op":"record_payment","org_id":1,"store_id":1,"customer_id":2,"method":"cash","amount":"99999999999999999999999999.00"}"#).await?,
            "amount: 99999999999999999999999999.00 — amounts run from -99999999.99 to 99999999.99"
        );
    }
    Ok(())
}

#[tokio::test]
async fn money_in_json_is_a_string_never_a_number() -> Result<()> {
    for t in TestDb::all().await? {
        opening(&t).await?;
        // a JSON integer cost once went in as whole dollars and overflowed the lot's pool cost into a float
        t.json(r#"{"op":"receive_stock","org_id":1,"store_id":1,"style_id":2,"qty":5,"cost":"250.00","received_on":"2026-01-02"}"#).await?;
        assert_eq!(
            refused(
                &t,
                r#"{"op":"receive_stock","org_id":1,"store_id":1,"style_id":2,"qty":1,"cost":92233720368547758}"#
            )
            .await?,
            "cost: 92233720368547758 — money is written as a string like \"1250.00\", never a JSON number"
        );
        assert_eq!(
            refused(&t, r#"{"op":"receive_stock","org_id":1,"store_id":1,"style_id":2,"qty":1,"cost":20}"#).await?,
            "cost: 20 — money is written as a string like \"1250.00\", never a JSON number"
        );
        assert_eq!(
            refused(&t, r#"{"op":"update_store","org_id":1,"store_id":1,"tax_rate":6}"#).await?,
            "tax_rate: 6 — a percent is written as a string like \"6.25\", never a JSON number"
        );
        // the lot's pool cost is still whole cents, and the lot still sells
        assert_eq!(t.scalar("select pool_cost_cents as v from items where id = 1").await?, 25_000);
        t.json(r#"{"op":"create_contact","org_id":1,"name":"Ann","customer":true}"#).await?;
        t.json(r#"{"op":"create_invoice","org_id":1,"store_id":1,"customer_id":2,"invoice_date":"2026-01-10","finalize":true,"lines":[{"kind":"sale","item_id":1,"qty":2}]}"#).await?;
        assert!(oltp::reconcile::inventory(&t.db).await?.is_empty());
    }
    Ok(())
}

#[tokio::test]
async fn quantities_and_percents_past_their_bounds_are_refused() -> Result<()> {
    for t in TestDb::all().await? {
        opening(&t).await?;
        assert_eq!(
            refused(&t, r#"{"op":"receive_stock","org_id":1,"store_id":1,"style_id":2,"qty":1000001,"cost":"1.00"}"#)
                .await?,
            "qty: 1000001 — quantities run up to 1000000"
        );
        t.json(r#"{"op":"receive_stock","org_id":1,"store_id":1,"style_id":2,"qty":1000000,"cost":"1.00"}"#).await?;
        t.json(r#"{"op":"create_contact","org_id":1,"name":"Ann","customer":true}"#).await?;
        // a return's quantity is bounded on its negative side too (it once overflowed when negated)
        assert_eq!(
            refused(&t, r#"{"op":"create_invoice","org_id":1,"store_id":1,"customer_id":2,"lines":[{"kind":"return","returned_line_id":1,"qty":-9223372036854775808}]}"#).await?,
            "lines[0].qty: -9223372036854775808 — quantities run down to -1000000"
        );
        assert_eq!(
            refused(&t, r#"{"op":"count_stock","org_id":1,"item_id":1,"counted":5000000}"#).await?,
            "counted: 5000000 — quantities run up to 1000000"
        );
        assert_eq!(
            refused(&t, r#"{"op":"update_store","org_id":1,"store_id":1,"tax_rate":"150"}"#).await?,
            "tax_rate: 150 — percents run from 0 to 100"
        );
        assert_eq!(
            refused(&t, r#"{"op":"update_store","org_id":1,"store_id":1,"surtax_rate":"-1"}"#).await?,
            "surtax_rate: -1 — percents run from 0 to 100"
        );
        assert_eq!(
            refused(&t, r#"{"op":"update_store","org_id":1,"store_id":1,"retail_multiplier":"10000.01"}"#).await?,
            "retail_multiplier: 10000.01 — multipliers run from 0 to 10000 percent"
        );
    }
    Ok(())
}

#[tokio::test]
async fn figures_worked_out_past_the_books_bound_are_refused() -> Result<()> {
    for t in TestDb::all().await? {
        opening(&t).await?;
        t.json(r#"{"op":"create_contact","org_id":1,"name":"Ann","customer":true}"#).await?;
        // qty × price, each inside its bound, past the largest figure the books keep
        assert_eq!(
            refused(&t, &misc(1, &[(1_000_000, "99999999.99")])).await?,
            "lines[0]: 1000000 × 99999999.99 — the line comes to 99999999990000.00; the books keep figures up to \
             9999999999.99"
        );
        // 101 lines, each the largest amount: the subtotal is past the bound
        let many = vec![(1, "99999999.99"); 101];
        assert_eq!(
            refused(&t, &misc(2, &many)).await?,
            "lines: (101 lines) — the invoice's subtotal comes to 10099999998.99; the books keep figures up to \
             9999999999.99"
        );
        // 100 of them fit, but not with 6% tax on top
        let hundred = vec![(1, "99999999.99"); 100];
        assert_eq!(
            refused(&t, &misc(2, &hundred)).await?,
            "lines: (100 lines) — the invoice's total comes to 10599999998.94; the books keep figures up to \
             9999999999.99"
        );
        // nor lines added one command at a time
        let open = t.json(&open_misc(2, &vec![(1, "1.00"); 100])).await?;
        let add = format!(
            r#"{{"op":"add_invoice_lines","org_id":1,"invoice_id":{},"lines":[{{"kind":"misc","description":"Gold","qty":100,"unit_price":"99999999.99"}},{{"kind":"misc","description":"Gold","qty":1,"unit_price":"99999999.99"}}]}}"#,
            open.id
        );
        assert_eq!(
            refused(&t, &add).await?,
            "lines: (102 lines) — the invoice's subtotal comes to 10100000098.99; the books keep figures up to \
             9999999999.99"
        );
        // a lot's pool cost grows receipt by receipt: the receipt that would take it past the bound is refused
        for _ in 0..100 {
            t.json(r#"{"op":"receive_stock","org_id":1,"store_id":1,"style_id":2,"qty":1,"cost":"99999999.99"}"#)
                .await?;
        }
        assert_eq!(
            refused(&t, r#"{"op":"receive_stock","org_id":1,"store_id":1,"style_id":2,"qty":1,"cost":"1.00"}"#).await?,
            "cost: 1.00 — the pool cost of L-000001 comes to 10000000000.00; the books keep figures up to \
             9999999999.99"
        );
        assert_eq!(
            t.scalar("select pool_cost_cents as v from items where stock_no = 'L-000001'").await?,
            999_999_999_900
        );
        // a purchase order line's cost and a memo line's value are figures too
        assert_eq!(
            refused(&t, r#"{"op":"create_purchase_order","org_id":1,"store_id":1,"vendor_id":1,"lines":[{"style_id":2,"qty":200,"unit_cost":"99999999.99"}]}"#).await?,
            "lines[0]: 200 × 99999999.99 — the line's cost comes to 19999999998.00; the books keep figures up to \
             9999999999.99"
        );
        assert_eq!(
            refused(&t, r#"{"op":"issue_memo","org_id":1,"store_id":1,"customer_id":2,"lines":[{"item_id":1,"qty":101,"memo_price":"99999999.99"}]}"#).await?,
            "lines[0]: 101 × 99999999.99 — the line comes to 10099999998.99; the books keep figures up to \
             9999999999.99"
        );
        // payments applied: each inside the bound, together past it
        let apply: Vec<String> = (0..101).map(|_| r#"{"invoice_id":1,"amount":"99999999.99"}"#.to_string()).collect();
        assert_eq!(
            refused(&t, &format!(r#"{{"op":"record_payment","org_id":1,"store_id":1,"customer_id":2,"method":"cash","amount":"99999999.99","apply":[{}]}}"#, apply.join(","))).await?,
            "apply: (101 applications) — the applications' total comes to 10099999998.99; the books keep figures \
             up to 9999999999.99"
        );
        assert!(oltp::reconcile::inventory(&t.db).await?.is_empty());
    }
    Ok(())
}

#[tokio::test]
async fn a_command_built_in_code_gets_the_same_checked_arithmetic() -> Result<()> {
    for t in TestDb::all().await? {
        opening(&t).await?;
        t.json(r#"{"op":"create_contact","org_id":1,"name":"Ann","customer":true}"#).await?;
        let before = written(&t).await?;
        // no parse stands in the way of a command made in Rust; the line's figure is still checked
        let cmd = CreateInvoice {
            org_id: 1,
            store_id: 1,
            customer_id: 2,
            salesperson_id: None,
            invoice_date: None,
            terms_days: None,
            out_of_state: false,
            freight: Money::ZERO,
            fees: Money::ZERO,
            note: None,
            lines: vec![LineInput {
                kind: Some(LineKind::Misc),
                description: Some("Engraving".into()),
                qty: Some(4),
                unit_price: Some(Money(5_000_000_000_000_000_000)),
                ..LineInput::default()
            }],
            finalize: true,
            payments: Vec::new(),
        };
        let e = oltp::execute(&t.db, &t.ctx, &cmd.into()).await.expect_err("a wrapping line is refused");
        assert_eq!(
            e.to_string(),
            "lines[0]: 4 × 50000000000000000.00 — the line comes to 200000000000000000.00; the books keep figures \
             up to 9999999999.99"
        );
        assert_eq!(written(&t).await?, before);
    }
    Ok(())
}
