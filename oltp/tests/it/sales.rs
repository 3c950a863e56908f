//! Invoices, tax, payments, refunds, store credit, gift cards and write-offs on hand-worked numbers.
//! Store MAIN: 6% tax, 1% surtax up to $5,000 per item.

use anyhow::Result;
use oltp::{Ctx, Error};

use crate::inventory::opening;
use crate::support::TestDb;

/// Customer Ann (contact 2), a partner-free ring S-000001 at cost 3,000.00 and 20 hoops in two layers.
async fn stocked(t: &TestDb) -> Result<()> {
    opening(t).await?;
    t.json(r#"{"op":"create_contact","org_id":1,"name":"Ann Lee","customer":true}"#).await?;
    t.json(r#"{"op":"create_user","org_id":1,"username":"maya","display_name":"Maya","groups":["owner"],"salesperson":true}"#).await?;
    t.json(r#"{"op":"create_user","org_id":1,"username":"leo","display_name":"Leo","groups":["sales"],"salesperson":true}"#).await?;
    t.json(r#"{"op":"receive_item","org_id":1,"store_id":1,"style_id":1,"cost":"3000.00","received_on":"2025-01-10"}"#)
        .await?;
    t.json(r#"{"op":"receive_stock","org_id":1,"store_id":1,"style_id":2,"qty":10,"cost":"1000.00","received_on":"2025-02-01"}"#).await?;
    t.json(r#"{"op":"receive_stock","org_id":1,"store_id":1,"style_id":2,"qty":10,"cost":"1300.00","received_on":"2025-03-01"}"#).await?;
    Ok(())
}

async fn balance(t: &TestDb, invoice: i64) -> Result<i64> {
    let sql = format!(
        "select i.total_cents
           - cast(coalesce((select sum(a.amount_cents) from payment_applications a join payments p on p.id = a.payment_id
               where a.invoice_id = i.id and a.voided_on is null and p.status = 'posted'), 0) as bigint)
           - cast(coalesce((select sum(x.amount_cents) from write_offs x where x.invoice_id = i.id and x.voided_on is null), 0) as bigint)
           as v from invoices i where i.id = {invoice}"
    );
    Ok(t.db.fetch_one(oltp::db::Q::built(sql)).await?.i64("v")?)
}

#[tokio::test]
async fn the_days_work_adds_up_to_the_cent() -> Result<()> {
    for t in TestDb::all().await? {
        stocked(&t).await?;
        // 1 × 8,000.00 → tax 480.00 + surtax 50.00 → 8,530.00; cost 3,000.00
        let inv1 = t.json(r#"{"op":"create_invoice","org_id":1,"store_id":1,"customer_id":2,"salesperson_id":1,"invoice_date":"2025-04-01","lines":[{"kind":"sale","item_id":1,"unit_price":"8000.00","list_price":"8400.00"}],"finalize":true}"#).await?;
        assert_eq!(inv1.number.as_deref(), Some("INV-000001"));
        assert_eq!(t.scalar("select total_cents as v from invoices where invoice_no = 'INV-000001'").await?, 853_000);
        assert_eq!(t.scalar("select cost_cents as v from invoice_lines where invoice_id = (select id from invoices where invoice_no = 'INV-000001')").await?, 300_000);
        assert_eq!(t.scalar("select count(*) as v from items where id = 1 and status = 'sold'").await?, 1);
        // the piece cannot sell twice
        let e = t.json_err(r#"{"op":"create_invoice","org_id":1,"store_id":1,"customer_id":2,"lines":[{"kind":"sale","item_id":1}]}"#).await;
        assert_eq!(e.to_string(), "lines[0].item_id: 1 — stock S-000001 is sold, not in stock");

        // a card payment of 5,000.00 oldest first; then it bounces
        let pay = t.json(r#"{"op":"record_payment","org_id":1,"store_id":1,"customer_id":2,"paid_on":"2025-04-02","method":"check","amount":"5000.00"}"#).await?;
        assert_eq!(balance(&t, 1).await?, 353_000);
        let e = t.json_err(r#"{"op":"void_invoice","org_id":1,"invoice_id":1,"voided_on":"2025-04-03"}"#).await;
        assert_eq!(
            e.to_string(),
            "invoice INV-000001 has 1 live payment application(s) against it; void or reverse them first"
        );
        t.json(&format!(
            r#"{{"op":"void_payment","org_id":1,"payment_id":{},"voided_on":"2025-04-10","reason":"NSF"}}"#,
            pay.id
        ))
        .await?;
        assert_eq!(balance(&t, 1).await?, 853_000);
        let e = t.json_err(&format!(r#"{{"op":"void_payment","org_id":1,"payment_id":{}}}"#, pay.id)).await;
        assert_eq!(e.to_string(), format!("payment {} is already voided", pay.id));
        // over-application refused, nothing recorded
        let e = t.json_err(r#"{"op":"record_payment","org_id":1,"store_id":1,"customer_id":2,"method":"cash","amount":"9000.00","apply":[{"invoice_id":1,"amount":"9000.00"}]}"#).await;
        assert_eq!(e.to_string(), "apply[0].amount: 9000.00 — invoice INV-000001 has a balance of 8530.00");
        // bad debt: 530.00 written off
        t.json(r#"{"op":"write_off","org_id":1,"invoice_id":1,"written_on":"2025-06-30","amount":"530.00","reason":"tax dispute"}"#).await?;
        assert_eq!(balance(&t, 1).await?, 800_000);

        // 12 hoops at 180.00 less 60.00 → 2,100.00; tax 126.00, surtax 21.00 → 2,247.00; FIFO cost 10×100 + 2×130
        let inv2 = t.json(r#"{"op":"create_invoice","org_id":1,"store_id":1,"customer_id":2,"invoice_date":"2025-04-05","lines":[{"kind":"sale","item_id":2,"qty":12,"adjustment":"60.00"}],"finalize":true}"#).await?;
        let hoops_line = inv2.ids[0];
        assert_eq!(t.scalar("select total_cents as v from invoices where invoice_no = 'INV-000002'").await?, 224_700);
        assert_eq!(t.scalar("select cost_cents as v from invoice_lines where invoice_id = (select id from invoices where invoice_no = 'INV-000002')").await?, 126_000);
        t.json(&format!(r#"{{"op":"record_payment","org_id":1,"store_id":1,"customer_id":2,"paid_on":"2025-04-05","method":"cash","amount":"2247.00","apply":[{{"invoice_id":{},"amount":"2247.00"}}]}}"#, inv2.id)).await?;
        // 3 come back: -540.00 + 15.00 of the discount = -525.00; tax -31.50, surtax -5.25 → -561.75;
        // the units go back to the newest layers the sale took: 2 × 130 + 1 × 100 = 360.00
        let inv3 = t.json(&format!(r#"{{"op":"create_invoice","org_id":1,"store_id":1,"customer_id":2,"invoice_date":"2025-04-20","lines":[{{"kind":"return","returned_line_id":{hoops_line},"qty":-3}}],"finalize":true}}"#)).await?;
        assert_eq!(t.scalar("select total_cents as v from invoices where invoice_no = 'INV-000003'").await?, -56_175);
        assert_eq!(t.scalar("select cost_cents as v from invoice_lines where invoice_id = (select id from invoices where invoice_no = 'INV-000003')").await?, -36_000);
        assert_eq!(t.scalar("select pool_cost_cents as v from items where id = 2").await?, 140_000);
        assert_eq!(t.scalar("select qty_remaining as v from cost_layers where id = 1").await?, 1);
        let e = t.json_err(&format!(r#"{{"op":"create_invoice","org_id":1,"store_id":1,"customer_id":2,"lines":[{{"kind":"return","returned_line_id":{hoops_line},"qty":-10}}]}}"#)).await;
        assert_eq!(e.to_string(), "lines[0].qty: -10 — only 9 of the 12 sold remain to return");
        // the return's negative balance is paid out as store credit
        t.json(&format!(r#"{{"op":"refund","org_id":1,"store_id":1,"customer_id":2,"paid_on":"2025-04-20","method":"store_credit","amount":"561.75","invoice_id":{}}}"#, inv3.id)).await?;
        assert_eq!(balance(&t, inv3.id).await?, 0);
        // a sizing for 50.00 → 53.50, paid with store credit
        let inv4 = t.json(r#"{"op":"create_invoice","org_id":1,"store_id":1,"customer_id":2,"invoice_date":"2025-05-01","lines":[{"kind":"misc","description":"Ring sizing","unit_price":"50.00"}],"finalize":true}"#).await?;
        assert_eq!(t.scalar("select total_cents as v from invoices where invoice_no = 'INV-000004'").await?, 5_350);
        t.json(r#"{"op":"record_payment","org_id":1,"store_id":1,"customer_id":2,"paid_on":"2025-05-01","method":"store_credit","amount":"53.50"}"#).await?;
        let e = t.json_err(r#"{"op":"record_payment","org_id":1,"store_id":1,"customer_id":2,"method":"store_credit","amount":"1000.00"}"#).await;
        assert_eq!(e.to_string(), "amount: 1000.00 — the customer has 508.25 of store credit");

        // the books: invoices − payments + refunds − write-offs − store credit = 7,491.75 = open invoices − credit
        let books = t
            .scalar(
                "select cast((select sum(total_cents) from invoices where status = 'finalized')
                  - (select sum(amount_cents) from payments where status = 'posted' and direction = 'in')
                  + (select sum(amount_cents) from payments where status = 'posted' and direction = 'out')
                  - (select sum(amount_cents) from write_offs where voided_on is null)
                  - (select sum(amount_cents) from store_credit_entries) as bigint) as v",
            )
            .await?;
        assert_eq!(books, 749_175);
        let open: i64 = [
            balance(&t, inv1.id).await?,
            balance(&t, inv2.id).await?,
            balance(&t, inv3.id).await?,
            balance(&t, inv4.id).await?,
        ]
        .iter()
        .sum();
        assert_eq!(open - 50_825, books);
    }
    Ok(())
}

#[tokio::test]
async fn trade_ins_gift_cards_and_voids_put_everything_back() -> Result<()> {
    for t in TestDb::all().await? {
        stocked(&t).await?;
        // 4,000.00 ring with a 1,000.00 allowance on a trade-in worth 700.00 (300.00 concession on the sale line):
        // taxable 4,000.00 → 240.00 + 40.00; total 4,000.00 − 1,000.00 + 280.00 = 3,280.00
        t.json(r#"{"op":"create_invoice","org_id":1,"store_id":1,"customer_id":2,"invoice_date":"2025-04-01","lines":[
            {"kind":"sale","item_id":1,"unit_price":"4000.00","trade_concession":"300.00"},
            {"kind":"trade_in","style_id":1,"allowance":"1000.00","actual_value":"700.00","description":"Customer's old solitaire"},
            {"kind":"gift_card","unit_price":"100.00","gift_card_code":"GIFT-1"}],"finalize":true}"#.replace('\n', " ").as_str()).await?;
        assert_eq!(t.scalar("select total_cents as v from invoices where invoice_no = 'INV-000001'").await?, 338_000);
        assert_eq!(
            t.scalar("select tax_cents + surtax_cents as v from invoices where invoice_no = 'INV-000001'").await?,
            28_000
        );
        // the trade-in is a new piece in stock at its actual value, acquired on the invoice date
        assert_eq!(
            t.scalar(
                "select base_cost_cents as v from items where stock_no = 'S-000002' and acquired_on = '2025-04-01'"
            )
            .await?,
            70_000
        );
        // pay 3,380.00: 100.00 of it with the new gift card, which cannot be overdrawn
        let gift_pay = t.json(r#"{"op":"record_payment","org_id":1,"store_id":1,"customer_id":2,"paid_on":"2025-04-01","method":"gift_card","gift_card_code":"GIFT-1","amount":"100.00"}"#).await?;
        let e = t.json_err(r#"{"op":"record_payment","org_id":1,"store_id":1,"customer_id":2,"method":"gift_card","gift_card_code":"GIFT-1","amount":"0.01"}"#).await;
        assert_eq!(e.to_string(), "amount: 0.01 — gift card GIFT-1 has a balance of 0.00");
        // voiding is refused while the payment stands; after voiding it, the card was used so it still is refused
        t.json(&format!(r#"{{"op":"void_payment","org_id":1,"payment_id":{},"voided_on":"2025-04-02"}}"#, gift_pay.id))
            .await?;
        assert_eq!(t.scalar("select balance_cents as v from gift_cards where code = 'GIFT-1'").await?, 10_000);
        t.json(r#"{"op":"void_invoice","org_id":1,"invoice_id":1,"voided_on":"2025-04-02"}"#).await?;
        assert_eq!(
            t.scalar("select count(*) as v from items where id = 1 and status = 'in_stock' and qty_on_hand = 1")
                .await?,
            1
        );
        assert_eq!(
            t.scalar("select count(*) as v from items where stock_no = 'S-000002' and status = 'voided'").await?,
            1
        );
        assert_eq!(t.scalar("select balance_cents as v from gift_cards where code = 'GIFT-1'").await?, 0);
        let e = t.json_err(r#"{"op":"record_payment","org_id":1,"store_id":1,"customer_id":2,"method":"cash","amount":"10.00","apply":[{"invoice_id":1,"amount":"10.00"}]}"#).await;
        assert_eq!(e.to_string(), "apply[0].invoice_id: 1 — a voided invoice takes no payments");
        // the ledger still sums to the quantities
        assert_eq!(
            t.scalar("select count(*) as v from items i where qty_on_hand <> (select coalesce(sum(qty_delta), 0) from stock_movements m where m.item_id = i.id)").await?,
            0
        );
    }
    Ok(())
}

#[tokio::test]
async fn reopen_needs_permission_and_an_open_period() -> Result<()> {
    for t in TestDb::all().await? {
        stocked(&t).await?;
        t.json(r#"{"op":"create_invoice","org_id":1,"store_id":1,"customer_id":2,"invoice_date":"2025-04-01","lines":[{"kind":"sale","item_id":2,"qty":2}],"finalize":true}"#).await?;
        let reopen =
            oltp::ops::parse(r#"{"op":"reopen_invoice","org_id":1,"invoice_id":1,"reopened_on":"2025-04-02"}"#)?;
        let leo = Ctx { actor: Some(2), ..t.ctx.clone() };
        let e = oltp::execute(&t.db, &leo, &reopen).await.unwrap_err();
        assert_eq!(
            e.to_string(),
            "not permitted: reopening a finalized invoice needs one of the groups owner, manager, accounting"
        );
        let maya = Ctx { actor: Some(1), ..t.ctx.clone() };
        oltp::execute(&t.db, &maya, &reopen).await?;
        // reopened: the two hoops are back in their layer at their cost, the invoice can change and finalize again
        assert_eq!(t.scalar("select qty_on_hand as v from items where id = 2").await?, 20);
        assert_eq!(t.scalar("select pool_cost_cents as v from items where id = 2").await?, 230_000);
        t.json(r#"{"op":"add_invoice_lines","org_id":1,"invoice_id":1,"lines":[{"kind":"misc","description":"Gift box","unit_price":"5.00"}]}"#).await?;
        t.json(r#"{"op":"finalize_invoice","org_id":1,"invoice_id":1}"#).await?;
        // 2 × 180.00 + 5.00 = 365.00; tax 21.90 + surtax 3.65 = 390.55
        assert_eq!(t.scalar("select total_cents as v from invoices where invoice_no = 'INV-000001'").await?, 39_055);
        t.json(r#"{"op":"close_period","org_id":1,"through":"2025-04-30"}"#).await?;
        let e = oltp::execute(&t.db, &maya, &reopen).await.unwrap_err();
        assert_eq!(e.to_string(), "invoice_date: 2025-04-01 is on or before the books-closed date 2025-04-30");
        let e = t.json_err(r#"{"op":"void_invoice","org_id":1,"invoice_id":1}"#).await;
        assert!(matches!(e, Error::ClosedPeriod { .. }), "{e}");
    }
    Ok(())
}

/// A reopen ends a finalization the way a void does: it keeps it as a version and dates the reversals; the next
/// finalization is dated (never before the reopen) and dates its own effects; voids and reopens keep the
/// dated windows in order.
#[tokio::test]
async fn a_reopen_keeps_the_finalization_it_ends_and_the_next_is_dated_on_or_after_it() -> Result<()> {
    for t in TestDb::all().await? {
        stocked(&t).await?;
        // the ring at 8,000.00 on 2025-04-01: 8,530.00 with tax and surtax, cost 3,000.00
        t.json(r#"{"op":"create_invoice","org_id":1,"store_id":1,"customer_id":2,"salesperson_id":1,"invoice_date":"2025-04-01","lines":[{"kind":"sale","item_id":1,"unit_price":"8000.00"}],"finalize":true}"#).await?;
        t.json(r#"{"op":"reopen_invoice","org_id":1,"invoice_id":1,"reopened_on":"2025-04-03"}"#).await?;
        // version 1 is the finalization as it stood, counted on [04-01, 04-03), its line with the cost it booked
        assert_eq!(
            t.scalar("select count(*) as v from invoice_versions where invoice_id = 1 and version = 1 and finalized_on = '2025-04-01' and reopened_on = '2025-04-03' and total_cents = 853000 and invoice_no = 'INV-000001' and salesperson_id = 1").await?,
            1
        );
        assert_eq!(
            t.scalar("select count(*) as v from invoice_line_versions where version_id = 1 and line_id = 1 and item_id = 1 and amount_cents = 800000 and cost_cents = 300000 and movement_id is not null").await?,
            1
        );
        assert_eq!(t.scalar("select cost_cents as v from invoice_lines where id = 1").await?, 0);
        assert_eq!(t.scalar("select count(*) as v from items where id = 1 and status = 'in_stock'").await?, 1);
        // open again: neither a void nor a new finalization may come before the reopen, and a refused one
        // changes nothing
        let e = t.json_err(r#"{"op":"void_invoice","org_id":1,"invoice_id":1,"voided_on":"2025-04-02"}"#).await;
        assert_eq!(e.to_string(), "voided_on: 2025-04-02 — before the reopen date 2025-04-03");
        let e = t.json_err(r#"{"op":"finalize_invoice","org_id":1,"invoice_id":1,"finalized_on":"2025-04-02"}"#).await;
        assert_eq!(e.to_string(), "finalized_on: 2025-04-02 — before the reopen date 2025-04-03");
        assert_eq!(
            t.scalar("select count(*) as v from invoices where id = 1 and status = 'open' and finalized_on is null")
                .await?,
            1
        );
        assert_eq!(t.scalar("select count(*) as v from items where id = 1 and status = 'in_stock'").await?, 1);
        // finalized again on 04-05: it counts from then, and the ring leaves stock then
        t.json(r#"{"op":"finalize_invoice","org_id":1,"invoice_id":1,"finalized_on":"2025-04-05"}"#).await?;
        assert_eq!(t.scalar("select count(*) as v from invoices where id = 1 and status = 'finalized' and finalized_on = '2025-04-05'").await?, 1);
        assert_eq!(
            t.scalar("select count(*) as v from stock_movements where item_id = 1 and ((kind = 'sale' and moved_on in ('2025-04-01', '2025-04-05')) or (kind = 'void_sale' and moved_on = '2025-04-03'))").await?,
            3
        );
        // nor does a void or a reopen come before it
        let e = t.json_err(r#"{"op":"void_invoice","org_id":1,"invoice_id":1,"voided_on":"2025-04-04"}"#).await;
        assert_eq!(e.to_string(), "voided_on: 2025-04-04 — before the finalization date 2025-04-05");
        let e = t.json_err(r#"{"op":"reopen_invoice","org_id":1,"invoice_id":1,"reopened_on":"2025-04-04"}"#).await;
        assert_eq!(e.to_string(), "reopened_on: 2025-04-04 — before the finalization date 2025-04-05");
        // reopened and finalized again with no dates: both are today (2026-01-15); version 2 is [04-05, today)
        t.json(r#"{"op":"reopen_invoice","org_id":1,"invoice_id":1}"#).await?;
        t.json(r#"{"op":"finalize_invoice","org_id":1,"invoice_id":1}"#).await?;
        assert_eq!(
            t.scalar("select count(*) as v from invoice_versions where invoice_id = 1 and version = 2 and finalized_on = '2025-04-05' and reopened_on = '2026-01-15'").await?,
            1
        );
        assert_eq!(
            t.scalar("select count(*) as v from invoices where id = 1 and finalized_on = '2026-01-15'").await?,
            1
        );
        // a first finalization counts from its invoice date unless given a later one, never an earlier
        t.json(r#"{"op":"create_invoice","org_id":1,"store_id":1,"customer_id":2,"invoice_date":"2025-04-10","lines":[{"kind":"misc","description":"Sizing","unit_price":"40.00"}]}"#).await?;
        let e = t.json_err(r#"{"op":"finalize_invoice","org_id":1,"invoice_id":2,"finalized_on":"2025-04-09"}"#).await;
        assert_eq!(e.to_string(), "finalized_on: 2025-04-09 — before the invoice date 2025-04-10");
        t.json(r#"{"op":"finalize_invoice","org_id":1,"invoice_id":2}"#).await?;
        assert_eq!(
            t.scalar("select count(*) as v from invoices where id = 2 and finalized_on = '2025-04-10'").await?,
            1
        );
        assert!(oltp::reconcile::inventory(&t.db).await?.is_empty());
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_concurrent_finalizations_of_one_piece_exactly_one_wins() -> Result<()> {
    for t in TestDb::all().await? {
        stocked(&t).await?;
        for round in 0..5 {
            // a fresh piece each round, on two open invoices
            let piece = t.json(r#"{"op":"receive_item","org_id":1,"store_id":1,"style_id":1,"cost":"100.00","received_on":"2025-01-10"}"#).await?;
            let line = format!(r#"[{{"kind":"sale","item_id":{},"unit_price":"200.00"}}]"#, piece.id);
            let a = t.json(&format!(r#"{{"op":"create_invoice","org_id":1,"store_id":1,"customer_id":2,"invoice_date":"2025-04-01","lines":{line}}}"#)).await?;
            let b = t.json(&format!(r#"{{"op":"create_invoice","org_id":1,"store_id":1,"customer_id":2,"invoice_date":"2025-04-01","lines":{line}}}"#)).await?;
            let fa = oltp::ops::parse(&format!(r#"{{"op":"finalize_invoice","org_id":1,"invoice_id":{}}}"#, a.id))?;
            let fb = oltp::ops::parse(&format!(r#"{{"op":"finalize_invoice","org_id":1,"invoice_id":{}}}"#, b.id))?;
            let (db1, db2, c1, c2) = (t.db.clone(), t.db.clone(), t.ctx.clone(), t.ctx.clone());
            let ha = tokio::spawn(async move { oltp::execute(&db1, &c1, &fa).await });
            let hb = tokio::spawn(async move { oltp::execute(&db2, &c2, &fb).await });
            let (ra, rb) = (ha.await?, hb.await?);
            let wins = [&ra, &rb].iter().filter(|r| r.is_ok()).count();
            assert_eq!(wins, 1, "round {round}: {ra:?} / {rb:?}");
            let loser = match (ra, rb) {
                (Err(e), _) | (_, Err(e)) => e,
                _ => unreachable!("one of them lost"),
            };
            assert!(loser.to_string().ends_with("is sold, not in stock: it cannot be sold"), "{loser}");
            assert_eq!(t.scalar("select count(*) as v from stock_movements where kind = 'sale' and qty_delta = -1 and cost_cents = -10000").await?, round + 1);
        }
    }
    Ok(())
}

#[tokio::test]
async fn a_memo_line_converts_on_an_invoice_and_goes_back_out_when_it_is_voided() -> Result<()> {
    for t in TestDb::all().await? {
        stocked(&t).await?;
        let memo = t.json(r#"{"op":"issue_memo","org_id":1,"store_id":1,"customer_id":2,"memo_date":"2025-03-01","lines":[{"item_id":1,"memo_price":"7000.00"}]}"#).await?;
        let memo_line = memo.ids[0];
        assert_eq!(t.scalar("select qty_on_memo as v from items where id = 1").await?, 1);
        // invoiced at the memo price: 7,000.00 + 420.00 + 50.00
        let inv = t.json(&format!(r#"{{"op":"create_invoice","org_id":1,"store_id":1,"customer_id":2,"invoice_date":"2025-03-20","lines":[{{"kind":"sale","memo_line_id":{memo_line}}}],"finalize":true}}"#)).await?;
        assert_eq!(t.value(format!("select total_cents as v from invoices where id = {}", inv.id)).await?, 747_000);
        assert_eq!(t.value(format!("select count(*) as v from memo_lines where id = {memo_line} and status = 'invoiced' and resolved_on = '2025-03-20'")).await?, 1);
        assert_eq!(
            t.scalar("select qty_on_memo + qty_on_hand as v from items where id = 1 and status = 'sold'").await?,
            0
        );
        // another customer cannot invoice it, and it cannot be invoiced twice
        let e = t.json_err(&format!(r#"{{"op":"create_invoice","org_id":1,"store_id":1,"customer_id":2,"lines":[{{"kind":"sale","memo_line_id":{memo_line}}}]}}"#)).await;
        assert_eq!(e.to_string(), format!("lines[0].memo_line_id: {memo_line} — memo line is already invoiced"));
        // voiding the invoice puts the piece back out on memo, aged from the original memo date
        t.json(&format!(r#"{{"op":"void_invoice","org_id":1,"invoice_id":{},"voided_on":"2025-03-22"}}"#, inv.id))
            .await?;
        assert_eq!(
            t.value(format!(
                "select count(*) as v from memo_lines where id = {memo_line} and status = 'out' and resolved_on is null"
            ))
            .await?,
            1
        );
        assert_eq!(t.scalar("select qty_on_memo as v from items where id = 1 and status = 'on_memo'").await?, 1);
        assert!(oltp::reconcile::inventory(&t.db).await?.is_empty());
    }
    Ok(())
}

#[tokio::test]
async fn review_findings_stay_fixed() -> Result<()> {
    for t in TestDb::all().await? {
        stocked(&t).await?;
        // money never passes through a float
        let e = t.json_err(r#"{"op":"create_style","org_id":1,"style_no":"X","family":"pearls","category":"c","description":"d","serialized":true,"retail_price":19.99}"#).await;
        assert_eq!(
            e.to_string(),
            "retail_price: 19.99 — money is written as a string like \"1250.00\", never a JSON number"
        );
        // a surtax needs its per-item threshold
        let e = t
            .json_err(r#"{"op":"create_store","org_id":1,"code":"X","name":"X","tax_rate":"6","surtax_rate":"1"}"#)
            .await;
        assert_eq!(
            e.to_string(),
            "surtax_threshold: 0.00 — a surtax applies up to a per-item threshold; set one with the surtax rate"
        );
        // one payment cannot apply twice to the same invoice beyond its balance (8,530.00)
        t.json(r#"{"op":"create_invoice","org_id":1,"store_id":1,"customer_id":2,"invoice_date":"2025-04-01","lines":[{"kind":"sale","item_id":1,"unit_price":"8000.00"}],"finalize":true}"#).await?;
        let e = t.json_err(r#"{"op":"record_payment","org_id":1,"store_id":1,"customer_id":2,"paid_on":"2025-04-02","method":"cash","amount":"9000.00","apply":[{"invoice_id":1,"amount":"5000.00"},{"invoice_id":1,"amount":"4000.00"}]}"#).await;
        assert_eq!(e.to_string(), "apply[1].amount: 4000.00 — invoice INV-000001 has a balance of 3530.00");
        assert_eq!(t.scalar("select count(*) as v from payments").await?, 0);
        // a gift card sold on an invoice that is reopened and finalized again is the same card, live again
        let inv = t.json(r#"{"op":"create_invoice","org_id":1,"store_id":1,"customer_id":2,"invoice_date":"2025-04-03","lines":[{"kind":"gift_card","unit_price":"50.00","gift_card_code":"GC-X"}],"finalize":true}"#).await?;
        t.json(&format!(r#"{{"op":"reopen_invoice","org_id":1,"invoice_id":{},"reopened_on":"2025-04-03"}}"#, inv.id))
            .await?;
        assert_eq!(t.scalar("select balance_cents as v from gift_cards where code = 'GC-X'").await?, 0);
        t.json(&format!(r#"{{"op":"finalize_invoice","org_id":1,"invoice_id":{}}}"#, inv.id)).await?;
        assert_eq!(t.scalar("select balance_cents as v from gift_cards where code = 'GC-X'").await?, 5_000);
        assert_eq!(t.scalar("select count(*) as v from gift_cards").await?, 1);
        // a closed store takes no new documents, and can be reopened
        t.json(r#"{"op":"update_store","org_id":1,"store_id":2,"active":false}"#).await?;
        let e =
            t.json_err(r#"{"op":"receive_stock","org_id":1,"store_id":2,"style_id":2,"qty":1,"cost":"1.00"}"#).await;
        assert_eq!(e.to_string(), "store 2 is closed; reopen it with update_store first");
        t.json(r#"{"op":"update_store","org_id":1,"store_id":2,"active":true}"#).await?;
        t.json(r#"{"op":"receive_stock","org_id":1,"store_id":2,"style_id":2,"qty":1,"cost":"1.00"}"#).await?;
        // two consignors' goods of one style at one store are two lots
        let consignor = t.json(r#"{"op":"create_contact","org_id":1,"name":"Consignor B","vendor":true}"#).await?;
        let a = t.json(r#"{"op":"receive_stock","org_id":1,"store_id":1,"style_id":2,"qty":2,"cost":"80.00","consignor_id":1}"#).await?;
        let b = t.json(&format!(r#"{{"op":"receive_stock","org_id":1,"store_id":1,"style_id":2,"qty":3,"cost":"90.00","consignor_id":{}}}"#, consignor.id)).await?;
        assert_ne!(a.id, b.id);
    }
    Ok(())
}
