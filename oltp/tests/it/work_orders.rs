//! Work orders: deposits become credits on the final invoice; production closes out at bench cost.

use anyhow::Result;

use crate::inventory::opening;
use crate::support::TestDb;

#[tokio::test]
async fn repair_with_deposit_and_production_to_stock() -> Result<()> {
    for t in TestDb::all().await? {
        opening(&t).await?;
        t.json(r#"{"op":"create_contact","org_id":1,"name":"Ann Lee","customer":true}"#).await?;
        let wo = t.json(r#"{"op":"create_work_order","org_id":1,"store_id":1,"kind":"repair","customer_id":2,"description":"Retip four prongs","opened_on":"2025-03-01","estimate":"120.00"}"#).await?;
        assert_eq!(wo.number.as_deref(), Some("WO-000001"));
        let deposit = t.json(&format!(r#"{{"op":"record_payment","org_id":1,"store_id":1,"customer_id":2,"paid_on":"2025-03-01","method":"cash","amount":"50.00","work_order_id":{}}}"#, wo.id)).await?;
        assert!(deposit.ids.is_empty(), "a deposit waits on account");
        t.json(&format!(r#"{{"op":"add_bench_cost","org_id":1,"work_order_id":{},"kind":"labor","amount":"40.00","cost_date":"2025-03-03"}}"#, wo.id)).await?;
        t.json(&format!(r#"{{"op":"add_bench_cost","org_id":1,"work_order_id":{},"kind":"material","amount":"25.00","cost_date":"2025-03-03"}}"#, wo.id)).await?;
        t.json(&format!(r#"{{"op":"set_work_order_status","org_id":1,"work_order_id":{},"status":"ready"}}"#, wo.id))
            .await?;
        // 120.00 + 6% 7.20 + 1% surtax 1.20 = 128.40; bench cost 65.00; the 50.00 deposit applied
        let done = t.json(&format!(r#"{{"op":"complete_work_order","org_id":1,"work_order_id":{},"price":"120.00","invoice_date":"2025-03-05"}}"#, wo.id)).await?;
        let inv = done.ids[0];
        assert_eq!(t.value(format!("select total_cents as v from invoices where id = {inv}")).await?, 12_840);
        assert_eq!(
            t.value(format!("select cost_cents as v from invoice_lines where invoice_id = {inv}")).await?,
            6_500
        );
        assert_eq!(
            t.value(format!(
                "select cast(sum(amount_cents) as bigint) as v from payment_applications where invoice_id = {inv}"
            ))
            .await?,
            5_000
        );
        let e = t
            .json_err(&format!(
                r#"{{"op":"add_bench_cost","org_id":1,"work_order_id":{},"kind":"labor","amount":"1.00"}}"#,
                wo.id
            ))
            .await;
        assert_eq!(e.to_string(), "work order WO-000001 is completed");

        // production of a ring: 800.00 casting + 1,200.00 stones → a piece in stock at 2,000.00
        let prod = t.json(r#"{"op":"create_work_order","org_id":1,"store_id":1,"kind":"production","style_id":1,"description":"Cast and set R-100","opened_on":"2025-03-01"}"#).await?;
        t.json(&format!(r#"{{"op":"add_bench_cost","org_id":1,"work_order_id":{},"kind":"outside","amount":"800.00","cost_date":"2025-03-02"}}"#, prod.id)).await?;
        t.json(&format!(r#"{{"op":"add_bench_cost","org_id":1,"work_order_id":{},"kind":"material","amount":"1200.00","cost_date":"2025-03-04"}}"#, prod.id)).await?;
        let closed = t
            .json(&format!(
                r#"{{"op":"close_production","org_id":1,"work_order_id":{},"closed_on":"2025-03-06"}}"#,
                prod.id
            ))
            .await?;
        let piece = closed.ids[0];
        assert_eq!(
            t.value(format!("select base_cost_cents as v from items where id = {piece} and status = 'in_stock'"))
                .await?,
            200_000
        );
        assert_eq!(
            t.value(format!(
                "select cost_cents as v from stock_movements where item_id = {piece} and kind = 'production'"
            ))
            .await?,
            200_000
        );
        let e =
            t.json_err(r#"{"op":"create_work_order","org_id":1,"store_id":1,"kind":"repair","description":"x"}"#).await;
        assert_eq!(e.to_string(), "customer_id: (missing) — repairs and custom jobs are for a customer");
    }
    Ok(())
}
