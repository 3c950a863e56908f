//! Memos: goods out on approval, returned, the return reversed; quantities against the movement ledger.

use anyhow::Result;

use crate::inventory::opening;
use crate::support::TestDb;

/// Items whose stored quantities differ from the ledger's sums (must be none).
const LEDGER_MISMATCHES: &str = "select count(*) as v from items i
    where qty_on_hand <> (select cast(coalesce(sum(m.qty_delta), 0) as bigint) from stock_movements m where m.item_id = i.id)
       or qty_on_memo <> (select cast(coalesce(sum(m.memo_delta), 0) as bigint) from stock_movements m where m.item_id = i.id)";

/// `opening` plus a customer (contact 2), a ring S-000001 (item 1, cost 3,000.00) and ten hoops in lot
/// L-000001 (item 2, 1,000.00) at the main store.
async fn stocked(t: &TestDb) -> Result<()> {
    opening(t).await?;
    t.json(r#"{"op":"create_contact","org_id":1,"name":"Ann Lee","customer":true}"#).await?;
    t.json(r#"{"op":"receive_item","org_id":1,"store_id":1,"style_id":1,"cost":"3000.00","received_on":"2025-01-10"}"#)
        .await?;
    t.json(r#"{"op":"receive_stock","org_id":1,"store_id":1,"style_id":2,"qty":10,"cost":"1000.00","received_on":"2025-01-12"}"#)
        .await?;
    Ok(())
}

#[tokio::test]
async fn memo_issue_return_and_reversed_return_move_stock_on_and_off_memo() -> Result<()> {
    for t in TestDb::all().await? {
        stocked(&t).await?;
        let memo = t
            .json(r#"{"op":"issue_memo","org_id":1,"store_id":1,"customer_id":2,"memo_date":"2025-02-01","due_date":"2025-03-01","lines":[{"item_id":1,"memo_price":"6000.00"},{"item_id":2,"qty":4,"memo_price":"150.00"}]}"#)
            .await?;
        assert_eq!(memo.number.as_deref(), Some("M-000001"));
        assert_eq!(memo.ids, vec![1, 2]);
        // the ring is out: owned, not in stock
        assert_eq!(
            t.scalar("select case when status = 'on_memo' then 1 else 0 end as v from items where id = 1").await?,
            1
        );
        assert_eq!(t.scalar("select qty_on_hand as v from items where id = 1").await?, 0);
        assert_eq!(t.scalar("select qty_on_memo as v from items where id = 1").await?, 1);
        // 4 of 10 hoops out; their cost stays in the pool
        assert_eq!(t.scalar("select qty_on_hand as v from items where id = 2").await?, 6);
        assert_eq!(t.scalar("select qty_on_memo as v from items where id = 2").await?, 4);
        assert_eq!(t.scalar("select pool_cost_cents as v from items where id = 2").await?, 100_000);
        assert_eq!(t.scalar("select count(*) as v from stock_movements where kind = 'memo_out'").await?, 2);
        assert_eq!(
            t.scalar(
                "select cast(coalesce(sum(cost_cents), 0) as bigint) as v from stock_movements where kind = 'memo_out'"
            )
            .await?,
            0
        );
        assert_eq!(
            t.scalar("select cast(coalesce(sum(memo_delta), 0) as bigint) as v from stock_movements where item_id = 2")
                .await?,
            4
        );
        assert_eq!(t.scalar("select count(*) as v from memo_line_events where event = 'issue'").await?, 2);
        assert_eq!(t.scalar(LEDGER_MISMATCHES).await?, 0);

        // stock on memo is not in stock
        let e = t.json_err(r#"{"op":"scrap_stock","org_id":1,"item_id":1,"scrapped_on":"2025-02-02"}"#).await;
        assert_eq!(e.to_string(), "stock S-000001 is on_memo, not in stock");
        let e = t.json_err(r#"{"op":"scrap_stock","org_id":1,"item_id":2,"qty":7,"scrapped_on":"2025-02-02"}"#).await;
        assert_eq!(e.to_string(), "stock L-000001 has 6 on hand; cannot take 7 (no negative stock)");

        // the hoops come back
        let r = t.json(r#"{"op":"return_memo_line","org_id":1,"memo_line_id":2,"returned_on":"2025-02-10"}"#).await?;
        assert_eq!(r.id, 2);
        assert_eq!(t.scalar("select qty_on_hand as v from items where id = 2").await?, 10);
        assert_eq!(t.scalar("select qty_on_memo as v from items where id = 2").await?, 0);
        assert_eq!(
            t.scalar("select case when status = 'returned' and resolved_on = '2025-02-10' then 1 else 0 end as v from memo_lines where id = 2")
                .await?,
            1
        );
        assert_eq!(t.scalar(LEDGER_MISMATCHES).await?, 0);
        // a line resolves once
        let e = t.json_err(r#"{"op":"return_memo_line","org_id":1,"memo_line_id":2,"returned_on":"2025-02-11"}"#).await;
        assert_eq!(e.to_string(), "memo line 2 is already returned");
        assert_eq!(e.kind(), "conflict");

        // the return was a mistake: the hoops go back out, the line is out again from the original memo date
        t.json(r#"{"op":"reverse_memo_return","org_id":1,"memo_line_id":2,"reversed_on":"2025-02-12"}"#).await?;
        assert_eq!(t.scalar("select qty_on_hand as v from items where id = 2").await?, 6);
        assert_eq!(t.scalar("select qty_on_memo as v from items where id = 2").await?, 4);
        assert_eq!(
            t.scalar("select case when status = 'out' and resolved_on is null then 1 else 0 end as v from memo_lines where id = 2")
                .await?,
            1
        );
        assert_eq!(
            t.scalar("select case when memo_date = '2025-02-01' then 1 else 0 end as v from memos where id = 1")
                .await?,
            1
        );
        assert_eq!(t.scalar("select count(*) as v from memo_line_events where memo_line_id = 2").await?, 3);
        assert_eq!(
            t.scalar("select count(*) as v from memo_line_events where memo_line_id = 2 and event = 'reverse_return' and event_date = '2025-02-12'")
                .await?,
            1
        );
        let e = t.json_err(r#"{"op":"reverse_memo_return","org_id":1,"memo_line_id":2}"#).await;
        assert_eq!(e.to_string(), "memo line 2 is out, not returned");
        assert_eq!(t.scalar(LEDGER_MISMATCHES).await?, 0);

        // everything comes back; the ring is then scrapped, so its return can no longer be reversed
        t.json(r#"{"op":"return_memo_line","org_id":1,"memo_line_id":2,"returned_on":"2025-02-20"}"#).await?;
        t.json(r#"{"op":"return_memo_line","org_id":1,"memo_line_id":1,"returned_on":"2025-02-20"}"#).await?;
        assert_eq!(
            t.scalar("select case when status = 'in_stock' then 1 else 0 end as v from items where id = 1").await?,
            1
        );
        t.json(r#"{"op":"scrap_stock","org_id":1,"item_id":1,"scrapped_on":"2025-02-21"}"#).await?;
        let e =
            t.json_err(r#"{"op":"reverse_memo_return","org_id":1,"memo_line_id":1,"reversed_on":"2025-02-22"}"#).await;
        assert_eq!(e.to_string(), "stock S-000001 is scrapped, not in stock");
        assert_eq!(
            t.scalar("select case when status = 'returned' then 1 else 0 end as v from memo_lines where id = 1")
                .await?,
            1
        );
        // per item: 1 ring scrapped, 10 hoops on hand, nothing on memo; the ledger agrees
        assert_eq!(t.scalar("select qty_on_hand as v from items where id = 2").await?, 10);
        assert_eq!(t.scalar("select cast(coalesce(sum(memo_delta), 0) as bigint) as v from stock_movements").await?, 0);
        assert_eq!(
            t.scalar("select cast(coalesce(sum(qty_delta), 0) as bigint) as v from stock_movements where item_id = 2")
                .await?,
            10
        );
        assert_eq!(t.scalar(LEDGER_MISMATCHES).await?, 0);
        // 2 issued, 3 returned, 1 reversal: 6 events
        assert_eq!(t.scalar("select count(*) as v from memo_line_events").await?, 6);
    }
    Ok(())
}

#[tokio::test]
async fn bad_memos_name_the_field_and_change_nothing() -> Result<()> {
    for t in TestDb::all().await? {
        stocked(&t).await?;
        // a second ring, at the mall
        t.json(
            r#"{"op":"receive_item","org_id":1,"store_id":2,"style_id":1,"cost":"2000.00","received_on":"2025-01-10"}"#,
        )
        .await?;
        // another tenant with its own store and customer (contact 3)
        t.json(r#"{"op":"create_org","name":"Other"}"#).await?;
        t.json(r#"{"op":"create_store","org_id":2,"code":"X","name":"X"}"#).await?;
        t.json(r#"{"op":"create_contact","org_id":2,"name":"Their customer","customer":true}"#).await?;
        let before = t.scalar("select count(*) as v from change_log").await?;

        let e = t
            .json_err(r#"{"op":"issue_memo","org_id":1,"store_id":1,"customer_id":2,"lines":[{"item_id":2,"qty":11,"memo_price":"150.00"}]}"#)
            .await;
        assert_eq!(e.to_string(), "lines[0].qty: 11 — stock L-000001 has 10 on hand");
        let e = t
            .json_err(r#"{"op":"issue_memo","org_id":1,"store_id":1,"customer_id":3,"lines":[{"item_id":1,"memo_price":"6000.00"}]}"#)
            .await;
        assert_eq!(e.to_string(), "customer_id: 3 — no such contact in this org");
        let e = t
            .json_err(r#"{"op":"issue_memo","org_id":1,"store_id":1,"customer_id":1,"lines":[{"item_id":1,"memo_price":"6000.00"}]}"#)
            .await;
        assert_eq!(e.to_string(), "customer_id: 1 — contact is not a customer");
        // org 2 cannot put org 1's stock on memo
        let e = t
            .json_err(r#"{"op":"issue_memo","org_id":2,"store_id":3,"customer_id":3,"lines":[{"item_id":1,"memo_price":"6000.00"}]}"#)
            .await;
        assert_eq!(e.to_string(), "lines[0].item_id: 1 — no such stock record in this org");
        let e = t
            .json_err(r#"{"op":"issue_memo","org_id":2,"store_id":1,"customer_id":3,"lines":[{"item_id":1,"memo_price":"6000.00"}]}"#)
            .await;
        assert_eq!(e.to_string(), "store_id: 1 — no such store in this org");
        let e = t
            .json_err(r#"{"op":"issue_memo","org_id":1,"store_id":1,"customer_id":2,"lines":[{"item_id":1,"qty":2,"memo_price":"6000.00"}]}"#)
            .await;
        assert_eq!(e.to_string(), "lines[0].qty: 2 — a serialized piece goes out whole");
        let e = t
            .json_err(r#"{"op":"issue_memo","org_id":1,"store_id":1,"customer_id":2,"lines":[{"item_id":3,"memo_price":"4000.00"}]}"#)
            .await;
        assert_eq!(e.to_string(), "lines[0].item_id: 3 — stock S-000002 is at store 2, not at the memo's store 1");
        let e = t
            .json_err(r#"{"op":"issue_memo","org_id":1,"store_id":1,"customer_id":2,"lines":[{"item_id":2,"qty":0,"memo_price":"150.00"}]}"#)
            .await;
        assert_eq!(e.to_string(), "lines[0].qty: 0 — must be a positive quantity");
        let e = t
            .json_err(r#"{"op":"issue_memo","org_id":1,"store_id":1,"customer_id":2,"lines":[{"item_id":2,"memo_price":"-1.00"}]}"#)
            .await;
        assert_eq!(e.to_string(), "lines[0].memo_price: -1.00 — must not be negative");
        let e = t.json_err(r#"{"op":"issue_memo","org_id":1,"store_id":1,"customer_id":2,"lines":[]}"#).await;
        assert_eq!(e.to_string(), "lines: [] — a memo needs at least one line");
        let e = t
            .json_err(r#"{"op":"issue_memo","org_id":1,"store_id":1,"customer_id":2,"memo_date":"2025-02-01","due_date":"2025-01-31","lines":[{"item_id":1,"memo_price":"1.00"}]}"#)
            .await;
        assert_eq!(e.to_string(), "due_date: 2025-01-31 — is before the memo date 2025-02-01");
        let e = t
            .json_err(
                r#"{"op":"issue_memo","org_id":1,"store_id":1,"customer_id":2,"lines":[{"item_id":1,"price":"1.00"}]}"#,
            )
            .await;
        assert_eq!(e.to_string(), "lines[0].price: (present) — issue_memo has no such field");
        // the same piece twice: the first line's work is undone with the rest
        let e = t
            .json_err(r#"{"op":"issue_memo","org_id":1,"store_id":1,"customer_id":2,"lines":[{"item_id":1,"memo_price":"6000.00"},{"item_id":1,"memo_price":"6000.00"}]}"#)
            .await;
        assert_eq!(e.to_string(), "lines[1].item_id: 1 — stock S-000001 is on_memo, not in stock");
        assert_eq!(
            t.scalar("select case when status = 'in_stock' then 1 else 0 end as v from items where id = 1").await?,
            1
        );
        let e = t.json_err(r#"{"op":"return_memo_line","org_id":1,"memo_line_id":1}"#).await;
        assert_eq!(e.to_string(), "memo_line_id: 1 — no such memo line in this org");

        assert_eq!(t.scalar("select count(*) as v from change_log").await?, before);
        assert_eq!(t.scalar("select count(*) as v from memos").await?, 0);
        assert_eq!(t.scalar("select count(*) as v from stock_movements where kind = 'memo_out'").await?, 0);

        // closed periods: no memo, return or reversal dated inside them
        let m = t
            .json(r#"{"op":"issue_memo","org_id":1,"store_id":1,"customer_id":2,"memo_date":"2025-03-01","lines":[{"item_id":2,"qty":2,"memo_price":"150.00"}]}"#)
            .await?;
        // another tenant cannot return org 1's memo line
        let e = t.json_err(&format!(r#"{{"op":"return_memo_line","org_id":2,"memo_line_id":{}}}"#, m.ids[0])).await;
        assert_eq!(e.to_string(), format!("memo_line_id: {} — no such memo line in this org", m.ids[0]));
        let e = t
            .json_err(&format!(
                r#"{{"op":"return_memo_line","org_id":1,"memo_line_id":{},"returned_on":"2025-02-28"}}"#,
                m.ids[0]
            ))
            .await;
        assert_eq!(e.to_string(), "returned_on: 2025-02-28 — is before the date of memo M-000001 (2025-03-01)");
        t.json(&format!(
            r#"{{"op":"return_memo_line","org_id":1,"memo_line_id":{},"returned_on":"2025-03-20"}}"#,
            m.ids[0]
        ))
        .await?;
        t.json(r#"{"op":"close_period","org_id":1,"through":"2025-03-31"}"#).await?;
        let e = t
            .json_err(r#"{"op":"issue_memo","org_id":1,"store_id":1,"customer_id":2,"memo_date":"2025-03-31","lines":[{"item_id":1,"memo_price":"6000.00"}]}"#)
            .await;
        assert_eq!(e.to_string(), "memo_date: 2025-03-31 is on or before the books-closed date 2025-03-31");
        // the return lies in the closed period: it stands
        let e = t
            .json_err(&format!(
                r#"{{"op":"reverse_memo_return","org_id":1,"memo_line_id":{},"reversed_on":"2025-04-02"}}"#,
                m.ids[0]
            ))
            .await;
        assert_eq!(e.to_string(), "memo_line_id: 2025-03-20 is on or before the books-closed date 2025-03-31");
        assert_eq!(t.scalar(LEDGER_MISMATCHES).await?, 0);
    }
    Ok(())
}
