//! Money on account applied later (`apply_payment`), on hand-worked numbers. Every refusal names its field and
//! changes nothing.
//!
//! Invoices here are single untaxed misc lines, so a total is its line.

use anyhow::Result;
use crate::inventory::opening;
use crate::support::TestDb;

/// Store MAIN, customers Ann (contact 2), Bo (contact 3) and Cy (contact 4).
async fn customers(t: &TestDb) -> Result<()> {
    opening(t).await?;
    t.json(r#"{"op":"create_contact","org_id":1,"name":"Ann Lee","customer":true}"#).await?;
    t.json(r#"{"op":"create_contact","org_id":1,"name":"Bo Stone","customer":true}"#).await?;
    t.json(r#"{"op":"create_contact","org_id":1,"name":"Cy Gold","customer":true}"#).await?;
    Ok(())
}

/// A finalized (or open) invoice of one untaxed misc line.
async fn invoice(t: &TestDb, customer: i64, date: &str, amount: &str, finalize: bool) -> Result<i64> {
    Ok(t.json(&format!(
        r#"{{"op":"create_invoice","org_id":1,"store_id":1,"customer_id":{customer},"invoice_date":"{date}",
            "lines":[{{"kind":"misc","description":"Work","unit_price":"{amount}","taxable":false}}],"finalize":{finalize}}}"#
    ))
    .await?
    .id)
}

async fn balance(t: &TestDb, invoice: i64) -> Result<i64> {
    t.value(format!(
        "select i.total_cents
           - cast(coalesce((select sum(a.amount_cents) from payment_applications a join payments p on p.id = a.payment_id
               where a.invoice_id = i.id and a.voided_on is null and p.status = 'posted'), 0) as bigint)
           - cast(coalesce((select sum(x.amount_cents) from write_offs x where x.invoice_id = i.id and x.voided_on is null), 0) as bigint)
           as v from invoices i where i.id = {invoice}"
    ))
    .await
}

async fn unapplied(t: &TestDb, payment: i64) -> Result<i64> {
    t.value(format!(
        "select p.amount_cents
           - cast(coalesce((select sum(a.amount_cents) from payment_applications a
               where a.payment_id = p.id and a.voided_on is null), 0) as bigint)
           - cast(coalesce((select sum(r.amount_cents) from payments r
               where r.refund_of_payment_id = p.id and r.status = 'posted'), 0) as bigint) as v
         from payments p where p.id = {payment}"
    ))
    .await
}

/// Everything a refused command could have touched, as one string.
async fn fingerprint(t: &TestDb) -> Result<String> {
    let mut s = String::new();
    for sql in [
        "select count(*) as n from change_log",
        "select count(*) as n from audit_log",
        "select id, payment_id, invoice_id, amount_cents, applied_on, voided_on from payment_applications order by id",
        "select id, status, amount_cents from payments order by id",
        "select id, customer_id, entry_date, amount_cents, source_kind, source_id from store_credit_entries order by id",
    ] {
        for r in t.db.fetch_all(oltp::db::Q::new(sql)).await? {
            s.push_str(&r.to_json()?.to_string());
        }
    }
    Ok(s)
}

/// Runs a command that must be refused; checks it changed nothing and returns its message.
async fn refused(t: &TestDb, line: &str) -> Result<String> {
    let before = fingerprint(t).await?;
    let e = t.json_err(line).await;
    assert_eq!(fingerprint(t).await?, before, "refused command changed the books: {line} → {e}");
    Ok(e.to_string())
}

#[tokio::test]
async fn apply_payment_applies_money_on_account_later() -> Result<()> {
    for t in TestDb::all().await? {
        customers(&t).await?;
        // Ann: 400.00 on 03-01, 250.00 on 03-05, 300.00 on 03-10; an open 80.00 on 03-03; 120.00 on 03-20.
        // Bo: 100.00 on 03-02.
        let (a1, a2, a3) = (
            invoice(&t, 2, "2025-03-01", "400.00", true).await?,
            invoice(&t, 2, "2025-03-05", "250.00", true).await?,
            invoice(&t, 2, "2025-03-10", "300.00", true).await?,
        );
        let open = invoice(&t, 2, "2025-03-03", "80.00", false).await?;
        let later = invoice(&t, 2, "2025-03-20", "120.00", true).await?;
        let bo = invoice(&t, 3, "2025-03-02", "100.00", true).await?;
        assert_eq!((a1, a2, a3, open, later, bo), (1, 2, 3, 4, 5, 6));

        // a deposit of 1,000.00 taken on 03-12 and left on account
        let pay = t.json(r#"{"op":"record_payment","org_id":1,"store_id":1,"customer_id":2,"paid_on":"2025-03-12","method":"cash","amount":"1000.00","apply":"none"}"#).await?;
        assert!(pay.ids.is_empty());
        assert_eq!(unapplied(&t, pay.id).await?, 100_000);

        // on 03-15, to two chosen invoices: all of INV-000001 and 200.00 of INV-000003
        let out = t.json(r#"{"op":"apply_payment","org_id":1,"payment_id":1,"applied_on":"2025-03-15","apply":[{"invoice_id":1,"amount":"400.00"},{"invoice_id":3,"amount":"200.00"}]}"#).await?;
        assert_eq!(out.id, 1);
        assert_eq!(out.ids.len(), 2);
        assert_eq!((balance(&t, a1).await?, balance(&t, a2).await?, balance(&t, a3).await?), (0, 25_000, 10_000));
        assert_eq!(unapplied(&t, 1).await?, 40_000);
        // the applications are dated the day they were made, not the payment's day
        assert_eq!(
            t.scalar(
                "select count(*) as v from payment_applications where payment_id = 1 and applied_on = '2025-03-15'"
            )
            .await?,
            2
        );
        // one audit row and one change row per application, and the payment itself is not rewritten
        assert_eq!(
            t.value(format!(
                "select count(*) as v from change_log where entity = 'payment_applications' and entity_id in ({}, {})",
                out.ids[0], out.ids[1]
            ))
            .await?,
            2
        );

        // every refusal names its field and leaves the books as they were
        let apply = |rest: &str| format!(r#"{{"op":"apply_payment","org_id":1,"payment_id":1,{rest}}}"#);
        assert_eq!(
            refused(&t, r#"{"op":"apply_payment","org_id":1,"payment_id":99}"#).await?,
            "payment_id: 99 — no such payment in this org"
        );
        assert_eq!(refused(&t, r#"{"op":"apply_payment","org_id":2,"payment_id":1}"#).await?, "org 2 not found");
        assert_eq!(
            refused(&t, &apply(r#""applied_on":"2025-03-11""#)).await?,
            "applied_on: 2025-03-11 — before the payment date 2025-03-12"
        );
        // more than the 400.00 left
        assert_eq!(
            refused(&t, &apply(r#""applied_on":"2025-03-16","apply":[{"invoice_id":2,"amount":"250.00"},{"invoice_id":3,"amount":"200.00"}]"#)).await?,
            "apply: 450.00 — payment 1 has 400.00 unapplied"
        );
        // more than the invoice owes
        assert_eq!(
            refused(&t, &apply(r#""applied_on":"2025-03-16","apply":[{"invoice_id":3,"amount":"150.00"}]"#)).await?,
            "apply[0].amount: 150.00 — invoice INV-000003 has a balance of 100.00"
        );
        // the same invoice twice counts both amounts against its balance
        assert_eq!(
            refused(&t, &apply(r#""applied_on":"2025-03-16","apply":[{"invoice_id":3,"amount":"60.00"},{"invoice_id":3,"amount":"60.00"}]"#)).await?,
            "apply[1].amount: 60.00 — invoice INV-000003 has a balance of 40.00"
        );
        assert_eq!(
            refused(&t, &apply(r#""applied_on":"2025-03-16","apply":[{"invoice_id":6,"amount":"50.00"}]"#)).await?,
            "apply[0].invoice_id: 6 — the invoice is another customer's"
        );
        assert_eq!(
            refused(&t, &apply(r#""applied_on":"2025-03-16","apply":[{"invoice_id":4,"amount":"50.00"}]"#)).await?,
            "apply[0].invoice_id: 4 — invoice INV-000004 is open; only a finalized invoice takes payments"
        );
        assert_eq!(
            refused(&t, &apply(r#""applied_on":"2025-03-16","apply":[{"invoice_id":5,"amount":"50.00"}]"#)).await?,
            "apply[0].invoice_id: 5 — invoice INV-000005 is dated 2025-03-20, after applied_on 2025-03-16"
        );
        assert_eq!(
            refused(&t, &apply(r#""applied_on":"2025-03-16","apply":[{"invoice_id":2,"amount":"0"}]"#)).await?,
            "apply[0].amount: 0.00 — must be greater than zero"
        );
        assert_eq!(
            refused(&t, &apply(r#""applied_on":"2025-03-16","apply":[]"#)).await?,
            "apply: [] — names no invoice"
        );
        assert_eq!(
            refused(&t, &apply(r#""applied_on":"2025-03-16","apply":"none""#)).await?,
            "apply: none — apply_payment applies: oldest_first or a list of invoices"
        );
        assert_eq!(
            refused(&t, &apply(r#""applied_on":"2025-03-16","amount":"5.00""#)).await?,
            "amount: (present) — apply_payment has no such field"
        );
        // oldest first with nothing owed: Cy has money on account and no invoice
        let cy = t.json(r#"{"op":"record_payment","org_id":1,"store_id":1,"customer_id":4,"paid_on":"2025-03-12","method":"cash","amount":"10.00","apply":"none"}"#).await?;
        assert_eq!(
            refused(
                &t,
                &format!(r#"{{"op":"apply_payment","org_id":1,"payment_id":{},"applied_on":"2025-03-16"}}"#, cy.id)
            )
            .await?,
            "apply: oldest_first — the customer has no finalized invoice dated on or before 2025-03-16 with a balance"
        );

        // oldest first (the default) on 03-25 over three invoices: INV-000002 250.00, INV-000003 100.00, then
        // 50.00 of INV-000005's 120.00 (the open INV-000004 is passed over)
        let out = t.json(r#"{"op":"apply_payment","org_id":1,"payment_id":1,"applied_on":"2025-03-25"}"#).await?;
        let mut applied = Vec::new();
        for id in &out.ids {
            applied.push(
                t.value(format!(
                    "select invoice_id * 1000000 + amount_cents as v from payment_applications where id = {id} and applied_on = '2025-03-25'"
                ))
                .await?,
            );
        }
        assert_eq!(applied, [2_000_000 + 25_000, 3_000_000 + 10_000, 5_000_000 + 5_000]);
        assert_eq!(
            (balance(&t, a2).await?, balance(&t, a3).await?, balance(&t, later).await?, balance(&t, open).await?),
            (0, 0, 7_000, 8_000)
        );
        assert_eq!(unapplied(&t, 1).await?, 0);
        // all of it is applied now
        assert_eq!(
            refused(&t, &apply(r#""applied_on":"2025-03-26""#)).await?,
            "payment_id: 1 — payment 1 has 0.00 unapplied"
        );

        // Bo: a payment voided before it was applied, a refund, and a payment partly refunded
        let voided = t.json(r#"{"op":"record_payment","org_id":1,"store_id":1,"customer_id":3,"paid_on":"2025-03-12","method":"check","amount":"100.00","apply":"none"}"#).await?;
        t.json(&format!(
            r#"{{"op":"void_payment","org_id":1,"payment_id":{},"voided_on":"2025-03-13","reason":"NSF"}}"#,
            voided.id
        ))
        .await?;
        assert_eq!(
            refused(
                &t,
                &format!(r#"{{"op":"apply_payment","org_id":1,"payment_id":{},"applied_on":"2025-03-14"}}"#, voided.id)
            )
            .await?,
            format!("payment_id: {} — the payment is voided", voided.id)
        );
        let partly = t.json(r#"{"op":"record_payment","org_id":1,"store_id":1,"customer_id":3,"paid_on":"2025-03-14","method":"cash","amount":"60.00","apply":"none"}"#).await?;
        let refund = t.json(&format!(r#"{{"op":"refund","org_id":1,"store_id":1,"customer_id":3,"paid_on":"2025-03-15","method":"cash","amount":"20.00","payment_id":{}}}"#, partly.id)).await?;
        assert_eq!(
            refused(
                &t,
                &format!(r#"{{"op":"apply_payment","org_id":1,"payment_id":{},"applied_on":"2025-03-16"}}"#, refund.id)
            )
            .await?,
            format!("payment_id: {} — a refund pays out; only a payment received applies", refund.id)
        );
        let all_back = t.json(r#"{"op":"record_payment","org_id":1,"store_id":1,"customer_id":3,"paid_on":"2025-03-14","method":"cash","amount":"30.00","apply":"none"}"#).await?;
        t.json(&format!(r#"{{"op":"refund","org_id":1,"store_id":1,"customer_id":3,"paid_on":"2025-03-15","method":"cash","amount":"30.00","payment_id":{}}}"#, all_back.id)).await?;
        assert_eq!(
            refused(
                &t,
                &format!(
                    r#"{{"op":"apply_payment","org_id":1,"payment_id":{},"applied_on":"2025-03-16"}}"#,
                    all_back.id
                )
            )
            .await?,
            format!("payment_id: {} — payment {} has 0.00 unapplied", all_back.id, all_back.id)
        );
        // Bo's money never pays Ann's invoice
        assert_eq!(
            refused(&t, &format!(r#"{{"op":"apply_payment","org_id":1,"payment_id":{},"apply":[{{"invoice_id":1,"amount":"10.00"}}],"applied_on":"2025-03-16"}}"#, partly.id)).await?,
            "apply[0].invoice_id: 1 — the invoice is another customer's"
        );

        // closed through March: nothing is applied on a closed day; April is open
        t.json(&format!(r#"{{"op":"void_invoice","org_id":1,"invoice_id":{open},"voided_on":"2025-03-31"}}"#)).await?;
        t.json(r#"{"op":"close_period","org_id":1,"through":"2025-03-31"}"#).await?;
        assert_eq!(
            refused(
                &t,
                &format!(r#"{{"op":"apply_payment","org_id":1,"payment_id":{},"applied_on":"2025-03-31"}}"#, partly.id)
            )
            .await?,
            "applied_on: 2025-03-31 is on or before the books-closed date 2025-03-31"
        );
        let out = t
            .json(&format!(
                r#"{{"op":"apply_payment","org_id":1,"payment_id":{},"applied_on":"2025-04-02"}}"#,
                partly.id
            ))
            .await?;
        assert_eq!(out.ids.len(), 1);
        assert_eq!(balance(&t, bo).await?, 6_000);
        assert_eq!(unapplied(&t, partly.id).await?, 0);

        // the books: invoices 1,170.00 − payments in 1,100.00 (the voided check is out) + refunds 50.00 = 120.00
        // = what is open (INV-000005 70.00 + Bo's 60.00) − what is on account (Cy's 10.00)
        let books = t
            .scalar(
                "select cast((select sum(total_cents) from invoices where status = 'finalized')
                  - (select sum(amount_cents) from payments where status = 'posted' and direction = 'in')
                  + (select sum(amount_cents) from payments where status = 'posted' and direction = 'out') as bigint) as v",
            )
            .await?;
        assert_eq!(books, 12_000);
        assert_eq!(balance(&t, later).await? + balance(&t, bo).await? - unapplied(&t, cy.id).await?, books);
    }
    Ok(())
}
