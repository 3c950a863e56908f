//! Cost flow: how units and their cost leave and re-enter stock records.
//!
//! FIFO consumes layers by acquisition date (stock without one first), then receipt order. Weighted average is
//! perpetual per stock record (a style's lot at a store; units on memo stay in the pool): cost out = pool value ×
//! qty ÷ pool quantity, rounded to the cent, the last unit taking what is left; the physical layers are still
//! consumed FIFO so ages stay exact. A return puts units back into the layers its sale took them from, newest
//! first, and reverses exactly the cost the sale booked.

use chrono::NaiveDate;

use crate::error::{Error, Result};
use crate::q;
use crate::types::{CostingMethod, Money, prorate};
use crate::writer::Writer;

/// A stock record as the cost flow needs it.
#[derive(Debug, Clone)]
pub(crate) struct Item {
    pub(crate) id: i64,
    pub(crate) org_id: i64,
    pub(crate) store_id: i64,
    pub(crate) style_id: i64,
    pub(crate) stock_no: String,
    pub(crate) serialized: bool,
    pub(crate) owned: bool,
    pub(crate) consignor_id: Option<i64>,
    pub(crate) status: String,
    pub(crate) qty_on_hand: i64,
    pub(crate) qty_on_memo: i64,
    pub(crate) base_cost: Money,
    pub(crate) pool_cost: Money,
    pub(crate) retail_price: Money,
}

/// Loads a stock record of this org; `field` names the command field for errors. A record this command already
/// read whole and has not changed is not read again.
pub(crate) async fn item(w: &mut Writer, org_id: i64, id: i64, field: &str) -> Result<Item> {
    if let Some(r) = w.seen_row("items", id) {
        let item = item_of(r)?;
        if item.org_id == org_id {
            return Ok(item);
        }
    }
    let r = w
        .fetch_optional(q!("select * from items where id = $1 and org_id = $2", id, org_id))
        .await?
        .ok_or_else(|| Error::invalid(field, id, "no such stock record in this org"))?;
    let item = item_of(&r)?;
    w.remember("items", item.id, r);
    Ok(item)
}

fn item_of(r: &crate::db::Row) -> Result<Item> {
    Ok(Item {
        id: r.i64("id")?,
        org_id: r.i64("org_id")?,
        store_id: r.i64("store_id")?,
        style_id: r.i64("style_id")?,
        stock_no: r.text("stock_no")?,
        serialized: r.bool("serialized")?,
        owned: r.text("ownership")? == "owned",
        consignor_id: r.opt_i64("consignor_id")?,
        status: r.text("status")?,
        qty_on_hand: r.i64("qty_on_hand")?,
        qty_on_memo: r.i64("qty_on_memo")?,
        base_cost: Money(r.i64("base_cost_cents")?),
        pool_cost: Money(r.i64("pool_cost_cents")?),
        retail_price: Money(r.i64("retail_price_cents")?),
    })
}

/// The org's costing method.
pub(crate) async fn costing(w: &mut Writer, org_id: i64) -> Result<CostingMethod> {
    Ok(w.org_settings(org_id).await?.2)
}

/// A serialized piece's live cost: base cost plus every additional cost (dated on or before `as_of` if given).
pub(crate) async fn piece_cost(w: &mut Writer, item: &Item, as_of: Option<NaiveDate>) -> Result<Money> {
    let extra = w
        .fetch_one(q!(
            "select cast(coalesce(sum(amount_cents), 0) as bigint) as c from item_costs
             where item_id = $1 and ($2 is null or cost_date <= $2)",
            item.id,
            as_of
        ))
        .await?
        .i64("c")?;
    Money::figure(i128::from(item.base_cost.0) + i128::from(extra), "item_id", item.id, "the piece's cost")
}

/// One row of the stock-movement ledger.
pub(crate) struct Movement<'a> {
    pub(crate) item: &'a Item,
    pub(crate) store_id: i64,
    pub(crate) on: NaiveDate,
    pub(crate) kind: &'static str,
    pub(crate) qty_delta: i64,
    pub(crate) memo_delta: i64,
    pub(crate) cost: Money,
    pub(crate) ref_kind: &'static str,
    pub(crate) ref_id: Option<i64>,
}

