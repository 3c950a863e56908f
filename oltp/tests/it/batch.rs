//! Many commands in one transaction (journals, the demo), tenders taken with a sale, and update audit rows.

use anyhow::Result;
use oltp::{Batch, BatchError, Command};
use serde_json::json;

use crate::support::TestDb;

fn cmd(v: serde_json::Value) -> Command {
    oltp::ops::parse(&v.to_string()).expect("test command parses")
}

async fn shop(t: &TestDb) -> Result<()> {
    t.json(r#"{"op":"create_org","name":"Batch Jewelers"}"#).await?;
    t.json(r#"{"op":"create_store","org_id":1,"code":"B","name":"Batch","tax_rate":"6"}"#).await?;
    t.json(r#"{"op":"create_contact","org_id":1,"name":"Ann","customer":true}"#).await?;
    Ok(())
}

#[tokio::test]
async fn a_refused_command_in_a_batch_leaves_no_trace_and_the_others_stand() -> Result<()> {
    for t in TestDb::all().await? {
        shop(&t).await?;
        let changes_before = t.scalar("select count(*) as v from change_log").await?;
        let mut batch = Batch::new(t.ctx.clone());
        // 100.00 + 6% = 106.00: 50.00 in cash, the rest (56.00) by card
        let sale = batch
            .run(
                &t.db,
                &cmd(json!({"op":"create_invoice","org_id":1,"store_id":1,"customer_id":1,"invoice_date":"2026-03-02",
                    "lines":[{"kind":"misc","description":"Engraving","unit_price":"100.00"}],"finalize":true,
                    "payments":[{"method":"cash","amount":"50.00"},{"method":"card"}]})),
            )
            .await?;
        assert_eq!(sale.number.as_deref(), Some("INV-000001"));
        assert_eq!(sale.payments.len(), 2);
        // the invoice row and its first line are written before the second line is refused
        let refused = batch
            .run(
                &t.db,
                &cmd(json!({"op":"create_invoice","org_id":1,"store_id":1,"customer_id":1,"invoice_date":"2026-03-02",
                    "lines":[{"kind":"misc","description":"Box","unit_price":"5.00"},{"kind":"sale","item_id":99}]})),
            )
            .await;
        match refused {
            Err(BatchError::Refused(e)) => {
                assert_eq!(e.to_string(), "lines[1].item_id: 99 — no such stock record in this org")
            }
            other => panic!("expected a refusal, got {other:?}"),
        }
        batch.run(&t.db, &cmd(json!({"op":"create_contact","org_id":1,"name":"Bea","customer":true}))).await?;
        assert_eq!(batch.pending(), 2);
        assert_eq!(batch.commit().await?, 2);

        assert_eq!(t.scalar("select count(*) as v from invoices").await?, 1);
        assert_eq!(t.scalar("select count(*) as v from invoice_lines").await?, 1);
        assert_eq!(t.scalar("select total_cents as v from invoices where id = 1").await?, 10_600);
        assert_eq!(t.scalar("select cast(sum(amount_cents) as bigint) as v from payments").await?, 10_600);
        assert_eq!(t.scalar("select amount_cents as v from payments where method = 'card'").await?, 5_600);
        assert_eq!(
            t.scalar("select cast(sum(amount_cents) as bigint) as v from payment_applications where invoice_id = 1")
                .await?,
            10_600
        );
        assert_eq!(t.scalar("select count(*) as v from contacts").await?, 2);
        // nothing of the refused command reached the audit or change log
        assert_eq!(
            t.scalar("select count(*) as v from change_log where entity = 'invoices' and entity_id <> 1").await?,
            0
        );
        assert_eq!(
            t.scalar("select count(*) as v from audit_log where entity = 'invoices' and entity_id <> 1").await?,
            0
        );
        assert_eq!(t.scalar("select count(*) as v from change_log where entity = 'invoice_lines'").await?, 1);
        // creates: invoice, line, 2 payments, 2 applications, contact; updates: the invoice's totals
        assert_eq!(t.scalar("select count(*) as v from change_log").await? - changes_before, 8);
        // its invoice number was given back
        let next = t
            .json(r#"{"op":"create_invoice","org_id":1,"store_id":1,"customer_id":2,"lines":[{"kind":"misc","description":"Box","unit_price":"5.00"}]}"#)
            .await?;
        assert_eq!(next.number.as_deref(), Some("INV-000002"));

        // a batch dropped before its commit leaves nothing
        let mut dropped = Batch::new(t.ctx.clone());
        dropped.run(&t.db, &cmd(json!({"op":"create_contact","org_id":1,"name":"Cy","customer":true}))).await?;
        drop(dropped);
        assert_eq!(t.scalar("select count(*) as v from contacts").await?, 2);
    }
    Ok(())
}

#[tokio::test]
async fn tenders_are_checked_like_payments_and_named_inside_payments() -> Result<()> {
    for t in TestDb::all().await? {
        shop(&t).await?;
        let e = t
            .json_err(r#"{"op":"create_invoice","org_id":1,"store_id":1,"customer_id":1,"lines":[{"kind":"misc","description":"Box","unit_price":"5.00"}],"finalize":true,"payments":[{"method":"card","amount":"3.00"},{"method":"gift_card","amount":"2.30"}]}"#)
            .await;
        assert_eq!(e.to_string(), "payments[1].gift_card_code: (missing) — a gift card payment names the card");
        // 5.00 + 6% = 5.30
        let e = t
            .json_err(r#"{"op":"create_invoice","org_id":1,"store_id":1,"customer_id":1,"lines":[{"kind":"misc","description":"Box","unit_price":"5.00"}],"finalize":true,"payments":[{"method":"card","amount":"10.00"}]}"#)
            .await;
        assert_eq!(e.to_string(), "payments[0].amount: 10.00 — the invoice owes 5.30");
        let e = t
            .json_err(r#"{"op":"create_invoice","org_id":1,"store_id":1,"customer_id":1,"lines":[{"kind":"misc","description":"Box","unit_price":"5.00"}],"finalize":true,"payments":[{"method":"card"},{"method":"cash"}]}"#)
            .await;
        assert_eq!(e.to_string(), "payments[1].amount: (missing) — the invoice owes nothing");
        let e = t
            .json_err(r#"{"op":"create_invoice","org_id":1,"store_id":1,"customer_id":1,"lines":[{"kind":"misc","description":"Box","unit_price":"5.00"}],"finalize":true,"payments":[{"method":"store_credit","amount":"1.00"}]}"#)
            .await;
        assert_eq!(e.to_string(), "payments[0].amount: 1.00 — the customer has 0.00 of store credit");
        // every refusal left nothing behind
        assert_eq!(t.scalar("select count(*) as v from invoices").await?, 0);
        assert_eq!(t.scalar("select count(*) as v from payments").await?, 0);
    }
    Ok(())
}

#[tokio::test]
async fn an_update_is_audited_as_the_columns_it_changed() -> Result<()> {
    for t in TestDb::all().await? {
        shop(&t).await?;
        t.json(r#"{"op":"update_contact","org_id":1,"contact_id":1,"phone":"555-0100","terms_days":30}"#).await?;
        let row =
            t.db.fetch_one(oltp::db::Q::new(
                "select before, after from audit_log where entity = 'contacts' and action = 'update'",
            ))
            .await?;
        let before: serde_json::Value = serde_json::from_str(&row.text("before")?)?;
        let after: serde_json::Value = serde_json::from_str(&row.text("after")?)?;
        assert_eq!(before, json!({"phone": null, "terms_days": null}));
        assert_eq!(after, json!({"phone": "555-0100", "terms_days": 30}));
    }
    Ok(())
}

/// A full disk (SQLite told the file may not grow) is the storage failing, not a command refused: the batch's
/// transaction is lost at the first command that needs room, so a journal stops there instead of refusing
/// every line after it; what was committed before stands.
#[tokio::test]
async fn a_full_disk_loses_the_batch_at_the_first_command_instead_of_refusing_each() -> Result<()> {
    let t = TestDb::sqlite().await?;
    shop(&t).await?;
    let pages = t.scalar("select page_count as v from pragma_page_count()").await?;
    t.db.execute_trusted(&format!("pragma max_page_count = {pages}")).await?;
    let mut batch = Batch::new(t.ctx.clone());
    let mut lost = None;
    for i in 0..5_000 {
        let long = format!("Customer {i} {}", "x".repeat(150));
        match batch.run(&t.db, &cmd(json!({"op":"create_contact","org_id":1,"name":long,"customer":true}))).await {
            Ok(_) => {}
            Err(BatchError::Lost(e)) => {
                lost = Some((i, e));
                break;
            }
            Err(BatchError::Refused(e)) => panic!("command {i} refused, not lost: {e}"),
        }
    }
    let (i, e) = lost.expect("the file filled up");
    assert!(matches!(e, oltp::Error::Storage(_)), "{e}");
    assert!(i > 0 && i < 5_000);
    drop(batch);
    // the contact from before the batch stands; none of the batch's
    assert_eq!(t.scalar("select count(*) as v from contacts").await?, 1);
    Ok(())
}
