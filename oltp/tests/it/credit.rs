//! Money on account applied later (`apply_payment`) and goodwill store credit (`issue_store_credit`,
//! `void_store_credit`), on hand-worked numbers. Every refusal names its field and changes nothing.
//!
//! Invoices here are single untaxed misc lines, so a total is its line.

use anyhow::Result;
use oltp::Ctx;

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

async fn store_credit(t: &TestDb, customer: i64) -> Result<i64> {
    t.value(format!(
        "select cast(coalesce(sum(amount_cents), 0) as bigint) as v from store_credit_entries where customer_id = {customer}"
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
        "select id, amount_cents, voided_on from store_credits order by id",
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

#[tokio::test]
async fn goodwill_store_credit_is_spent_like_any_other_and_voided_while_unspent() -> Result<()> {
    for t in TestDb::all().await? {
        customers(&t).await?;
        let maya = t
            .json(r#"{"op":"create_user","org_id":1,"username":"maya","display_name":"Maya","groups":["manager"]}"#)
            .await?;

        // Maya gives Ann 75.00 for a repair that ran a week late
        let as_maya = Ctx { actor: Some(maya.id), ..t.ctx.clone() };
        let cmd = oltp::ops::parse(
            r#"{"op":"issue_store_credit","org_id":1,"customer_id":2,"amount":"75.00","issued_on":"2025-04-01","reason":"  Repair ran a week late "}"#,
        )?;
        let credit = oltp::execute(&t.db, &as_maya, &cmd).await?;
        assert_eq!(credit.id, 1);
        assert_eq!(store_credit(&t, 2).await?, 7_500);
        let row = t.db.fetch_one(oltp::db::Q::new("select customer_id, issued_on, amount_cents, reason, issued_by, voided_on from store_credits where id = 1")).await?;
        assert_eq!(row.i64("issued_by")?, maya.id);
        assert_eq!(row.text("reason")?, "Repair ran a week late");
        assert_eq!(row.date("issued_on")?.to_string(), "2025-04-01");
        assert_eq!(row.opt_date("voided_on")?, None);
        assert_eq!(
            t.scalar("select count(*) as v from store_credit_entries where source_kind = 'goodwill' and source_id = 1 and amount_cents = 7500 and entry_date = '2025-04-01'").await?,
            1
        );
        // who gave it is in the audit log too
        assert_eq!(
            t.value(format!("select count(*) as v from audit_log where entity = 'store_credits' and entity_id = 1 and actor_id = {}", maya.id)).await?,
            1
        );
        // the operator gives it as nobody in particular
        let by_operator = t.json(r#"{"op":"issue_store_credit","org_id":1,"customer_id":3,"amount":"10.00","issued_on":"2025-04-01","reason":"Birthday"}"#).await?;
        assert_eq!(
            t.value(format!(
                "select count(*) as v from store_credits where id = {} and issued_by is null",
                by_operator.id
            ))
            .await?,
            1
        );

        assert_eq!(
            refused(&t, r#"{"op":"issue_store_credit","org_id":1,"customer_id":2,"amount":"0","reason":"x"}"#).await?,
            "amount: 0.00 — must be greater than zero"
        );
        assert_eq!(
            refused(&t, r#"{"op":"issue_store_credit","org_id":1,"customer_id":2,"amount":"5.00","reason":"  "}"#)
                .await?,
            r#"reason: "  " — must not be empty"#
        );
        assert_eq!(
            refused(&t, r#"{"op":"issue_store_credit","org_id":1,"customer_id":2,"amount":"5.00"}"#).await?,
            "reason: (missing) — issue_store_credit requires it"
        );
        assert_eq!(
            refused(&t, r#"{"op":"issue_store_credit","org_id":1,"customer_id":1,"amount":"5.00","reason":"x"}"#)
                .await?,
            "customer_id: 1 — contact is not a customer"
        );
        assert_eq!(
            refused(&t, r#"{"op":"issue_store_credit","org_id":1,"customer_id":9,"amount":"5.00","reason":"x"}"#)
                .await?,
            "customer_id: 9 — no such contact in this org"
        );

        // Ann spends 50.00 of it on a 50.00 sizing
        let sizing = invoice(&t, 2, "2025-04-05", "50.00", true).await?;
        let tender = t.json(r#"{"op":"record_payment","org_id":1,"store_id":1,"customer_id":2,"paid_on":"2025-04-05","method":"store_credit","amount":"50.00"}"#).await?;
        assert_eq!(tender.ids.len(), 1);
        assert_eq!(balance(&t, sizing).await?, 0);
        assert_eq!(store_credit(&t, 2).await?, 2_500);
        // so the 75.00 can no longer be taken back
        assert_eq!(
            refused(&t, r#"{"op":"void_store_credit","org_id":1,"store_credit_id":1,"voided_on":"2025-04-06"}"#)
                .await?,
            "store credit 1 has been spent: the customer holds 25.00 of store credit on 2025-04-06, less than its 75.00"
        );

        // a second credit, entered in error, is voided whole
        let second = t.json(r#"{"op":"issue_store_credit","org_id":1,"customer_id":2,"amount":"40.00","issued_on":"2025-04-07","reason":"Wrong engraving"}"#).await?;
        assert_eq!(store_credit(&t, 2).await?, 6_500);
        let void = |on: &str| {
            format!(r#"{{"op":"void_store_credit","org_id":1,"store_credit_id":{},"voided_on":"{on}"}}"#, second.id)
        };
        assert_eq!(
            refused(&t, &void("2025-04-06")).await?,
            "voided_on: 2025-04-06 — is before the issue date 2025-04-07"
        );
        assert_eq!(t.json(&void("2025-04-08")).await?.id, second.id);
        assert_eq!(store_credit(&t, 2).await?, 2_500);
        assert_eq!(
            t.value(format!("select count(*) as v from store_credit_entries where source_kind = 'goodwill_void' and source_id = {} and amount_cents = -4000 and entry_date = '2025-04-08'", second.id)).await?,
            1
        );
        assert_eq!(
            t.value(format!(
                "select count(*) as v from store_credits where id = {} and voided_on = '2025-04-08'",
                second.id
            ))
            .await?,
            1
        );
        assert_eq!(refused(&t, &void("2025-04-09")).await?, format!("store credit {} is already voided", second.id));
        assert_eq!(
            refused(&t, r#"{"op":"void_store_credit","org_id":1,"store_credit_id":99}"#).await?,
            "store_credit_id: 99 — no such store credit in this org"
        );

        // a third credit of 30.00 on 04-10; Ann spends 40.00 on 04-12 (55.00 → 15.00) and gets 100.00 of store
        // credit back on 04-15. Her balance today (115.00) covers it, but taken back as of 04-11 her credit
        // would have been 15.00 − 30.00 < 0 from 04-12 to 04-15: refused; as of 04-15 it is fine
        let third = t.json(r#"{"op":"issue_store_credit","org_id":1,"customer_id":2,"amount":"30.00","issued_on":"2025-04-10","reason":"Apology"}"#).await?;
        invoice(&t, 2, "2025-04-12", "40.00", true).await?;
        t.json(r#"{"op":"record_payment","org_id":1,"store_id":1,"customer_id":2,"paid_on":"2025-04-12","method":"store_credit","amount":"40.00"}"#).await?;
        let cash = t.json(r#"{"op":"record_payment","org_id":1,"store_id":1,"customer_id":2,"paid_on":"2025-04-15","method":"cash","amount":"100.00","apply":"none"}"#).await?;
        t.json(&format!(r#"{{"op":"refund","org_id":1,"store_id":1,"customer_id":2,"paid_on":"2025-04-15","method":"store_credit","amount":"100.00","payment_id":{}}}"#, cash.id)).await?;
        assert_eq!(store_credit(&t, 2).await?, 11_500);
        let void = |on: &str| {
            format!(r#"{{"op":"void_store_credit","org_id":1,"store_credit_id":{},"voided_on":"{on}"}}"#, third.id)
        };
        assert_eq!(
            refused(&t, &void("2025-04-11")).await?,
            format!(
                "store credit {} has been spent: the customer holds 15.00 of store credit on 2025-04-12, less than its 30.00",
                third.id
            )
        );
        t.json(&void("2025-04-15")).await?;
        assert_eq!(store_credit(&t, 2).await?, 8_500);

        // closed periods: nothing issued or voided on a closed day, nor a credit given in one taken back
        t.json(r#"{"op":"close_period","org_id":1,"through":"2025-04-30"}"#).await?;
        assert_eq!(
            refused(&t, r#"{"op":"issue_store_credit","org_id":1,"customer_id":2,"amount":"5.00","issued_on":"2025-04-30","reason":"x"}"#).await?,
            "issued_on: 2025-04-30 is on or before the books-closed date 2025-04-30"
        );
        assert_eq!(
            refused(
                &t,
                &format!(
                    r#"{{"op":"void_store_credit","org_id":1,"store_credit_id":{},"voided_on":"2025-05-02"}}"#,
                    by_operator.id
                )
            )
            .await?,
            "store_credit_id: 2025-04-01 is on or before the books-closed date 2025-04-30"
        );

        // the books for Ann: invoices 90.00 − payments in 190.00 (50.00 + 40.00 credit tendered + 100.00 cash)
        // + refunds 100.00 − store credit 85.00 = −85.00: she owes nothing and holds 85.00 of credit
        let books = t
            .scalar(
                "select cast((select sum(total_cents) from invoices where status = 'finalized' and customer_id = 2)
                  - (select sum(amount_cents) from payments where status = 'posted' and direction = 'in' and customer_id = 2)
                  + (select sum(amount_cents) from payments where status = 'posted' and direction = 'out' and customer_id = 2)
                  - (select sum(amount_cents) from store_credit_entries where customer_id = 2) as bigint) as v",
            )
            .await?;
        assert_eq!(books, -8_500);
    }
    Ok(())
}

#[tokio::test]
async fn merging_a_customer_moves_their_goodwill_credit() -> Result<()> {
    for t in TestDb::all().await? {
        customers(&t).await?;
        let credit = t.json(r#"{"op":"issue_store_credit","org_id":1,"customer_id":3,"amount":"20.00","issued_on":"2025-04-01","reason":"Late"}"#).await?;
        t.json(r#"{"op":"merge_contacts","org_id":1,"from_id":3,"into_id":2}"#).await?;
        assert_eq!(store_credit(&t, 2).await?, 2_000);
        // voiding it later takes it from the survivor
        t.json(&format!(
            r#"{{"op":"void_store_credit","org_id":1,"store_credit_id":{},"voided_on":"2025-04-02"}}"#,
            credit.id
        ))
        .await?;
        assert_eq!(store_credit(&t, 2).await?, 0);
    }
    Ok(())
}