impl<'a> Movement<'a> {
    /// A movement of `item` at its store that moves nothing yet; callers set the quantities and cost.
    pub(crate) fn at(
        item: &'a Item,
        on: NaiveDate,
        kind: &'static str,
        ref_kind: &'static str,
        ref_id: Option<i64>,
    ) -> Movement<'a> {
        Movement {
            item,
            store_id: item.store_id,
            on,
            kind,
            qty_delta: 0,
            memo_delta: 0,
            cost: Money::ZERO,
            ref_kind,
            ref_id,
        }
    }
}

/// Appends a movement and returns its id.
pub(crate) async fn record(w: &mut Writer, m: Movement<'_>) -> Result<i64> {
    w.insert(
        "stock_movements",
        m.item.org_id,
        q!(
            "insert into stock_movements (org_id, item_id, store_id, moved_on, kind, qty_delta, memo_delta,
             cost_cents, ref_kind, ref_id) values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) returning *",
            m.item.org_id,
            m.item.id,
            m.store_id,
            m.on,
            m.kind,
            m.qty_delta,
            m.memo_delta,
            m.cost.0,
            m.ref_kind,
            m.ref_id
        ),
    )
    .await
}

/// Adds a cost layer to a lot (a receipt, a transfer in, a count gain) and returns its id.
pub(crate) async fn add_layer(
    w: &mut Writer,
    item: &Item,
    acquired_on: Option<NaiveDate>,
    qty: i64,
    cost: Money,
    movement_id: i64,
) -> Result<i64> {
    let layer = w
        .insert(
            "cost_layers",
            item.org_id,
            q!(
                "insert into cost_layers (org_id, item_id, acquired_on, qty_received, cost_received_cents,
                 qty_remaining, cost_remaining_cents) values ($1, $2, $3, $4, $5, $4, $5) returning *",
                item.org_id,
                item.id,
                acquired_on,
                qty,
                cost.0
            ),
        )
        .await?;
    layer_move(w, item.org_id, movement_id, layer, qty, cost).await?;
    Ok(layer)
}

async fn layer_move(w: &mut Writer, org_id: i64, movement_id: i64, layer_id: i64, qty: i64, cost: Money) -> Result<()> {
    w.insert(
        "layer_moves",
        org_id,
        q!(
            "insert into layer_moves (org_id, movement_id, layer_id, qty, cost_cents) values ($1, $2, $3, $4, $5)
             returning *",
            org_id,
            movement_id,
            layer_id,
            qty,
            cost.0
        ),
    )
    .await?;
    Ok(())
}

/// Sends `qty` units of lot `item` out on memo (movement `movement_id`, for memo line `line_id`) from its oldest
/// layers holding units on hand: they stay in their layers (owned, aging, in the pool) but nothing else takes
/// them until they come back or are invoiced. Returns the layers and units taken.
pub(crate) async fn memo_out_layers(
    w: &mut Writer,
    item: &Item,
    qty: i64,
    movement_id: i64,
) -> Result<Vec<(i64, i64)>> {
    let layers = w
        .fetch_all(q!(
            "select id, qty_remaining - qty_on_memo as open from cost_layers where item_id = $1 and qty_remaining > qty_on_memo
             order by case when acquired_on is null then 0 else 1 end, acquired_on, id",
            item.id
        ))
        .await?;
    let mut left = qty;
    let mut out = Vec::new();
    for l in layers {
        if left == 0 {
            break;
        }
        let take = left.min(l.i64("open")?);
        out.push((l.i64("id")?, take));
        left -= take;
    }
    if left > 0 {
        return Err(Error::Database(format!("stock {}: layers hold fewer units on hand than the lot", item.stock_no)));
    }
    memo_layer_moves(w, item.org_id, movement_id, &out, 1).await?;
    Ok(out)
}

