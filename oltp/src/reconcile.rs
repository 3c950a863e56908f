//! Proofs that stored figures equal the ledgers they summarize (`loupe inventory reconcile`).

use crate::db::{Db, Q};
use crate::error::Result;
use crate::q;

/// One stored figure that disagrees with its ledger.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Difference {
    /// The tenant.
    pub org_id: i64,
    /// The stock record.
    pub item_id: i64,
    /// Its stock number.
    pub stock_no: String,
    /// Which figure (`qty_on_hand`, `qty_on_memo`, `layer_qty`, `layer_memo_qty`, `pool_cost_cents`, `ledger_cost_cents`,
    /// `layer_remaining_qty`, `layer_remaining_cents`, `qty_elsewhere`, `empty_cost_cents`, `empty_layer_cents`,
    /// `piece_qty`).
    pub figure: &'static str,
    /// What the stock record says.
    pub stored: i64,
    /// What its ledger adds up to.
    pub ledger: i64,
}

/// (figure, query returning org_id, item_id, stock_no, stored, ledger for the records that differ).
const CHECKS: &[(&str, &str)] = &[
    (
        "qty_on_hand",
        "select i.org_id, i.id as item_id, i.stock_no, i.qty_on_hand as stored, cast(coalesce(m.q, 0) as bigint) as ledger
         from items i left join (select item_id, sum(qty_delta) as q from stock_movements group by item_id) m
           on m.item_id = i.id
         where i.qty_on_hand <> coalesce(m.q, 0)",
    ),
    (
        "qty_on_memo",
        "select i.org_id, i.id as item_id, i.stock_no, i.qty_on_memo as stored, cast(coalesce(m.q, 0) as bigint) as ledger
         from items i left join (select item_id, sum(memo_delta) as q from stock_movements group by item_id) m
           on m.item_id = i.id
         where i.qty_on_memo <> coalesce(m.q, 0)",
    ),
    (
        "layer_qty",
        "select i.org_id, i.id as item_id, i.stock_no, i.qty_on_hand + i.qty_on_memo as stored,
                cast(coalesce(l.q, 0) as bigint) as ledger
         from items i left join (select item_id, sum(qty_remaining) as q from cost_layers group by item_id) l
           on l.item_id = i.id
         where not i.serialized and i.qty_on_hand + i.qty_on_memo <> coalesce(l.q, 0)",
    ),
    (
        "layer_memo_qty",
        "select i.org_id, i.id as item_id, i.stock_no, i.qty_on_memo as stored,
                cast(coalesce(l.q, 0) as bigint) as ledger
         from items i left join (select item_id, sum(qty_on_memo) as q from cost_layers group by item_id) l
           on l.item_id = i.id
         where not i.serialized and i.qty_on_memo <> coalesce(l.q, 0)",
    ),
    (
        "pool_cost_cents",
        "select i.org_id, i.id as item_id, i.stock_no, i.pool_cost_cents as stored, cast(coalesce(l.c, 0) as bigint) as ledger
         from items i join orgs o on o.id = i.org_id
           left join (select item_id, sum(cost_remaining_cents) as c from cost_layers group by item_id) l
           on l.item_id = i.id
         where not i.serialized and o.costing_method = 'fifo' and i.pool_cost_cents <> coalesce(l.c, 0)",
    ),
    (
        "ledger_cost_cents",
        "select i.org_id, i.id as item_id, i.stock_no, i.pool_cost_cents as stored, cast(coalesce(m.c, 0) as bigint) as ledger
         from items i left join (select item_id, sum(cost_cents) as c from stock_movements group by item_id) m
           on m.item_id = i.id
         where not i.serialized and i.pool_cost_cents <> coalesce(m.c, 0)",
    ),
    (
        "layer_remaining_qty",
        "select i.org_id, i.id as item_id, i.stock_no, c.qty_remaining as stored, cast(coalesce(m.q, 0) as bigint) as ledger
         from cost_layers c join items i on i.id = c.item_id
           left join (select layer_id, sum(qty) as q from layer_moves group by layer_id) m on m.layer_id = c.id
         where c.qty_remaining <> coalesce(m.q, 0)",
    ),
    (
        "layer_remaining_cents",
        "select i.org_id, i.id as item_id, i.stock_no, c.cost_remaining_cents as stored,
                cast(coalesce(m.c, 0) as bigint) as ledger
         from cost_layers c join items i on i.id = c.item_id
           left join (select layer_id, sum(cost_cents) as c from layer_moves group by layer_id) m on m.layer_id = c.id
         where c.cost_remaining_cents <> coalesce(m.c, 0)",
    ),
    (
        "qty_elsewhere",
        "select i.org_id, i.id as item_id, i.stock_no, 0 as stored, cast(m.q as bigint) as ledger
         from items i join (select item_id, store_id, sum(qty_delta + memo_delta) as q from stock_movements
                            group by item_id, store_id) m on m.item_id = i.id
         where m.store_id <> i.store_id and m.q <> 0",
    ),
    (
        "empty_cost_cents",
        "select i.org_id, i.id as item_id, i.stock_no, i.pool_cost_cents as stored, 0 as ledger
         from items i
         where not i.serialized and i.qty_on_hand + i.qty_on_memo = 0 and i.pool_cost_cents <> 0",
    ),
    (
        "empty_layer_cents",
        "select i.org_id, i.id as item_id, i.stock_no, c.cost_remaining_cents as stored, 0 as ledger
         from cost_layers c join items i on i.id = c.item_id
         where c.qty_remaining = 0 and c.cost_remaining_cents <> 0",
    ),
    (
        "piece_qty",
        "select i.org_id, i.id as item_id, i.stock_no, i.qty_on_hand + i.qty_on_memo as stored,
                case when i.status in ('in_stock', 'on_memo') then 1 else 0 end as ledger
         from items i
         where i.serialized and i.qty_on_hand + i.qty_on_memo <> case when i.status in ('in_stock', 'on_memo') then 1 else 0 end",
    ),
];

/// Every stock record whose stored quantities or cost disagree with the movement ledger and cost layers:
/// on hand = Σ qty moves, on memo = Σ memo moves, lot units = Σ layer units, lot units on memo = Σ layers' units
/// on memo, FIFO pool = Σ layer cost, a lot's
/// pool = Σ the cost of its moves, each layer's remainder = Σ its layer moves, no units at a store other than
/// the record's own, a lot or layer with no units left holds no cost (no quantity is negative: the schema
/// refuses it), a serialized
/// piece is one unit exactly while in stock or on memo. The stock reports rely on it: they roll the current
/// figures back by the moves after their date, and read only the records and layers holding units now (the
/// lake's `empty` flag) and those moved since.
pub async fn inventory(db: &Db) -> Result<Vec<Difference>> {
    let mut out = Vec::new();
    for (figure, sql) in CHECKS {
        for r in db.fetch_all(Q::new(sql)).await? {
            out.push(Difference {
                org_id: r.i64("org_id")?,
                item_id: r.i64("item_id")?,
                stock_no: r.text("stock_no")?,
                figure,
                stored: r.i64("stored")?,
                ledger: r.i64("ledger")?,
            });
        }
    }
    out.sort_by(|a, b| (a.org_id, a.item_id, a.figure).cmp(&(b.org_id, b.item_id, b.figure)));
    Ok(out)
}

/// How many stock records were checked.
pub async fn items_checked(db: &Db) -> Result<i64> {
    db.fetch_one(q!("select count(*) as n from items")).await?.i64("n")
}
