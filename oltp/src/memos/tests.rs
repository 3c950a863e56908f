//! The conversion helpers the invoice code calls, driven directly: a memo line brought back for a sale, marked
//! invoiced, and unmarked when the invoice is voided, with the movement ledger checked at each step. Runs on
//! SQLite, and on PostgreSQL too when `TEST_PG_URL` is set.

use chrono::NaiveDate;

use super::{MemoLineInfo, bring_back_for_sale, mark_invoiced, unmark_invoiced};
use crate::db::{Db, Q};
use crate::error::Error;
use crate::inventory::flow::{self, Movement};
use crate::types::Money;
use crate::writer::{Ctx, Outcome, Writer};
use crate::{ops, q};

type TestResult<T = ()> = std::result::Result<T, Box<dyn std::error::Error>>;

const LEDGER_MISMATCHES: &str = "select count(*) as v from items i
    where qty_on_hand <> (select cast(coalesce(sum(m.qty_delta), 0) as bigint) from stock_movements m where m.item_id = i.id)
       or qty_on_memo <> (select cast(coalesce(sum(m.memo_delta), 0) as bigint) from stock_movements m where m.item_id = i.id)";

fn day(s: &str) -> TestResult<NaiveDate> {
    Ok(s.parse()?)
}

fn ctx() -> TestResult<Ctx> {
    Ok(Ctx { actor: None, today: day("2026-01-15")? })
}

async fn dbs() -> TestResult<Vec<(Db, Option<tempfile::TempDir>)>> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("loupe.db");
    let db = Db::connect(path.to_str().ok_or("temp path is not utf-8")?).await?;
    db.migrate().await?;
    let mut v = vec![(db, Some(dir))];
    if let Ok(base) = std::env::var("TEST_PG_URL") {
        let name = format!(
            "loupe_unit_{}_{}",
            std::process::id(),
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?.subsec_nanos()
        );
        let admin = Db::connect(&base).await?;
        admin.execute_trusted(&format!("create database {name}")).await?;
        admin.close().await;
        let (head, _) = base.rsplit_once('/').ok_or("TEST_PG_URL must end with /database")?;
        let db = Db::connect(&format!("{head}/{name}")).await?;
        db.migrate().await?;
        v.push((db, None));
    }
    Ok(v)
}

async fn run(db: &Db, line: &str) -> TestResult<Outcome> {
    Ok(ops::execute(db, &ctx()?, &ops::parse(line)?).await?)
}

async fn scalar(db: &Db, sql: &'static str) -> TestResult<i64> {
    Ok(db.fetch_one(Q::new(sql)).await?.i64("v")?)
}

/// What the sale does with the units the helper brought back: takes them out of stock (or, voided, puts them
/// back), as the invoice code will.
async fn sell(w: &mut Writer, item_id: i64, qty_delta: i64, kind: &'static str, on: NaiveDate) -> TestResult {
    let it = flow::item(w, 1, item_id, "item_id").await?;
    let (from, to) = if qty_delta < 0 { ("in_stock", "sold") } else { ("sold", "in_stock") };
    let done = w
        .update(
            "items",
            1,
            item_id,
            q!(
                "update items set status = $2, qty_on_hand = qty_on_hand + $4 where id = $1 and status = $3
                 returning *",
                item_id,
                to,
                from,
                qty_delta
            ),
        )
        .await?;
    assert!(done, "piece {item_id} was not {from}");
    flow::record(
        w,
        Movement {
            item: &it,
            store_id: it.store_id,
            on,
            kind,
            qty_delta,
            memo_delta: 0,
            cost: Money::ZERO,
            ref_kind: "invoice_line",
            ref_id: None,
        },
    )
    .await?;
    Ok(())
}