/// Brings memo line `line_id`'s units of lot `item` back from memo into their layers (movement
/// `movement_id`); returns the layers and units. The layers are the ones its memo movements left it holding;
/// a line sent out before layers kept memo units (older books) gives back the oldest units on memo.
pub(crate) async fn memo_back_layers(
    w: &mut Writer,
    item: &Item,
    qty: i64,
    line_id: i64,
    movement_id: i64,
) -> Result<Vec<(i64, i64)>> {
    let held = w
        .fetch_all(q!(
            "select lm.layer_id, cast(sum(lm.memo_qty) as bigint) as n
             from layer_moves lm join stock_movements m on m.id = lm.movement_id
             where m.ref_kind = 'memo_line' and m.ref_id = $1 and m.item_id = $2 and lm.memo_qty <> 0
             group by lm.layer_id having sum(lm.memo_qty) > 0 order by lm.layer_id",
            line_id,
            item.id
        ))
        .await?;
    let mut out: Vec<(i64, i64)> = Vec::new();
    for h in held {
        out.push((h.i64("layer_id")?, h.i64("n")?));
    }
    let mut left = qty - out.iter().map(|o| o.1).sum::<i64>();
    if left > 0 {
        let older = w
            .fetch_all(q!(
                "select id, qty_on_memo from cost_layers where item_id = $1 and qty_on_memo > 0
                 order by case when acquired_on is null then 0 else 1 end, acquired_on, id",
                item.id
            ))
            .await?;
        for l in older {
            let id = l.i64("id")?;
            let free = l.i64("qty_on_memo")? - out.iter().filter(|o| o.0 == id).map(|o| o.1).sum::<i64>();
            let take = left.min(free);
            if take > 0 {
                out.push((id, take));
                left -= take;
            }
        }
    }
    memo_layer_moves(w, item.org_id, movement_id, &out, -1).await?;
    Ok(out)
}

/// Records units of `layers` going out on memo (`sign` 1) or coming back (`sign` −1) with `movement_id`.
async fn memo_layer_moves(
    w: &mut Writer,
    org_id: i64,
    movement_id: i64,
    layers: &[(i64, i64)],
    sign: i64,
) -> Result<()> {
    for &(layer, n) in layers {
        let changed = w
            .update(
                "cost_layers",
                org_id,
                layer,
                q!(
                    "update cost_layers set qty_on_memo = qty_on_memo + $2
                     where id = $1 and qty_on_memo + $2 >= 0 and qty_on_memo + $2 <= qty_remaining returning *",
                    layer,
                    sign * n
                ),
            )
            .await?;
        if !changed {
            return Err(Error::Database(format!("cost layer {layer}: cannot move {n} unit(s) on or off memo")));
        }
        w.insert(
            "layer_moves",
            org_id,
            q!(
                "insert into layer_moves (org_id, movement_id, layer_id, qty, cost_cents, memo_qty)
                 values ($1, $2, $3, 0, 0, $4) returning *",
                org_id,
                movement_id,
                layer,
                sign * n
            ),
        )
        .await?;
    }
    Ok(())
}

/// Units of a lot taken out of stock on hand (sale, scrap, return to vendor, count loss, transfer out).
/// Returns the cost booked and the layers taken from, oldest first, as (acquired_on, qty, cost).
pub(crate) async fn take_from_lot(
    w: &mut Writer,
    item: &Item,
    qty: i64,
    m: Movement<'_>,
) -> Result<(i64, Money, Vec<(Option<NaiveDate>, i64, Money)>)> {
    take_from_layers(w, item, qty, m, &[]).await
}

