//! Taking back write-offs and vendor invoices, and restoring a deleted invoice line from the audit log.

use anyhow::Result;

use crate::support::TestDb;

async fn shop(t: &TestDb) -> Result<()> {
    t.json(r#"{"op":"create_org","name":"Void Jewelers"}"#).await?;
    t.json(r#"{"op":"create_store","org_id":1,"code":"V","name":"Void","tax_rate":"6"}"#).await?;
    t.json(r#"{"op":"create_contact","org_id":1,"name":"Ann","customer":true}"#).await?;
    t.json(r#"{"op":"create_contact","org_id":1,"name":"Stuller","vendor":true}"#).await?;
    Ok(())
}

/// Total − live applications of posted payments − live write-offs, worked out here in SQL.
const BALANCE: &str = "select i.total_cents
    - cast(coalesce((select sum(a.amount_cents) from payment_applications a join payments p on p.id = a.payment_id
        where a.invoice_id = i.id and a.voided_on is null and p.status = 'posted'), 0) as bigint)
    - cast(coalesce((select sum(x.amount_cents) from write_offs x where x.invoice_id = i.id and x.voided_on is null), 0) as bigint)
    as v from invoices i where i.id = 1";

#[tokio::test]
async fn a_voided_write_off_makes_the_invoice_owed_again() -> Result<()> {
    for t in TestDb::all().await? {
        shop(&t).await?;
        // 200.00 + 6% = 212.00, 12.00 paid
        t.json(r#"{"op":"create_invoice","org_id":1,"store_id":1,"customer_id":1,"invoice_date":"2026-01-05","lines":[{"kind":"misc","description":"Appraisal","unit_price":"200.00"}],"finalize":true,"payments":[{"method":"cash","amount":"12.00"}]}"#).await?;
        t.json(r#"{"op":"write_off","org_id":1,"invoice_id":1,"written_on":"2026-01-10"}"#).await?;
        assert_eq!(t.scalar(BALANCE).await?, 0);
        assert_eq!(t.scalar("select amount_cents as v from write_offs where id = 1").await?, 20_000);
        let e = t.json_err(r#"{"op":"void_write_off","org_id":1,"write_off_id":1,"voided_on":"2026-01-09"}"#).await;
        assert_eq!(e.to_string(), "voided_on: 2026-01-09 — is before the write-off date 2026-01-10");
        t.json(r#"{"op":"void_write_off","org_id":1,"write_off_id":1,"voided_on":"2026-01-12"}"#).await?;
        assert_eq!(t.scalar(BALANCE).await?, 20_000);
        // the customer pays after all: oldest first finds the invoice owed again
        t.json(r#"{"op":"record_payment","org_id":1,"store_id":1,"customer_id":1,"paid_on":"2026-01-13","method":"check","amount":"200.00"}"#).await?;
        assert_eq!(t.scalar(BALANCE).await?, 0);
        let e = t.json_err(r#"{"op":"void_write_off","org_id":1,"write_off_id":1}"#).await;
        assert_eq!(e.to_string(), "write-off 1 is already voided");
        t.json(r#"{"op":"create_org","name":"Elsewhere"}"#).await?;
        let e = t.json_err(r#"{"op":"void_write_off","org_id":2,"write_off_id":1}"#).await;
        assert_eq!(e.to_string(), "write_off_id: 1 — no such write-off in this org");
    }
    Ok(())
}

#[tokio::test]
async fn a_vendor_invoice_is_voided_only_once_nothing_pays_it() -> Result<()> {
    for t in TestDb::all().await? {
        shop(&t).await?;
        t.json(r#"{"op":"create_vendor_invoice","org_id":1,"vendor_id":2,"vendor_ref":"ST-7","invoice_date":"2026-01-04","amount":"100.00"}"#).await?;
        t.json(r#"{"op":"record_vendor_payment","org_id":1,"vendor_id":2,"paid_on":"2026-01-06","amount":"40.00","method":"check","applications":[{"vendor_invoice_id":1,"amount":"40.00"}]}"#).await?;
        let e = t
            .json_err(r#"{"op":"void_vendor_invoice","org_id":1,"vendor_invoice_id":1,"voided_on":"2026-01-07"}"#)
            .await;
        assert_eq!(
            e.to_string(),
            "vendor_invoice_id: 1 — 40.00 of vendor invoice ST-7 is paid by vendor payment 1: void the payment first"
        );
        t.json(r#"{"op":"void_vendor_payment","org_id":1,"vendor_payment_id":1,"voided_on":"2026-01-07"}"#).await?;
        t.json(r#"{"op":"void_vendor_invoice","org_id":1,"vendor_invoice_id":1,"voided_on":"2026-01-07"}"#).await?;
        assert_eq!(
            t.scalar("select count(*) as v from vendor_invoices where status = 'voided' and voided_on is not null")
                .await?,
            1
        );
        let e = t.json_err(r#"{"op":"record_vendor_payment","org_id":1,"vendor_id":2,"paid_on":"2026-01-08","amount":"10.00","method":"check","applications":[{"vendor_invoice_id":1,"amount":"10.00"}]}"#).await;
        assert!(e.to_string().starts_with("applications[0].vendor_invoice_id: 1 — "), "{e}");
    }
    Ok(())
}

#[tokio::test]
async fn a_deleted_line_comes_back_as_it_was_while_its_invoice_is_open() -> Result<()> {
    for t in TestDb::all().await? {
        shop(&t).await?;
        t.json(r#"{"op":"create_invoice","org_id":1,"store_id":1,"customer_id":1,"invoice_date":"2026-01-05","lines":[{"kind":"misc","description":"Cleaning","unit_price":"30.00"},{"kind":"misc","description":"Engraving","unit_price":"70.00","adjustment":"5.00"}]}"#).await?;
        let full = t.scalar("select total_cents as v from invoices where id = 1").await?;
        // 30.00 + 65.00 = 95.00, + 6% = 100.70
        assert_eq!(full, 10_070);
        t.json(r#"{"op":"remove_invoice_line","org_id":1,"line_id":2}"#).await?;
        assert_eq!(t.scalar("select total_cents as v from invoices where id = 1").await?, 3_180);
        t.json(r#"{"op":"create_org","name":"Elsewhere"}"#).await?;
        let e = t.json_err(r#"{"op":"restore_record","org_id":2,"entity":"invoice_lines","entity_id":2}"#).await;
        assert_eq!(e.to_string(), "entity_id: 2 — no invoice_lines record with this id in this org");
        let e = t.json_err(r#"{"op":"restore_record","org_id":1,"entity":"payments","entity_id":2}"#).await;
        assert_eq!(
            e.to_string(),
            "entity: payments — only invoice_lines are ever deleted; other records are voided or reversed"
        );
        t.json(r#"{"op":"restore_record","org_id":1,"entity":"invoice_lines","entity_id":2}"#).await?;
        assert_eq!(t.scalar("select total_cents as v from invoices where id = 1").await?, full);
        assert_eq!(t.scalar("select adjustment_cents as v from invoice_lines where id = 2").await?, 500);
        assert_eq!(t.scalar("select line_no as v from invoice_lines where id = 2").await?, 2);
        assert_eq!(t.scalar("select count(*) as v from audit_log where entity = 'invoice_lines' and entity_id = 2 and action = 'restore'").await?, 1);
        assert_eq!(t.scalar("select count(*) as v from change_log where entity = 'invoice_lines' and entity_id = 2 and op = 'insert'").await?, 2);
        let e = t.json_err(r#"{"op":"restore_record","org_id":1,"entity":"invoice_lines","entity_id":2}"#).await;
        assert_eq!(e.to_string(), "entity_id: 2 — invoice_lines 2 is not deleted");
        // once the invoice is finalized, a line removed before stays removed
        t.json(r#"{"op":"remove_invoice_line","org_id":1,"line_id":1}"#).await?;
        t.json(r#"{"op":"finalize_invoice","org_id":1,"invoice_id":1}"#).await?;
        let e = t.json_err(r#"{"op":"restore_record","org_id":1,"entity":"invoice_lines","entity_id":1}"#).await;
        assert_eq!(e.to_string(), "entity_id: 1 — its invoice INV-000001 is finalized; only open invoices change");
    }
    Ok(())
}