#[tokio::test]
async fn conversion_helpers_bring_back_mark_and_unmark() -> TestResult {
    for (db, _dir) in dbs().await? {
        for line in [
            r#"{"op":"create_org","name":"Carat & Co"}"#,
            r#"{"op":"create_store","org_id":1,"code":"MAIN","name":"Main"}"#,
            r#"{"op":"create_contact","org_id":1,"name":"Stuller","vendor":true}"#,
            r#"{"op":"create_contact","org_id":1,"name":"Ann Lee","customer":true}"#,
            r#"{"op":"create_contact","org_id":1,"name":"Bob Ray","customer":true}"#,
            r#"{"op":"create_style","org_id":1,"style_no":"R-100","family":"jewelry","category":"rings","description":"Solitaire","serialized":true}"#,
            r#"{"op":"create_style","org_id":1,"style_no":"E-210","family":"jewelry","category":"earrings","description":"Hoops","serialized":false}"#,
            r#"{"op":"receive_item","org_id":1,"store_id":1,"style_id":1,"cost":"3000.00","received_on":"2025-01-10"}"#,
            r#"{"op":"receive_stock","org_id":1,"store_id":1,"style_id":2,"qty":5,"cost":"500.00","received_on":"2025-01-10"}"#,
        ] {
            run(&db, line).await?;
        }
        let memo = run(&db, r#"{"op":"issue_memo","org_id":1,"store_id":1,"customer_id":2,"memo_date":"2025-02-01","lines":[{"item_id":1,"memo_price":"6000.00"},{"item_id":2,"qty":2,"memo_price":"150.00"}]}"#).await?;
        let (ring_line, hoop_line) = (memo.ids[0], memo.ids[1]);
        let on = day("2025-03-01")?;

        // another customer's invoice, or a date before the memo, cannot take the line
        let mut w = Writer::begin(&db, &ctx()?).await?;
        let e = bring_back_for_sale(&mut w, 1, ring_line, 3, on).await.expect_err("another customer");
        assert_eq!(e.to_string(), format!("memo_line_id: {ring_line} — memo M-000001 is to another customer (2)"));
        let e = bring_back_for_sale(&mut w, 1, ring_line, 2, day("2025-01-31")?).await.expect_err("before the memo");
        assert_eq!(
            e.to_string(),
            format!("memo_line_id: {ring_line} — memo M-000001 is dated 2025-02-01, after 2025-01-31")
        );
        let e = bring_back_for_sale(&mut w, 2, ring_line, 2, on).await.expect_err("another org");
        assert_eq!(e.to_string(), format!("memo_line_id: {ring_line} — no such memo line in this org"));
        drop(w);

        // the ring is sold on an invoice: back on hand, sold, line invoiced
        let mut w = Writer::begin(&db, &ctx()?).await?;
        let info = bring_back_for_sale(&mut w, 1, ring_line, 2, on).await?;
        assert_eq!(
            info,
            MemoLineInfo {
                memo_line_id: ring_line,
                item_id: 1,
                qty: 1,
                memo_price: Money(600_000),
                layers: Vec::new()
            }
        );
        sell(&mut w, 1, -1, "sale", on).await?;
        let invoice = w
            .insert(
                "invoices",
                1,
                q!(
                    "insert into invoices (org_id, store_id, invoice_no, customer_id, invoice_date, due_date, status)
                    values (1, 1, 'INV-000001', 2, $1, $1, 'finalized') returning *",
                    on
                ),
            )
            .await?;
        let invoice_line = w
            .insert(
                "invoice_lines",
                1,
                q!(
                    "insert into invoice_lines (org_id, invoice_id, line_no, kind, item_id, description, qty,
                    unit_price_cents, taxable, amount_cents, memo_line_id)
                    values (1, $1, 1, 'sale', 1, 'Solitaire', 1, 600000, true, 600000, $2) returning *",
                    invoice,
                    ring_line
                ),
            )
            .await?;
        mark_invoiced(&mut w, 1, ring_line, invoice_line, on).await?;
        w.commit().await?;
        assert_eq!(
            scalar(&db, "select case when status = 'sold' then 1 else 0 end as v from items where id = 1").await?,
            1
        );
        assert_eq!(scalar(&db, "select qty_on_memo as v from items where id = 1").await?, 0);
        assert_eq!(
            scalar(&db, "select case when status = 'invoiced' and resolved_on = '2025-03-01' then 1 else 0 end as v from memo_lines where id = 1").await?,
            1
        );
        assert_eq!(scalar(&db, "select invoice_line_id as v from memo_lines where id = 1").await?, invoice_line);
        assert_eq!(
            scalar(&db, "select invoice_line_id as v from memo_line_events where event = 'invoice'").await?,
            invoice_line
        );
        assert_eq!(scalar(&db, LEDGER_MISMATCHES).await?, 0);

        // a line converts once
        let mut w = Writer::begin(&db, &ctx()?).await?;
        let e = bring_back_for_sale(&mut w, 1, ring_line, 2, on).await.expect_err("already invoiced");
        assert_eq!(e, Error::Conflict(format!("memo line {ring_line} is already invoiced")));
        let e = mark_invoiced(&mut w, 1, ring_line, invoice_line, on).await.expect_err("already invoiced");
        assert_eq!(e, Error::Conflict(format!("memo line {ring_line} is invoiced, not out on memo")));
        let e = unmark_invoiced(&mut w, 1, hoop_line, on).await.expect_err("not invoiced");
        assert_eq!(e, Error::Conflict(format!("memo line {hoop_line} is out, not invoiced")));
        drop(w);

        // the invoice is voided: the sale puts the ring back on hand, the helper sends it out on memo again
        let void_on = day("2025-03-05")?;
        let mut w = Writer::begin(&db, &ctx()?).await?;
        sell(&mut w, 1, 1, "void_sale", void_on).await?;
        unmark_invoiced(&mut w, 1, ring_line, void_on).await?;
        w.commit().await?;
        assert_eq!(
            scalar(&db, "select case when status = 'on_memo' then 1 else 0 end as v from items where id = 1").await?,
            1
        );
        assert_eq!(scalar(&db, "select qty_on_memo as v from items where id = 1").await?, 1);
        assert_eq!(
            scalar(&db, "select case when status = 'out' and resolved_on is null and invoice_line_id is null then 1 else 0 end as v from memo_lines where id = 1").await?,
            1
        );
        assert_eq!(
            scalar(&db, "select invoice_line_id as v from memo_line_events where event = 'reverse_invoice'").await?,
            invoice_line
        );
        assert_eq!(scalar(&db, LEDGER_MISMATCHES).await?, 0);

        // hoops: brought back for a sale that is then abandoned (rolled back) changes nothing
        let mut w = Writer::begin(&db, &ctx()?).await?;
        let info = bring_back_for_sale(&mut w, 1, hoop_line, 2, on).await?;
        assert_eq!((info.item_id, info.qty, info.memo_price), (2, 2, Money(15_000)));
        assert_eq!(w.fetch_one(q!("select qty_on_hand as v from items where id = 2")).await?.i64("v")?, 5);
        drop(w);
        assert_eq!(scalar(&db, "select qty_on_hand as v from items where id = 2").await?, 3);
        assert_eq!(scalar(&db, "select qty_on_memo as v from items where id = 2").await?, 2);
        assert_eq!(scalar(&db, LEDGER_MISMATCHES).await?, 0);
        db.close().await;
    }
    Ok(())
}