/// [`take_from_lot`], taking first the units `first` names as (layer, qty) — a memo line's units, just back
/// from the customer, which its sale costs — and the rest FIFO from the units on hand. Units out on memo in a
/// layer are never taken by anything else.
pub(crate) async fn take_from_layers(
    w: &mut Writer,
    item: &Item,
    qty: i64,
    m: Movement<'_>,
    first: &[(i64, i64)],
) -> Result<(i64, Money, Vec<(Option<NaiveDate>, i64, Money)>)> {
    if qty > item.qty_on_hand {
        return Err(Error::Conflict(format!(
            "stock {} has {} on hand; cannot take {qty} (no negative stock)",
            item.stock_no, item.qty_on_hand
        )));
    }
    let method = costing(w, item.org_id).await?;
    let layers = w
        .fetch_all(q!(
            "select * from cost_layers where item_id = $1 and qty_remaining > qty_on_memo
             order by case when acquired_on is null then 0 else 1 end, acquired_on, id",
            item.id
        ))
        .await?;
    let preferred = |id: i64| first.iter().filter(|f| f.0 == id).map(|f| f.1).sum::<i64>();
    let mut left = qty;
    let mut plan: Vec<(i64, i64)> = Vec::new();
    // the named units first, then the oldest on hand
    for pass in [true, false] {
        for l in &layers {
            let id = l.i64("id")?;
            let open =
                l.i64("qty_remaining")? - l.i64("qty_on_memo")? - plan.iter().find(|p| p.0 == id).map_or(0, |p| p.1);
            let want = if pass { preferred(id).min(open) } else { open };
            let take = left.min(want);
            if take > 0 {
                match plan.iter_mut().find(|p| p.0 == id) {
                    Some(p) => p.1 += take,
                    None => plan.push((id, take)),
                }
                left -= take;
            }
        }
    }
    let mut taken = Vec::new();
    let mut fifo_cost = Money::ZERO;
    for l in layers {
        let id = l.i64("id")?;
        let Some(&(_, take)) = plan.iter().find(|p| p.0 == id) else { continue };
        let (rem, rem_cost) = (l.i64("qty_remaining")?, Money(l.i64("cost_remaining_cents")?));
        let cost = prorate(rem_cost, take, rem);
        taken.push((id, l.opt_date("acquired_on")?, take, cost));
        w.remember("cost_layers", id, l);
        fifo_cost.0 += cost.0;
    }
    if left > 0 {
        return Err(Error::Database(format!("stock {}: layers hold fewer units than qty_on_hand", item.stock_no)));
    }
    let pool_qty = item.qty_on_hand + item.qty_on_memo;
    let cost = match method {
        CostingMethod::Fifo => fifo_cost,
        CostingMethod::Average => prorate(item.pool_cost, qty, pool_qty),
    };
    let movement = record(w, Movement { cost: Money(-cost.0), qty_delta: -qty, ..m }).await?;
    let mut out = Vec::new();
    for (layer, acquired, take, layer_cost) in taken {
        w.update(
            "cost_layers",
            item.org_id,
            layer,
            q!(
                "update cost_layers set qty_remaining = qty_remaining - $2,
                 cost_remaining_cents = cost_remaining_cents - $3 where id = $1 returning *",
                layer,
                take,
                layer_cost.0
            ),
        )
        .await?;
        layer_move(w, item.org_id, movement, layer, -take, Money(-layer_cost.0)).await?;
        out.push((acquired, take, layer_cost));
    }
    w.update(
        "items",
        item.org_id,
        item.id,
        q!(
            "update items set qty_on_hand = qty_on_hand - $2, pool_cost_cents = pool_cost_cents - $3
             where id = $1 returning *",
            item.id,
            qty,
            cost.0
        ),
    )
    .await?;
    Ok((movement, cost, out))
}

/// The layers `taken` (as [`take_from_lot`] returns them) carrying `cost` in all: their own costs when those add
/// up to it (FIFO), else `cost` shared by units, each layer its part rounded to the cent and the last what is
/// left (weighted average, where the pool's cost out is not the layers').
pub(crate) fn spread(cost: Money, taken: Vec<(Option<NaiveDate>, i64, Money)>) -> Vec<(Option<NaiveDate>, i64, Money)> {
    if taken.iter().map(|l| l.2.0).sum::<i64>() == cost.0 {
        return taken;
    }
    let (mut left_cost, mut left_qty) = (cost, taken.iter().map(|l| l.1).sum::<i64>());
    taken
        .into_iter()
        .map(|(acquired, n, _)| {
            let part = prorate(left_cost, n, left_qty);
            left_cost.0 -= part.0;
            left_qty -= n;
            (acquired, n, part)
        })
        .collect()
}

