//! Receiving, cost layers and the movement ledger.

use anyhow::Result;

use crate::support::TestDb;

/// An org with a store, a vendor, a serialized ring style and a non-serialized hoop style.
pub(crate) async fn opening(t: &TestDb) -> Result<()> {
    t.json(r#"{"op":"create_org","name":"Carat & Co"}"#).await?;
    t.json(r#"{"op":"create_store","org_id":1,"code":"MAIN","name":"Main","tax_rate":"6","surtax_rate":"1","surtax_threshold":"5000.00"}"#).await?;
    t.json(r#"{"op":"create_store","org_id":1,"code":"MALL","name":"Mall","tax_rate":"6"}"#).await?;
    t.json(r#"{"op":"create_contact","org_id":1,"name":"Stuller","vendor":true}"#).await?;
    t.json(r#"{"op":"create_style","org_id":1,"style_no":"R-100","family":"jewelry","category":"rings","description":"Solitaire","vendor_id":1,"serialized":true,"retail_price":"6400.00"}"#).await?;
    t.json(r#"{"op":"create_style","org_id":1,"style_no":"E-210","family":"jewelry","category":"earrings","description":"Hoops","vendor_id":1,"serialized":false,"retail_price":"180.00"}"#).await?;
    Ok(())
}

#[tokio::test]
async fn fifo_layers_cost_out_oldest_first_and_transfers_carry_their_layers() -> Result<()> {
    for t in TestDb::all().await? {
        opening(&t).await?;
        let ring = t.json(r#"{"op":"receive_item","org_id":1,"store_id":1,"style_id":1,"cost":"3000.00","received_on":"2025-01-10"}"#).await?;
        assert_eq!(ring.number.as_deref(), Some("S-000001"));
        // two layers: 10 @ 100.00 received in March, 10 @ 130.00 in May (1300.00 total)
        let lot = t.json(r#"{"op":"receive_stock","org_id":1,"store_id":1,"style_id":2,"qty":10,"cost":"1000.00","received_on":"2025-05-01","acquired_on":"2025-03-01"}"#).await?;
        t.json(r#"{"op":"receive_stock","org_id":1,"store_id":1,"style_id":2,"qty":10,"cost":"1300.00","received_on":"2025-05-02"}"#).await?;
        // 12 scrapped: 10 × 100.00 + 2 × 130.00 = 1260.00
        t.json(&format!(
            r#"{{"op":"scrap_stock","org_id":1,"item_id":{},"qty":12,"scrapped_on":"2025-06-01"}}"#,
            lot.id
        ))
        .await?;
        assert_eq!(t.scalar("select -cost_cents as v from stock_movements where kind = 'scrap'").await?, 126_000);
        assert_eq!(t.scalar("select pool_cost_cents as v from items where stock_no = 'L-000001'").await?, 104_000);
        // 5 of the remaining 8 (all from the May layer, 130.00 each) move to the mall with their layer
        let dest = t
            .json(&format!(
                r#"{{"op":"transfer_stock","org_id":1,"item_id":{},"to_store_id":2,"qty":5,"moved_on":"2025-06-02"}}"#,
                lot.id
            ))
            .await?;
        assert_eq!(t.scalar("select qty_on_hand as v from items where stock_no = 'L-000001'").await?, 3);
        assert_eq!(t.scalar("select pool_cost_cents as v from items where stock_no = 'L-000002'").await?, 65_000);
        assert_eq!(dest.id, 3);
        // no negative stock
        let e = t.json_err(&format!(r#"{{"op":"scrap_stock","org_id":1,"item_id":{},"qty":4}}"#, lot.id)).await;
        assert_eq!(e.to_string(), "stock L-000001 has 3 on hand; cannot take 4 (no negative stock)");
        // quantities equal the ledger's sum
        assert_eq!(
            t.scalar("select count(*) as v from items i where qty_on_hand <> (select coalesce(sum(qty_delta), 0) from stock_movements m where m.item_id = i.id)").await?,
            0
        );
        // a count of 1 loses 2 units at FIFO cost (130.00 each)
        t.json(&format!(
            r#"{{"op":"count_stock","org_id":1,"item_id":{},"counted":1,"counted_on":"2025-06-03"}}"#,
            lot.id
        ))
        .await?;
        assert_eq!(t.scalar("select pool_cost_cents as v from items where stock_no = 'L-000001'").await?, 13_000);
        let _ = ring;
    }
    Ok(())
}

#[tokio::test]
async fn weighted_average_costs_out_at_pool_average_with_the_last_unit_taking_the_rest() -> Result<()> {
    for t in TestDb::all().await? {
        opening(&t).await?;
        t.json(r#"{"op":"update_org","org_id":1,"costing_method":"average"}"#).await?;
        t.json(r#"{"op":"receive_stock","org_id":1,"store_id":1,"style_id":2,"qty":2,"cost":"100.00","received_on":"2025-05-01"}"#).await?;
        t.json(r#"{"op":"receive_stock","org_id":1,"store_id":1,"style_id":2,"qty":1,"cost":"100.01","received_on":"2025-05-02"}"#).await?;
        // pool 200.01 over 3 units: one unit costs 66.67 (66.67 rounded), then 66.67 of 133.34 / 2, then the rest
        t.json(r#"{"op":"scrap_stock","org_id":1,"item_id":1,"qty":1,"scrapped_on":"2025-06-01"}"#).await?;
        assert_eq!(t.scalar("select -cost_cents as v from stock_movements where kind = 'scrap'").await?, 6_667);
        // the pool, the layers and the moves still agree under average cost
        let diffs = oltp::reconcile::inventory(&t.db).await?;
        assert!(diffs.is_empty(), "{diffs:?}");
        t.json(r#"{"op":"scrap_stock","org_id":1,"item_id":1,"qty":2,"scrapped_on":"2025-06-02"}"#).await?;
        assert_eq!(
            t.scalar("select cast(-sum(cost_cents) as bigint) as v from stock_movements where kind = 'scrap'").await?,
            20_001
        );
        assert_eq!(t.scalar("select pool_cost_cents as v from items where id = 1").await?, 0);
        let diffs = oltp::reconcile::inventory(&t.db).await?;
        assert!(diffs.is_empty(), "{diffs:?}");
        // the org cannot switch back while... it has no stock now, so it may
        t.json(r#"{"op":"update_org","org_id":1,"costing_method":"fifo"}"#).await?;
    }
    Ok(())
}

#[tokio::test]
async fn closed_period_refuses_receipts_and_partnerships_are_bounded() -> Result<()> {
    for t in TestDb::all().await? {
        opening(&t).await?;
        t.json(r#"{"op":"create_contact","org_id":1,"name":"Partner P","partner":true}"#).await?;
        t.json(
            r#"{"op":"receive_item","org_id":1,"store_id":1,"style_id":1,"cost":"3000.00","received_on":"2025-01-10"}"#,
        )
        .await?;
        t.json(r#"{"op":"close_period","org_id":1,"through":"2025-03-31"}"#).await?;
        let e = t.json_err(r#"{"op":"receive_item","org_id":1,"store_id":1,"style_id":1,"cost":"10.00","received_on":"2025-03-31"}"#).await;
        assert_eq!(e.to_string(), "received_on: 2025-03-31 is on or before the books-closed date 2025-03-31");
        t.json(r#"{"op":"add_partnership","org_id":1,"item_id":1,"partner_id":2,"share":"60","kind":"owner"}"#).await?;
        let e = t
            .json_err(
                r#"{"op":"add_partnership","org_id":1,"item_id":1,"partner_id":2,"share":"40","kind":"profit_only"}"#,
            )
            .await;
        assert_eq!(e.to_string(), "share: 40 — partners would hold 100 of 100; our share must stay above zero");
        let e =
            t.json_err(r#"{"op":"receive_stock","org_id":1,"store_id":1,"style_id":2,"qty":-3,"cost":"1.00"}"#).await;
        assert_eq!(e.to_string(), "qty: -3 — must be a positive quantity");
    }
    Ok(())
}