/// Puts `qty` units back into the layers movement `source` took them from (newest layer first), net of what
/// earlier reversals of `source` already put back, and reverses exactly the cost `source` booked for them.
/// Returns the new movement's id and the cost put back.
pub(crate) async fn put_back_to_lot(
    w: &mut Writer,
    item: &Item,
    source: i64,
    qty: i64,
    m: Movement<'_>,
) -> Result<(i64, Money)> {
    let src = w.fetch_one(q!("select qty_delta, cost_cents from stock_movements where id = $1", source)).await?;
    let (src_qty, src_cost) = (-src.i64("qty_delta")?, Money(-src.i64("cost_cents")?));
    // what earlier reversals of this movement already put back
    let back = w
        .fetch_one(q!(
            "select cast(coalesce(sum(qty_delta), 0) as bigint) as q, cast(coalesce(sum(cost_cents), 0) as bigint) as c
             from stock_movements where ref_kind = 'reversal' and ref_id = $1",
            source
        ))
        .await?;
    let (back_qty, back_cost) = (back.i64("q")?, Money(back.i64("c")?));
    let open_qty = src_qty - back_qty;
    if qty > open_qty {
        return Err(Error::Conflict(format!("only {open_qty} unit(s) of that movement remain to be put back")));
    }
    let rows = w
        .fetch_all(q!(
            "select lm.layer_id, -lm.qty as qty, -lm.cost_cents as cost,
                    cast(coalesce((select sum(b.qty) from layer_moves b join stock_movements bm on bm.id = b.movement_id
                      where bm.ref_kind = 'reversal' and bm.ref_id = $1 and b.layer_id = lm.layer_id), 0) as bigint) as back_qty,
                    cast(coalesce((select sum(b.cost_cents) from layer_moves b join stock_movements bm on bm.id = b.movement_id
                      where bm.ref_kind = 'reversal' and bm.ref_id = $1 and b.layer_id = lm.layer_id), 0) as bigint) as back_cost
             from layer_moves lm where lm.movement_id = $1 order by lm.layer_id desc",
            source
        ))
        .await?;
    let mut left = qty;
    let mut plan = Vec::new();
    for r in rows {
        if left == 0 {
            break;
        }
        let open = r.i64("qty")? - r.i64("back_qty")?;
        if open <= 0 {
            continue;
        }
        let take = left.min(open);
        let c = prorate(Money(r.i64("cost")? - r.i64("back_cost")?), take, open);
        plan.push((r.i64("layer_id")?, take, c));
        left -= take;
    }
    // FIFO: the units that come back are the newest the sale took, at their layers' cost; average: the sale's
    // booked average cost, in proportion
    let cost = match costing(w, item.org_id).await? {
        // parts of what the source took, so never more than it
        CostingMethod::Fifo => Money(plan.iter().map(|p| p.2.0).sum()),
        CostingMethod::Average => prorate(Money(src_cost.0 - back_cost.0), qty, open_qty),
    };
    grown_pool(item, cost, "qty")?;
    let movement =
        record(w, Movement { qty_delta: qty, cost, ref_kind: "reversal", ref_id: Some(source), ..m }).await?;
    for (layer, take, c) in plan {
        w.update(
            "cost_layers",
            item.org_id,
            layer,
            q!(
                "update cost_layers set qty_remaining = qty_remaining + $2,
                 cost_remaining_cents = cost_remaining_cents + $3 where id = $1 returning *",
                layer,
                take,
                c.0
            ),
        )
        .await?;
        layer_move(w, item.org_id, movement, layer, take, c).await?;
    }
    w.update(
        "items",
        item.org_id,
        item.id,
        q!(
            "update items set qty_on_hand = qty_on_hand + $2, pool_cost_cents = pool_cost_cents + $3
             where id = $1 returning *",
            item.id,
            qty,
            cost.0
        ),
    )
    .await?;
    Ok((movement, cost))
}

/// Undoes movement `source` (which put units into layers) exactly: the same units and cost leave the same
/// layers. Refused when those units have since left the layers.
pub(crate) async fn reverse_exactly(w: &mut Writer, item: &Item, source: i64, m: Movement<'_>) -> Result<(i64, Money)> {
    let src = w.fetch_one(q!("select qty_delta, cost_cents from stock_movements where id = $1", source)).await?;
    let (qty, cost) = (src.i64("qty_delta")?, Money(src.i64("cost_cents")?));
    if qty > item.qty_on_hand {
        return Err(Error::Conflict(format!(
            "stock {} has {} on hand; the {qty} unit(s) to take back are gone",
            item.stock_no, item.qty_on_hand
        )));
    }
    let moves = w
        .fetch_all(q!("select layer_id, qty, cost_cents from layer_moves where movement_id = $1 and qty <> 0", source))
        .await?;
    let movement =
        record(w, Movement { qty_delta: -qty, cost: Money(-cost.0), ref_kind: "reversal", ref_id: Some(source), ..m })
            .await?;
    for mv in moves {
        let (layer, n, c) = (mv.i64("layer_id")?, mv.i64("qty")?, mv.i64("cost_cents")?);
        let done = w
            .update(
                "cost_layers",
                item.org_id,
                layer,
                q!(
                    "update cost_layers set qty_remaining = qty_remaining - $2, cost_remaining_cents = cost_remaining_cents - $3
                     where id = $1 and qty_remaining - qty_on_memo >= $2 returning *",
                    layer,
                    n,
                    c
                ),
            )
            .await?;
        if !done {
            return Err(Error::Conflict(format!("stock {}: units of that layer have since been sold", item.stock_no)));
        }
        layer_move(w, item.org_id, movement, layer, -n, Money(-c)).await?;
    }
    w.update(
        "items",
        item.org_id,
        item.id,
        q!(
            "update items set qty_on_hand = qty_on_hand - $2, pool_cost_cents = pool_cost_cents - $3
             where id = $1 returning *",
            item.id,
            qty,
            cost.0
        ),
    )
    .await?;
    Ok((movement, cost))
}

/// Adds received units to a lot: a new layer, and the pool grows by their cost (refused as `field` when the
/// pool would hold more than the books keep).
pub(crate) async fn add_to_lot(
    w: &mut Writer,
    item: &Item,
    acquired_on: Option<NaiveDate>,
    qty: i64,
    cost: Money,
    m: Movement<'_>,
    field: &str,
) -> Result<i64> {
    grown_pool(item, cost, field)?;
    let movement = record(w, Movement { qty_delta: qty, cost, ..m }).await?;
    add_layer(w, item, acquired_on, qty, cost, movement).await?;
    w.update(
        "items",
        item.org_id,
        item.id,
        q!(
            "update items set qty_on_hand = qty_on_hand + $2, pool_cost_cents = pool_cost_cents + $3
             where id = $1 returning *",
            item.id,
            qty,
            cost.0
        ),
    )
    .await?;
    Ok(movement)
}

/// A lot's pool cost once `cost` more comes in: refused (as `field`) past what the books keep, so the pool is
/// never written by a sum that wraps (SQLite would turn it into a float; PostgreSQL would fail the command).
pub(crate) fn grown_pool(item: &Item, cost: Money, field: &str) -> Result<Money> {
    item.pool_cost.plus(cost, field, cost, &format!("the pool cost of {}", item.stock_no))
}

/// Finds or creates the lot of a style at a store.
pub(crate) async fn lot(
    w: &mut Writer,
    org_id: i64,
    store_id: i64,
    style_id: i64,
    consignor_id: Option<i64>,
    retail_price: crate::types::Money,
    created_on: NaiveDate,
) -> Result<Item> {
    let ownership = if consignor_id.is_some() { "consigned" } else { "owned" };
    let existing = w
        .fetch_optional(q!(
            "select id from items where org_id = $1 and style_id = $2 and store_id = $3 and ownership = $4
             and coalesce(consignor_id, 0) = $5 and not serialized",
            org_id,
            style_id,
            store_id,
            ownership,
            consignor_id.unwrap_or(0)
        ))
        .await?;
    let id = match existing {
        Some(r) => r.i64("id")?,
        None => {
            let no = w.next_number(org_id, "lot", "L-").await?;
            w.insert(
                "items",
                org_id,
                q!(
                    "insert into items (org_id, store_id, style_id, stock_no, serialized, ownership, consignor_id,
                     status, retail_price_cents, created_on) values ($1, $2, $3, $4, false, $5, $6, 'lot', $7, $8)
                     returning *",
                    org_id,
                    store_id,
                    style_id,
                    no,
                    ownership,
                    consignor_id,
                    retail_price.0,
                    created_on
                ),
            )
            .await?
        }
    };
    item(w, org_id, id, "item_id").await
}
